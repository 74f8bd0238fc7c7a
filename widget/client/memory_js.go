//go:build js && wasm

package client

import (
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"syscall/js"
)

// browserMemory is the browser's localStorage as a Memory. A browser may
// refuse storage: a visitor who blocks all cookies makes every use of it
// throw. From the first refusal on, it keeps what it is given in the
// page's memory instead, so the chat works for the page's life.
type browserMemory struct {
	page *PageMemory

	mu      sync.Mutex
	refused bool
}

func newBrowserMemory() *browserMemory { return &browserMemory{page: NewPageMemory()} }

// use runs f with localStorage and reports whether the browser let it.
func (m *browserMemory) use(f func(storage js.Value)) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.refused {
		return false
	}
	present := false
	ok := tryJS(func() {
		storage := jsProperty(js.Global(), "localStorage")
		if present = storage.Type() == js.TypeObject; present {
			f(storage)
		}
	})
	m.refused = !ok || !present
	return !m.refused
}

// Get implements Memory.
func (m *browserMemory) Get(key string, v any) error {
	var item js.Value
	if !m.use(func(s js.Value) { item = s.Call("getItem", key) }) {
		return m.page.Get(key, v)
	}
	if item.Type() != js.TypeString {
		return nil
	}
	return json.Unmarshal([]byte(item.String()), v)
}

// Set implements Memory.
func (m *browserMemory) Set(key string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if !m.use(func(s js.Value) { s.Call("setItem", key, string(data)) }) {
		return m.page.Set(key, v)
	}
	return nil
}

// Del implements Memory.
func (m *browserMemory) Del(key string) {
	if !m.use(func(s js.Value) { s.Call("removeItem", key) }) {
		m.page.Del(key)
	}
}

// Keys implements Memory.
func (m *browserMemory) Keys(prefix string) []string {
	var keys []string
	if !m.use(func(s js.Value) {
		for i := range jsProperty(s, "length").Int() {
			if k := s.Call("key", i); k.Type() == js.TypeString && strings.HasPrefix(k.String(), prefix) {
				keys = append(keys, k.String())
			}
		}
	}) {
		return m.page.Keys(prefix)
	}
	slices.Sort(keys)
	return keys
}

// jsProperty reads a property that may throw (window.localStorage does when
// storage is refused). Go's Value.Get cannot: a JavaScript exception in a
// getter stops the whole Go program. Called through Reflect.get, it
// panics with a js.Error that tryJS recovers.
func jsProperty(v js.Value, name string) js.Value {
	return js.Global().Get("Reflect").Call("get", v, name)
}

// tryJS runs f and reports whether it ran without a JavaScript exception.
func tryJS(f func()) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			if _, isJS := r.(js.Error); !isJS {
				panic(r)
			}
			ok = false
		}
	}()
	f()
	return true
}

// PageStorage is where a window keeps what outlives the page: the
// browser's localStorage and Web Locks.
func PageStorage() (Memory, Locks) { return newBrowserMemory(), webLocks{} }
