package live

import (
	"fmt"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/parleychat/parley/protocol"
	"github.com/parleychat/parley/widget"
	"github.com/parleychat/parley/widget/call"
	"github.com/parleychat/parley/widget/client"
)

// connection is where the window stands with the server, as the session
// last reported it.
type connection struct {
	// state is "" until the session runs: the window is starting.
	state client.ConnState
	// closed says the session failed because the contact center is
	// closed: the window offers to leave a message or try again, and does
	// not retry by itself.
	closed  bool
	polling bool
	// retry is when the session tries again, while reconnecting.
	retry time.Time
}

// changed takes a change of the connection a session reported.
func (c *connection) changed(u client.Update) {
	c.state, c.polling, c.retry = u.Conn, u.Polling, u.Retry
	c.closed = u.Conn == client.ConnFailed && client.Closed(u.Err)
}

// open says whether the visitor may write: while the connection comes and
// goes, but not before the session runs (the prerendered page, which
// go-app replaces with what was typed in it), nor once it failed or ended.
func (c connection) open() bool {
	switch c.state {
	case "", client.ConnStarting, client.ConnFailed, client.ConnEnded:
		return false
	}
	return true
}

// status words the chat's state for the header: connecting, reconnecting
// with a countdown to now (the visitor's time), queued with the estimated
// wait counting down to serverNow, with whom, ended.
func (c connection) status(tx *widget.Texts, t *widget.Transcript, serverNow, now time.Time) string {
	switch c.state {
	case "", client.ConnStarting, client.ConnConnecting:
		return tx.Connecting
	case client.ConnReconnecting:
		if left := c.retry.Sub(now); left > time.Second {
			return fmt.Sprintf(tx.Reconnecting, int(left.Round(time.Second)/time.Second))
		}
		return tx.RetryingNow
	case client.ConnEnded:
		return tx.Ended
	case client.ConnFailed:
		if c.closed {
			return tx.Closed
		}
		return tx.Failed
	}
	switch {
	case t.State.Over():
		return tx.Ended
	case t.Agent != "":
		return fmt.Sprintf(tx.ChattingWith, t.Agent)
	case t.State == protocol.StateQueued && t.EWT > 0:
		left := t.EWT.Duration() - serverNow.Sub(t.EWTAt)
		switch {
		case left >= time.Minute:
			return fmt.Sprintf(tx.WaitMinutes, int((left+time.Minute-1)/time.Minute))
		case left > 0:
			return fmt.Sprintf(tx.WaitSeconds, int((left+time.Second-1)/time.Second))
		}
		return tx.Waiting
	case t.State == protocol.StateQueued:
		return tx.Waiting
	}
	return tx.Connected
}

// clock keeps the countdowns moving while one shows: the estimated wait,
// the next reconnection try, a form's time limit, a call's timer.
func (c *Chat) clock(ctx app.Context) {
	c.now = time.Now()
	if c.ticking || !c.countingDown() {
		return
	}
	c.ticking = true
	ctx.After(time.Second, func(ctx app.Context) {
		c.ticking = false
		c.clock(ctx)
	})
}

func (c *Chat) countingDown() bool {
	if c.conn.state == client.ConnReconnecting || c.call.Phase == call.InCall || (c.transcript.State == protocol.StateQueued && c.transcript.EWT > 0) {
		return true
	}
	for _, f := range c.transcript.Forms {
		if !f.Answered && !f.Expires.IsZero() && !c.expired(f) {
			return true
		}
	}
	return false
}
