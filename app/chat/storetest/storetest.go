// Package storetest is the contract every chat.Store keeps. A store's own
// tests call [Run] with a function that opens an empty store, so that all
// stores are held to the same behaviour as chat.MemoryStore.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"sync"
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

func testOpenChat(t *testing.T, open func(*testing.T) chat.Store) {
	tests := []struct {
		name string
		test func(*testing.T, chat.Store)
	}{
		{"stores a new chat", func(t *testing.T, s chat.Store) {
			want := NewChat("app", "client", 0)
			got, isNew, err := s.OpenChat(t.Context(), want)
			if err != nil || !isNew {
				t.Fatalf("OpenChat = %v, %v; want a new chat", isNew, err)
			}
			CheckChat(t, got, want)
			CheckChat(t, mustChat(t, s, want.ID), want)
		}},
		{"keeps zero times", func(t *testing.T, s chat.Store) {
			want := NewChat("app", "client", 0)
			want.Created, want.LastVisitorEvent = time.Time{}, time.Time{}
			mustOpenChat(t, s, want)
			got := mustChat(t, s, want.ID)
			if !got.Created.IsZero() || !got.LastVisitorEvent.IsZero() {
				t.Errorf("Created, LastVisitorEvent = %v, %v; want zero times", got.Created, got.LastVisitorEvent)
			}
		}},
		{"returns the client's open chat", func(t *testing.T, s chat.Store) {
			first := mustOpenChat(t, s, NewChat("app", "client", 0))
			second := NewChat("app", "client", time.Second)
			got, isNew, err := s.OpenChat(t.Context(), second)
			if err != nil || isNew {
				t.Fatalf("OpenChat = %v, %v; want the open chat", isNew, err)
			}
			CheckChat(t, got, first)
			if _, err := s.Chat(t.Context(), second.ID); !errors.Is(err, chat.ErrNotFound) {
				t.Errorf("Chat(second) = %v, want ErrNotFound: it was not stored", err)
			}
		}},
		{"keeps clients and apps apart", func(t *testing.T, s chat.Store) {
			mustOpenChat(t, s, NewChat("app", "client", 0))
			mustOpenChat(t, s, NewChat("app", "other client", 0))
			mustOpenChat(t, s, NewChat("other app", "client", 0))
		}},
		{"opens a new chat when the last is over", func(t *testing.T, s chat.Store) {
			for i, state := range []protocol.ChatState{protocol.StateCompleted, protocol.StateFailed} {
				old := mustOpenChat(t, s, NewChat("app", "client", time.Duration(2*i)*time.Second))
				if err := SetState(t.Context(), s, old.ID, state); err != nil {
					t.Fatal(err)
				}
				next := mustOpenChat(t, s, NewChat("app", "client", time.Duration(2*i+1)*time.Second))
				if next.ID == old.ID {
					t.Fatalf("after %s, OpenChat returned the old chat", state)
				}
				active, err := s.ActiveChat(t.Context(), "app", "client")
				if err != nil {
					t.Fatal(err)
				}
				CheckChat(t, active, next)
				if err := SetState(t.Context(), s, next.ID, state); err != nil {
					t.Fatal(err)
				}
			}
		}},
		{"16 racing for one client get one chat", func(t *testing.T, s chat.Store) {
			const racers = 16
			var (
				wg    sync.WaitGroup
				mu    sync.Mutex
				ids   = map[string]int{}
				fresh int
			)
			for i := range racers {
				wg.Go(func() {
					c, isNew, err := s.OpenChat(t.Context(), NewChat("app", "client", time.Duration(i)))
					if err != nil {
						t.Errorf("OpenChat: %v", err)
						return
					}
					mu.Lock()
					defer mu.Unlock()
					ids[c.ID]++
					if isNew {
						fresh++
					}
				})
			}
			wg.Wait()
			if len(ids) != 1 || fresh != 1 {
				t.Errorf("%d racers got chats %v, %d of them new; want one chat, new once", racers, ids, fresh)
			}
			open, err := s.OpenChats(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if len(open) != 1 {
				t.Errorf("%d open chats, want 1", len(open))
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.test(t, open(t))
		})
	}
}

func testChat(t *testing.T, open func(*testing.T) chat.Store) {
	s := open(t)
	if _, err := s.Chat(t.Context(), protocol.NewUUID()); !errors.Is(err, chat.ErrNotFound) {
		t.Errorf("Chat(unknown) = %v, want ErrNotFound", err)
	}
	want := mustOpenChat(t, s, NewChat("app", "client", 0))
	CheckChat(t, mustChat(t, s, want.ID), want)
}

func testActiveChat(t *testing.T, open func(*testing.T) chat.Store) {
	t.Run("unknown client", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		mustOpenChat(t, s, NewChat("app", "client", 0))
		for _, who := range [][2]string{{"app", "stranger"}, {"other app", "client"}} {
			if _, err := s.ActiveChat(t.Context(), who[0], who[1]); !errors.Is(err, chat.ErrNotFound) {
				t.Errorf("ActiveChat%v = %v, want ErrNotFound", who, err)
			}
		}
	})
	states := []protocol.ChatState{
		protocol.StateQueued, protocol.StateIVR, protocol.StateConnecting,
		protocol.StateConnected, protocol.StateFailed, protocol.StateCompleted,
	}
	for _, state := range states {
		t.Run(string(state), func(t *testing.T) {
			t.Parallel()
			s := open(t)
			want := mustOpenChat(t, s, NewChat("app", "client", 0))
			if err := SetState(t.Context(), s, want.ID, state); err != nil {
				t.Fatal(err)
			}
			want.State, want.LastSeq = state, 1
			got, err := s.ActiveChat(t.Context(), "app", "client")
			if state.Over() {
				if !errors.Is(err, chat.ErrNotFound) {
					t.Errorf("ActiveChat of a %s chat = %v, want ErrNotFound", state, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			CheckChat(t, got, want)
		})
	}
}

func testOpenChats(t *testing.T, open func(*testing.T) chat.Store) {
	t.Run("none", func(t *testing.T) {
		t.Parallel()
		open, err := open(t).OpenChats(t.Context())
		if err != nil || len(open) != 0 {
			t.Errorf("OpenChats = %v, %v; want none", open, err)
		}
	})
	t.Run("oldest first, without chats that are over", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		// Opened out of order, so that insertion order is not the answer.
		chats := make([]chat.Chat, 5)
		for _, i := range []int{3, 0, 4, 2, 1} {
			chats[i] = mustOpenChat(t, s, NewChat("app", fmt.Sprint("client ", i), time.Duration(i)*time.Minute))
		}
		if err := SetState(t.Context(), s, chats[1].ID, protocol.StateCompleted); err != nil {
			t.Fatal(err)
		}
		if err := SetState(t.Context(), s, chats[4].ID, protocol.StateFailed); err != nil {
			t.Fatal(err)
		}
		if err := SetState(t.Context(), s, chats[2].ID, protocol.StateConnected); err != nil {
			t.Fatal(err)
		}
		chats[2].State, chats[2].LastSeq = protocol.StateConnected, 1
		got, err := s.OpenChats(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		want := []chat.Chat{chats[0], chats[2], chats[3]}
		if len(got) != len(want) {
			t.Fatalf("OpenChats returned %d chats, want %d", len(got), len(want))
		}
		for i := range want {
			CheckChat(t, got[i], want[i])
		}
	})
}

func testSetState(t *testing.T, open func(*testing.T) chat.Store) {
	s := open(t)
	c := mustOpenChat(t, s, NewChat("app", "client", 0))
	steps := []struct {
		event protocol.Event
		want  protocol.ChatState
	}{
		{&protocol.Status{State: protocol.StateConnecting}, protocol.StateConnecting},
		{&protocol.Message{MsgID: protocol.TextID("m"), Msg: "hi", Meta: protocol.Meta{PartyID: "agent"}}, protocol.StateConnecting},
		{&protocol.Status{State: protocol.StateConnected}, protocol.StateConnected},
		{&protocol.Ended{}, protocol.StateCompleted},
	}
	for _, step := range steps {
		if _, err := s.Append(t.Context(), c.ID, []chat.Entry{{Event: step.event}}); err != nil {
			t.Fatal(err)
		}
		if got := mustChat(t, s, c.ID).State; got != step.want {
			t.Errorf("after %s, State = %s, want %s", step.event.EventType(), got, step.want)
		}
	}
}

// SetState moves a chat to a state the way the service does: by appending
// a chat_session_status event.
func SetState(ctx context.Context, s chat.Store, chatID string, state protocol.ChatState) error {
	_, err := s.Append(ctx, chatID, []chat.Entry{{Event: &protocol.Status{State: state}}})
	return err
}

func testAssign(t *testing.T, open func(*testing.T) chat.Store) {
	tests := []struct {
		name string
		// agents take the chat in turn; the last one's error is checked.
		agents    []string
		unknown   bool
		wantErr   error
		wantAgent string
	}{
		{name: "first agent", agents: []string{"agent-1"}, wantAgent: "agent-1"},
		{name: "same agent again", agents: []string{"agent-1", "agent-1"}, wantAgent: "agent-1"},
		{name: "another agent", agents: []string{"agent-1", "agent-2"}, wantErr: chat.ErrTaken, wantAgent: "agent-1"},
		{name: "back to the first after a refusal", agents: []string{"agent-1", "agent-2", "agent-1"}, wantAgent: "agent-1"},
		{name: "unknown chat", agents: []string{"agent-1"}, unknown: true, wantErr: chat.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			c := mustOpenChat(t, s, NewChat("app", "client", 0))
			id := c.ID
			if tt.unknown {
				id = protocol.NewUUID()
			}
			var err error
			for _, agent := range tt.agents {
				err = s.Assign(t.Context(), id, agent)
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Assign = %v, want %v", err, tt.wantErr)
			}
			if got := mustChat(t, s, c.ID).Agent; got != tt.wantAgent {
				t.Errorf("Agent = %q, want %q", got, tt.wantAgent)
			}
		})
	}
}

func testAppend(t *testing.T, open func(*testing.T) chat.Store) {
	tests := []struct {
		name string
		test func(*testing.T, chat.Store, chat.Chat)
	}{
		{"numbers events from 1", func(t *testing.T, s chat.Store, c chat.Chat) {
			first := mustAppend(t, s, c.ID,
				entry(agentSays("a", "hello", 0), "a"),
				entry(&protocol.Status{State: protocol.StateConnected}, ""),
				entry(agentSays("b", "how can I help?", 0), "b"))
			checkSeqs(t, "first batch", first, span(1, 3))
			second := mustAppend(t, s, c.ID, entry(agentSays("c", "still there?", 0), "c"), entry(&protocol.Ended{}, ""))
			checkSeqs(t, "second batch", second, span(4, 5))
			checkSeqs(t, "stored", mustEvents(t, s, c.ID), span(1, 5))
			if got := mustChat(t, s, c.ID).LastSeq; got != 5 {
				t.Errorf("LastSeq = %d, want 5", got)
			}
		}},
		{"skips a key earlier in the batch", func(t *testing.T, s chat.Store, c chat.Chat) {
			stored := mustAppend(t, s, c.ID,
				entry(visitorSays(c, "1", "hi", 0), "k1"),
				entry(visitorSays(c, "1", "hi", 0), "k1"),
				entry(visitorSays(c, "2", "anyone?", 0), "k2"))
			checkSeqs(t, "stored", stored, span(1, 2))
			if got := stored[1].(*protocol.Message).MsgID; got != protocol.TextID("2") {
				t.Errorf("second stored message is %q, want 2", got)
			}
			if got := mustChat(t, s, c.ID).VisitorMessages; got != 2 {
				t.Errorf("VisitorMessages = %d, want 2: the duplicate is not counted", got)
			}
		}},
		{"skips a key the chat has", func(t *testing.T, s chat.Store, c chat.Chat) {
			mustAppend(t, s, c.ID, entry(visitorSays(c, "1", "hi", 0), "k1"))
			stored := mustAppend(t, s, c.ID, entry(visitorSays(c, "1", "hi", 0), "k1"), entry(visitorSays(c, "2", "hello?", 0), "k2"))
			checkSeqs(t, "second batch", stored, []uint64{2})
			stored = mustAppend(t, s, c.ID, entry(visitorSays(c, "1", "hi", 0), "k1"), entry(visitorSays(c, "2", "hello?", 0), "k2"))
			if len(stored) != 0 {
				t.Errorf("a batch of duplicates stored %v", Seqs(stored))
			}
			got := mustChat(t, s, c.ID)
			if got.LastSeq != 2 || got.VisitorMessages != 2 {
				t.Errorf("LastSeq, VisitorMessages = %d, %d; want 2, 2", got.LastSeq, got.VisitorMessages)
			}
			checkSeqs(t, "stored", mustEvents(t, s, c.ID), span(1, 2))
		}},
		{"keys are per chat", func(t *testing.T, s chat.Store, c chat.Chat) {
			other := mustOpenChat(t, s, NewChat("app", "other client", 0))
			mustAppend(t, s, c.ID, entry(agentSays("1", "hi", 0), "k"))
			checkSeqs(t, "other chat", mustAppend(t, s, other.ID, entry(agentSays("1", "hi", 0), "k")), []uint64{1})
		}},
		{"never skips events without a key", func(t *testing.T, s chat.Store, c chat.Chat) {
			e := func() chat.Entry { return entry(&protocol.Status{State: protocol.StateConnected}, "") }
			checkSeqs(t, "first batch", mustAppend(t, s, c.ID, e(), e()), span(1, 2))
			checkSeqs(t, "second batch", mustAppend(t, s, c.ID, e()), []uint64{3})
		}},
		{"an empty batch changes nothing", func(t *testing.T, s chat.Store, c chat.Chat) {
			if stored := mustAppend(t, s, c.ID); len(stored) != 0 {
				t.Errorf("stored %v", Seqs(stored))
			}
			CheckChat(t, mustChat(t, s, c.ID), c)
		}},
		{"counts the visitor's messages and activity", func(t *testing.T, s chat.Store, c chat.Chat) {
			mustAppend(t, s, c.ID,
				entry(visitorSays(c, "1", "hi", 1*time.Minute), "m1"),
				entry(agentSays("a1", "hello", 2*time.Minute), "a1"),
				entry(visitorSays(c, "2", "my bill", 3*time.Minute), "m2"))
			mustAppend(t, s, c.ID,
				entry(&protocol.MessageRead{RefMsgID: protocol.TextID("a1"), Meta: protocol.Meta{PartyID: c.ID, Timestamp: protocol.At(Clock.Add(4 * time.Minute))}}, "r1"),
				entry(agentSays("a2", "let me see", 5*time.Minute), "a2"))
			want := c
			want.LastSeq = 5
			want.VisitorMessages = 2
			want.LastVisitorEvent = protocol.At(Clock.Add(4 * time.Minute)).Time
			CheckChat(t, mustChat(t, s, c.ID), want)
		}},
		{"the agent's events leave the visitor's counters", func(t *testing.T, s chat.Store, c chat.Chat) {
			mustAppend(t, s, c.ID, entry(agentSays("a1", "hello", time.Hour), "a1"))
			want := c
			want.LastSeq = 1
			CheckChat(t, mustChat(t, s, c.ID), want)
		}},
		{"a chat that is over takes nothing more", func(t *testing.T, s chat.Store, c chat.Chat) {
			stored, err := s.Append(t.Context(), c.ID, []chat.Entry{
				entry(agentSays("a1", "bye", 0), "a1"), entry(&protocol.Ended{}, ""), entry(agentSays("a2", "one more thing", 0), "a2"),
			})
			if !errors.Is(err, chat.ErrOver) {
				t.Errorf("Append past the end = %v, want ErrOver", err)
			}
			checkSeqs(t, "stored up to the end", stored, span(1, 2))
			stored, err = s.Append(t.Context(), c.ID, []chat.Entry{entry(agentSays("a3", "hello?", 0), "a3")})
			if !errors.Is(err, chat.ErrOver) || len(stored) != 0 {
				t.Errorf("Append to an ended chat = %v, %v; want nothing and ErrOver", Seqs(stored), err)
			}
			checkSeqs(t, "stored", mustEvents(t, s, c.ID), span(1, 2))
			if got := mustChat(t, s, c.ID); got.State != protocol.StateCompleted || got.LastSeq != 2 {
				t.Errorf("State, LastSeq = %s, %d; want completed, 2", got.State, got.LastSeq)
			}
		}},
		{"unknown chat", func(t *testing.T, s chat.Store, c chat.Chat) {
			_, err := s.Append(t.Context(), protocol.NewUUID(), []chat.Entry{entry(agentSays("a", "hi", 0), "a")})
			if !errors.Is(err, chat.ErrNotFound) {
				t.Errorf("Append(unknown) = %v, want ErrNotFound", err)
			}
			CheckChat(t, mustChat(t, s, c.ID), c)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			tt.test(t, s, mustOpenChat(t, s, NewChat("app", "client", 0)))
		})
	}
}

func testEvents(t *testing.T, open func(*testing.T) chat.Store) {
	s := open(t)
	c := mustOpenChat(t, s, NewChat("app", "client", 0))
	appended := mustAppend(t, s, c.ID,
		entry(&protocol.PartyJoined{
			FirstName: "Ada", LastName: "Lovelace", DisplayName: "Ada", Type: protocol.PartyInternal,
			Meta: protocol.Meta{PartyID: "agent-1", Timestamp: protocol.At(Clock)},
		}, ""),
		entry(&protocol.Status{State: protocol.StateConnected, Meta: protocol.Meta{Timestamp: protocol.At(Clock)}}, ""),
		entry(visitorSays(c, "1", "hi <b>there</b> ✓", time.Second), "m1"))
	appended = append(appended, mustAppend(t, s, c.ID,
		entry(agentSays("a1", "hello", 2*time.Second), "a1"),
		entry(&protocol.MessageRead{RefMsgID: protocol.TextID("a1"), Meta: protocol.Meta{PartyID: c.ID, Timestamp: protocol.At(Clock.Add(3 * time.Second))}}, "r1"))...)
	if len(appended) != 5 {
		t.Fatalf("stored %d events, want 5", len(appended))
	}

	tests := []struct {
		name  string
		after uint64
		limit int
		want  []uint64
	}{
		{"all", 0, 100, span(1, 5)},
		{"exactly all", 0, 5, span(1, 5)},
		{"first page", 0, 2, span(1, 2)},
		{"middle page", 2, 2, span(3, 4)},
		{"last page, short", 3, 10, span(4, 5)},
		{"at the end", 5, 10, []uint64{}},
		{"past the end", 6, 10, []uint64{}},
		{"far past the end", math.MaxUint64, 10, []uint64{}},
		{"limit 0", 0, 0, []uint64{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := s.Events(t.Context(), c.ID, tt.after, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			checkSeqs(t, "page", got, tt.want)
			for _, e := range got {
				if want := appended[e.EventMeta().Seq-1]; !reflect.DeepEqual(e, want) {
					t.Errorf("event %d:\n got %#v\nwant %#v", e.EventMeta().Seq, e, want)
				}
			}
		})
	}
	t.Run("unknown chat", func(t *testing.T) {
		t.Parallel()
		if _, err := s.Events(t.Context(), protocol.NewUUID(), 0, 10); !errors.Is(err, chat.ErrNotFound) {
			t.Errorf("Events(unknown) = %v, want ErrNotFound", err)
		}
	})
	t.Run("a chat with no events", func(t *testing.T) {
		t.Parallel()
		empty := mustOpenChat(t, s, NewChat("app", "other client", 0))
		got, err := s.Events(t.Context(), empty.ID, 0, 10)
		if err != nil || len(got) != 0 {
			t.Errorf("Events = %v, %v; want none", Seqs(got), err)
		}
	})
}

// file is the metadata of a file the party shares in the chat, with a wrong
// Size that the store must correct.
func file(c chat.Chat, id, party string) chat.File {
	return chat.File{
		ID:          id,
		ChatID:      c.ID,
		PartyID:     party,
		Name:        "invoice " + id + ".pdf",
		ContentType: "application/pdf",
		Size:        -1,
		Created:     Clock.Add(time.Minute),
	}
}

func mustPutFile(t *testing.T, s chat.Store, f chat.File, body []byte) {
	t.Helper()
	if err := s.PutFile(t.Context(), f, bytes.NewReader(body)); err != nil {
		t.Fatalf("PutFile(%s): %v", f.ID, err)
	}
}

// CheckFile fails the test unless the chat's file id is want, with the bytes
// body.
func CheckFile(t testing.TB, s chat.Store, want chat.File, body []byte) {
	t.Helper()
	got, r, err := s.OpenFile(t.Context(), want.ChatID, want.ID)
	if err != nil {
		t.Fatalf("OpenFile(%s): %v", want.ID, err)
	}
	defer r.Close()
	want.Size = int64(len(body))
	if !got.Created.Equal(want.Created) {
		t.Errorf("file %s: Created = %v, want %v", want.ID, got.Created, want.Created)
	}
	got.Created, want.Created = time.Time{}, time.Time{}
	if got != want {
		t.Errorf("file:\n got %+v\nwant %+v", got, want)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, body) {
		t.Errorf("file %s has %d bytes, not the %d stored", want.ID, len(data), len(body))
	}
}

func testFiles(t *testing.T, open func(*testing.T) chat.Store) {
	tests := []struct {
		name string
		test func(*testing.T, chat.Store, chat.Chat)
	}{
		{"round trip", func(t *testing.T, s chat.Store, c chat.Chat) {
			f := file(c, "f1", c.ID)
			mustPutFile(t, s, f, []byte("%PDF-1.7 hello"))
			CheckFile(t, s, f, []byte("%PDF-1.7 hello"))
		}},
		{"an empty file", func(t *testing.T, s chat.Store, c chat.Chat) {
			f := file(c, "empty", c.ID)
			mustPutFile(t, s, f, nil)
			CheckFile(t, s, f, []byte{})
		}},
		{"a large file", func(t *testing.T, s chat.Store, c chat.Chat) {
			body := make([]byte, 3<<20+17)
			for i := range body {
				body[i] = byte(i * 7)
			}
			f := file(c, "large", c.ID)
			mustPutFile(t, s, f, body)
			CheckFile(t, s, f, body)
		}},
		{"the bytes can be sought", func(t *testing.T, s chat.Store, c chat.Chat) {
			f := file(c, "f1", c.ID)
			mustPutFile(t, s, f, []byte("0123456789"))
			_, r, err := s.OpenFile(t.Context(), c.ID, f.ID)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if _, err := r.Seek(6, io.SeekStart); err != nil {
				t.Fatal(err)
			}
			if rest, err := io.ReadAll(r); err != nil || string(rest) != "6789" {
				t.Errorf("after Seek(6): %q, %v; want 6789", rest, err)
			}
		}},
		{"another chat's file is not found", func(t *testing.T, s chat.Store, c chat.Chat) {
			other := mustOpenChat(t, s, NewChat("app", "other client", 0))
			mustPutFile(t, s, file(c, "f1", c.ID), []byte("secret"))
			if _, _, err := s.OpenFile(t.Context(), other.ID, "f1"); !errors.Is(err, chat.ErrNotFound) {
				t.Errorf("OpenFile from another chat = %v, want ErrNotFound", err)
			}
		}},
		{"unknown file", func(t *testing.T, s chat.Store, c chat.Chat) {
			if _, _, err := s.OpenFile(t.Context(), c.ID, "f1"); !errors.Is(err, chat.ErrNotFound) {
				t.Errorf("OpenFile(unknown) = %v, want ErrNotFound", err)
			}
		}},
		{"unknown chat", func(t *testing.T, s chat.Store, c chat.Chat) {
			unknown := NewChat("app", "client", 0)
			if err := s.PutFile(t.Context(), file(unknown, "f1", c.ID), bytes.NewReader([]byte("x"))); !errors.Is(err, chat.ErrNotFound) {
				t.Errorf("PutFile(unknown chat) = %v, want ErrNotFound", err)
			}
			if _, _, err := s.OpenFile(t.Context(), unknown.ID, "f1"); !errors.Is(err, chat.ErrNotFound) {
				t.Errorf("OpenFile(unknown chat) = %v, want ErrNotFound", err)
			}
			if _, err := s.CountFiles(t.Context(), unknown.ID, c.ID); !errors.Is(err, chat.ErrNotFound) {
				t.Errorf("CountFiles(unknown chat) = %v, want ErrNotFound", err)
			}
		}},
		{"counts per party and chat", func(t *testing.T, s chat.Store, c chat.Chat) {
			other := mustOpenChat(t, s, NewChat("app", "other client", 0))
			mustPutFile(t, s, file(c, "v1", c.ID), []byte("1"))
			mustPutFile(t, s, file(c, "v2", c.ID), []byte("2"))
			mustPutFile(t, s, file(c, "a1", "agent-1"), []byte("3"))
			mustPutFile(t, s, file(other, "o1", other.ID), []byte("4"))
			mustPutFile(t, s, file(other, "o2", "agent-1"), []byte("5"))
			for _, tt := range []struct {
				chat, party string
				want        int
			}{
				{c.ID, c.ID, 2},
				{c.ID, "agent-1", 1},
				{c.ID, "agent-2", 0},
				{c.ID, other.ID, 0},
				{other.ID, other.ID, 1},
				{other.ID, "agent-1", 1},
			} {
				if got, err := s.CountFiles(t.Context(), tt.chat, tt.party); err != nil || got != tt.want {
					t.Errorf("CountFiles(%s, %s) = %d, %v; want %d", tt.chat, tt.party, got, err, tt.want)
				}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			tt.test(t, s, mustOpenChat(t, s, NewChat("app", "client", 0)))
		})
	}
}

// testConcurrency appends to one chat from goroutines that do not take
// turns, as the Service does, to check that the store does not rely on it.
func testConcurrency(t *testing.T, open func(*testing.T) chat.Store) {
	const (
		writers  = 8
		batches  = 10
		perBatch = 3
		total    = writers * batches * perBatch
	)
	s := open(t)
	c := mustOpenChat(t, s, NewChat("app", "client", 0))
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		given = map[uint64]int{}
	)
	for w := range writers {
		wg.Go(func() {
			for b := range batches {
				var entries []chat.Entry
				for i := range perBatch {
					id := fmt.Sprintf("w%d-b%d-%d", w, b, i)
					entries = append(entries, entry(visitorSays(c, id, "hi", 0), id))
				}
				stored, err := s.Append(t.Context(), c.ID, entries)
				if err != nil {
					t.Errorf("Append: %v", err)
					return
				}
				mu.Lock()
				for _, seq := range Seqs(stored) {
					given[seq]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for seq, n := range given {
		if n != 1 || seq < 1 || seq > total {
			t.Errorf("seq %d was given %d times", seq, n)
		}
	}
	if len(given) != total {
		t.Errorf("%d seqs given, want %d", len(given), total)
	}
	checkSeqs(t, "stored", mustEvents(t, s, c.ID), span(1, total))
	got := mustChat(t, s, c.ID)
	if got.LastSeq != total || got.VisitorMessages != total {
		t.Errorf("LastSeq, VisitorMessages = %d, %d; want %d, %d", got.LastSeq, got.VisitorMessages, total, total)
	}
}

// testClientState checks what a store keeps for the SDKs' methods: the poll
// cursor, the notification subscription, the wait of the last status, the
// CRM case, and files found by their id alone.
func testClientState(t *testing.T, open func(*testing.T) chat.Store) {
	tests := []struct {
		name string
		test func(*testing.T, chat.Store, chat.Chat)
	}{
		{"the poll cursor is kept", func(t *testing.T, s chat.Store, c chat.Chat) {
			for _, seq := range []uint64{7, 3, 0, math.MaxInt64} {
				if err := s.SetPollCursor(t.Context(), c.ID, seq); err != nil {
					t.Fatalf("SetPollCursor(%d): %v", seq, err)
				}
				if got := mustChat(t, s, c.ID).PollCursor; got != seq {
					t.Errorf("PollCursor = %d, want %d", got, seq)
				}
			}
		}},
		{"the notification subscription is kept", func(t *testing.T, s chat.Store, c chat.Chat) {
			sub := protocol.NotificationSubscription{APNsToken: "ab12", AppBundleID: "com.example.app"}
			if err := s.SetNotifications(t.Context(), c.ID, sub); err != nil {
				t.Fatal(err)
			}
			if got := mustChat(t, s, c.ID).Notifications; got != sub {
				t.Errorf("Notifications = %+v, want %+v", got, sub)
			}
			if err := s.SetNotifications(t.Context(), c.ID, protocol.NotificationSubscription{}); err != nil {
				t.Fatal(err)
			}
			if got := mustChat(t, s, c.ID).Notifications; got != (protocol.NotificationSubscription{}) {
				t.Errorf("after cancelling, Notifications = %+v, want none", got)
			}
		}},
		{"a chat that is not there", func(t *testing.T, s chat.Store, c chat.Chat) {
			if err := s.SetPollCursor(t.Context(), "no-such-chat", 1); !errors.Is(err, chat.ErrNotFound) {
				t.Errorf("SetPollCursor = %v, want ErrNotFound", err)
			}
			if err := s.SetNotifications(t.Context(), "no-such-chat", protocol.NotificationSubscription{AndroidFirebaseToken: "x"}); !errors.Is(err, chat.ErrNotFound) {
				t.Errorf("SetNotifications = %v, want ErrNotFound", err)
			}
		}},
		{"the last status gives the wait", func(t *testing.T, s chat.Store, c chat.Chat) {
			at := Clock.Add(time.Minute)
			mustAppend(t, s, c.ID, entry(&protocol.Status{State: protocol.StateQueued, EWT: 90, Meta: protocol.Meta{Timestamp: protocol.At(at)}}, ""))
			got := mustChat(t, s, c.ID)
			if got.EWT != 90 || !got.EWTAt.Equal(protocol.At(at).Time) {
				t.Errorf("EWT, EWTAt = %d, %v; want 90, %v", got.EWT, got.EWTAt, protocol.At(at).Time)
			}
		}},
		{"a case links chats, oldest first", func(t *testing.T, s chat.Store, c chat.Chat) {
			later := mustOpenChat(t, s, NewChat("app", "other client", time.Hour))
			unlinked := mustOpenChat(t, s, NewChat("app", "third client", 0))
			for _, id := range []string{later.ID, c.ID} {
				mustAppend(t, s, id, entry(&protocol.CaseSet{CaseID: "case-7"}, ""))
			}
			mustAppend(t, s, unlinked.ID, entry(&protocol.CaseSet{CaseID: "case-8"}, ""))
			linked, err := s.CaseChats(t.Context(), "case-7")
			if err != nil {
				t.Fatal(err)
			}
			if len(linked) != 2 || linked[0].ID != c.ID || linked[1].ID != later.ID {
				t.Errorf("CaseChats(case-7) = %v, want %s then %s", linked, c.ID, later.ID)
			}
			mustAppend(t, s, c.ID, entry(&protocol.CaseSet{}, ""))
			if got := mustChat(t, s, c.ID).CaseID; got != "" {
				t.Errorf("after the case was cleared, CaseID = %q", got)
			}
			if none, err := s.CaseChats(t.Context(), ""); err != nil || len(none) != 0 {
				t.Errorf("CaseChats(\"\") = %v, %v; want none", none, err)
			}
		}},
		{"a file is found by its id alone", func(t *testing.T, s chat.Store, c chat.Chat) {
			f := file(c, "f-by-id", c.ID)
			mustPutFile(t, s, f, []byte("GIF89a"))
			got, r, err := s.OpenFileByID(t.Context(), f.ID)
			if err != nil {
				t.Fatal(err)
			}
			r.Close()
			if got.ChatID != c.ID || got.Name != f.Name {
				t.Errorf("OpenFileByID = %+v, want the file of chat %s", got, c.ID)
			}
			if _, _, err := s.OpenFileByID(t.Context(), "no-such-file"); !errors.Is(err, chat.ErrNotFound) {
				t.Errorf("OpenFileByID(unknown) = %v, want ErrNotFound", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			tt.test(t, s, mustOpenChat(t, s, NewChat("app", "client", 0)))
		})
	}
}

// testUpstream checks what a store keeps for the upstream bridge: each
// bridged chat's state, and its inbox and outbox.
func testUpstream(t *testing.T, open func(*testing.T) chat.Store) {
	queued := func(body, key string) chat.Queued { return chat.Queued{Body: []byte(body), Key: key} }
	tests := []struct {
		name string
		test func(*testing.T, chat.Store, chat.Chat)
	}{
		{"the state is kept and replaced", func(t *testing.T, s chat.Store, c chat.Chat) {
			if _, err := s.Upstream(t.Context(), c.ID); !errors.Is(err, chat.ErrNotFound) {
				t.Errorf("Upstream of a chat not bridged = %v, want ErrNotFound", err)
			}
			states := []chat.Upstream{
				{ChatID: c.ID, ClientID: "client-uuid"},
				{ChatID: c.ID, ClientID: "client-uuid", UpstreamID: "up-7", Published: 12, Sent: math.MaxInt64},
				{ChatID: c.ID, ClientID: "client-uuid", UpstreamID: "up-7", Published: 13, Sent: 4, Stopped: "the tenant refused the app id"},
			}
			for _, want := range states {
				if err := s.SaveUpstream(t.Context(), want); err != nil {
					t.Fatalf("SaveUpstream(%+v): %v", want, err)
				}
				got, err := s.Upstream(t.Context(), c.ID)
				if err != nil || got != want {
					t.Errorf("Upstream = %+v, %v; want %+v", got, err, want)
				}
			}
		}},
		{"a chat that is not there", func(t *testing.T, s chat.Store, c chat.Chat) {
			if err := s.SaveUpstream(t.Context(), chat.Upstream{ChatID: "no-such-chat", ClientID: "x"}); !errors.Is(err, chat.ErrNotFound) {
				t.Errorf("SaveUpstream = %v, want ErrNotFound", err)
			}
			if _, err := s.Enqueue(t.Context(), "no-such-chat", chat.Outbox, []chat.Queued{queued(`{}`, "")}); !errors.Is(err, chat.ErrNotFound) {
				t.Errorf("Enqueue = %v, want ErrNotFound", err)
			}
			if _, err := s.Queue(t.Context(), "no-such-chat", chat.Inbox, 0, 10); !errors.Is(err, chat.ErrNotFound) {
				t.Errorf("Queue = %v, want ErrNotFound", err)
			}
		}},
		{"each box numbers its entries from 1", func(t *testing.T, s chat.Store, c chat.Chat) {
			other := mustOpenChat(t, s, NewChat("app", "other", 0))
			add := func(chatID string, box chat.Box, bodies ...string) []uint64 {
				t.Helper()
				var entries []chat.Queued
				for _, b := range bodies {
					entries = append(entries, queued(b, ""))
				}
				added, err := s.Enqueue(t.Context(), chatID, box, entries)
				if err != nil {
					t.Fatal(err)
				}
				var ns []uint64
				for _, q := range added {
					ns = append(ns, q.N)
				}
				return ns
			}
			for _, step := range []struct {
				chatID string
				box    chat.Box
				bodies []string
				want   []uint64
			}{
				{c.ID, chat.Inbox, []string{`{"a":1}`, `{"a":2}`}, []uint64{1, 2}},
				{c.ID, chat.Outbox, []string{`{"b":1}`}, []uint64{1}},
				{c.ID, chat.Inbox, []string{`{"a":3}`}, []uint64{3}},
				{other.ID, chat.Inbox, []string{`{"c":1}`}, []uint64{1}},
			} {
				if got := add(step.chatID, step.box, step.bodies...); !reflect.DeepEqual(got, step.want) {
					t.Errorf("Enqueue(%s) numbered %v, want %v", step.box, got, step.want)
				}
			}
			page, err := s.Queue(t.Context(), c.ID, chat.Inbox, 1, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) != 2 || page[0].N != 2 || string(page[0].Body) != `{"a":2}` || page[1].N != 3 || string(page[1].Body) != `{"a":3}` {
				t.Errorf("Queue(inbox, after 1) = %+v, want entries 2 and 3", page)
			}
			if page, err := s.Queue(t.Context(), c.ID, chat.Inbox, 0, 1); err != nil || len(page) != 1 || page[0].N != 1 {
				t.Errorf("Queue(inbox, limit 1) = %+v, %v; want entry 1", page, err)
			}
			if page, err := s.Queue(t.Context(), c.ID, chat.Inbox, 3, 10); err != nil || len(page) != 0 {
				t.Errorf("Queue(inbox, after the last) = %+v, %v; want nothing", page, err)
			}
			if page, err := s.Queue(t.Context(), c.ID, chat.Outbox, math.MaxUint64, 10); err != nil || len(page) != 0 {
				t.Errorf("Queue(outbox, after the largest number) = %+v, %v; want nothing", page, err)
			}
		}},
		{"keys make entries unique in their box", func(t *testing.T, s chat.Store, c chat.Chat) {
			nul := "msg\x00" + c.ID + "\x00" + "7"
			added, err := s.Enqueue(t.Context(), c.ID, chat.Outbox, []chat.Queued{
				queued(`{"n":1}`, nul), queued(`{"n":2}`, nul), queued(`{"n":3}`, ""), queued(`{"n":4}`, ""), queued(`{"n":5}`, "other"),
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(added) != 4 || added[0].Key != nul || string(added[1].Body) != `{"n":3}` || added[3].N != 4 {
				t.Errorf("Enqueue added %+v, want all but the second, numbered 1 to 4", added)
			}
			again, err := s.Enqueue(t.Context(), c.ID, chat.Outbox, []chat.Queued{queued(`{"n":6}`, "other"), queued(`{"n":7}`, nul)})
			if err != nil || len(again) != 0 {
				t.Errorf("Enqueue of keys the box has = %+v, %v; want nothing added", again, err)
			}
			if other, err := s.Enqueue(t.Context(), c.ID, chat.Inbox, []chat.Queued{queued(`{"n":8}`, nul)}); err != nil || len(other) != 1 {
				t.Errorf("Enqueue of the key in the other box = %+v, %v; want it added", other, err)
			}
			page, err := s.Queue(t.Context(), c.ID, chat.Outbox, 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) != 4 || page[0].Key != nul || page[1].Key != "" || page[3].Key != "other" {
				t.Errorf("Queue(outbox) = %+v, want the four added with their keys", page)
			}
		}},
		{"bodies come back byte for byte", func(t *testing.T, s chat.Store, c chat.Chat) {
			body := `{"event":"chat_session_message","msg_id":7,"msg":"a\u0000b <br> ü","timestamp":"1700000000"}`
			if _, err := s.Enqueue(t.Context(), c.ID, chat.Inbox, []chat.Queued{queued(body, "")}); err != nil {
				t.Fatal(err)
			}
			page, err := s.Queue(t.Context(), c.ID, chat.Inbox, 0, 1)
			if err != nil || len(page) != 1 || string(page[0].Body) != body {
				t.Errorf("Queue = %+v, %v; want the body as it was queued", page, err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			tt.test(t, s, mustOpenChat(t, s, NewChat("app", "client", 0)))
		})
	}
}
