package postgres

import (
	"context"
	"crypto/rand"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/parleychat/parley/app/chat"
)

var _ chat.Store = (*Store)(nil)

// Store is a chat.Store in a PostgreSQL database. It is safe for concurrent
// use, also by several processes sharing the database.
type Store struct {
	pool *pgxpool.Pool
	// conn configures the listener's own connection (see Fanout).
	conn *pgx.ConnConfig
	// channel is the NOTIFY channel that announces this schema's events,
	// and origin names this Store on it, so it can tell its own
	// announcements from those of other processes.
	channel string
	origin  string
}

// Open connects to the database at url (postgres://user:pass@host:port/db,
// or any form pgx takes; pool_max_conns and the other pgxpool parameters
// work too) and brings the schema up to date. The tables live in the
// connection's search_path, so one database can hold several Parleys, each
// in its own schema.
func Open(ctx context.Context, url string) (_ *Store, err error) {
	defer wrap(&err, "opening the database")
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	s := &Store{
		pool:    pool,
		conn:    cfg.ConnConfig,
		channel: channelName(cfg.ConnConfig.RuntimeParams["search_path"]),
		origin:  rand.Text(),
	}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// channelName is the NOTIFY channel for the schema the tables are in, so
// that Parleys sharing a database in different schemas do not hear each
// other. PostgreSQL cuts identifiers at 63 bytes; schema names that long
// that share their first 48 bytes would share a channel, which costs only
// reads that find nothing new.
func channelName(searchPath string) string {
	name := "parley_events"
	if searchPath != "" {
		name += ":" + searchPath
	}
	return name[:min(len(name), 63)]
}

// Close closes the connections. Nothing is lost if it is never called:
// every method commits before it returns.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

//go:embed migrations/*.sql
var migrations embed.FS

// migrationLock is the advisory lock key that makes processes starting at
// once apply each migration once.
const migrationLock = 0x7061726c6579 // "parley"

// migrate applies, in name order, each migration the migrations table does
// not list yet, each in a transaction with its listing.
func (s *Store) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	slices.Sort(names)
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS migrations (name text PRIMARY KEY)`); err != nil {
			return fmt.Errorf("creating the migrations table: %w", err)
		}
		for _, name := range names {
			var applied bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM migrations WHERE name = $1)`, name).Scan(&applied); err != nil {
				return err
			}
			if applied {
				continue
			}
			script, err := fs.ReadFile(migrations, name)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, string(script)); err != nil {
				return fmt.Errorf("migration %s: %w", name, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO migrations (name) VALUES ($1)`, name); err != nil {
				return err
			}
		}
		return nil
	})
}

// wrap gives an exported method's error its context, once, and marks
// the errors of a database that cannot be reached as chat.ErrUnavailable.
func wrap(err *error, format string, args ...any) {
	if *err == nil {
		return
	}
	if unreachable(*err) {
		*err = fmt.Errorf("postgres: "+format+": %w: %w", append(args, chat.ErrUnavailable, *err)...)
		return
	}
	*err = fmt.Errorf("postgres: "+format+": %w", append(args, *err)...)
}

// unreachable reports whether err says the database could not be reached
// or went away, rather than refusing what was asked: no connection, a
// connection that broke, a server shutting down or starting up (SQLSTATE
// class 08, and 57P01 to 57P03).
func unreachable(err error) bool {
	var (
		connect *pgconn.ConnectError
		netErr  net.Error
		pgErr   *pgconn.PgError
	)
	switch {
	case errors.As(err, &connect), errors.As(err, &netErr), errors.Is(err, pgconn.ErrConnClosed),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return true
	case errors.As(err, &pgErr):
		return strings.HasPrefix(pgErr.Code, "08") || pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03"
	}
	return false
}

// toNanos is a time as the tables keep it: Unix nanoseconds, and the zero
// time, which has none, NULL (see chat.FromNanos).
func toNanos(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	n := t.UnixNano()
	return &n
}
