package parleytest

import (
	"context"
	"testing"
	"time"
)

// Eventually waits until cond holds, checking it every 5 ms, for what no
// update announces (a store, a fake's devices); the test fails when ctx ends
// first.
func Eventually(ctx context.Context, tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-tick.C:
		case <-ctx.Done():
			tb.Fatalf("waiting for %s: %v", what, ctx.Err())
		}
	}
}
