package postgres_test

import (
	"testing"

	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/app/chat/storetest"
	"github.com/parleychat/parley/app/postgres"
	"github.com/parleychat/parley/app/postgres/pgtest"
	"go.uber.org/goleak"
)

// TestMain starts the package's cluster around the tests and fails them
// when one leaves a goroutine running.
func TestMain(m *testing.M) { goleak.VerifyTestMain(withCluster{m}) }

// withCluster runs the tests with a PostgreSQL cluster of their own.
type withCluster struct{ *testing.M }

func (m withCluster) Run() int { return pgtest.Main(m.M) }

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
