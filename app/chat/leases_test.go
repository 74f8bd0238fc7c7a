package chat

import (
	"testing"
	"time"
)

func TestMemoryLeases(t *testing.T) {
	t.Parallel()
	var l memoryLeases
	release, ok, err := l.Lease(t.Context(), "poll chat", time.Minute)
	if err != nil || !ok {
		t.Fatalf("the first lease: %v, %v", ok, err)
	}
	if _, ok, _ := l.Lease(t.Context(), "poll chat", time.Minute); ok {
		t.Error("a second holder got the lease")
	}
	release()
	if _, ok, _ := l.Lease(t.Context(), "poll chat", -time.Second); !ok {
		t.Error("a released lease was not given again")
	}
	if _, ok, _ := l.Lease(t.Context(), "poll chat", time.Minute); !ok {
		t.Error("a lease whose time ran out was not taken over")
	}
}
