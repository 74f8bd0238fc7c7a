package chat

import (
	"context"
	"sync"

	"github.com/parleychat/parley/protocol"
)

// hub hands what happens in chats to this process's subscribers and to its
// Observer: what this process stored or relayed, and what other processes
// did, as its Fanout announces it. Nobody who announces ever waits for
// someone who listens.
type hub struct {
	store Store

	mu sync.Mutex
	// subs are the subscriptions of each chat that has any.
	subs map[string]map[*Subscription]bool
	// observed is where the Observer stands in each open chat.
	observed map[string]*observed
}

// observed hands one chat's stored events to the Observer: each once, in
// order, one call at a time, in the goroutine of whoever announced them.
type observed struct {
	// cursor is the last seq handed over; running says a goroutine is
	// handing events over, and upto and events are what it should hand
	// over next.
	cursor  uint64
	running bool
	upto    uint64
	events  []protocol.Event
}

func newHub(store Store) *hub {
	return &hub{store: store, subs: map[string]map[*Subscription]bool{}, observed: map[string]*observed{}}
}

// join adds a subscription to its chat.
func (h *hub) join(sub *Subscription) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subs[sub.chat] == nil {
		h.subs[sub.chat] = map[*Subscription]bool{}
	}
	h.subs[sub.chat][sub] = true
	sub.leave = func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		delete(h.subs[sub.chat], sub)
		if len(h.subs[sub.chat]) == 0 {
			delete(h.subs, sub.chat)
		}
	}
}

// stored announces that the chat's stream reaches upto; events, if the
// announcer has them, are the last events up to it, already stored.
func (h *hub) stored(chatID string, upto uint64, events []protocol.Event) {
	for _, sub := range h.subscribers(chatID) {
		sub.stored(upto, events)
	}
}

// relayed hands ephemeral events to every subscriber but their sender.
func (h *hub) relayed(chatID, sender string, events []protocol.Event) {
	for _, sub := range h.subscribers(chatID) {
		if sub.party != sender {
			sub.push(item{events: events, ephemeral: true})
		}
	}
}

// signaled tells the chat's subscribers of party that it holds new call
// signals for them.
func (h *hub) signaled(chatID, party string) {
	for _, sub := range h.subscribers(chatID) {
		if sub.party == party {
			sub.signaled()
		}
	}
}

// signaledAll tells every subscriber of the chat to look for held call
// signals.
func (h *hub) signaledAll(chatID string) {
	for _, sub := range h.subscribers(chatID) {
		sub.signaled()
	}
}

func (h *hub) subscribers(chatID string) []*Subscription {
	h.mu.Lock()
	defer h.mu.Unlock()
	subs := make([]*Subscription, 0, len(h.subs[chatID]))
	for sub := range h.subs[chatID] {
		subs = append(subs, sub)
	}
	return subs
}

// observe hands the Observer the chat's stored events up to upto that it
// has not seen. A chat it meets for the first time starts at from: the
// events before it are the chat's past, which observer.Resumed hears of;
// what follows comes through Posted. When another goroutine is handing this
// chat's events over, it takes these too, after its own, and observe
// returns at once: so the Observer may post from Posted without waiting on
// itself.
func (h *hub) observe(ctx context.Context, o Observer, chatID string, from, upto uint64, events []protocol.Event) {
	h.mu.Lock()
	ob, known := h.observed[chatID]
	if !known {
		ob = &observed{cursor: from}
		h.observed[chatID] = ob
	}
	ob.upto = max(ob.upto, upto)
	if len(events) > 0 && events[len(events)-1].EventMeta().Seq == ob.upto {
		ob.events = events
	}
	if ob.running {
		h.mu.Unlock()
		return
	}
	ob.running = true
	h.mu.Unlock()
	if !known && from > 0 {
		if past, err := readAll(ctx, h.store, chatID, 0, from); err == nil {
			o.Resumed(ctx, chatID, past)
		}
	}
	for {
		h.mu.Lock()
		cursor, upto, events := ob.cursor, ob.upto, ob.events
		ob.events = nil
		if upto <= cursor {
			ob.running = false
			h.mu.Unlock()
			return
		}
		h.mu.Unlock()
		for len(events) > 0 && events[0].EventMeta().Seq <= cursor {
			events = events[1:]
		}
		if len(events) == 0 || events[0].EventMeta().Seq != cursor+1 {
			var err error
			if events, err = readAll(ctx, h.store, chatID, cursor, upto); err != nil || len(events) == 0 {
				h.mu.Lock()
				ob.running = false
				h.mu.Unlock()
				return
			}
		}
		h.mu.Lock()
		ob.cursor = events[len(events)-1].EventMeta().Seq
		over := false
		for _, e := range events {
			over = over || protocol.EndsChat(e)
		}
		if over {
			delete(h.observed, chatID)
		}
		h.mu.Unlock()
		o.Posted(ctx, chatID, events)
		if over {
			return
		}
	}
}

// readAll reads the chat's stored events after after, up to upto.
func readAll(ctx context.Context, store Store, chatID string, after, upto uint64) ([]protocol.Event, error) {
	var all []protocol.Event
	for after < upto {
		page, err := store.Events(ctx, chatID, after, int(min(upto-after, 500)))
		if err != nil || len(page) == 0 {
			return all, err
		}
		all = append(all, page...)
		after = page[len(page)-1].EventMeta().Seq
	}
	return all, nil
}

// followed lists the chats that have subscribers or that the Observer is
// following.
func (h *hub) followed() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	ids := make([]string, 0, len(h.subs)+len(h.observed))
	for id := range h.subs {
		ids = append(ids, id)
	}
	for id := range h.observed {
		if h.subs[id] == nil {
			ids = append(ids, id)
		}
	}
	return ids
}
