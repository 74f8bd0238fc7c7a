package storetest

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/protocol"
)

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
