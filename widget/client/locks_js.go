//go:build js && wasm

package client

import (
	"context"
	"syscall/js"
)

// webLocks are the Web Locks API's (navigator.locks), which the browser
// shares among the pages of the window's origin and site. A browser
// without them (an old one, a page that is not a secure context) or that
// refuses them lets every page through: each page's outbox has a key of
// its own anyway, and an outbox sent by two pages is stored once, since the
// server drops a true resend.
type webLocks struct{}

// Lock implements Locks.
func (webLocks) Lock(ctx context.Context, name string, try bool) (release func(), ok bool) {
	var locks js.Value
	if !tryJS(func() { locks = jsProperty(jsProperty(js.Global(), "navigator"), "locks") }) || locks.Type() != js.TypeObject {
		return func() {}, true
	}
	type outcome struct {
		resolve js.Value // gives the lock back; undefined if none was granted
		granted bool
	}
	done := make(chan outcome, 1)
	var executor, granted, refused js.Func
	// The lock is held until the promise the callback returns resolves.
	executor = js.FuncOf(func(_ js.Value, args []js.Value) any {
		done <- outcome{resolve: args[0], granted: true}
		return nil
	})
	granted = js.FuncOf(func(_ js.Value, args []js.Value) any {
		if args[0].IsNull() {
			done <- outcome{} // ifAvailable, and another page holds it
			return nil
		}
		return js.Global().Get("Promise").New(executor)
	})
	refused = js.FuncOf(func(js.Value, []js.Value) any {
		select {
		case done <- outcome{granted: true}:
		default:
		}
		return nil
	})
	free := func() {
		executor.Release()
		granted.Release()
		refused.Release()
	}
	abort := js.Global().Get("AbortController").New()
	options := map[string]any{"ifAvailable": try}
	if !try {
		options["signal"] = abort.Get("signal")
	}
	if !tryJS(func() { locks.Call("request", name, options, granted).Call("catch", refused) }) {
		free()
		return func() {}, true
	}
	select {
	case o := <-done:
		if !o.granted {
			free()
			return nil, false
		}
		return func() {
			if o.resolve.Type() == js.TypeFunction {
				o.resolve.Invoke()
			}
			free()
		}, true
	case <-ctx.Done():
		abort.Call("abort")
		return nil, false
	}
}
