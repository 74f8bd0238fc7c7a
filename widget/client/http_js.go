//go:build js && wasm

package client

import (
	"context"
	"errors"
	"syscall/js"
)

// request sends an HTTP request with the browser's fetch. Go's own HTTP
// client would work too, but it links a whole HTTP/1 and HTTP/2 client into
// the wasm: five more megabytes that fetch already does.
func request(ctx context.Context, method, url string, header map[string]string, body []byte) (response, error) {
	headers := make(map[string]any, len(header))
	for k, v := range header {
		headers[k] = v
	}
	abort := js.Global().Get("AbortController").New()
	init := map[string]any{
		"method":      method,
		"headers":     headers,
		"credentials": "same-origin",
		"cache":       "no-store",
		"signal":      abort.Get("signal"),
	}
	if body != nil {
		init["body"] = string(body)
	}
	resp, err := await(ctx, abort, js.Global().Call("fetch", url, init))
	if err != nil {
		return response{}, err
	}
	text, err := await(ctx, abort, resp.Call("text"))
	if err != nil {
		return response{}, err
	}
	date := resp.Get("headers").Call("get", "Date")
	r := response{status: resp.Get("status").Int(), body: []byte(text.String())}
	if date.Type() == js.TypeString {
		r.date = date.String()
	}
	return r, nil
}

// await waits for a JavaScript promise, aborting the request when ctx ends.
func await(ctx context.Context, abort, promise js.Value) (js.Value, error) {
	done := make(chan struct{})
	var result js.Value
	var failure error
	resolve := js.FuncOf(func(_ js.Value, args []js.Value) any {
		result = args[0]
		close(done)
		return nil
	})
	defer resolve.Release()
	reject := js.FuncOf(func(_ js.Value, args []js.Value) any {
		failure = errors.New(args[0].Call("toString").String())
		close(done)
		return nil
	})
	defer reject.Release()
	promise.Call("then", resolve, reject)
	select {
	case <-done:
		return result, failure
	case <-ctx.Done():
		abort.Call("abort")
		<-done
		return js.Value{}, ctx.Err()
	}
}
