package chat

import (
	"context"
	"sync"
	"time"

	"github.com/parleychat/parley/protocol"
	"golang.org/x/time/rate"
)

// Limit is a token bucket: Rate events a second on average, Burst at once.
type Limit struct {
	Rate  float64
	Burst int
}

// Budget is a kind of visitor event with a rate limit of its own, so that
// receipts, typing and call signals never use up what the visitor's
// messages need.
type Budget int

// The budgets, and their number.
const (
	// BudgetMessages: everything that is stored and is not a receipt.
	BudgetMessages Budget = iota
	BudgetReceipts
	BudgetTyping
	BudgetSignaling
	Budgets
)

// String names the budget's events for an error message.
func (b Budget) String() string {
	return [Budgets]string{"messages", "receipts", "typing events", "call signals"}[b]
}

// budgetOf says which budget an event uses.
func budgetOf(e protocol.Event) Budget {
	switch e.(type) {
	case *protocol.MessageDelivered, *protocol.MessageRead:
		return BudgetReceipts
	case *protocol.Typing, *protocol.NotTyping:
		return BudgetTyping
	case *protocol.Signaling:
		return BudgetSignaling
	}
	return BudgetMessages
}

// Limiter keeps the visitors' rate limits: a token bucket per chat and
// budget. The Service's default keeps them in memory, which holds for one
// process; processes that share a database share their buckets through it
// (see app/postgres), so a visitor gets the same budget whichever process
// a request reaches.
type Limiter interface {
	// Allow takes need[b] tokens from each budget b of the chat, whose
	// buckets follow limits, all or none, and reports the first budget
	// that had too few.
	Allow(ctx context.Context, chatID string, need [Budgets]int, limits [Budgets]Limit, now time.Time) (short Budget, ok bool, err error)
}

// memoryLimiter is the Limiter of one process.
type memoryLimiter struct {
	mu    sync.Mutex
	chats map[string]*[Budgets]*rate.Limiter
}

// Allow implements Limiter.
func (l *memoryLimiter) Allow(_ context.Context, chatID string, need [Budgets]int, limits [Budgets]Limit, now time.Time) (short Budget, ok bool, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.chats == nil {
		l.chats = map[string]*[Budgets]*rate.Limiter{}
	}
	buckets, found := l.chats[chatID]
	if !found {
		l.forgetFull(now)
		buckets = new([Budgets]*rate.Limiter)
		for b, lim := range limits {
			buckets[b] = rate.NewLimiter(rate.Limit(lim.Rate), lim.Burst)
		}
		l.chats[chatID] = buckets
	}
	for b, n := range need {
		if n > 0 && buckets[b].TokensAt(now) < float64(n) {
			return Budget(b), false, nil
		}
	}
	for b, n := range need {
		if n > 0 {
			buckets[b].AllowN(now, n)
		}
	}
	return 0, true, nil
}

// forgetFull drops the chats whose buckets have all refilled, which are the
// same as no buckets, so the map holds only chats that were busy lately.
func (l *memoryLimiter) forgetFull(now time.Time) {
	if len(l.chats) < 1024 {
		return
	}
	for id, buckets := range l.chats {
		full := true
		for _, b := range buckets {
			full = full && b.TokensAt(now) >= float64(b.Burst())
		}
		if full {
			delete(l.chats, id)
		}
	}
}
