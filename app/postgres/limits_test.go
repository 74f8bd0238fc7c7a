package postgres_test

import (
	"testing"
	"time"

	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/app/postgres/pgtest"
)

// TestProcessesShareOneBudget gives two processes' limiters one bucket of
// five messages: the sixth is refused whichever process it reaches, and
// the bucket refills at its rate.
func TestProcessesShareOneBudget(t *testing.T) {
	t.Parallel()
	database := pgtest.Database(t)
	here, there := mustOpenFor(t, database).Limiter(), mustOpenFor(t, database).Limiter()
	limits := [chat.Budgets]chat.Limit{{Rate: 1, Burst: 5}, {Rate: 1, Burst: 1}, {Rate: 1, Burst: 1}, {Rate: 1, Burst: 1}}
	var messages [chat.Budgets]int
	messages[chat.BudgetMessages] = 1
	now := time.Unix(1_800_000_000, 0)
	for i, l := range []chat.Limiter{here, there, here, there, here} {
		if _, ok, err := l.Allow(t.Context(), "chat", messages, limits, now); err != nil || !ok {
			t.Fatalf("message %d: %v, %v; want it taken", i+1, ok, err)
		}
	}
	short, ok, err := there.Allow(t.Context(), "chat", messages, limits, now)
	if err != nil || ok || short != chat.BudgetMessages {
		t.Errorf("the sixth message: %v, %v, %v; want it refused on the messages' budget", short, ok, err)
	}
	var receipts [chat.Budgets]int
	receipts[chat.BudgetReceipts] = 1
	if _, ok, err := here.Allow(t.Context(), "chat", receipts, limits, now); err != nil || !ok {
		t.Errorf("a receipt: %v, %v; want it taken from a budget of its own", ok, err)
	}
	if _, ok, err := here.Allow(t.Context(), "other chat", messages, limits, now); err != nil || !ok {
		t.Errorf("another chat's message: %v, %v; want it taken", ok, err)
	}
	if _, ok, err := here.Allow(t.Context(), "chat", messages, limits, now.Add(2*time.Second)); err != nil || !ok {
		t.Errorf("two seconds later: %v, %v; want the refilled bucket to take it", ok, err)
	}
}

// TestOneLeaseHolderAtATime leases one name from two processes.
func TestOneLeaseHolderAtATime(t *testing.T) {
	t.Parallel()
	database := pgtest.Database(t)
	here, there := mustOpenFor(t, database).Leases(), mustOpenFor(t, database).Leases()
	release, ok, err := here.Lease(t.Context(), "poll chat", time.Minute)
	if err != nil || !ok {
		t.Fatalf("the first lease: %v, %v", ok, err)
	}
	if _, ok, err := there.Lease(t.Context(), "poll chat", time.Minute); err != nil || ok {
		t.Errorf("a second holder: %v, %v; want it refused", ok, err)
	}
	if release, ok, err := there.Lease(t.Context(), "poll other chat", time.Minute); err != nil || !ok {
		t.Errorf("another name: %v, %v; want it leased", ok, err)
	} else {
		release()
	}
	release()
	release, ok, err = there.Lease(t.Context(), "poll chat", 50*time.Millisecond)
	if err != nil || !ok {
		t.Fatalf("after the release: %v, %v; want it leased", ok, err)
	}
	defer release()
	// A holder that never gives it back loses it when its time is up.
	deadline := time.Now().Add(10 * time.Second)
	for {
		takeover, ok, err := here.Lease(t.Context(), "poll chat", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			takeover()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a lease whose time ran out was never taken over")
		}
		<-time.After(20 * time.Millisecond)
	}
}
