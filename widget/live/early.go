package live

import (
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/parleychat/parley/widget"
	"github.com/parleychat/parley/widget/client"
)

// early is what the visitor did in the prerendered window before the wasm
// ran: the messages they sent, in order, and the draft in the box.
type early struct {
	sent  []string
	draft string
}

// takeEarly takes it from the boot script (web/boot.js, parleyEarly),
// which lets go of it: it must run before go-app replaces the prerendered
// page, and once.
func takeEarly() early {
	take := app.Window().Get("parleyEarly")
	if !take.Truthy() {
		return early{}
	}
	v := take.Invoke()
	e := early{draft: v.Get("draft").String()}
	sent := v.Get("sent")
	for i := range sent.Length() {
		e.sent = append(e.sent, sent.Index(i).String())
	}
	return e
}

// sendEarly sends what the visitor sent before the wasm ran, once the
// window takes messages, through the outbox like any other. What the chat
// does not take goes back into the draft, so none of it is lost.
func (c *Chat) sendEarly() {
	if len(c.early.sent) == 0 {
		return
	}
	if !c.canSend() {
		switch c.conn.state {
		case client.ConnFailed, client.ConnEnded:
		default:
			if !c.transcript.State.Over() {
				return
			}
		}
		c.early.draft = strings.Join(append(c.early.sent, c.early.draft), "\n")
		c.early.sent = nil
		widget.RestoreDraft(c.early.draft)
		return
	}
	var kept []string
	for _, text := range c.early.sent {
		if !c.Send(text) {
			kept = append(kept, text)
		}
	}
	c.early.sent = nil
	if len(kept) > 0 {
		c.early.draft = strings.Join(append(kept, c.early.draft), "\n")
		widget.RestoreDraft(c.early.draft)
	}
}
