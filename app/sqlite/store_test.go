package sqlite_test

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/app/chat/storetest"
	"github.com/parleychat/parley/app/sqlite"
	"github.com/parleychat/parley/protocol"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) chat.Store { return mustOpen(t, t.TempDir()) })
}

// mustOpen opens the store in dir. The caller closes it.
func mustOpen(tb testing.TB, dir string) *sqlite.Store {
	tb.Helper()
	s, err := sqlite.Open(tb.Context(), dir)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// mustOpenFor opens the store in dir for the rest of the test.
func mustOpenFor(tb testing.TB, dir string) *sqlite.Store {
	tb.Helper()
	s := mustOpen(tb, dir)
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("closing: %v", err)
		}
	})
	return s
}

// fixture is what a store was given, to compare with what it has.
type fixture struct {
	chats  []chat.Chat
	events map[string][]protocol.Event
	files  map[chat.File][]byte
}

// fill stores two chats, one of them over, with events and files.
func fill(t *testing.T, s chat.Store) fixture {
	t.Helper()
	ctx := t.Context()
	fx := fixture{events: map[string][]protocol.Event{}, files: map[chat.File][]byte{}}
	for i, state := range []protocol.ChatState{protocol.StateConnected, protocol.StateCompleted} {
		c, isNew, err := s.OpenChat(ctx, storetest.NewChat("app", fmt.Sprint("client ", i), time.Duration(i)*time.Hour))
		if err != nil || !isNew {
			t.Fatalf("OpenChat = %v, %v", isNew, err)
		}
		if err := s.Assign(ctx, c.ID, "agent-1"); err != nil {
			t.Fatal(err)
		}
		var entries []chat.Entry
		for j := range 5 {
			entries = append(entries, chat.Entry{
				Event: &protocol.Message{
					MsgID: protocol.TextID(fmt.Sprint(j)),
					Msg:   fmt.Sprint("message ", j),
					Meta:  protocol.Meta{PartyID: c.ID, Timestamp: protocol.At(storetest.Clock.Add(time.Duration(j) * time.Second))},
				},
				Key: fmt.Sprint("msg ", j),
			})
		}
		entries = append(entries, chat.Entry{Event: &protocol.Status{State: state}})
		stored, err := s.Append(ctx, c.ID, entries)
		if err != nil {
			t.Fatal(err)
		}
		fx.events[c.ID] = stored
		f := chat.File{
			ID: fmt.Sprint("file", i), ChatID: c.ID, PartyID: c.ID, Name: "photo.png",
			ContentType: "image/png", Created: storetest.Clock.Add(time.Minute),
		}
		body := bytes.Repeat([]byte{byte(i), 0xff}, 1000)
		if err := s.PutFile(ctx, f, bytes.NewReader(body)); err != nil {
			t.Fatal(err)
		}
		f.Size = int64(len(body))
		fx.files[f] = body
		if fx.chats = append(fx.chats, mustChatOf(t, s, c.ID)); fx.chats[i].LastSeq != 6 {
			t.Fatalf("LastSeq = %d after 5 events and a status", fx.chats[i].LastSeq)
		}
	}
	return fx
}

func mustChatOf(t *testing.T, s chat.Store, id string) chat.Chat {
	t.Helper()
	c, err := s.Chat(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// check fails the test unless s has everything in fx.
func (fx fixture) check(t *testing.T, s chat.Store) {
	t.Helper()
	ctx := t.Context()
	for _, want := range fx.chats {
		storetest.CheckChat(t, mustChatOf(t, s, want.ID), want)
		events, err := s.Events(ctx, want.ID, 0, math.MaxInt)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(events, fx.events[want.ID]) {
			t.Errorf("chat %s has events %v, want %v", want.ID, storetest.Seqs(events), storetest.Seqs(fx.events[want.ID]))
		}
		if n, err := s.CountFiles(ctx, want.ID, want.ID); err != nil || n != 1 {
			t.Errorf("CountFiles = %d, %v; want 1", n, err)
		}
	}
	for f, body := range fx.files {
		storetest.CheckFile(t, s, f, body)
	}
	open, err := s.OpenChats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(open) != 1 || open[0].ID != fx.chats[0].ID {
		t.Errorf("OpenChats returned %d chats, want chat %s alone", len(open), fx.chats[0].ID)
	}
}

func TestReopenKeepsEverything(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := mustOpen(t, dir)
	fx := fill(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = mustOpenFor(t, dir)
	fx.check(t, s)
	ctx := t.Context()
	open := fx.chats[0]
	if err := s.Assign(ctx, open.ID, "agent-2"); !errors.Is(err, chat.ErrTaken) {
		t.Errorf("Assign to another agent after reopening = %v, want ErrTaken", err)
	}
	// The stream goes on where it was, and its keys are still known.
	stored, err := s.Append(ctx, open.ID, []chat.Entry{
		{Event: &protocol.Message{MsgID: protocol.TextID("0"), Msg: "message 0", Meta: protocol.Meta{PartyID: open.ID}}, Key: "msg 0"},
		{Event: &protocol.Message{MsgID: protocol.TextID("5"), Msg: "message 5", Meta: protocol.Meta{PartyID: open.ID}}, Key: "msg 5"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := storetest.Seqs(stored); !reflect.DeepEqual(got, []uint64{7}) {
		t.Errorf("after reopening, Append stored seqs %v, want [7]", got)
	}
	if c := mustChatOf(t, s, open.ID); c.VisitorMessages != 6 {
		t.Errorf("VisitorMessages = %d, want 6", c.VisitorMessages)
	}
}

// TestSecondStoreSeesFirstUnclosed reads a store's directory while the
// store that wrote it is still open, as a process restarted after a crash
// reads what the dead one left.
func TestSecondStoreSeesFirstUnclosed(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first := mustOpenFor(t, dir)
	fx := fill(t, first)
	second := mustOpenFor(t, dir)
	fx.check(t, second)

	// Both can write, and the stream stays one.
	ctx := t.Context()
	id := fx.chats[0].ID
	for i, s := range []*sqlite.Store{second, first, second} {
		stored, err := s.Append(ctx, id, []chat.Entry{{Event: &protocol.Status{State: protocol.StateConnected}}})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := storetest.Seqs(stored), []uint64{uint64(7 + i)}; !reflect.DeepEqual(got, want) {
			t.Errorf("append %d: seqs %v, want %v", i, got, want)
		}
	}
}

// TestStoresRaceForOneClient opens chats for one client from two stores on
// one directory, as two processes would: the schema keeps it to one chat.
func TestStoresRaceForOneClient(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	stores := []*sqlite.Store{mustOpenFor(t, dir), mustOpenFor(t, dir)}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		ids   = map[string]bool{}
		fresh int
	)
	for i := range 16 {
		wg.Go(func() {
			c, isNew, err := stores[i%2].OpenChat(t.Context(), storetest.NewChat("app", "client", 0))
			if err != nil {
				t.Errorf("OpenChat: %v", err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			ids[c.ID] = true
			if isNew {
				fresh++
			}
		})
	}
	wg.Wait()
	if len(ids) != 1 || fresh != 1 {
		t.Errorf("got %d chats, %d of them new; want one chat, new once", len(ids), fresh)
	}
}

func TestOpenCreatesTheDirectory(t *testing.T) {
	t.Parallel()
	// Characters a URI would read as syntax.
	dir := filepath.Join(t.TempDir(), "data ?x=1#frag %20", "parley")
	s := mustOpenFor(t, dir)
	fill(t, s)
	for _, name := range []string{"", "parley.db", "files"} {
		info, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if name != "parley.db" && info.Mode().Perm() != 0o700 {
			t.Errorf("%s/%s has mode %v, want 0700", dir, name, info.Mode().Perm())
		}
	}
}
