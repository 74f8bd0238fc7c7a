package live

import (
	"errors"
	"fmt"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/parleychat/parley/protocol"
	"github.com/parleychat/parley/widget"
)

// The live window acts on the window's controls.
var _ widget.Actions = (*Chat)(nil)

// Send sends a message the visitor wrote. When the contact center asked
// for the visitor's next message as a form's answer (a form without a
// name), the message answers it too. A message that cannot go stays in the
// box, and the notice says why.
func (c *Chat) Send(text string) bool {
	if !c.canSend() || c.session == nil {
		return false
	}
	id, err := c.session.SendMessage(text)
	if err != nil {
		perr, _ := errors.AsType[*protocol.Error](err)
		c.notice = c.refusal(perr)
		return false
	}
	c.notice = ""
	c.transcript.AddPending(id, text, c.serverNow())
	if req := c.freeTextRequest(); !req.IsZero() {
		answer := &protocol.FormData{FormRequestID: req, Data: protocol.FormValues{Fields: map[string]string{protocol.FreeTextField: text}}}
		if c.session.Send(answer) == nil {
			c.transcript.Answered(req)
		}
	}
	c.sendTyping(c.typing.sent())
	return true
}

// Drafted follows the draft: whether the visitor is typing.
func (c *Chat) Drafted(draft string) {
	c.sendTyping(c.typing.input(draft, time.Now()))
	c.ctx.After(typingIdle, func(app.Context) { c.sendTyping(c.typing.tick(time.Now())) })
}

func (c *Chat) sendTyping(e protocol.Event) {
	if e != nil && c.session != nil {
		_ = c.session.Send(e)
	}
}

// refusal words why something the visitor sent was refused, in the
// visitor's language.
func (c *Chat) refusal(err *protocol.Error) string {
	tx := c.texts()
	if err == nil {
		return tx.NotSentReason
	}
	switch err.Code {
	case protocol.CodeTooLarge:
		return fmt.Sprintf(tx.TooLong, 1)
	case protocol.CodeRateLimited:
		return tx.TooFast
	}
	return tx.NotSentReason
}

// ConfirmEnd shows or hides the question before the chat ends.
func (c *Chat) ConfirmEnd(show bool) { c.confirmEnd = show }

// End ends the chat for good: chat_session_end.
func (c *Chat) End() {
	c.confirmEnd = false
	if c.session != nil {
		_ = c.session.Send(&protocol.End{})
	}
}

// Leave ends the conversation but keeps the session for the survey:
// chat_session_disconnect.
func (c *Chat) Leave() {
	c.confirmEnd = false
	if c.session != nil {
		_ = c.session.Send(&protocol.Disconnect{})
	}
}
