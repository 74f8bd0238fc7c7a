package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// linearTolerance is how much more a unit of work may cost at the largest
// size than at the smallest and still count as growing linearly: the
// run-to-run noise of this machine, about 10 %.
const linearTolerance = 1.10

// growth is how one series' cost per unit changed from its smallest size to
// its largest.
type growth struct {
	Series   string  `json:"series"`
	From     float64 `json:"from"`
	To       float64 `json:"to"`
	SizeUnit string  `json:"size_unit"`
	// Per is the unit the cost is counted per: chat, event, message.
	Per string `json:"per"`
	// Ratio is the cost per unit at To over the cost per unit at From.
	Ratio  float64 `json:"ratio"`
	Linear bool    `json:"linear"`
	// Knee is the step between two sizes next to each other where the
	// cost per unit rose the most (or fell the least): where to look
	// first when it grows too fast.
	Knee step `json:"knee"`
}

// step is how the cost per unit changed from one size to the next.
type step struct {
	From  float64 `json:"from"`
	To    float64 `json:"to"`
	Ratio float64 `json:"ratio"`
}

// scalingSeries groups the scaling table's rows by series, in the order the
// series first came, each sorted by size.
func scalingSeries(rows []row) [][]row {
	var order []string
	by := map[string][]row{}
	for _, r := range rows {
		if r.Series == "" {
			continue
		}
		if _, ok := by[r.Series]; !ok {
			order = append(order, r.Series)
		}
		by[r.Series] = append(by[r.Series], r)
	}
	series := make([][]row, len(order))
	for i, name := range order {
		series[i] = by[name]
		slices.SortStableFunc(series[i], func(a, b row) int {
			switch {
			case a.Size < b.Size:
				return -1
			case a.Size > b.Size:
				return 1
			}
			return 0
		})
	}
	return series
}

// perUnit is the cost of one unit of work at the row's size and the unit
// it is in: the whole cost over the size ("B/chat", seconds become "ms/chat"),
// or for a rate its inverse ("µs/event").
func perUnit(r row, value float64) (float64, string) {
	if r.Rate {
		if value == 0 {
			return 0, "µs/event"
		}
		return 1e6 / value, "µs/event"
	}
	unit := r.Unit
	if unit == "s" {
		value, unit = value*1000, "ms"
	}
	if r.Size == 0 {
		return 0, unit
	}
	return value / r.Size, unit + "/" + strings.TrimSuffix(r.SizeUnit, "s")
}

// growths reads, for each series with two sizes or more, the cost per unit
// at the largest size over that at the smallest.
func growths(rows []row) []growth {
	var out []growth
	for _, s := range scalingSeries(rows) {
		first, last := s[0], s[len(s)-1]
		if len(s) < 2 || first.Size == last.Size {
			continue
		}
		costs := make([]float64, len(s))
		var unit string
		for i, r := range s {
			costs[i], unit = perUnit(r, r.Value)
		}
		if slices.Contains(costs, 0) {
			continue
		}
		_, per, _ := strings.Cut(unit, "/")
		g := growth{Series: first.Series, From: first.Size, To: last.Size, SizeUnit: first.SizeUnit, Per: per, Ratio: costs[len(s)-1] / costs[0]}
		g.Linear = g.Ratio <= linearTolerance
		for i := 1; i < len(s); i++ {
			if ratio := costs[i] / costs[i-1]; i == 1 || ratio > g.Knee.Ratio {
				g.Knee = step{From: s[i-1].Size, To: s[i].Size, Ratio: ratio}
			}
		}
		out = append(out, g)
	}
	return out
}

// printScaling writes the scaling table, each cost at each size with its
// cost per unit beside the floor's where one was measured, then whether
// each grows no faster than linearly.
func printScaling(w io.Writer, rows []row) {
	series := scalingSeries(rows)
	if len(series) == 0 {
		return
	}
	fmt.Fprintln(w, "| cost | size | value | per unit | reference, per unit | ratio |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	for _, s := range series {
		for _, r := range s {
			each, unit := perUnit(r, r.Value)
			ref := "—"
			if r.Ref != nil {
				refEach, _ := perUnit(r, *r.Ref)
				ref = formatPerUnit(refEach, unit) + ": " + r.RefLabel
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n",
				r.Series, count(r.Size, r.SizeUnit), r.valueText(), formatPerUnit(each, unit), ref, r.ratioText())
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "How the cost per unit grows, from the smallest size to the largest (up to %.2fx counts as linear, the run-to-run noise):\n", linearTolerance)
	for _, g := range growths(rows) {
		verdict := "no faster than linearly"
		if !g.Linear {
			verdict = "FASTER than linearly"
		}
		knee := ""
		if g.Knee.From != g.From || g.Knee.To != g.To {
			knee = fmt.Sprintf("; the steepest step, %s to %s: %.2fx", count(g.Knee.From, g.SizeUnit), count(g.Knee.To, g.SizeUnit), g.Knee.Ratio)
		}
		fmt.Fprintf(w, "- %s: per %s, %.2fx as much at %s as at %s: grows %s%s\n",
			g.Series, g.Per, g.Ratio, count(g.To, g.SizeUnit), count(g.From, g.SizeUnit), verdict, knee)
	}
}

// formatPerUnit writes a cost per unit: "95.1 KB/chat", "0.84 ms/message".
func formatPerUnit(v float64, unit string) string {
	base, per, _ := strings.Cut(unit, "/")
	return format(v, base) + "/" + per
}

// count writes a number of things: "1 chat", "5000 chats".
func count(n float64, unit string) string {
	if n == 1 {
		unit = strings.TrimSuffix(unit, "s")
	}
	return fmt.Sprintf("%.0f %s", n, unit)
}
