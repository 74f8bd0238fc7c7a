package storetest

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/protocol"
)

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

// testAgentCondition appends entries with an Agent. Every chat has a
// visitor's message stored before an agent takes it, so a store that keeps
// the rows of the chats it appended to must learn of Assign.
func testAgentCondition(t *testing.T, open func(*testing.T) chat.Store) {
	says := func(party, msgID string) chat.Entry {
		m := agentSays(msgID, "hello", 0)
		m.PartyID = party
		return chat.Entry{Event: m, Key: msgID, Agent: party}
	}
	status := chat.Entry{Event: &protocol.Status{State: protocol.StateConnected}}
	tests := []struct {
		name string
		// agent takes the chat, "" for nobody; over ends it, both before
		// the append.
		agent   string
		over    bool
		entries []chat.Entry
		// wantErr is the append's error, wantParty the party a
		// *chat.NotAgentError names, wantStored how many entries it
		// stored.
		wantErr    error
		wantParty  string
		wantStored int
	}{
		{name: "the chat's agent", agent: "agent-1", entries: []chat.Entry{says("agent-1", "a1"), status}, wantStored: 2},
		{name: "another party", agent: "agent-1", entries: []chat.Entry{says("agent-2", "a1")}, wantErr: chat.ErrNotAgent, wantParty: "agent-2"},
		{name: "no agent on the chat yet", entries: []chat.Entry{says("agent-1", "a1")}, wantErr: chat.ErrNotAgent, wantParty: "agent-1"},
		{name: "no condition on a chat nobody took", entries: []chat.Entry{entry(agentSays("a1", "hello", 0), "a1")}, wantStored: 1},
		{
			name: "a condition that fails on the second entry stores nothing", agent: "agent-1",
			entries: []chat.Entry{says("agent-1", "a1"), says("agent-2", "a2"), says("agent-1", "a3")},
			wantErr: chat.ErrNotAgent, wantParty: "agent-2",
		},
		{name: "a chat that is over, its agent", agent: "agent-1", over: true, entries: []chat.Entry{says("agent-1", "a1")}, wantErr: chat.ErrOver},
		{
			name: "a chat that is over, another party", agent: "agent-1", over: true, entries: []chat.Entry{says("agent-2", "a1")},
			wantErr: chat.ErrNotAgent, wantParty: "agent-2",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			c := mustOpenChat(t, s, NewChat("app", "client", 0))
			mustAppend(t, s, c.ID, entry(visitorSays(c, "1", "hi", 0), "m1"))
			if tt.agent != "" {
				if err := s.Assign(t.Context(), c.ID, tt.agent); err != nil {
					t.Fatal(err)
				}
			}
			if tt.over {
				mustAppend(t, s, c.ID, entry(&protocol.Ended{}, ""))
			}
			before := mustChat(t, s, c.ID)
			stored, err := s.Append(t.Context(), c.ID, tt.entries)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Append = %v, want %v", err, tt.wantErr)
			}
			var notAgent *chat.NotAgentError
			if errors.As(err, &notAgent) != (tt.wantParty != "") || tt.wantParty != "" && notAgent.Party != tt.wantParty {
				t.Errorf("Append = %v, want a *chat.NotAgentError for %q", err, tt.wantParty)
			}
			checkSeqs(t, "stored", stored, span(before.LastSeq+1, before.LastSeq+uint64(tt.wantStored)))
			checkSeqs(t, "the chat's events", mustEvents(t, s, c.ID), span(1, before.LastSeq+uint64(tt.wantStored)))
			if got := mustChat(t, s, c.ID).LastSeq; got != before.LastSeq+uint64(tt.wantStored) {
				t.Errorf("LastSeq = %d, want %d", got, before.LastSeq+uint64(tt.wantStored))
			}
		})
	}
	t.Run("a refusal leaves the appends beside it", func(t *testing.T) {
		t.Parallel()
		const writers, batches = 4, 10
		s := open(t)
		taken := mustOpenChat(t, s, NewChat("app", "client", 0))
		other := mustOpenChat(t, s, NewChat("app", "other client", 0))
		for _, id := range []string{taken.ID, other.ID} {
			if err := s.Assign(t.Context(), id, "agent-1"); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				for b := range batches {
					id := fmt.Sprintf("w%d-b%d", w, b)
					if _, err := s.Append(t.Context(), taken.ID, []chat.Entry{says("agent-1", id)}); err != nil {
						t.Errorf("the agent's append: %v", err)
					}
				}
			})
			wg.Go(func() {
				for b := range batches {
					id := fmt.Sprintf("w%d-b%d", w, b)
					if _, err := s.Append(t.Context(), other.ID, []chat.Entry{says("agent-2", id)}); !errors.Is(err, chat.ErrNotAgent) {
						t.Errorf("another party's append = %v, want ErrNotAgent", err)
					}
				}
			})
		}
		wg.Wait()
		checkSeqs(t, "the taken chat's events", mustEvents(t, s, taken.ID), span(1, writers*batches))
		checkSeqs(t, "the other chat's events", mustEvents(t, s, other.ID), []uint64{})
	})
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
