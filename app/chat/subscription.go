package chat

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/parleychat/parley/protocol"
)

// Errors that end a subscription.
var (
	// ErrTooSlow means the subscriber let QueueSize events that are not
	// stored (typing, call signals) pile up. It lost nothing stored: it
	// resubscribes from its last position.
	ErrTooSlow = errors.New("subscriber too slow")
	// ErrClosed means the subscription was closed.
	ErrClosed = errors.New("subscription closed")
)

// Subscription follows one chat's stream from a position. One goroutine
// reads it with Next; any goroutine may Reply or Close.
//
// It keeps its own cursor, the last sequence number it delivered, and reads
// the store for whatever it has not been handed: its catch-up, and any gap
// between what it delivered and an announcement of later events, such as
// events another process stored. So a subscriber never sees an event twice
// or out of order, a writer never waits for a subscriber, and a subscriber
// that falls behind is not dropped: it reads what it missed from the store.
// Call signals for its party go the same way: it is told that there are
// new ones, and reads those after its signal cursor from Signals.
type Subscription struct {
	party string
	chat  string
	epoch string
	store Store
	page  int
	limit int
	// signals holds the call signals, and now is the clock they expire by.
	signals Signals
	now     func() time.Time
	// cursor is the last seq delivered, and signalCursor the last call
	// signal; started says the first delivery, which carries the epoch
	// even when it has no events, went out. Only Next touches them.
	cursor       uint64
	signalCursor uint64
	started      bool

	mu sync.Mutex
	// queue holds what arrived since Next last looked, in order; behind is
	// the seq up to which the store is read before the queue is: the
	// chat's head when the subscriber joined, a gap, or what was
	// announced when the queue had no room. signalsDue says call signals
	// were announced when the queue had no room for it, or when the
	// subscriber joined: they are read after the catch-up.
	queue      []item
	behind     uint64
	signalsDue bool
	wake       chan struct{}
	notify     func()
	done       chan struct{}
	once       sync.Once
	err        error
	leave      func()
}

// item is one thing a subscriber is handed: stored events up to a seq
// (their values when the announcer had them), ephemeral events, word of
// new call signals, or the answer to one of the subscriber's frames.
type item struct {
	upto      uint64
	events    []protocol.Event
	ephemeral bool
	signals   bool
	reply     *protocol.Envelope
}

func newSubscription(chatID, epoch, party string, after uint64, store Store, page, limit int) *Subscription {
	return &Subscription{
		party: party, chat: chatID, epoch: epoch, store: store, page: page, limit: limit,
		signalsDue: true,
		cursor:     after, wake: make(chan struct{}, 1), done: make(chan struct{}),
	}
}

// catchUp sets how far the subscriber reads the store before it takes
// what was announced since it joined: the chat's last seq once it had
// joined.
func (sub *Subscription) catchUp(head uint64) {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	sub.behind = max(sub.behind, head)
}

// Next returns the next delivery, waiting for one if need be: the events
// stored after the subscription's position when it subscribed, a page at a
// time, then what happens in the chat, in the order it happens. The first
// delivery is sent even when there is nothing to catch up on, so the
// subscriber learns the stream's epoch. It fails with ErrTooSlow or
// ErrClosed when the subscription ended, and with the context's error when
// ctx ends first. The events are shared with other subscribers of the chat:
// read them, never change them.
func (sub *Subscription) Next(ctx context.Context) (protocol.Envelope, error) {
	env, _, err := sub.next(ctx, true)
	return env, err
}

// TryNext is Next without the wait: ok is false, with no error, when
// nothing is ready yet. Notify says when to try again.
func (sub *Subscription) TryNext(ctx context.Context) (env protocol.Envelope, ok bool, err error) {
	return sub.next(ctx, false)
}

// Notify has f called, without blocking and outside any lock, whenever
// something arrives for the subscriber, so that a subscriber that drains it
// with TryNext needs no goroutine waiting between deliveries. Set it before
// the first TryNext.
func (sub *Subscription) Notify(f func()) {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	sub.notify = f
}

func (sub *Subscription) next(ctx context.Context, wait bool) (protocol.Envelope, bool, error) {
	if !sub.started {
		sub.started = true
		env, err := sub.read(ctx)
		return env, err == nil, err
	}
	for {
		select {
		case <-sub.done:
			return protocol.Envelope{}, false, sub.err
		default:
		}
		sub.mu.Lock()
		// What the store holds comes first: the events the subscriber is
		// behind on, then the call signals held for its party.
		var fromStore func(context.Context) (protocol.Envelope, error)
		switch {
		case sub.behind > sub.cursor:
			fromStore = sub.read
		case sub.signalsDue:
			sub.signalsDue = false
			fromStore = sub.readSignals
		}
		if fromStore != nil {
			sub.mu.Unlock()
			env, err := fromStore(ctx)
			if err != nil {
				return protocol.Envelope{}, false, err
			}
			if len(env.Events) > 0 {
				return env, true, nil
			}
			continue
		}
		if len(sub.queue) == 0 {
			sub.mu.Unlock()
			if !wait {
				return protocol.Envelope{}, false, nil
			}
			select {
			case <-sub.wake:
			case <-sub.done:
				return protocol.Envelope{}, false, sub.err
			case <-ctx.Done():
				return protocol.Envelope{}, false, ctx.Err()
			}
			continue
		}
		next := sub.queue[0]
		sub.queue = sub.queue[1:]
		sub.mu.Unlock()
		switch {
		case next.reply != nil:
			return *next.reply, true, nil
		case next.ephemeral:
			return protocol.Envelope{Events: next.events, Epoch: sub.epoch}, true, nil
		case next.signals:
			env, err := sub.readSignals(ctx)
			if err != nil {
				return protocol.Envelope{}, false, err
			}
			if len(env.Events) > 0 {
				return env, true, nil
			}
			continue
		case next.upto <= sub.cursor:
			continue // delivered already
		}
		fresh := next.events
		for len(fresh) > 0 && fresh[0].EventMeta().Seq <= sub.cursor {
			fresh = fresh[1:]
		}
		if len(fresh) > 0 && fresh[0].EventMeta().Seq == sub.cursor+1 && fresh[len(fresh)-1].EventMeta().Seq == next.upto {
			sub.cursor = next.upto
			return protocol.Envelope{Events: fresh, Epoch: sub.epoch}, true, nil
		}
		// A gap: what the announcement did not carry is in the store.
		sub.mu.Lock()
		sub.behind = max(sub.behind, next.upto)
		sub.mu.Unlock()
	}
}

// read delivers a page of the stored events after the cursor, up to behind:
// what comes after it is in the queue, in its place among the ephemeral
// events. When the store has nothing up to behind after all, the
// subscriber stops waiting for it.
func (sub *Subscription) read(ctx context.Context) (protocol.Envelope, error) {
	sub.mu.Lock()
	upto := sub.behind
	sub.mu.Unlock()
	var page []protocol.Event
	if upto > sub.cursor {
		var err error
		if page, err = sub.store.Events(ctx, sub.chat, sub.cursor, int(min(upto-sub.cursor, uint64(sub.page)))); err != nil {
			return protocol.Envelope{}, err
		}
	}
	for len(page) > 0 && page[len(page)-1].EventMeta().Seq > upto {
		page = page[:len(page)-1]
	}
	if len(page) > 0 {
		sub.cursor = page[len(page)-1].EventMeta().Seq
	} else {
		sub.mu.Lock()
		if sub.behind == upto {
			sub.behind = sub.cursor
		}
		sub.mu.Unlock()
	}
	if page == nil {
		page = []protocol.Event{}
	}
	return protocol.Envelope{Events: page, Epoch: sub.epoch}, nil
}

// readSignals delivers the call signals held for the subscriber's party
// after its signal cursor.
func (sub *Subscription) readSignals(ctx context.Context) (protocol.Envelope, error) {
	held, err := sub.signals.Held(ctx, sub.chat, sub.party, sub.signalCursor, sub.now())
	if err != nil {
		return protocol.Envelope{}, err
	}
	events := make([]protocol.Event, len(held))
	for i, sig := range held {
		events[i] = sig
		sub.signalCursor = max(sub.signalCursor, sig.SignalSeq)
	}
	return protocol.Envelope{Events: events, Epoch: sub.epoch}, nil
}

// SignalCursor is the SignalSeq of the last call signal the subscription
// delivered, or the one it started after.
func (sub *Subscription) SignalCursor() uint64 { return sub.signalCursor }

// Reply queues an answer to the subscriber's own frame named ref: err is nil
// when the frame was taken. It comes after every event the frame caused.
func (sub *Subscription) Reply(ref string, err *protocol.Error) {
	sub.push(item{reply: &protocol.Envelope{Ref: ref, Error: err}})
}

// Close ends the subscription and lets go of the stream.
func (sub *Subscription) Close() {
	sub.end(ErrClosed)
}

// stored tells the subscriber that the chat's stream now reaches upto;
// events, when the announcer has them, are the last events up to it. It
// never blocks and never fails: when the queue is full the subscriber will
// read from the store.
func (sub *Subscription) stored(upto uint64, events []protocol.Event) {
	sub.mu.Lock()
	if len(sub.queue) < sub.limit {
		sub.queue = append(sub.queue, item{upto: upto, events: events})
	} else {
		sub.behind = max(sub.behind, upto)
	}
	sub.mu.Unlock()
	sub.signal()
}

// signaled tells the subscriber that call signals were held for it. It
// never blocks and never fails: one word in the queue stands for all that
// follow it, and a full queue leaves the word outside it.
func (sub *Subscription) signaled() {
	sub.mu.Lock()
	switch n := len(sub.queue); {
	case n > 0 && sub.queue[n-1].signals:
	case n < sub.limit:
		sub.queue = append(sub.queue, item{signals: true})
	default:
		sub.signalsDue = true
	}
	sub.mu.Unlock()
	sub.signal()
}

// push queues an item without ever blocking the publisher: a subscriber
// whose queue is full is ended with ErrTooSlow.
func (sub *Subscription) push(it item) {
	sub.mu.Lock()
	full := len(sub.queue) >= sub.limit
	if !full {
		sub.queue = append(sub.queue, it)
	}
	sub.mu.Unlock()
	if full {
		sub.end(ErrTooSlow)
		return
	}
	sub.signal()
}

func (sub *Subscription) signal() {
	select {
	case sub.wake <- struct{}{}:
	default:
	}
	sub.mu.Lock()
	notify := sub.notify
	sub.mu.Unlock()
	if notify != nil {
		notify()
	}
}

func (sub *Subscription) end(err error) {
	sub.once.Do(func() {
		sub.err = err
		close(sub.done)
		if sub.leave != nil {
			sub.leave()
		}
		sub.mu.Lock()
		notify := sub.notify
		sub.mu.Unlock()
		if notify != nil {
			notify()
		}
	})
}
