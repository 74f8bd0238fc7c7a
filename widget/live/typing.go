package live

import (
	"strings"
	"time"

	"github.com/parleychat/parley/protocol"
)

// typingIdle is how long the visitor may pause before they count as no
// longer typing.
const typingIdle = 3 * time.Second

// typingTracker decides when to tell the agent the visitor is typing, per
// the design: chat_session_typing when typing starts after being idle, and
// chat_session_not_typing after typingIdle without input, on send, and when
// the draft is emptied. It never reports the same state twice in a row, so
// a burst of keystrokes costs one event, not one per key.
type typingTracker struct {
	typing    bool
	lastInput time.Time
}

// input is called on every change of the draft and returns the event to
// send, if any.
func (t *typingTracker) input(draft string, now time.Time) protocol.Event {
	t.lastInput = now
	if strings.TrimSpace(draft) == "" {
		return t.stop()
	}
	if t.typing {
		return nil
	}
	t.typing = true
	return &protocol.Typing{}
}

// tick is called some time after an input and returns chat_session_not_typing
// once the visitor has been idle long enough.
func (t *typingTracker) tick(now time.Time) protocol.Event {
	if !t.typing || now.Sub(t.lastInput) < typingIdle {
		return nil
	}
	return t.stop()
}

// sent is called when the draft was sent.
func (t *typingTracker) sent() protocol.Event { return t.stop() }

func (t *typingTracker) stop() protocol.Event {
	if !t.typing {
		return nil
	}
	t.typing = false
	return &protocol.NotTyping{}
}
