package sqlite_test

import (
	"fmt"
	"reflect"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/app/chat/storetest"
	"github.com/parleychat/parley/protocol"
)

// TestEventsNumbersEventsStoredRaw covers the events MarshalEvent writes back
// as they arrived, without the seq Append gave them.
func TestEventsNumbersEventsStoredRaw(t *testing.T) {
	t.Parallel()
	s := mustOpenFor(t, t.TempDir())
	c, _, err := s.OpenChat(t.Context(), storetest.NewChat("app", "client", 0))
	if err != nil {
		t.Fatal(err)
	}
	var entries []chat.Entry
	for _, raw := range []string{
		`{"event":"chat_session_from_the_future","seq":99}`,
		`{"event":"chat_session_message","msg":{"not":"a string"}}`,
	} {
		e, err := protocol.UnmarshalEvent([]byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, chat.Entry{Event: e})
	}
	if _, err := s.Append(t.Context(), c.ID, entries); err != nil {
		t.Fatal(err)
	}
	events, err := s.Events(t.Context(), c.ID, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if got := storetest.Seqs(events); !reflect.DeepEqual(got, []uint64{1, 2}) {
		t.Errorf("seqs %v, want [1 2]", got)
	}
}

// message is a visitor's message with a key of its own, as most events are.
func message(chatID string, n int) []chat.Entry {
	id := fmt.Sprint("m", n)
	return []chat.Entry{{
		Event: &protocol.Message{
			MsgID: protocol.TextID(id),
			Msg:   "Hello, I have a question about my last invoice.",
			Meta:  protocol.Meta{PartyID: chatID, Timestamp: protocol.At(storetest.Clock)},
		},
		Key: "msg\x00" + chatID + "\x00" + id,
	}}
}

// BenchmarkAppendOneChat appends one event at a time to one chat, as the
// Service does for a chat: each is a transaction of its own.
func BenchmarkAppendOneChat(b *testing.B) {
	s := mustOpenFor(b, b.TempDir())
	c, _, err := s.OpenChat(b.Context(), storetest.NewChat("app", "client", 0))
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for b.Loop() {
		n++
		if _, err := s.Append(b.Context(), c.ID, message(c.ID, n)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkAppendManyChats appends to a chat per goroutine, 50 chats at
// once, as the Service does for many chats: their appends share
// transactions.
func BenchmarkAppendManyChats(b *testing.B) {
	s := mustOpenFor(b, b.TempDir())
	var clients atomic.Int64
	b.SetParallelism(max(1, 50/runtime.GOMAXPROCS(0)))
	b.RunParallel(func(pb *testing.PB) {
		c, _, err := s.OpenChat(b.Context(), storetest.NewChat("app", fmt.Sprint("client ", clients.Add(1)), 0))
		if err != nil {
			b.Error(err)
			return
		}
		for n := 0; pb.Next(); n++ {
			if _, err := s.Append(b.Context(), c.ID, message(c.ID, n)); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
