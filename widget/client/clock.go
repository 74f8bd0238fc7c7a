package client

import (
	"net/http"
	"sync"
	"time"
)

// serverClock reads the server's time on the visitor's machine, whose own
// clock may be minutes off. Everything the window decides by time (whether
// a form has expired, how long the wait still is, which messages are news)
// compares the server's timestamps with the server's time, never with the
// visitor's clock. It learns the offset from the Date header of the
// server's answers, and from the timestamps of the events the server
// sends: the server stamped them before they arrived. The lock guards it.
type serverClock struct {
	// local is the visitor's clock; tests replace it.
	local func() time.Time

	mu     sync.Mutex
	offset time.Duration // server's time minus the visitor's
}

func newServerClock() *serverClock { return &serverClock{local: time.Now} }

// Now is the server's time now.
func (c *serverClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.local().Add(c.offset)
}

// Offset is how far the server's clock is ahead of the visitor's.
func (c *serverClock) Offset() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.offset
}

// date learns from an answer's Date header (RFC 9110, whole seconds) for a
// request sent and answered at those local times: the server wrote the
// header between them, within its second.
func (c *serverClock) date(header string, sent, answered time.Time) {
	at, err := http.ParseTime(header)
	if err != nil {
		return
	}
	mid := sent.Add(answered.Sub(sent) / 2)
	offset := at.Add(500 * time.Millisecond).Sub(mid).Round(time.Millisecond)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset = offset
}

// stamped learns from an event the server stamped at (a whole second) that
// arrived at the local time arrived: the server's clock read at least that
// when it arrived. A stamp that says the clock is further ahead than
// thought moves it; older events say nothing new.
func (c *serverClock) stamped(at, arrived time.Time) {
	if at.IsZero() {
		return
	}
	least := at.Sub(arrived)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset = max(c.offset, least)
}
