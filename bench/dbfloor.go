package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/parleychat/parley/protocol"
	_ "modernc.org/sqlite" // the driver Parley's SQLite store uses
)

// sqlitePragmas are the SQLite store's own (app/sqlite): WAL, and every
// commit synced (synchronous=FULL).
const sqlitePragmas = "_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)" +
	"&_pragma=foreign_keys(ON)&_pragma=synchronous(FULL)&_txlock=immediate"

// floorEvent is what the databases' floors store per event: an agent's
// message as Parley stores it.
func floorEvent() (string, error) {
	body, err := protocol.MarshalEvent(&protocol.Message{
		MsgID: protocol.TextID("c:1"), Msg: "sustained 1234",
		Meta: protocol.Meta{PartyID: benchAgentParty, Timestamp: protocol.At(time.Now()), Seq: 1},
	})
	return string(body), err
}

// sqliteFloor is how many events per second SQLite alone commits in this
// process, one INSERT per transaction, with the store's pragmas and one
// writer, as the store has, over sustainFor: the floor of a server that
// stores each event in a transaction of its own.
func sqliteFloor(ctx context.Context) (float64, error) {
	dir, err := os.MkdirTemp("", "parley-bench-sqlite-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	dsn := (&url.URL{Scheme: "file", Path: filepath.Join(dir, "floor.db"), RawQuery: sqlitePragmas}).String()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `CREATE TABLE events (chat INTEGER NOT NULL, seq INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (chat, seq))`); err != nil {
		return 0, err
	}
	body, err := floorEvent()
	if err != nil {
		return 0, err
	}
	insert, err := db.PrepareContext(ctx, `INSERT INTO events (chat, seq, body) VALUES (1, ?, ?)`)
	if err != nil {
		return 0, err
	}
	defer insert.Close()
	n := 0
	for start := time.Now(); time.Since(start) < sustainFor; n++ {
		if _, err := insert.ExecContext(ctx, n, body); err != nil {
			return 0, err
		}
	}
	return float64(n) / sustainFor.Seconds(), nil
}

// postgresFloor is how many events per second PostgreSQL alone commits at
// the database url, one INSERT per transaction from each of conns
// connections at once, over sustainFor: the floor of a server that stores
// each event in a transaction of its own with that many writers.
func postgresFloor(ctx context.Context, database string, conns int) (float64, error) {
	cfg, err := pgxpool.ParseConfig(database)
	if err != nil {
		return 0, err
	}
	cfg.MaxConns = int32(conns)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return 0, err
	}
	defer pool.Close()
	table := fmt.Sprintf("floor_events_%d", conns)
	if _, err := pool.Exec(ctx, `CREATE TABLE `+table+` (chat integer NOT NULL, seq integer NOT NULL, body text NOT NULL, PRIMARY KEY (chat, seq))`); err != nil {
		return 0, err
	}
	body, err := floorEvent()
	if err != nil {
		return 0, err
	}
	var took atomic.Int64
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	deadline := time.Now().Add(sustainFor)
	for chat := range conns {
		wg.Go(func() {
			for seq := 0; time.Now().Before(deadline); seq++ {
				if _, err := pool.Exec(ctx, `INSERT INTO `+table+` (chat, seq, body) VALUES ($1, $2, $3)`, chat, seq, body); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
				took.Add(1)
			}
		})
	}
	wg.Wait()
	return float64(took.Load()) / sustainFor.Seconds(), firstErr
}
