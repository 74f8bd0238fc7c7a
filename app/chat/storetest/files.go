package storetest

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/parleychat/parley/app/chat"
)

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
