package chat

import (
	"context"
	"sync"
	"time"
)

// Leases hands out leases on names, such as the one long poll a chat may
// have waiting. The Service's default keeps them in memory, which holds for
// one process; processes that share a database lease through it (see
// app/postgres).
type Leases interface {
	// Lease takes the lease on name until release is called, or for d at
	// most, so that a process that dies holding one does not hold it for
	// good. ok is false while someone else holds it.
	Lease(ctx context.Context, name string, d time.Duration) (release func(), ok bool, err error)
}

// memoryLeases are the Leases of one process.
type memoryLeases struct {
	mu   sync.Mutex
	held map[string]*lease
}

type lease struct{ until time.Time }

// Lease implements Leases.
func (l *memoryLeases) Lease(_ context.Context, name string, d time.Duration) (func(), bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if held, ok := l.held[name]; ok && now.Before(held.until) {
		return nil, false, nil
	}
	if l.held == nil {
		l.held = map[string]*lease{}
	}
	mine := &lease{until: now.Add(d)}
	l.held[name] = mine
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.held[name] == mine {
			delete(l.held, name)
		}
	}, true, nil
}
