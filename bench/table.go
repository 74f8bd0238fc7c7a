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
}

func (r row) ratio() (low, high *float64) {
	if r.Ref == nil || *r.Ref == 0 || r.Text != "" {
		return nil, nil
	}
	low = new(r.Value / *r.Ref)
	if r.RefHigh != nil && *r.RefHigh != 0 {
		// The larger reference gives the smaller ratio.
		high, low = low, new(r.Value / *r.RefHigh)
	}
	return low, high
}

// printTable writes the rows as a Markdown table, a section heading row
// before each suite's rows, so it reads in a terminal and in the README.
func printTable(w io.Writer, rows []row) {
	fmt.Fprintln(w, "| figure | value | reference | ratio |")
	fmt.Fprintln(w, "|---|---|---|---|")
	section := ""
	for _, r := range rows {
		if r.Section != section {
			section = r.Section
			fmt.Fprintf(w, "| **%s** | | | |\n", section)
		}
		value := r.Text
		if value == "" {
			value = format(r.Value, r.Unit)
		}
		ref := r.RefLabel
		if r.Ref != nil {
			v := format(*r.Ref, r.Unit)
			if r.RefHigh != nil {
				// Both ends in the unit of the higher one: "3–10 KB".
				n, unit := scale(*r.Ref, unitOf(*r.RefHigh, r.Unit))
				hi, _ := scale(*r.RefHigh, unitOf(*r.RefHigh, r.Unit))
				v = n + "–" + hi + " " + unit
			}
			ref = v + ": " + r.RefLabel
		}
		if ref == "" {
			ref = "—"
		}
		ratio := "—"
		if low, high := r.ratio(); low != nil {
			ratio = formatRatio(*low)
			if high != nil {
				ratio += "–" + formatRatio(*high)
			}
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", r.Figure, value, ref, ratio)
	}
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
}

func jsonRows(rows []row) []jsonRow {
	out := make([]jsonRow, 0, len(rows))
	for _, r := range rows {
		j := jsonRow{Section: r.Section, Figure: r.Figure, Unit: r.Unit, Text: r.Text,
			Reference: r.Ref, ReferenceHigh: r.RefHigh, ReferenceLabel: r.RefLabel}
		if r.Text == "" {
			j.Value = new(r.Value)
		}
		j.Ratio, j.RatioHigh = r.ratio()
		out = append(out, j)
	}
	return out
}
