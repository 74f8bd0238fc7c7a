// Package pgtest gives tests a PostgreSQL server of their own: a throwaway
// cluster on loopback, started once per test binary, and an empty schema per
// test.
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
//
//	func TestSomething(t *testing.T) {
//		url := pgtest.Database(t) // an empty schema, dropped when t ends
//		...
//	}
//
// With PARLEY_TEST_DATABASE set to a postgres:// URL, tests use that server
// instead of starting one. Otherwise Main starts a throwaway cluster with
// pgcluster (Debian's initdb and postgres on a free loopback port, its data
// and socket in a temporary directory) and stops it when the tests end. A
// missing PostgreSQL fails the tests: they are never skipped.
package pgtest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/parleychat/parley/app/postgres/pgcluster"
)

// EnvDatabase names the variable that points tests at a running server.
const EnvDatabase = "PARLEY_TEST_DATABASE"

// server is the URL of the database tests use, set by Main.
var server string

// schemas numbers the schemas Database makes.
var schemas atomic.Int64

// Main starts the cluster (unless EnvDatabase names one), runs the tests
// and stops it. It returns the exit code for os.Exit.
func Main(m *testing.M) int {
	if url := os.Getenv(EnvDatabase); url != "" {
		server = url
		return m.Run()
	}
	c, err := pgcluster.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgtest: starting a PostgreSQL cluster:", err)
		return 1
	}
	server = c.URL()
	code := m.Run()
	if err := c.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "pgtest: stopping the cluster:", err)
	}
	return code
}

// Database returns the URL of an empty schema of its own, dropped when the
// test ends. Connections made with the URL use that schema.
func Database(tb testing.TB) string {
	tb.Helper()
	if server == "" {
		tb.Fatal("pgtest: no server; call pgtest.Main from the package's TestMain")
	}
	name := fmt.Sprintf("t%d_%d", os.Getpid(), schemas.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		tb.Fatalf("pgtest: connecting to %s: %v", server, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+name); err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, server)
		if err != nil {
			tb.Errorf("pgtest: connecting to drop schema %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+name+" CASCADE"); err != nil {
			tb.Errorf("pgtest: %v", err)
		}
	})
	return WithSchema(server, name)
}

// WithSchema returns the database URL with search_path set to schema, a
// runtime parameter that pgx passes to the server for each connection.
func WithSchema(database, schema string) string {
	u, err := url.Parse(database)
	if err != nil {
		return database
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
