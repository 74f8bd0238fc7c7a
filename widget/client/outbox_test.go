package client

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/parleychat/parley/protocol"
)

func TestVisitorIDIsOnePerBrowser(t *testing.T) {
	t.Parallel()
	memory, locks := NewPageMemory(), NewProcessLocks()
	ids := make([]string, 8)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() { ids[i] = visitorID(context.Background(), memory, locks, "demo") })
	}
	wg.Wait()
	if ids[0] == "" || slices.ContainsFunc(ids, func(id string) bool { return id != ids[0] }) {
		t.Errorf("pages that started at once got ids %q, want one", ids)
	}
	if other := visitorID(context.Background(), memory, locks, "other"); other == ids[0] {
		t.Error("another launch point got the same id")
	}
}

func TestProcessLocks(t *testing.T) {
	t.Parallel()
	locks := NewProcessLocks()
	ctx := context.Background()
	release, ok := locks.Lock(ctx, "a", false)
	if !ok {
		t.Fatal("a free lock was refused")
	}
	if _, ok := locks.Lock(ctx, "a", true); ok {
		t.Error("a held lock was given with try")
	}
	if r, ok := locks.Lock(ctx, "b", true); !ok {
		t.Error("another name was refused")
	} else {
		r()
	}
	waiting, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, ok := locks.Lock(waiting, "a", false); ok {
		t.Error("a held lock was given before it was released")
	}
	got := make(chan bool)
	go func() {
		r, ok := locks.Lock(ctx, "a", false)
		if ok {
			r()
		}
		got <- ok
	}()
	release()
	release() // twice is harmless
	if !<-got {
		t.Error("a waiting page never got the released lock")
	}
}

func TestOutboxAdoptsInOrderWithoutRepeats(t *testing.T) {
	t.Parallel()
	o := outbox{memory: NewPageMemory(), appID: "demo", tab: "mine", chatID: "c1"}
	own := &protocol.Message{MsgID: o.nextID(), Msg: "mine"}
	o.add(own, true, true)
	o.add(&protocol.Typing{}, false, false)
	raw := func(e protocol.Event) json.RawMessage {
		data, err := protocol.MarshalEvent(e)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	adopted := o.adopt(saved{Events: []json.RawMessage{
		raw(&protocol.Message{MsgID: protocol.TextID("theirs:1"), Msg: "one"}),
		raw(&protocol.Message{MsgID: own.MsgID, Msg: "mine"}),
		json.RawMessage(`{"event":"chat_session_message","msg":""}`),
		raw(&protocol.Message{MsgID: protocol.TextID("theirs:2"), Msg: "two"}),
	}})
	if len(adopted) != 2 {
		t.Fatalf("adopted %d events, want the two valid ones not queued yet", len(adopted))
	}
	var order []string
	for _, f := range o.unwritten() {
		if m, ok := f.event.(*protocol.Message); ok {
			order = append(order, m.Msg)
		}
	}
	if !slices.Equal(order, []string{"one", "two", "mine"}) {
		t.Errorf("the queue sends %q, want the adopted messages first", order)
	}
	var kept saved
	if err := o.memory.Get(o.key(), &kept); err != nil || len(kept.Events) != 3 {
		t.Errorf("the page keeps %d events (%v), want the three messages", len(kept.Events), err)
	}
	if id := o.nextID(); id.String() != "mine:2" {
		t.Errorf("the next msg_id is %s, want mine:2", id)
	}
	if unsent := o.forget(); len(unsent) != 3 || o.memory.Keys("parley.") != nil {
		t.Errorf("forget returned %d events and left %q", len(unsent), o.memory.Keys("parley."))
	}
}

// TestOutboxForgetsWhatTheStreamShowsStored covers a visitor's message whose
// answer was lost: the stream brings it back stored, and the outbox sends
// it no more (sent again, it would only use up the visitor's rate limit),
// in memory and in the page's copy, and keeps the others in order.
func TestOutboxForgetsWhatTheStreamShowsStored(t *testing.T) {
	t.Parallel()
	o := outbox{memory: NewPageMemory(), appID: "demo", tab: "mine", chatID: "c1"}
	first := &protocol.Message{MsgID: o.nextID(), Msg: "first"}
	second := &protocol.Message{MsgID: o.nextID(), Msg: "second"}
	o.add(first, true, true)
	o.add(second, true, true)
	o.stored(first.MsgID)
	o.stored(protocol.TextID("theirs:1"))
	var order []string
	for _, f := range o.unwritten() {
		order = append(order, f.event.(*protocol.Message).Msg)
	}
	if !slices.Equal(order, []string{"second"}) {
		t.Errorf("the queue sends %q, want only the message not stored yet", order)
	}
	var kept saved
	if err := o.memory.Get(o.key(), &kept); err != nil || len(kept.Events) != 1 {
		t.Errorf("the page keeps %d events (%v), want the one not stored yet", len(kept.Events), err)
	}
}
