package chat

import (
	"context"
	"sync"
)

// changes counts what happens in all chats, so a watcher can wait for the
// next change without following every chat.
type changes struct {
	mu      sync.Mutex
	counter uint64
	next    chan struct{}
}

func (c *changes) bump() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.counter++
	if c.next != nil {
		close(c.next)
		c.next = nil
	}
}

func (c *changes) wait(ctx context.Context, since uint64) (uint64, error) {
	for {
		c.mu.Lock()
		if c.counter != since || since == 0 {
			counter := c.counter
			c.mu.Unlock()
			return counter, nil
		}
		if c.next == nil {
			c.next = make(chan struct{})
		}
		next := c.next
		c.mu.Unlock()
		select {
		case <-next:
		case <-ctx.Done():
			return since, ctx.Err()
		}
	}
}
