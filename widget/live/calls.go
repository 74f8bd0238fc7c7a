package live

import (
	"context"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/parleychat/parley/widget"
	"github.com/parleychat/parley/widget/call"
	"github.com/parleychat/parley/widget/client"
)

// followCall redraws the call panel whenever the session's call changes,
// until runCtx ends, shows the call's streams in the videos the panel drew,
// and gives a call that starts ringing the focus.
func (c *Chat) followCall(ctx app.Context, runCtx context.Context, sess *client.Session) {
	calls := sess.Calls()
	ctx.Async(func() {
		for {
			select {
			case <-calls.Changed():
			case <-runCtx.Done():
				return
			}
			state := calls.State()
			ctx.Dispatch(func(ctx app.Context) {
				if c.session != sess {
					return // a chat that was restarted since
				}
				ringing := state.Phase == call.Ringing && c.call.Phase != call.Ringing
				c.call = state
				c.clock(ctx)
				ctx.Defer(func(app.Context) {
					calls.Attach()
					if ringing {
						// The visitor answers with Enter or Space.
						if answer := app.Window().GetElementByID(widget.CallAnswerID); answer.Truthy() {
							answer.Call("focus")
						}
					}
				})
			})
		}
	})
}

// The call panel's buttons. The engine may wait on the session to send a
// signal, so they act off the UI goroutine; what the engine refuses (a
// button pressed as the call changed) the next state shows.

// RequestCall asks the agent for a call.
func (c *Chat) RequestCall(video bool) {
	c.onCall(func(calls *call.Call) { _ = calls.Request(video) })
}

// AcceptCall answers the ringing call.
func (c *Chat) AcceptCall(video bool) {
	c.onCall(func(calls *call.Call) { _ = calls.Accept(video) })
}

// DeclineCall declines the ringing call.
func (c *Chat) DeclineCall() {
	c.onCall(func(calls *call.Call) { _ = calls.Decline() })
}

// HangUp ends the call, or takes back the request.
func (c *Chat) HangUp() { c.onCall((*call.Call).HangUp) }

// SetMuted turns the microphone off or on.
func (c *Chat) SetMuted(muted bool) {
	c.onCall(func(calls *call.Call) { calls.SetMuted(muted) })
}

// SetCamera turns the camera on or off.
func (c *Chat) SetCamera(on bool) {
	c.onCall(func(calls *call.Call) { calls.SetCamera(on) })
}

func (c *Chat) onCall(f func(*call.Call)) {
	if c.session == nil {
		return
	}
	calls := c.session.Calls()
	c.ctx.Async(func() { f(calls) })
}
