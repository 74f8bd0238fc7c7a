package widget

import "testing"

func TestUndrawnLinesOfALongHistory(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                  string
		earlier, shown, lines int
		want                  int
	}{
		{"a short history fills the empty list", 0, 0, 40, 0},
		{"a long history fills the empty list", 0, 0, 1000, 1000 - historyShown},
		{"just over what is shown at first", 0, 0, historyShown + 1, 1},
		{"lines come to a list drawn from its last lines", 900, 100, 1200, 900},
		{"a burst comes to a list already drawn", 0, 3, 500, 0},
		{"the visitor drew every earlier line", 0, 1000, 1001, 0},
		{"a transcript begun again, shorter than what was left out", 900, 100, 20, 0},
		{"a transcript begun again, long, after the list emptied", 900, 0, 400, 400 - historyShown},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := undrawn(tc.earlier, tc.shown, tc.lines); got != tc.want {
				t.Errorf("undrawn(%d, %d, %d) = %d, want %d", tc.earlier, tc.shown, tc.lines, got, tc.want)
			}
		})
	}
}
