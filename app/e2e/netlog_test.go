package e2e

import (
	"context"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// netLog records the network events of a target in the order they come.
type netLog struct {
	mu     sync.Mutex
	events []any
}

// logNetwork starts recording the network of the target of ctx.
func logNetwork(t *testing.T, ctx context.Context) *netLog {
	t.Helper()
	l := &netLog{}
	if err := chromedp.Listen(ctx, func(ev any) {
		switch ev.(type) {
		case *network.EventRequestWillBeSent, *network.EventLoadingFinished, *network.EventLoadingFailed,
			*network.EventWebSocketFrameSent, *network.EventWebSocketCreated, *network.EventResponseReceived:
			l.mu.Lock()
			l.events = append(l.events, ev)
			l.mu.Unlock()
		}
	}); err != nil {
		t.Fatalf("listening to the network: %v", err)
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("enabling the network domain: %v", err)
	}
	return l
}

// snapshot returns the events recorded so far.
func (l *netLog) snapshot() []any {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]any(nil), l.events...)
}

// requests are the URLs of the requests recorded so far, in order.
func (l *netLog) requests() []string {
	var urls []string
	for _, ev := range l.snapshot() {
		if r, ok := ev.(*network.EventRequestWillBeSent); ok {
			urls = append(urls, r.Request.Method+" "+r.Request.URL)
		}
	}
	return urls
}
