package chat

import (
	"context"
	"fmt"
	"sync"

	"github.com/parleychat/parley/protocol"
)

// MemoryStore is a Store that keeps everything in memory, for tests and
// throwaway demos. It holds events encoded, as a database would, so callers
// never share an event value with it.
type MemoryStore struct {
	mu     sync.Mutex
	chats  map[string]*memoryChat
	active map[credentials]string
}

type credentials struct{ appID, clientID string }

type memoryChat struct {
	chat   Chat
	events [][]byte
	keys   map[string]bool
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{chats: map[string]*memoryChat{}, active: map[credentials]string{}}
}

// OpenChat implements Store.
func (s *MemoryStore) OpenChat(_ context.Context, c Chat) (Chat, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	who := credentials{c.AppID, c.ClientID}
	if id, ok := s.active[who]; ok && !s.chats[id].chat.State.Over() {
		return s.chats[id].chat, false, nil
	}
	s.chats[c.ID] = &memoryChat{chat: c, keys: map[string]bool{}}
	s.active[who] = c.ID
	return c, true, nil
}

// Chat implements Store.
func (s *MemoryStore) Chat(_ context.Context, id string) (Chat, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	mc, ok := s.chats[id]
	if !ok {
		return Chat{}, ErrNotFound
	}
	return mc.chat, nil
}

// SetState implements Store.
func (s *MemoryStore) SetState(_ context.Context, id string, state protocol.ChatState) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	mc, ok := s.chats[id]
	if !ok {
		return ErrNotFound
	}
	mc.chat.State = state
	return nil
}

// Append implements Store.
func (s *MemoryStore) Append(_ context.Context, chatID string, entries []Entry) ([]protocol.Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	mc, ok := s.chats[chatID]
	if !ok {
		return nil, ErrNotFound
	}
	var stored []protocol.Event
	var encoded [][]byte
	keys := map[string]bool{}
	for _, e := range entries {
		if e.Key != "" && (mc.keys[e.Key] || keys[e.Key]) {
			continue
		}
		e.Event.EventMeta().Seq = uint64(len(mc.events) + len(encoded) + 1)
		data, err := protocol.MarshalEvent(e.Event)
		if err != nil {
			return nil, fmt.Errorf("storing %s: %w", e.Event.EventType(), err)
		}
		if e.Key != "" {
			keys[e.Key] = true
		}
		encoded = append(encoded, data)
		stored = append(stored, e.Event)
	}
	mc.events = append(mc.events, encoded...)
	for k := range keys {
		mc.keys[k] = true
	}
	return stored, nil
}

// Events implements Store.
func (s *MemoryStore) Events(_ context.Context, chatID string, after uint64, limit int) ([]protocol.Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	mc, ok := s.chats[chatID]
	if !ok {
		return nil, ErrNotFound
	}
	if after >= uint64(len(mc.events)) {
		return nil, nil
	}
	page := mc.events[after:]
	if len(page) > limit {
		page = page[:limit]
	}
	events := make([]protocol.Event, 0, len(page))
	for _, data := range page {
		e, err := protocol.UnmarshalEvent(data)
		if err != nil {
			return nil, fmt.Errorf("reading chat %s: %w", chatID, err)
		}
		events = append(events, e)
	}
	return events, nil
}

// Close implements Store.
func (s *MemoryStore) Close() error { return nil }
