package client

import (
	"encoding/json"
	"slices"
	"strings"
	"sync"
)

// Memory keeps what must outlive the page, shared by the pages of one
// browser as localStorage is. Browsers can refuse storage (a visitor who
// blocks all cookies); an implementation then keeps what it is given for
// the page's life, and says nothing.
type Memory interface {
	// Get reads the value under key into v; a missing key leaves v as it
	// is.
	Get(key string, v any) error
	Set(key string, v any) error
	Del(key string)
	// Keys lists the keys that start with prefix, sorted.
	Keys(prefix string) []string
}

// PageMemory is a Memory for one page only: the fallback when a browser
// refuses storage, and a page's memory in Go programs and tests.
type PageMemory struct {
	mu   sync.Mutex
	data map[string][]byte
}

// NewPageMemory returns an empty PageMemory.
func NewPageMemory() *PageMemory { return &PageMemory{data: map[string][]byte{}} }

// Get implements Memory.
func (m *PageMemory) Get(key string, v any) error {
	m.mu.Lock()
	data, ok := m.data[key]
	m.mu.Unlock()
	if !ok {
		return nil
	}
	return json.Unmarshal(data, v)
}

// Set implements Memory.
func (m *PageMemory) Set(key string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.data[key] = data
	return nil
}

// Del implements Memory.
func (m *PageMemory) Del(key string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.data, key)
}

// Keys implements Memory.
func (m *PageMemory) Keys(prefix string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var keys []string
	for k := range m.data {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}
