package sqlite_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/app/chat/storetest"
	"golang.org/x/sys/unix"
)

// TestAppendsRefusedByTheDisk appends to many chats at once, so that the
// committer groups them, while the kernel refuses every write of the
// process to a file (RLIMIT_FSIZE 0: write(2) fails with EFBIG, as it
// fails with ENOSPC on a full disk; Go ignores SIGXFSZ). Every append gets
// chat.ErrUnavailable and none is stored; once writes work again, the same
// appends are stored. Not parallel: the limit is the whole process's, and
// the package's parallel tests wait while it runs.
func TestAppendsRefusedByTheDisk(t *testing.T) {
	s := mustOpenFor(t, t.TempDir())
	ctx := t.Context()
	var ids []string
	for i := range 32 {
		c, _, err := s.OpenChat(ctx, storetest.NewChat("app", fmt.Sprint("client ", i), 0))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	appendAll := func() []error {
		errs := make([]error, len(ids))
		var all sync.WaitGroup
		for i, id := range ids {
			all.Go(func() { _, errs[i] = s.Append(ctx, id, message(id, 1)) })
		}
		all.Wait()
		return errs
	}

	var limit unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_FSIZE, &limit); err != nil {
		t.Fatal(err)
	}
	if err := unix.Setrlimit(unix.RLIMIT_FSIZE, &unix.Rlimit{Cur: 0, Max: limit.Max}); err != nil {
		t.Fatal(err)
	}
	errs := appendAll()
	if err := unix.Setrlimit(unix.RLIMIT_FSIZE, &limit); err != nil {
		t.Fatal(err)
	}
	for i, err := range errs {
		if !errors.Is(err, chat.ErrUnavailable) {
			t.Errorf("chat %d: the append the disk refused returned %v, want chat.ErrUnavailable", i, err)
		}
	}
	for i, id := range ids {
		if events, err := s.Events(ctx, id, 0, 10); err != nil || len(events) != 0 {
			t.Errorf("chat %d holds %d events (%v) after the disk refused its append, want none", i, len(events), err)
		}
	}

	for i, err := range appendAll() {
		if err != nil {
			t.Errorf("chat %d: once the disk takes writes again: %v", i, err)
		}
	}
	for i, id := range ids {
		if events, err := s.Events(ctx, id, 0, 10); err != nil || len(events) != 1 {
			t.Errorf("chat %d holds %d events (%v), want 1", i, len(events), err)
		}
	}
}
