package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/protocol"
)

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
