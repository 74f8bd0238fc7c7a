package storetest

import (
	"errors"
	"math"
	"reflect"
	"testing"

	"github.com/parleychat/parley/app/chat"
)

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
