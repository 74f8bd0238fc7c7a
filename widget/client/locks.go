package client

import (
	"context"
	"sync"
)

// Locks are named locks that one page at a time holds among the pages of a
// browser, as the Web Locks API's are; a page's locks go when the page
// does. Sessions take them so that two pages of one visitor never write
// the same thing at once: one visitor id, and each outbox left by a closed
// page adopted by exactly one other page.
type Locks interface {
	// Lock takes the lock name and returns the function that gives it
	// up. It waits while another page holds the lock, or with try gives up
	// at once (ok false); it gives up too when ctx ends. A browser that
	// cannot lock lets every page through: ok is true.
	Lock(ctx context.Context, name string, try bool) (release func(), ok bool)
}

// ProcessLocks are Locks among the Sessions of one Go program, which it
// shares like the pages of one browser.
type ProcessLocks struct {
	mu   sync.Mutex
	held map[string]chan struct{}
}

// processLocks are the Locks of Sessions whose Config names none.
var processLocks = NewProcessLocks()

// NewProcessLocks returns Locks that nobody holds.
func NewProcessLocks() *ProcessLocks {
	return &ProcessLocks{held: map[string]chan struct{}{}}
}

// Lock implements Locks.
func (l *ProcessLocks) Lock(ctx context.Context, name string, try bool) (release func(), ok bool) {
	for {
		l.mu.Lock()
		busy, held := l.held[name]
		if !held {
			done := make(chan struct{})
			l.held[name] = done
			l.mu.Unlock()
			var once sync.Once
			return func() {
				once.Do(func() {
					l.mu.Lock()
					delete(l.held, name)
					l.mu.Unlock()
					close(done)
				})
			}, true
		}
		l.mu.Unlock()
		if try {
			return nil, false
		}
		select {
		case <-busy:
		case <-ctx.Done():
			return nil, false
		}
	}
}
