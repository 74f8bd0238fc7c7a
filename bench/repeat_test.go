package main

import (
	"fmt"
	"reflect"
	"testing"
)

func TestMerge(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		runs [][]row
		want []row
	}{
		{
			name: "one run comes back as it is",
			runs: [][]row{{{Section: "server", Figure: "a", Value: 3, Ref: new(1.0)}}},
			want: []row{{Section: "server", Figure: "a", Value: 3, Ref: new(1.0)}},
		},
		{
			name: "medians, the range, and the median of each run's own ratio",
			runs: [][]row{
				{{Section: "server", Figure: "a", Value: 4, Ref: new(2.0), RefLabel: "floor"}},
				{{Section: "server", Figure: "a", Value: 9, Ref: new(3.0), RefLabel: "floor"}},
				{{Section: "server", Figure: "a", Value: 5, Ref: new(1.0), RefLabel: "floor"}},
			},
			want: []row{{
				Section: "server", Figure: "a", Value: 5, Ref: new(2.0), RefLabel: "floor",
				Spread: &spread{Runs: 3, Low: 4, High: 9, Ratio: new(3.0), RatioLow: new(2.0), RatioHigh: new(5.0)},
			}},
		},
		{
			name: "a published range keeps its ends and gives no ratio spread",
			runs: [][]row{
				{{Figure: "loader", Value: 3000, Ref: new(3e3), RefHigh: new(10e3)}},
				{{Figure: "loader", Value: 3100, Ref: new(3e3), RefHigh: new(10e3)}},
			},
			want: []row{{Figure: "loader", Value: 3050, Ref: new(3e3), RefHigh: new(10e3), Spread: &spread{Runs: 2, Low: 3000, High: 3100}}},
		},
		{
			name: "texts that disagree are counted",
			runs: [][]row{
				{{Figure: "typing", Text: "1 typing"}},
				{{Figure: "typing", Text: "2 typing"}},
				{{Figure: "typing", Text: "1 typing"}},
			},
			want: []row{{Figure: "typing", Text: "1 typing (2 of 3); 2 typing (1 of 3)", Spread: &spread{Runs: 3}}},
		},
		{
			name: "rows keep the order they first came in, figures of a series apart by size",
			runs: [][]row{
				{{Figure: "b", Value: 1}, {Series: "s", Size: 1, Value: 10}, {Series: "s", Size: 2, Value: 20}},
				{{Figure: "a", Value: 2}, {Figure: "b", Value: 3}, {Series: "s", Size: 1, Value: 30}},
			},
			want: []row{
				{Figure: "b", Value: 2, Spread: &spread{Runs: 2, Low: 1, High: 3}},
				{Series: "s", Size: 1, Value: 20, Spread: &spread{Runs: 2, Low: 10, High: 30}},
				{Series: "s", Size: 2, Value: 20, Spread: &spread{Runs: 1, Low: 20, High: 20}},
				{Figure: "a", Value: 2, Spread: &spread{Runs: 1, Low: 2, High: 2}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := merge(tt.runs); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("merge:\n got %s\nwant %s", dump(got), dump(tt.want))
			}
		})
	}
}

func TestRowText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name              string
		r                 row
		value, ref, ratio string
	}{
		{"a figure beside its floor", row{Value: 0.5, Unit: "ms", Ref: new(0.25), RefLabel: "relay"}, "0.50 ms", "0.25 ms: relay", "2.00"},
		{"no reference", row{Value: 2513, Unit: "B"}, "2513 B", "—", "—"},
		{"a label alone", row{Value: 2398, Unit: "/s", RefLabel: "none"}, "2398 /s", "none", "—"},
		{"a published range", row{Value: 2997, Unit: "B", Ref: new(3e3), RefHigh: new(10e3), RefLabel: "loaders"}, "2997 B", "3.0–10.0 KB: loaders", "0.30–1.00"},
		{
			"merged runs show their range",
			row{Value: 0.5, Unit: "ms", Ref: new(0.25), RefLabel: "relay", Spread: &spread{Runs: 3, Low: 0.4, High: 0.9, Ratio: new(2.0), RatioLow: new(1.5), RatioHigh: new(3.0)}},
			"0.50 ms (0.40–0.90 ms)", "0.25 ms: relay", "2.00 (1.50–3.00)",
		},
		{
			"runs that agree show no range",
			row{Value: 2997, Unit: "B", Ref: new(1000.0), Spread: &spread{Runs: 3, Low: 2997, High: 2997, Ratio: new(2.997), RatioLow: new(2.997), RatioHigh: new(2.997)}},
			"2997 B", "1000 B", "3.00",
		},
		{"text", row{Text: "1 typing, 1 not_typing", RefLabel: "the design"}, "1 typing, 1 not_typing", "the design", "—"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.r.valueText(); got != tt.value {
				t.Errorf("value %q, want %q", got, tt.value)
			}
			if got := tt.r.refText(); got != tt.ref {
				t.Errorf("reference %q, want %q", got, tt.ref)
			}
			if got := tt.r.ratioText(); got != tt.ratio {
				t.Errorf("ratio %q, want %q", got, tt.ratio)
			}
		})
	}
}

// dump writes rows with what their pointers point at.
func dump(rows []row) string {
	var out string
	for _, r := range rows {
		out += "\n  " + r.key() + ": " + r.valueText() + " | " + r.refText() + " | " + r.ratioText()
		if r.Spread != nil {
			out += fmt.Sprintf(" | %d runs", r.Spread.Runs)
		}
	}
	return out
}
