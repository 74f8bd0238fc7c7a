package e2e

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/protocol"
)

// storedEvents returns the chat's stored events, in order, as copies without the
// server's clock and sequence numbers, which a test cannot predict.
func storedEvents(t *testing.T, srv *parleytest.Server, chatID string) []protocol.Event {
	t.Helper()
	events, err := srv.Chats.History(context.Background(), chatID, 0, 1000)
	if err != nil {
		t.Fatalf("reading the history of chat %s: %v", chatID, err)
	}
	out := make([]protocol.Event, 0, len(events))
	for _, e := range events {
		out = append(out, scrub(e))
	}
	return out
}

// scrub copies e without its timestamp and sequence number.
func scrub(e protocol.Event) protocol.Event {
	raw, err := protocol.MarshalEvent(e)
	if err != nil {
		panic(err)
	}
	c, err := protocol.UnmarshalEvent(raw)
	if err != nil {
		panic(err)
	}
	c.EventMeta().Timestamp = protocol.Timestamp{}
	c.EventMeta().Seq = 0
	return c
}

// waitStored waits until the chat's stored events satisfy done, and returns
// them.
func waitStored(t *testing.T, srv *parleytest.Server, chatID, what string, done func([]protocol.Event) bool) []protocol.Event {
	t.Helper()
	var events []protocol.Event
	if !poll(func() bool { events = storedEvents(t, srv, chatID); return done(events) }) {
		t.Fatalf("the server never stored %s; it has\n%s", what, dumpEvents(events))
	}
	return events
}

// waitUntil waits until cond, which the test's own side answers (the
// store, a log), holds.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	if !poll(cond) {
		t.Fatalf("waiting for %s: still not there after 20 s", what)
	}
}

// poll checks cond every 50 ms for 20 seconds and reports whether it held.
func poll(cond func() bool) bool {
	for deadline := time.Now().Add(20 * time.Second); ; {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond) // between two checks of a condition
	}
}

// storedAtLeast waits until the chat has n stored events, and returns them.
func storedAtLeast(t *testing.T, srv *parleytest.Server, chatID string, n int) []protocol.Event {
	t.Helper()
	return waitStored(t, srv, chatID, fmt.Sprintf("%d events", n), func(e []protocol.Event) bool { return len(e) >= n })
}

// sameEvents fails the test unless got and want are the same events in the
// same order.
func sameEvents(t *testing.T, what string, got, want []protocol.Event) {
	t.Helper()
	if len(got) == len(want) {
		same := true
		for i := range got {
			if !reflect.DeepEqual(scrub(got[i]), scrub(want[i])) {
				same = false
			}
		}
		if same {
			return
		}
	}
	t.Errorf("%s:\n got\n%s\nwant\n%s", what, dumpEvents(got), dumpEvents(want))
}

// dumpEvents writes events one a line, for failure messages.
func dumpEvents(events []protocol.Event) string {
	var b strings.Builder
	for i, e := range events {
		raw, _ := protocol.MarshalEvent(e)
		if len(raw) > 300 {
			raw = append(raw[:300:300], "…"...)
		}
		fmt.Fprintf(&b, "  %2d %s\n", i, raw)
	}
	return b.String()
}

// eventsOf keeps the events of type T.
func eventsOf[T protocol.Event](events []protocol.Event) []T {
	var out []T
	for _, e := range events {
		if v, ok := e.(T); ok {
			out = append(out, v)
		}
	}
	return out
}

// waitReadToLast waits until the visitor's latest read receipt names the
// latest message or file the party sent, which stands for all before it,
// and returns the chat's events then.
func waitReadToLast(t *testing.T, srv *parleytest.Server, chatID, party string) []protocol.Event {
	t.Helper()
	return waitStored(t, srv, chatID, "a read receipt for the last message of "+party, func(e []protocol.Event) bool {
		var last protocol.ID
		for _, ev := range sentBy(e, party) {
			if id := protocol.MsgIDOf(ev); id != nil {
				last = *id
			}
		}
		receipts := eventsOf[*protocol.MessageRead](sentBy(e, chatID))
		return !last.IsZero() && len(receipts) > 0 && receipts[len(receipts)-1].RefMsgID == last
	})
}

// sentBy keeps the events the party sent.
func sentBy(events []protocol.Event, party string) []protocol.Event {
	var out []protocol.Event
	for _, e := range events {
		if e.EventMeta().PartyID == party {
			out = append(out, e)
		}
	}
	return out
}

// dropTypes drops the events of the given wire types.
func dropTypes(events []protocol.Event, types ...string) []protocol.Event {
	var out []protocol.Event
	for _, e := range events {
		drop := false
		for _, typ := range types {
			drop = drop || e.EventType() == typ
		}
		if !drop {
			out = append(out, e)
		}
	}
	return out
}

// navEvent is the chat_session_navigation a window on the demo website
// sends when it connects, numbered n.
func navEvent(srv *parleytest.Server, w *chatWindow, n int) *protocol.Navigation {
	return &protocol.Navigation{MsgID: w.msgID(n), Page: srv.DemoURL + "/", Title: demoTitle, Meta: protocol.Meta{PartyID: w.chatID}}
}

// visitorMsg is a message the window sent as its nth.
func visitorMsg(w *chatWindow, n int, text string) *protocol.Message {
	return &protocol.Message{MsgID: w.msgID(n), Msg: text, Meta: protocol.Meta{PartyID: w.chatID}}
}

// serverPublish posts events to the chat from the contact center's side.
func serverPublish(t *testing.T, srv *parleytest.Server, chatID string, events ...protocol.Event) {
	t.Helper()
	if err := srv.Chats.Publish(context.Background(), chatID, events...); err != nil {
		t.Fatalf("publishing %s: %v", dumpEvents(events), err)
	}
}

// agentJoined is the chat_session_party_joined of an agent.
func agentJoined(party, first string) *protocol.PartyJoined {
	return &protocol.PartyJoined{FirstName: first, Type: protocol.PartyInternal, Meta: protocol.Meta{PartyID: party}}
}

// agentSays is a message from an agent's party.
func agentSays(party, text string) *protocol.Message {
	return &protocol.Message{Msg: text, Meta: protocol.Meta{PartyID: party}}
}
