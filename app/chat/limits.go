package chat

import (
	"sync"
	"time"
)

// limiter is a token bucket per chat.
type limiter struct {
	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// allow takes n tokens from the chat's bucket, which fills at rate a second
// up to burst, and reports whether there were enough.
func (l *limiter) allow(chatID string, n int, rate float64, burst int, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.buckets == nil {
		l.buckets = map[string]*bucket{}
	}
	b, ok := l.buckets[chatID]
	if !ok {
		b = &bucket{tokens: float64(burst), last: now}
		l.buckets[chatID] = b
		l.forgetFull(now, rate, burst)
	}
	b.tokens = min(float64(burst), b.tokens+now.Sub(b.last).Seconds()*rate)
	b.last = now
	if b.tokens < float64(n) {
		return false
	}
	b.tokens -= float64(n)
	return true
}

// forgetFull drops buckets that have refilled, which are the same as no
// bucket, so the map holds only chats that were busy lately.
func (l *limiter) forgetFull(now time.Time, rate float64, burst int) {
	if len(l.buckets) < 1024 {
		return
	}
	for id, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*rate >= float64(burst) {
			delete(l.buckets, id)
		}
	}
}
