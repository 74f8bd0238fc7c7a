package live

import (
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/parleychat/parley/protocol"
	"github.com/parleychat/parley/widget/client"
)

// receiptGap is the least time between two read receipts. A burst of
// messages would otherwise cost a receipt each and run into the visitor's
// rate limit, which the visitor's own messages share.
const receiptGap = time.Second

// receipts paces the visitor's read receipts: one, for the latest message
// seen, stands for all before it, and goes at once or at the end of the
// gap after the last one.
type receipts struct {
	// last is when the last receipt went; due says the next one waits for
	// its turn.
	last time.Time
	due  bool
}

// wait says how long a receipt wanted at now waits: 0 for at once. ok is
// false when one is already due, which will stand for it.
func (r *receipts) wait(now time.Time) (wait time.Duration, ok bool) {
	if r.due {
		return 0, false
	}
	if wait = r.last.Add(receiptGap).Sub(now); wait <= 0 {
		return 0, true
	}
	r.due = true
	return wait, true
}

// went notes whether the due receipt, if any, went at now.
func (r *receipts) went(now time.Time, sent bool) {
	r.due = false
	if sent {
		r.last = now
	}
}

// sendReceipts tells the contact center that the visitor has now seen its
// messages: one read receipt, for the latest, stands for all before it.
func (c *Chat) sendReceipts() {
	if c.session == nil {
		return
	}
	wait, ok := c.receipts.wait(time.Now())
	switch {
	case !ok:
	case wait == 0:
		c.receipts.went(time.Now(), c.sendReceipt())
	default:
		c.ctx.After(wait, func(app.Context) { c.receipts.went(time.Now(), c.sendReceipt()) })
	}
}

// sendReceipt sends the receipt for the contact center's latest message
// the visitor has not read, when the visitor sees the window, and reports
// whether it went.
func (c *Chat) sendReceipt() bool {
	if c.conn.state != client.ConnConnected || c.transcript.State.Over() || c.hidden || !pageVisible() {
		return false
	}
	last := c.transcript.LastUnread()
	if last.IsZero() || c.session.Send(&protocol.MessageRead{RefMsgID: last}) != nil {
		return false
	}
	c.transcript.MarkRead(last)
	c.countUnread()
	return true
}
