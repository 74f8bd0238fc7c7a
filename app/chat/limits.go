package chat

import (
	"context"
	"math"
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

// RateLimitedError refuses events over their budget's rate: the API's
// CodeRateLimited error, and RetryAfter, by when the budget takes them at
// the latest. errors.As finds the *protocol.Error in it.
type RateLimitedError struct {
	Refusal    *protocol.Error
	RetryAfter time.Duration
}

func (e *RateLimitedError) Error() string { return e.Refusal.Error() }

func (e *RateLimitedError) Unwrap() error { return e.Refusal }

// rateLimited is the refusal of need events over limit, which an empty
// bucket takes need/Rate seconds to hold.
func rateLimited(budget Budget, need int, limit Limit) *RateLimitedError {
	wait := time.Duration(math.MaxInt64)
	if limit.Rate > 0 && float64(need)/limit.Rate < wait.Seconds() {
		wait = time.Duration(float64(need) / limit.Rate * float64(time.Second))
	}
	return &RateLimitedError{
		Refusal:    protocol.Errorf(protocol.CodeRateLimited, "more than %g %s a second; slow down", limit.Rate, budget),
		RetryAfter: wait,
	}
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
