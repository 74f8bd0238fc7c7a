package chat

import (
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

// budget is a kind of visitor event with a rate limit of its own, so that
// receipts, typing and call signals never use up what the visitor's
// messages need.
type budget int

const (
	// budgetMessages: everything that is stored and is not a receipt.
	budgetMessages budget = iota
	budgetReceipts
	budgetTyping
	budgetSignaling
	budgets
)

// String names the budget's events for an error message.
func (b budget) String() string {
	return [budgets]string{"messages", "receipts", "typing events", "call signals"}[b]
}

// budgetOf says which budget an event uses.
func budgetOf(e protocol.Event) budget {
	switch e.(type) {
	case *protocol.MessageDelivered, *protocol.MessageRead:
		return budgetReceipts
	case *protocol.Typing, *protocol.NotTyping:
		return budgetTyping
	case *protocol.Signaling:
		return budgetSignaling
	}
	return budgetMessages
}

// limiter keeps a token bucket per chat and budget.
type limiter struct {
	mu    sync.Mutex
	chats map[string]*[budgets]*rate.Limiter
}

// allow takes need[b] tokens from each budget b of the chat, whose buckets
// follow limits, all or none, and reports the first budget that had too few.
func (l *limiter) allow(chatID string, need [budgets]int, limits [budgets]Limit, now time.Time) (short budget, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.chats == nil {
		l.chats = map[string]*[budgets]*rate.Limiter{}
	}
	buckets, found := l.chats[chatID]
	if !found {
		l.forgetFull(now)
		buckets = new([budgets]*rate.Limiter)
		for b, lim := range limits {
			buckets[b] = rate.NewLimiter(rate.Limit(lim.Rate), lim.Burst)
		}
		l.chats[chatID] = buckets
	}
	for b, n := range need {
		if n > 0 && buckets[b].TokensAt(now) < float64(n) {
			return budget(b), false
		}
	}
	for b, n := range need {
		if n > 0 {
			buckets[b].AllowN(now, n)
		}
	}
	return 0, true
}

// forgetFull drops the chats whose buckets have all refilled, which are the
// same as no buckets, so the map holds only chats that were busy lately.
func (l *limiter) forgetFull(now time.Time) {
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
