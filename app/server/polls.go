package server

import "sync"

// polls allows one Get New Chat Events per chat at a time, as the API does,
// and keeps each chat's cursor: the last event a poll returned. Cursors live
// in memory, so after a restart the API's polls start over from the first
// event; Parley's positioned polls (?after=N) do not depend on them.
type polls struct {
	mu      sync.Mutex
	waiting map[string]bool
	cursors map[string]uint64
}

// start reports whether no other poll waits on the chat, and if so marks
// this one as waiting until end.
func (p *polls) start(chatID string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.waiting == nil {
		p.waiting, p.cursors = map[string]bool{}, map[string]uint64{}
	}
	if p.waiting[chatID] {
		return false
	}
	p.waiting[chatID] = true
	return true
}

func (p *polls) end(chatID string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.waiting, chatID)
}

func (p *polls) cursor(chatID string) uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cursors[chatID]
}

func (p *polls) advance(chatID string, seq uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cursors[chatID] = max(p.cursors[chatID], seq)
}
