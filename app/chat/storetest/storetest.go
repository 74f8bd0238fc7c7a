// Package storetest is the contract every chat.Store keeps. A store's own
// tests call [Run] with a function that opens an empty store, so that all
// stores are held to the same behaviour as chat.MemoryStore.
package storetest

import (
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/protocol"
)

// Run runs the contract against stores that open returns. Every test opens
// its own empty store, and Run closes it when the test ends.
func Run(t *testing.T, open func(t *testing.T) chat.Store) {
	groups := []struct {
		name string
		run  func(*testing.T, func(*testing.T) chat.Store)
	}{
		{"OpenChat", testOpenChat},
		{"Chat", testChat},
		{"ActiveChat", testActiveChat},
		{"OpenChats", testOpenChats},
		{"State follows the stream", testSetState},
		{"Assign", testAssign},
		{"Append", testAppend},
		{"Append's agent condition", testAgentCondition},
		{"Events", testEvents},
		{"Files", testFiles},
		{"What the SDKs need", testClientState},
		{"Upstream", testUpstream},
		{"Concurrency", testConcurrency},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			g.run(t, func(t *testing.T) chat.Store {
				t.Helper()
				s := open(t)
				t.Cleanup(func() {
					if err := s.Close(); err != nil {
						t.Errorf("closing the store: %v", err)
					}
				})
				return s
			})
		})
	}
}

// Clock is the fixed time the contract's chats are created at. It has
// nanoseconds, which a store must keep.
var Clock = time.Date(2026, 5, 4, 9, 30, 0, 123456789, time.UTC)

// NewChat returns a chat for the client, created at Clock plus after, as
// the Service would open it.
func NewChat(appID, clientID string, after time.Duration) chat.Chat {
	created := Clock.Add(after)
	return chat.Chat{
		ID:       protocol.NewUUID(),
		AppID:    appID,
		ClientID: clientID,
		Token:    "token-" + protocol.NewUUID(),
		Epoch:    "epoch-" + protocol.NewUUID(),
		State:    protocol.StateQueued,
		Request: protocol.ChatRequest{
			PhoneNumber: "+15550100",
			From:        "web",
			Parameters:  map[string]any{"topic": "billing", "vip": true},
		},
		Created:          created,
		LastVisitorEvent: created,
	}
}

// CheckChat fails the test unless got is want. Times are compared with
// time.Equal: a store may return them in another location.
func CheckChat(t testing.TB, got, want chat.Chat) {
	t.Helper()
	if !got.Created.Equal(want.Created) {
		t.Errorf("chat %s: Created = %v, want %v", want.ID, got.Created, want.Created)
	}
	if !got.LastVisitorEvent.Equal(want.LastVisitorEvent) {
		t.Errorf("chat %s: LastVisitorEvent = %v, want %v", want.ID, got.LastVisitorEvent, want.LastVisitorEvent)
	}
	if !got.EWTAt.Equal(want.EWTAt) {
		t.Errorf("chat %s: EWTAt = %v, want %v", want.ID, got.EWTAt, want.EWTAt)
	}
	got.Created, want.Created = time.Time{}, time.Time{}
	got.LastVisitorEvent, want.LastVisitorEvent = time.Time{}, time.Time{}
	got.EWTAt, want.EWTAt = time.Time{}, time.Time{}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("chat:\n got %+v\nwant %+v", got, want)
	}
}

func mustOpenChat(t *testing.T, s chat.Store, c chat.Chat) chat.Chat {
	t.Helper()
	got, isNew, err := s.OpenChat(t.Context(), c)
	if err != nil {
		t.Fatalf("OpenChat: %v", err)
	}
	if !isNew {
		t.Fatalf("OpenChat(%s) found chat %s, want a new chat", c.ID, got.ID)
	}
	return got
}

func mustChat(t *testing.T, s chat.Store, id string) chat.Chat {
	t.Helper()
	c, err := s.Chat(t.Context(), id)
	if err != nil {
		t.Fatalf("Chat(%s): %v", id, err)
	}
	return c
}

func mustAppend(t *testing.T, s chat.Store, chatID string, entries ...chat.Entry) []protocol.Event {
	t.Helper()
	stored, err := s.Append(t.Context(), chatID, entries)
	if err != nil {
		t.Fatalf("Append: %v", err)
	}
	return stored
}

func mustEvents(t *testing.T, s chat.Store, chatID string) []protocol.Event {
	t.Helper()
	events, err := s.Events(t.Context(), chatID, 0, math.MaxInt)
	if err != nil {
		t.Fatalf("Events: %v", err)
	}
	return events
}

// Seqs returns the events' sequence numbers.
func Seqs(events []protocol.Event) []uint64 {
	seqs := []uint64{}
	for _, e := range events {
		seqs = append(seqs, e.EventMeta().Seq)
	}
	return seqs
}

// span returns from, from+1, ..., to.
func span(from, to uint64) []uint64 {
	seqs := []uint64{}
	for seq := from; seq <= to; seq++ {
		seqs = append(seqs, seq)
	}
	return seqs
}

func checkSeqs(t *testing.T, what string, events []protocol.Event, want []uint64) {
	t.Helper()
	if got := Seqs(events); !reflect.DeepEqual(got, want) {
		t.Errorf("%s: seqs %v, want %v", what, got, want)
	}
}

// visitorSays is a message from the chat's visitor, whose party id is the
// chat id, at Clock plus after.
func visitorSays(c chat.Chat, msgID, text string, after time.Duration) *protocol.Message {
	return &protocol.Message{
		MsgID: protocol.TextID(msgID),
		Msg:   text,
		Meta:  protocol.Meta{PartyID: c.ID, Timestamp: protocol.At(Clock.Add(after))},
	}
}

// agentSays is a message from an agent at Clock plus after.
func agentSays(msgID, text string, after time.Duration) *protocol.Message {
	return &protocol.Message{
		MsgID: protocol.TextID(msgID),
		Msg:   text,
		Meta:  protocol.Meta{PartyID: "agent-1", Timestamp: protocol.At(Clock.Add(after))},
	}
}

// entry pairs an event with its dedupe key.
func entry(e protocol.Event, key string) chat.Entry { return chat.Entry{Event: e, Key: key} }
