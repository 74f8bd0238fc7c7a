package main

import (
	"context"
	"fmt"
	"time"
)

// Sizes and counts of the server suites.
const (
	latencyMessages = 2000
	// latencyChats spreads the visitor's messages over enough chats that
	// none goes past the per-chat limit (VisitorBurst 20): it is the
	// delivery that is measured, not the limiter.
	latencyChats    = 100
	window          = 64
	sustainFor      = 5 * time.Second
	parallelChats   = 50
	uploadBytes     = 20_000_000
	uploadRuns      = 3
	idleOpeners     = 32
	benchAgentParty = "agent-bench"
)

// serverSuite measures the parley program on SQLite, as a subprocess: one
// process for delivery, throughput and uploads, then fresh ones for the
// idle chats and their floor, so that their memory holds nothing but them.
func serverSuite(ctx context.Context, cfg config) ([]row, error) {
	p, err := startParley(ctx, cfg.parley, cfg.web, false)
	if err != nil {
		return nil, err
	}
	rows, err := sqliteRows(ctx, cfg, p)
	p.stop()
	if err != nil {
		return rows, err
	}
	parleySteps, floorSteps, err := idleChats(ctx, cfg)
	return append(rows, idleRows(parleySteps, floorSteps, cfg.hold)...), err
}

// sqliteRows measures delivery, events per second and uploads on p, and
// their floors.
func sqliteRows(ctx context.Context, cfg config, p *parley) ([]row, error) {
	logf("server: one-way delivery, %d messages each way over %d chats", latencyMessages, latencyChats)
	chats, err := openChats(ctx, latencyChats, true, p)
	if err != nil {
		return nil, err
	}
	got, err := deliveryLatency(ctx, chats)
	chatID := chats[0].visitor.chat.ChatID
	closeChats(chats)
	if err != nil {
		return nil, err
	}
	floors, err := relayFloors(ctx, chatID, nil, relayBare, relayFsync)
	if err != nil {
		return nil, err
	}
	rows := deliveryRows("", got, floors)

	logf("floor: SQLite alone, one INSERT per transaction")
	floor, err := sqliteFloor(ctx)
	if err != nil {
		return rows, fmt.Errorf("the SQLite floor: %w", err)
	}
	rates, err := busyRates(ctx, cfg.busy, p)
	if err != nil {
		return rows, err
	}
	floorLabel := "SQLite alone in one process: one INSERT per transaction, the store's pragmas (WAL, synchronous=FULL), one writer"
	for _, size := range []int{1, parallelChats} {
		if rate, ok := rates[size]; ok {
			rows = append(rows, busyRow(size, rate, "", &floor, floorLabel))
		}
	}
	for _, size := range cfg.busy {
		rows = append(rows, row{Series: "busy chats: events/s sustained (SQLite)", Size: float64(size), SizeUnit: "chats", Value: rates[size], Unit: "/s", Rate: true, Ref: new(floor), RefLabel: "SQLite alone"})
	}

	logf("server: events per second, one visitor")
	rate, refused, err := sustained(ctx, 1, false, p)
	if err != nil {
		return rows, err
	}
	rows = append(rows,
		row{
			Figure: fmt.Sprintf("events/s one visitor gets stored (visitor socket, %d frames in flight)", window),
			Value:  rate, Unit: "/s",
			Ref: new(5.0), RefLabel: "the per-chat visitor limit (5/s, burst 20)",
		},
		row{Figure: fmt.Sprintf("the same: frames refused with 7002 in those %s", sustainFor), Value: float64(refused)},
	)

	up, err := uploadRow(ctx, p, "", "the bytes fsynced under their final name, then the row committed (synchronous=FULL)")
	return append(rows, up...), err
}

// busyRates measures the events per second that each size of chats
// sustains on the servers, an agent sending on each chat's agent socket.
func busyRates(ctx context.Context, sizes []int, servers ...*parley) (map[int]float64, error) {
	rates := map[int]float64{}
	for _, size := range sizes {
		logf("server: events per second, %s at once, agent sockets, window %d", count(float64(size), "chats"), window)
		rate, _, err := sustained(ctx, size, true, servers...)
		if err != nil {
			return rates, err
		}
		rates[size] = rate
	}
	return rates, nil
}

// busyRow is the main table's row of the events per second size chats
// sustained; where says on what, when it is not the one SQLite process.
func busyRow(size int, rate float64, where string, ref *float64, refLabel string) row {
	figure := fmt.Sprintf("events/s one chat sustains (agent socket, %d frames in flight%s)", window, where)
	if size > 1 {
		figure = fmt.Sprintf("events/s all chats sustain (%d chats, agent sockets, %d in flight each%s)", size, window, where)
	}
	return row{Figure: figure, Value: rate, Unit: "/s", Ref: ref, RefLabel: refLabel}
}

// uploadRow uploads uploadBytes to p, beside a bare upload; where says on
// what, when it is not the one SQLite process, and synced how the store
// makes the file durable before it answers.
func uploadRow(ctx context.Context, p *parley, where, synced string) ([]row, error) {
	logf("server: uploads of %d MB", uploadBytes/1_000_000)
	up, bare, durable, err := uploadThroughput(ctx, p)
	if err != nil {
		return nil, err
	}
	figure := fmt.Sprintf("upload of a %d MB file, POST files (median of %d%s; synced before it is acknowledged: %s)", uploadBytes/1_000_000, uploadRuns, where, synced)
	return []row{
		{Figure: figure, Value: up, Unit: "MB/s", Ref: new(bare), RefLabel: "bare net/http upload into io.Discard, same body"},
		{Figure: figure, Value: up, Unit: "MB/s", Ref: new(durable), RefLabel: "bare net/http upload into a file synced, renamed and its directory synced before the answer, same body and disk"},
	}, nil
}
