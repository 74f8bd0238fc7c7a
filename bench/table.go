package main

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// row is one figure of the table. A reference is set when there is
// something to compare with; the ratio is value/reference.
type row struct {
	Section string
	Figure  string
	Value   float64
	Unit    string
	// Text replaces the value where the figure is not a number.
	Text string
	// Ref and RefHigh are the reference, or its range; RefLabel says what
	// it is, or stands alone where there is nothing to compare with.
	Ref, RefHigh *float64
	RefLabel     string
	// Series and Size put the row in the scaling table instead of the main
	// one: the cost named Series at Size units of SizeUnit ("chats",
	// "messages"). Value is the whole cost at that size, or with Rate a
	// rate of work (events per second) whose cost per unit is its inverse.
	Series   string
	Size     float64
	SizeUnit string
	Rate     bool
	// Spread is set on a row merged from the runs of -repeat; Value and Ref
	// are then their medians.
	Spread *spread
}

// spread is how a figure varied over the runs of -repeat.
type spread struct {
	Runs      int
	Low, High float64
	// Ratio is the median of each run's value over that run's own
	// reference, and RatioLow and RatioHigh their range; nil where the
	// reference is a published range.
	Ratio, RatioLow, RatioHigh *float64
}

// ratio is the value over the reference; with a published range of
// references, low and high are the ratios to its two ends. A merged row
// gives the median of its runs' ratios.
func (r row) ratio() (low, high *float64) {
	if r.Ref == nil || *r.Ref == 0 || r.Text != "" {
		return nil, nil
	}
	if r.Spread != nil && r.Spread.Ratio != nil {
		return r.Spread.Ratio, nil
	}
	low = new(r.Value / *r.Ref)
	if r.RefHigh != nil && *r.RefHigh != 0 {
		// The larger reference gives the smaller ratio.
		high, low = low, new(r.Value / *r.RefHigh)
	}
	return low, high
}

// printTable writes the rows of the main table as Markdown, a section
// heading row before each suite's rows, so it reads in a terminal and in
// the README. Merged rows show their median, then the range of the runs in
// brackets where they differed.
func printTable(w io.Writer, rows []row) {
	fmt.Fprintln(w, "| figure | value | reference | ratio |")
	fmt.Fprintln(w, "|---|---|---|---|")
	section := ""
	for _, r := range rows {
		if r.Series != "" {
			continue
		}
		if r.Section != section {
			section = r.Section
			fmt.Fprintf(w, "| **%s** | | | |\n", section)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", r.Figure, r.valueText(), r.refText(), r.ratioText())
	}
}

func (r row) valueText() string {
	if r.Text != "" {
		return r.Text
	}
	v := format(r.Value, r.Unit)
	if s := r.Spread; s != nil && s.Runs > 1 && format(s.Low, r.Unit) != format(s.High, r.Unit) {
		v += " (" + span(s.Low, s.High, r.Unit) + ")"
	}
	return v
}

func (r row) refText() string {
	ref := r.RefLabel
	if r.Ref != nil {
		v := format(*r.Ref, r.Unit)
		if r.RefHigh != nil {
			v = span(*r.Ref, *r.RefHigh, r.Unit)
		}
		ref = v
		if r.RefLabel != "" {
			ref += ": " + r.RefLabel
		}
	}
	if ref == "" {
		ref = "—"
	}
	return ref
}

func (r row) ratioText() string {
	low, high := r.ratio()
	if low == nil {
		return "—"
	}
	ratio := formatRatio(*low)
	if high != nil {
		ratio += "–" + formatRatio(*high)
	}
	if s := r.Spread; s != nil && s.Runs > 1 && s.RatioLow != nil && formatRatio(*s.RatioLow) != formatRatio(*s.RatioHigh) {
		ratio += " (" + formatRatio(*s.RatioLow) + "–" + formatRatio(*s.RatioHigh) + ")"
	}
	return ratio
}

// span writes a range with both ends in the unit of the higher one:
// "3.0–10.0 KB".
func span(low, high float64, unit string) string {
	u := unitOf(high, unit)
	lo, _ := scale(low, u)
	hi, _ := scale(high, u)
	return strings.TrimSpace(lo + "–" + hi + " " + u)
}

func formatRatio(x float64) string {
	switch {
	case x >= 100:
		return fmt.Sprintf("%.0f", x)
	case x >= 10:
		return fmt.Sprintf("%.1f", x)
	case x >= 0.1:
		return fmt.Sprintf("%.2f", x)
	default:
		return fmt.Sprintf("%.2g", x)
	}
}

// unitOf is the unit format writes v in: bytes in decimal KB and MB, as
// the published figures are.
func unitOf(v float64, unit string) string {
	if unit != "B" {
		return unit
	}
	switch {
	case math.Abs(v) >= 1e6:
		return "MB"
	case math.Abs(v) >= 1e4:
		return "KB"
	}
	return "B"
}

// scale writes v, given in the base unit, as a number of unit.
func scale(v float64, unit string) (string, string) {
	switch unit {
	case "MB":
		return fmt.Sprintf("%.2f", v/1e6), unit
	case "KB":
		return fmt.Sprintf("%.1f", v/1e3), unit
	case "ms":
		if v < 10 {
			return fmt.Sprintf("%.2f", v), unit
		}
	case "s":
		return fmt.Sprintf("%.1f", v), unit
	}
	return fmt.Sprintf("%.0f", v), unit
}

func format(v float64, unit string) string {
	n, u := scale(v, unitOf(v, unit))
	return strings.TrimSpace(n + " " + u)
}

// jsonRow is a row as results.json has it.
type jsonRow struct {
	Section        string   `json:"section"`
	Figure         string   `json:"figure"`
	Value          *float64 `json:"value,omitempty"`
	Unit           string   `json:"unit,omitempty"`
	Text           string   `json:"text,omitempty"`
	Reference      *float64 `json:"reference,omitempty"`
	ReferenceHigh  *float64 `json:"reference_high,omitempty"`
	ReferenceLabel string   `json:"reference_label,omitempty"`
	Ratio          *float64 `json:"ratio,omitempty"`
	RatioHigh      *float64 `json:"ratio_high,omitempty"`
	// The scaling table's rows: Value at Size SizeUnit of Series.
	Series   string   `json:"series,omitempty"`
	Size     *float64 `json:"size,omitempty"`
	SizeUnit string   `json:"size_unit,omitempty"`
	Rate     bool     `json:"rate,omitempty"`
	// With -repeat: Value and Ratio are medians over Runs runs, and these
	// their ranges.
	Runs     int      `json:"runs,omitempty"`
	ValueMin *float64 `json:"value_min,omitempty"`
	ValueMax *float64 `json:"value_max,omitempty"`
	RatioMin *float64 `json:"ratio_min,omitempty"`
	RatioMax *float64 `json:"ratio_max,omitempty"`
}

func jsonRows(rows []row) []jsonRow {
	out := make([]jsonRow, 0, len(rows))
	for _, r := range rows {
		j := jsonRow{Section: r.Section, Figure: r.Figure, Unit: r.Unit, Text: r.Text,
			Reference: r.Ref, ReferenceHigh: r.RefHigh, ReferenceLabel: r.RefLabel,
			Series: r.Series, SizeUnit: r.SizeUnit, Rate: r.Rate}
		if r.Text == "" {
			j.Value = new(r.Value)
		}
		if r.Series != "" {
			j.Size = new(r.Size)
		}
		j.Ratio, j.RatioHigh = r.ratio()
		if s := r.Spread; s != nil {
			j.Runs = s.Runs
			if r.Text == "" {
				j.ValueMin, j.ValueMax = new(s.Low), new(s.High)
			}
			j.RatioMin, j.RatioMax = s.RatioLow, s.RatioHigh
		}
		out = append(out, j)
	}
	return out
}
