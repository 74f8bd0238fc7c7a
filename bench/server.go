package main

import (
	"context"
	"fmt"
	"time"
)

// Sizes and counts of the server suite.
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
	idleHold        = 35 * time.Second
	benchAgentParty = "agent-bench"
)

// serverSuite measures the parley program as a subprocess: one process for
// delivery, throughput and uploads, and a fresh one for the idle chats, so
// its memory holds nothing but them.
func serverSuite(ctx context.Context, cfg config) ([]row, error) {
	var rows []row
	p, err := startParley(ctx, cfg.parley, cfg.web, false)
	if err != nil {
		return nil, err
	}
	more, err := deliveryRows(ctx, p)
	rows = append(rows, more...)
	p.stop()
	if err != nil {
		return rows, err
	}

	p, err = startParley(ctx, cfg.parley, cfg.web, false)
	if err != nil {
		return rows, err
	}
	defer p.stop()
	more, err = idleChatRows(ctx, p, cfg.chats)
	return append(rows, more...), err
}

// deliveryRows measures one-way delivery, sustained events and uploads on p
// and their floors.
func deliveryRows(ctx context.Context, p *parley) ([]row, error) {
	var rows []row
	logf("server: one-way delivery, %d messages each way over %d chats", latencyMessages, latencyChats)
	chats, err := openChats(ctx, p, latencyChats, true)
	if err != nil {
		return nil, err
	}
	defer closeChats(chats)
	toAgent, err := oneWay(ctx, chats, latencyMessages, visitorToAgent, true)
	if err != nil {
		return nil, fmt.Errorf("visitor to agent: %w", err)
	}
	toVisitor, err := oneWay(ctx, chats, latencyMessages, agentToVisitor, true)
	if err != nil {
		return nil, fmt.Errorf("agent to visitor: %w", err)
	}
	logf("server: the bare coder/websocket relay")
	floorAB, floorBA, err := relayLatency(ctx, chats[0].visitor.chat.ChatID, relayBare)
	if err != nil {
		return nil, fmt.Errorf("the bare relay: %w", err)
	}
	logf("server: the relay that syncs each frame to a file first")
	durableAB, durableBA, err := relayLatency(ctx, chats[0].visitor.chat.ChatID, relayDurable)
	if err != nil {
		return nil, fmt.Errorf("the durable relay: %w", err)
	}
	for _, d := range []struct {
		name                  string
		parley, bare, durable []time.Duration
	}{
		{"visitor to agent", toAgent, floorAB, durableAB},
		{"agent to visitor", toVisitor, floorBA, durableBA},
	} {
		for _, q := range []float64{0.50, 0.99} {
			figure := fmt.Sprintf("delivery %s, p%02.0f (%d messages)", d.name, q*100, latencyMessages)
			value := ms(quantile(d.parley, q))
			rows = append(rows,
				row{
					Figure: figure, Value: value, Unit: "ms",
					Ref: new(ms(quantile(d.bare, q))), RefLabel: "bare coder/websocket relay, a process of its own",
				},
				row{
					Figure: figure, Value: value, Unit: "ms",
					Ref: new(ms(quantile(d.durable, q))), RefLabel: "the same relay, appending each frame to a file and fsyncing it before it forwards it",
				})
		}
	}

	noRef := "none: every event is stored first (SQLite WAL, synchronous=FULL) and fsynced"
	logf("server: events per second, one chat, agent socket, window %d", window)
	rate, _, err := sustained(ctx, p, 1, true)
	if err != nil {
		return rows, err
	}
	rows = append(rows, row{Figure: fmt.Sprintf("events/s one chat sustains (agent socket, %d frames in flight)", window), Value: rate, Unit: "/s", RefLabel: noRef})

	logf("server: events per second, %d chats in parallel", parallelChats)
	rate, _, err = sustained(ctx, p, parallelChats, true)
	if err != nil {
		return rows, err
	}
	rows = append(rows, row{Figure: fmt.Sprintf("events/s all chats sustain (%d chats, agent sockets, %d in flight each)", parallelChats, window), Value: rate, Unit: "/s", RefLabel: noRef})

	logf("server: events per second, one visitor")
	rate, refused, err := sustained(ctx, p, 1, false)
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

	logf("server: uploads of %d MB", uploadBytes/1_000_000)
	up, bare, err := uploadThroughput(ctx, p)
	if err != nil {
		return rows, err
	}
	rows = append(rows, row{
		Figure: fmt.Sprintf("upload of a %d MB file, POST files (median of %d)", uploadBytes/1_000_000, uploadRuns),
		Value:  up, Unit: "MB/s",
		Ref: new(bare), RefLabel: "bare net/http upload into io.Discard, same body",
	})
	return rows, nil
}
