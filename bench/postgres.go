package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/jackc/pgx/v5"
	"github.com/parleychat/parley/app/postgres/pgcluster"
)

// postgresSuite runs Parley on PostgreSQL, in a throwaway cluster of its
// own on loopback (pgcluster, PostgreSQL's durable defaults): delivery with
// the visitor and the agent on one process, and on two processes sharing
// one database (the visitor on one, the agent on the other); events per
// second on one process and on two; an upload. Beside them: the bare relay,
// a relay that commits each frame into the same cluster before it forwards
// it, and PostgreSQL alone committing one INSERT per transaction.
func postgresSuite(ctx context.Context, cfg config) (rows []row, err error) {
	logf("postgres: starting a throwaway cluster")
	cluster, err := pgcluster.Start()
	if err != nil {
		return nil, err
	}
	defer func() {
		if stopErr := cluster.Stop(); stopErr != nil {
			err = errors.Join(err, fmt.Errorf("stopping the cluster: %w", stopErr))
		}
	}()
	durability, err := settings(ctx, cluster.URL(), "fsync", "synchronous_commit")
	if err != nil {
		return nil, err
	}
	logf("postgres: %s", durability)

	one, err := database(ctx, cluster.URL(), "parley_one")
	if err != nil {
		return nil, err
	}
	p, err := startParley(ctx, cfg.parley, cfg.web, false, "-database", one)
	if err != nil {
		return nil, err
	}
	defer p.stop()
	two, err := database(ctx, cluster.URL(), "parley_two")
	if err != nil {
		return nil, err
	}
	a, err := startParley(ctx, cfg.parley, cfg.web, false, "-database", two)
	if err != nil {
		return nil, err
	}
	defer a.stop()
	b, err := startParley(ctx, cfg.parley, cfg.web, false, "-database", two)
	if err != nil {
		return nil, err
	}
	defer b.stop()

	var chatID string
	var within, across latencies
	for _, d := range []struct {
		what    string
		servers []*parley
		got     *latencies
	}{
		{"one process", []*parley{p}, &within},
		{"the visitor on one process, the agent on another", []*parley{a, b}, &across},
	} {
		logf("postgres: one-way delivery, %s, %d messages each way over %d chats", d.what, latencyMessages, latencyChats)
		chats, err := openChats(ctx, latencyChats, true, d.servers...)
		if err != nil {
			return rows, err
		}
		*d.got, err = deliveryLatency(ctx, chats)
		chatID = chats[0].visitor.chat.ChatID
		closeChats(chats)
		if err != nil {
			return rows, fmt.Errorf("%s: %w", d.what, err)
		}
	}
	relayDB, err := database(ctx, cluster.URL(), "relay")
	if err != nil {
		return rows, err
	}
	relays, err := relayFloors(ctx, chatID, []string{databaseEnv + "=" + relayDB}, relayBare, relayPostgres)
	if err != nil {
		return rows, err
	}
	rows = append(rows, deliveryRows("; PostgreSQL, one process", within, relays)...)
	rows = append(rows, deliveryRows("; PostgreSQL, visitor and agent on two processes", across, relays)...)

	floorDB, err := database(ctx, cluster.URL(), "floor")
	if err != nil {
		return rows, err
	}
	// PostgreSQL alone, once per number of writers.
	floors := map[int]float64{}
	for _, set := range []struct {
		where   string
		size    int
		servers []*parley
	}{
		{"; PostgreSQL, one process", 1, []*parley{p}},
		{"; PostgreSQL, one process", parallelChats, []*parley{p}},
		{"; PostgreSQL, two processes sharing the database, each chat's agent on the other", parallelChats, []*parley{a, b}},
	} {
		rates, err := busyRates(ctx, []int{set.size}, set.servers...)
		if err != nil {
			return rows, err
		}
		floor, ok := floors[set.size]
		if !ok {
			logf("floor: PostgreSQL alone, one INSERT per transaction, %d connections", set.size)
			if floor, err = postgresFloor(ctx, floorDB, set.size); err != nil {
				return rows, fmt.Errorf("the PostgreSQL floor: %w", err)
			}
			floors[set.size] = floor
		}
		label := "PostgreSQL alone, same cluster: one INSERT per transaction from one connection"
		if set.size > 1 {
			label = fmt.Sprintf("PostgreSQL alone, same cluster: one INSERT per transaction from each of %d connections at once", set.size)
		}
		rows = append(rows, busyRow(set.size, rates[set.size], set.where, &floor, label))
	}

	up, err := uploadRow(ctx, p, "; PostgreSQL", "the bytes and the row in one transaction, committed with "+durability)
	return append(rows, up...), err
}

// database creates an empty database on the server at serverURL and
// returns its URL.
func database(ctx context.Context, serverURL, name string) (string, error) {
	conn, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", err
	}
	u, err := url.Parse(serverURL)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	return u.String(), nil
}

// settings reads the server's settings of the names: "fsync=on, ...".
func settings(ctx context.Context, serverURL string, names ...string) (string, error) {
	conn, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	text := ""
	for i, name := range names {
		var value string
		if err := conn.QueryRow(ctx, "SELECT current_setting($1)", name).Scan(&value); err != nil {
			return "", err
		}
		if i > 0 {
			text += ", "
		}
		text += name + "=" + value
	}
	return text, nil
}
