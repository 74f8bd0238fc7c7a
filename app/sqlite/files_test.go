package sqlite_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/app/chat/storetest"
)

// filesIn lists the names in dir/files.
func filesIn(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, "files"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestPutFileLeavesNothingWhenItFails(t *testing.T) {
	t.Parallel()
	errRead := errors.New("the upload broke off")
	tests := []struct {
		name    string
		known   bool
		id      string
		body    io.Reader
		wantErr error
	}{
		{"the body fails", true, "f1", iotest.ErrReader(errRead), errRead},
		{"the body fails midway", true, "f1", io.MultiReader(strings.NewReader("half"), iotest.ErrReader(errRead)), errRead},
		{"unknown chat", false, "f1", strings.NewReader("data"), chat.ErrNotFound},
		{"an id that climbs out", true, "../f1", strings.NewReader("data"), nil},
		{"an id with a separator", true, "a/b", strings.NewReader("data"), nil},
		{"an id like a temporary file", true, ".upload-1", strings.NewReader("data"), nil},
		{"an empty id", true, "", strings.NewReader("data"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			s := mustOpenFor(t, dir)
			c, _, err := s.OpenChat(t.Context(), storetest.NewChat("app", "client", 0))
			if err != nil {
				t.Fatal(err)
			}
			if !tt.known {
				c = storetest.NewChat("app", "client", 0)
			}
			err = s.PutFile(t.Context(), chat.File{ID: tt.id, ChatID: c.ID, PartyID: c.ID}, tt.body)
			if err == nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("PutFile = %v, want %v", err, tt.wantErr)
			}
			if names := filesIn(t, dir); len(names) != 0 {
				t.Errorf("files left behind: %v", names)
			}
			if _, err := os.Stat(filepath.Join(dir, "f1")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a file escaped the files directory: %v", err)
			}
		})
	}
}

func TestPutFileKeepsAnIDsBytes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := mustOpenFor(t, dir)
	ctx := t.Context()
	a, _, err := s.OpenChat(ctx, storetest.NewChat("app", "a", 0))
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := s.OpenChat(ctx, storetest.NewChat("app", "b", 0))
	if err != nil {
		t.Fatal(err)
	}
	f := chat.File{ID: "f1", ChatID: a.ID, PartyID: a.ID, Name: "a.txt", ContentType: "text/plain", Created: storetest.Clock}
	if err := s.PutFile(ctx, f, strings.NewReader("first")); err != nil {
		t.Fatal(err)
	}
	for _, c := range []chat.Chat{a, b} {
		again := f
		again.ChatID = c.ID
		if err := s.PutFile(ctx, again, strings.NewReader("second")); err == nil {
			t.Errorf("a second PutFile(%s) in chat %s succeeded", f.ID, c.ID)
		}
	}
	storetest.CheckFile(t, s, f, []byte("first"))
	if names := filesIn(t, dir); !slices.Equal(names, []string{"f1"}) {
		t.Errorf("files: %v, want [f1]", names)
	}
}

func TestOpenFileWithoutItsBytes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := mustOpenFor(t, dir)
	c, _, err := s.OpenChat(t.Context(), storetest.NewChat("app", "client", 0))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutFile(t.Context(), chat.File{ID: "f1", ChatID: c.ID, PartyID: c.ID}, bytes.NewReader([]byte("x"))); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "files", "f1")); err != nil {
		t.Fatal(err)
	}
	_, _, err = s.OpenFile(t.Context(), c.ID, "f1")
	if !errors.Is(err, os.ErrNotExist) || errors.Is(err, chat.ErrNotFound) {
		t.Errorf("OpenFile of lost bytes = %v, want os.ErrNotExist and not chat.ErrNotFound", err)
	}
}
