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
