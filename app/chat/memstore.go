package chat

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
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
	chat Chat
	// events holds each stored event encoded; its seq is its index + 1.
	events [][]byte
	keys   map[string]bool
	files  map[string]memoryFile
	// upstream is what the upstream bridge keeps of the chat, nil for a
	// chat it does not bridge; boxes are its queues, whose entries are
	// numbered by their index + 1.
	upstream *Upstream
	boxes    map[Box][]Queued
}

type memoryFile struct {
	meta File
	body []byte
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
	s.chats[c.ID] = &memoryChat{chat: c, keys: map[string]bool{}, files: map[string]memoryFile{}}
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

// ActiveChat implements Store.
func (s *MemoryStore) ActiveChat(_ context.Context, appID, clientID string) (Chat, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.active[credentials{appID, clientID}]
	if !ok || s.chats[id].chat.State.Over() {
		return Chat{}, ErrNotFound
	}
	return s.chats[id].chat, nil
}

// OpenChats implements Store.
func (s *MemoryStore) OpenChats(context.Context) ([]Chat, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var open []Chat
	for _, mc := range s.chats {
		if !mc.chat.State.Over() {
			open = append(open, mc.chat)
		}
	}
	sortByCreation(open)
	return open, nil
}

// Assign implements Store.
func (s *MemoryStore) Assign(_ context.Context, id, agent string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	mc, ok := s.chats[id]
	if !ok {
		return ErrNotFound
	}
	_, err := mc.chat.Assign(agent)
	return err
}

// SetPollCursor implements Store.
func (s *MemoryStore) SetPollCursor(_ context.Context, id string, seq uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	mc, ok := s.chats[id]
	if !ok {
		return ErrNotFound
	}
	mc.chat.PollCursor = seq
	return nil
}

// SetNotifications implements Store.
func (s *MemoryStore) SetNotifications(_ context.Context, id string, sub protocol.NotificationSubscription) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	mc, ok := s.chats[id]
	if !ok {
		return ErrNotFound
	}
	mc.chat.Notifications = sub
	return nil
}

// CaseChats implements Store.
func (s *MemoryStore) CaseChats(_ context.Context, caseID string) ([]Chat, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var linked []Chat
	for _, mc := range s.chats {
		if caseID != "" && mc.chat.CaseID == caseID {
			linked = append(linked, mc.chat)
		}
	}
	sortByCreation(linked)
	return linked, nil
}

// Append implements Store.
func (s *MemoryStore) Append(_ context.Context, chatID string, entries []Entry) ([]protocol.Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	mc, ok := s.chats[chatID]
	if !ok {
		return nil, ErrNotFound
	}
	chat := mc.chat
	if err := chat.CheckAgents(entries); err != nil {
		return nil, err
	}
	var stored []protocol.Event
	var encoded [][]byte
	keys := map[string]bool{}
	var err error
	for _, e := range entries {
		if chat.State.Over() {
			err = ErrOver
			break
		}
		if e.Key != "" && (mc.keys[e.Key] || keys[e.Key]) {
			continue
		}
		e.Event.EventMeta().Seq = chat.LastSeq + 1
		data, err := protocol.MarshalEvent(e.Event)
		if err != nil {
			return nil, fmt.Errorf("storing %s: %w", e.Event.EventType(), err)
		}
		if e.Key != "" {
			keys[e.Key] = true
		}
		chat.Apply(e.Event)
		encoded = append(encoded, data)
		stored = append(stored, e.Event)
	}
	mc.chat = chat
	mc.events = append(mc.events, encoded...)
	for k := range keys {
		mc.keys[k] = true
	}
	return stored, err
}

// Events implements Store.
func (s *MemoryStore) Events(_ context.Context, chatID string, after uint64, limit int) ([]protocol.Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	mc, ok := s.chats[chatID]
	if !ok {
		return nil, ErrNotFound
	}
	if after >= uint64(len(mc.events)) || limit < 1 {
		return nil, nil
	}
	page := mc.events[after:]
	if len(page) > limit {
		page = page[:limit]
	}
	events := make([]protocol.Event, 0, len(page))
	for i, data := range page {
		e, err := protocol.UnmarshalEvent(data)
		if err != nil {
			return nil, fmt.Errorf("reading chat %s: %w", chatID, err)
		}
		// Unknown events are kept as they arrived, without their seq.
		e.EventMeta().Seq = after + uint64(i) + 1
		events = append(events, e)
	}
	return events, nil
}

// PutFile implements Store.
func (s *MemoryStore) PutFile(_ context.Context, f File, body io.Reader) error {
	data, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	mc, ok := s.chats[f.ChatID]
	if !ok {
		return ErrNotFound
	}
	f.Size = int64(len(data))
	mc.files[f.ID] = memoryFile{meta: f, body: data}
	return nil
}

// OpenFile implements Store.
func (s *MemoryStore) OpenFile(_ context.Context, chatID, id string) (File, io.ReadSeekCloser, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	mc, ok := s.chats[chatID]
	if !ok {
		return File{}, nil, ErrNotFound
	}
	f, ok := mc.files[id]
	if !ok {
		return File{}, nil, ErrNotFound
	}
	return f.meta, nopCloser{bytes.NewReader(f.body)}, nil
}

// OpenFileByID implements Store.
func (s *MemoryStore) OpenFileByID(ctx context.Context, id string) (File, io.ReadSeekCloser, error) {
	s.mu.Lock()
	var chatID string
	for cid, mc := range s.chats {
		if _, ok := mc.files[id]; ok {
			chatID = cid
		}
	}
	s.mu.Unlock()
	if chatID == "" {
		return File{}, nil, ErrNotFound
	}
	return s.OpenFile(ctx, chatID, id)
}

// CountFiles implements Store.
func (s *MemoryStore) CountFiles(_ context.Context, chatID, partyID string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	mc, ok := s.chats[chatID]
	if !ok {
		return 0, ErrNotFound
	}
	n := 0
	for _, f := range mc.files {
		if f.meta.PartyID == partyID {
			n++
		}
	}
	return n, nil
}

// SaveUpstream implements Store.
func (s *MemoryStore) SaveUpstream(_ context.Context, u Upstream) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	mc, ok := s.chats[u.ChatID]
	if !ok {
		return ErrNotFound
	}
	mc.upstream = &u
	return nil
}

// Upstream implements Store.
func (s *MemoryStore) Upstream(_ context.Context, chatID string) (Upstream, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	mc, ok := s.chats[chatID]
	if !ok || mc.upstream == nil {
		return Upstream{}, ErrNotFound
	}
	return *mc.upstream, nil
}

// Enqueue implements Store.
func (s *MemoryStore) Enqueue(_ context.Context, chatID string, box Box, entries []Queued) ([]Queued, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	mc, ok := s.chats[chatID]
	if !ok {
		return nil, ErrNotFound
	}
	if mc.boxes == nil {
		mc.boxes = map[Box][]Queued{}
	}
	queue := mc.boxes[box]
	var added []Queued
	for _, e := range entries {
		if e.Key != "" && slices.ContainsFunc(queue, func(q Queued) bool { return q.Key == e.Key }) {
			continue
		}
		e.N = uint64(len(queue)) + 1
		e.Body = slices.Clone(e.Body)
		queue = append(queue, e)
		added = append(added, e)
	}
	mc.boxes[box] = queue
	return added, nil
}

// Queue implements Store.
func (s *MemoryStore) Queue(_ context.Context, chatID string, box Box, after uint64, limit int) ([]Queued, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	mc, ok := s.chats[chatID]
	if !ok {
		return nil, ErrNotFound
	}
	queue := mc.boxes[box]
	if after >= uint64(len(queue)) || limit < 1 {
		return nil, nil
	}
	page := queue[after:min(uint64(len(queue)), after+uint64(limit))]
	out := make([]Queued, len(page))
	for i, q := range page {
		out[i] = Queued{N: q.N, Body: slices.Clone(q.Body), Key: q.Key}
	}
	return out, nil
}

// Close implements Store.
func (s *MemoryStore) Close() error { return nil }

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

func sortByCreation(chats []Chat) {
	slices.SortFunc(chats, func(a, b Chat) int { return a.Created.Compare(b.Created) })
}
