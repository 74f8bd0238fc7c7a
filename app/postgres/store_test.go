package postgres_test

import (
	"os"
	"testing"

	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/app/chat/storetest"
	"github.com/parleychat/parley/app/postgres"
	"github.com/parleychat/parley/app/postgres/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) chat.Store { return mustOpen(t, pgtest.Database(t)) })
}

// mustOpenFor opens the store at url for the rest of the test.
func mustOpenFor(tb testing.TB, url string) *postgres.Store {
	tb.Helper()
	s := mustOpen(tb, url)
	tb.Cleanup(func() { s.Close() })
	return s
}

// mustOpen opens the store at url. The caller closes it.
func mustOpen(tb testing.TB, url string) *postgres.Store {
	tb.Helper()
	s, err := postgres.Open(tb.Context(), url)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}
