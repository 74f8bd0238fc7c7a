package main

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

func TestPerUnit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		r     row
		value float64
		unit  string
	}{
		{"memory per chat", row{Size: 1000, SizeUnit: "chats", Value: 95e6, Unit: "B"}, 95e3, "B/chat"},
		{"seconds become milliseconds", row{Size: 1000, SizeUnit: "chats", Value: 2, Unit: "s"}, 2, "ms/chat"},
		{"milliseconds per message", row{Size: 1000, SizeUnit: "messages", Value: 840, Unit: "ms"}, 0.84, "ms/message"},
		{"a rate's inverse", row{Size: 50, SizeUnit: "chats", Value: 2500, Unit: "/s", Rate: true}, 400, "µs/event"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			value, unit := perUnit(tt.r, tt.r.Value)
			if math.Abs(value-tt.value) > 1e-9 || unit != tt.unit {
				t.Errorf("perUnit = %v %s, want %v %s", value, unit, tt.value, tt.unit)
			}
		})
	}
}

func TestGrowths(t *testing.T) {
	t.Parallel()
	memory := func(size, value float64) row {
		return row{Series: "memory", Size: size, SizeUnit: "chats", Value: value, Unit: "B"}
	}
	rate := func(size, value float64) row {
		return row{Series: "events", Size: size, SizeUnit: "chats", Value: value, Unit: "/s", Rate: true}
	}
	tests := []struct {
		name string
		rows []row
		want []growth
	}{
		{
			name: "linear, out of order",
			rows: []row{memory(10000, 1e9), memory(1000, 1e8), memory(5000, 5e8)},
			want: []growth{{Series: "memory", From: 1000, To: 10000, SizeUnit: "chats", Per: "chat", Ratio: 1, Linear: true, Knee: step{1000, 5000, 1}}},
		},
		{
			name: "within the noise",
			rows: []row{memory(1000, 1e8), memory(10000, 1.09e9)},
			want: []growth{{Series: "memory", From: 1000, To: 10000, SizeUnit: "chats", Per: "chat", Ratio: 1.09, Linear: true, Knee: step{1000, 10000, 1.09}}},
		},
		{
			name: "quadratic",
			rows: []row{memory(100, 100), memory(1000, 10000)},
			want: []growth{{Series: "memory", From: 100, To: 1000, SizeUnit: "chats", Per: "chat", Ratio: 10, Linear: false, Knee: step{100, 1000, 10}}},
		},
		{
			name: "a rate that falls costs more per event",
			rows: []row{rate(1, 2400), rate(200, 1200)},
			want: []growth{{Series: "events", From: 1, To: 200, SizeUnit: "chats", Per: "event", Ratio: 2, Linear: false, Knee: step{1, 200, 2}}},
		},
		{
			name: "a rate that rises costs less",
			rows: []row{rate(1, 2400), rate(50, 24000)},
			want: []growth{{Series: "events", From: 1, To: 50, SizeUnit: "chats", Per: "event", Ratio: 0.1, Linear: true, Knee: step{1, 50, 0.1}}},
		},
		{
			name: "a knee in the middle hides behind the ends",
			rows: []row{rate(1, 245), rate(10, 628), rate(50, 506), rate(200, 280)},
			want: []growth{{Series: "events", From: 1, To: 200, SizeUnit: "chats", Per: "event", Ratio: 245.0 / 280, Linear: true, Knee: step{50, 200, 506.0 / 280}}},
		},
		{
			name: "one size says nothing; main table rows are not series",
			rows: []row{memory(1000, 1e8), {Figure: "other", Value: 1}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := growths(tt.rows)
			if len(got) != len(tt.want) {
				t.Fatalf("growths = %+v, want %+v", got, tt.want)
			}
			for i := range got {
				g, w := got[i], tt.want[i]
				if math.Abs(g.Ratio-w.Ratio) > 1e-9 || math.Abs(g.Knee.Ratio-w.Knee.Ratio) > 1e-9 {
					t.Errorf("ratio %v, knee %v; want %v, %v", g.Ratio, g.Knee.Ratio, w.Ratio, w.Knee.Ratio)
				}
				g.Ratio, g.Knee.Ratio = w.Ratio, w.Knee.Ratio
				if g != w {
					t.Errorf("growth %+v, want %+v", g, w)
				}
			}
		})
	}
}

func TestPrintScaling(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	printScaling(&out, []row{
		{Figure: "not a series", Value: 1},
		{Series: "idle chats: server resident memory", Size: 1000, SizeUnit: "chats", Value: 95e6, Unit: "B", Ref: new(37e6), RefLabel: "bare holder"},
		{Series: "idle chats: server resident memory", Size: 10000, SizeUnit: "chats", Value: 2e9, Unit: "B", Ref: new(370e6), RefLabel: "bare holder"},
	})
	for _, want := range []string{
		"| idle chats: server resident memory | 1000 chats | 95.00 MB | 95.0 KB/chat | 37.0 KB/chat: bare holder | 2.57 |",
		"| idle chats: server resident memory | 10000 chats | 2000.00 MB | 200.0 KB/chat | 37.0 KB/chat: bare holder | 5.41 |",
		"- idle chats: server resident memory: per chat, 2.11x as much at 10000 chats as at 1000 chats: grows FASTER than linearly",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the scaling table lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "not a series") {
		t.Errorf("a main table row is in the scaling table:\n%s", out.String())
	}
}
