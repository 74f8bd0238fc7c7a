package live

import (
	"testing"
	"time"

	"github.com/parleychat/parley/protocol"
)

func TestTypingTrackerSendsOneEventPerBurst(t *testing.T) {
	t.Parallel()
	start := time.Unix(1700000000, 0)
	at := func(ms int) time.Time { return start.Add(time.Duration(ms) * time.Millisecond) }
	type step struct {
		do    string // input, tick or sent
		draft string
		at    int // milliseconds after start
	}
	cases := []struct {
		name  string
		steps []step
		want  []string
	}{
		{"a burst of keys", []step{{"input", "h", 0}, {"input", "he", 80}, {"input", "hel", 160}, {"input", "hell", 240}},
			[]string{"typing", "", "", ""}},
		{"a pause ends typing", []step{{"input", "hi", 0}, {"tick", "", 1000}, {"tick", "", 3000}, {"tick", "", 4000}},
			[]string{"typing", "", "not_typing", ""}},
		{"typing again restarts the wait", []step{{"input", "hi", 0}, {"input", "hi!", 2500}, {"tick", "", 3000}, {"tick", "", 5500}},
			[]string{"typing", "", "", "not_typing"}},
		{"sending ends typing once", []step{{"input", "hi", 0}, {"sent", "", 500}, {"tick", "", 3500}, {"sent", "", 4000}},
			[]string{"typing", "not_typing", "", ""}},
		{"emptying the draft ends typing", []step{{"input", "hi", 0}, {"input", "", 400}, {"input", "", 500}},
			[]string{"typing", "not_typing", ""}},
		{"blank drafts are not typing", []step{{"input", "   ", 0}, {"input", "\n", 100}},
			[]string{"", ""}},
		{"typing after a pause starts again", []step{{"input", "a", 0}, {"tick", "", 3000}, {"input", "ab", 9000}},
			[]string{"typing", "not_typing", "typing"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var tr typingTracker
			for i, s := range tc.steps {
				var got string
				switch s.do {
				case "input":
					got = name(tr.input(s.draft, at(s.at)))
				case "tick":
					got = name(tr.tick(at(s.at)))
				case "sent":
					got = name(tr.sent())
				}
				if got != tc.want[i] {
					t.Errorf("step %d (%s at %dms) sent %q, want %q", i, s.do, s.at, got, tc.want[i])
				}
			}
		})
	}
}

func name(e protocol.Event) string {
	switch e.(type) {
	case nil:
		return ""
	case *protocol.Typing:
		return "typing"
	case *protocol.NotTyping:
		return "not_typing"
	}
	return e.EventType()
}
