package chat

import (
	"context"
	"errors"
	"sync"

	"github.com/parleychat/parley/protocol"
)

// Errors that end a subscription.
var (
	// ErrTooSlow means the subscriber fell QueueSize deliveries behind. It
	// lost nothing: it resubscribes from its last position.
	ErrTooSlow = errors.New("subscriber too slow")
	// ErrClosed means the subscription was closed.
	ErrClosed = errors.New("subscription closed")
)

// Subscription follows one chat's stream. One goroutine reads it with Next;
// any goroutine may Reply or Close.
type Subscription struct {
	party string
	// backlog is what the subscriber had to catch up on when it joined;
	// only Next touches it after Subscribe returns.
	backlog []protocol.Envelope
	live    chan protocol.Envelope
	done    chan struct{}
	once    sync.Once
	err     error
	leave   func()
}

func newSubscription(party string, queue int) *Subscription {
	return &Subscription{party: party, live: make(chan protocol.Envelope, queue), done: make(chan struct{})}
}

// Next returns the next delivery, waiting for one if need be. It fails with
// ErrTooSlow or ErrClosed when the subscription ended, and with the
// context's error when ctx ends first. The events are shared with every
// other subscriber of the chat: read them, never change them.
func (sub *Subscription) Next(ctx context.Context) (protocol.Envelope, error) {
	if len(sub.backlog) > 0 {
		env := sub.backlog[0]
		sub.backlog = sub.backlog[1:]
		return env, nil
	}
	select {
	case env := <-sub.live:
		return env, nil
	case <-sub.done:
		return protocol.Envelope{}, sub.err
	case <-ctx.Done():
		return protocol.Envelope{}, ctx.Err()
	}
}

// Reply queues an answer to the subscriber's own frame named ref: err is nil
// when the frame was taken. It comes after every event the frame caused.
func (sub *Subscription) Reply(ref string, err *protocol.Error) {
	sub.push(protocol.Envelope{Ref: ref, Error: err})
}

// Close ends the subscription and lets go of the stream.
func (sub *Subscription) Close() {
	sub.end(ErrClosed)
}

// push queues env without ever blocking the publisher: a subscriber whose
// queue is full is ended with ErrTooSlow, and push reports false.
func (sub *Subscription) push(env protocol.Envelope) bool {
	select {
	case <-sub.done:
		return false
	default:
	}
	select {
	case sub.live <- env:
		return true
	default:
		sub.end(ErrTooSlow)
		return false
	}
}

func (sub *Subscription) end(err error) {
	sub.once.Do(func() {
		sub.err = err
		close(sub.done)
		if sub.leave != nil {
			go sub.leave()
		}
	})
}
