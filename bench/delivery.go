package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/coder/websocket"
)

// oneWay sends n messages one at a time, round robin over the chats, and
// measures each from the write on one socket to its arrival on the other.
// When the server answers frames, the answer (ref) is awaited too, so no
// message overlaps the next.
func oneWay(ctx context.Context, chats []*chatPair, n int, dir direction, answered bool) ([]time.Duration, error) {
	lat := make([]time.Duration, 0, n)
	for i := range n {
		text := fmt.Sprintf("bench message %d", i)
		from, to, ref, frame, err := dir(chats[i%len(chats)], i, text)
		if err != nil {
			return nil, err
		}
		start := time.Now()
		if err := from.conn.Write(ctx, websocket.MessageText, frame); err != nil {
			return nil, err
		}
		got, err := to.next(ctx, carries(text))
		if err != nil {
			return nil, fmt.Errorf("message %d: %w", i, err)
		}
		lat = append(lat, got.at.Sub(start))
		if !answered {
			continue
		}
		answer, err := from.next(ctx, answers(ref))
		if err != nil {
			return nil, fmt.Errorf("the answer to message %d: %w", i, err)
		}
		if answer.env.Error != nil {
			return nil, fmt.Errorf("message %d refused: %w", i, answer.env.Error)
		}
	}
	return lat, nil
}

func quantile(d []time.Duration, q float64) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// latencies are one-way delivery times, each way.
type latencies struct {
	toAgent, toVisitor []time.Duration
}

// deliveryLatency sends latencyMessages each way over the chats, which an
// agent has taken, and measures them.
func deliveryLatency(ctx context.Context, chats []*chatPair) (latencies, error) {
	var l latencies
	var err error
	if l.toAgent, err = oneWay(ctx, chats, latencyMessages, visitorToAgent, true); err != nil {
		return l, fmt.Errorf("visitor to agent: %w", err)
	}
	if l.toVisitor, err = oneWay(ctx, chats, latencyMessages, agentToVisitor, true); err != nil {
		return l, fmt.Errorf("agent to visitor: %w", err)
	}
	return l, nil
}

// relayFloor is a relay's latencies and what it is, for the table.
type relayFloor struct {
	label string
	latencies
}

// relayLabels say what each relay is.
var relayLabels = map[string]string{
	relayBare:     "bare coder/websocket relay, a process of its own",
	relayFsync:    "the same relay, appending each frame to a file and fsyncing it before it forwards it",
	relayPostgres: "the same relay, committing each frame into PostgreSQL (same cluster) before it forwards it",
}

// relayFloors measures the relays of the modes, one after the other, with
// env added to their environment.
func relayFloors(ctx context.Context, chatID string, env []string, modes ...string) ([]relayFloor, error) {
	var floors []relayFloor
	for _, mode := range modes {
		logf("floor: the %s relay", mode)
		ab, ba, err := relayLatency(ctx, chatID, mode, env...)
		if err != nil {
			return nil, fmt.Errorf("the %s relay: %w", mode, err)
		}
		floors = append(floors, relayFloor{relayLabels[mode], latencies{ab, ba}})
	}
	return floors, nil
}

// deliveryRows are the p50 and p99 of each way beside each floor's. where
// says where the visitor and the agent were, when it is not the one SQLite
// process.
func deliveryRows(where string, got latencies, floors []relayFloor) []row {
	var rows []row
	for _, way := range []struct {
		name string
		of   func(latencies) []time.Duration
	}{
		{"visitor to agent", func(l latencies) []time.Duration { return l.toAgent }},
		{"agent to visitor", func(l latencies) []time.Duration { return l.toVisitor }},
	} {
		for _, q := range []float64{0.50, 0.99} {
			figure := fmt.Sprintf("delivery %s, p%02.0f (%d messages%s)", way.name, q*100, latencyMessages, where)
			value := ms(quantile(way.of(got), q))
			for _, f := range floors {
				rows = append(rows, row{
					Figure: figure, Value: value, Unit: "ms",
					Ref: new(ms(quantile(way.of(f.latencies), q))), RefLabel: f.label,
				})
			}
		}
	}
	return rows
}
