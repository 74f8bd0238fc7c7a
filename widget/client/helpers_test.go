// The tests that start a server run natively: the server does not build for
// js/wasm.

//go:build !js

package client_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/protocol"
	"github.com/parleychat/parley/widget/client"
)

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// pagesConfig is a session of a visitor whose pages share storage and
// locks, as the tabs of one browser do, and who has no id yet.
func pagesConfig(baseURL string, memory client.Memory, locks client.Locks) client.Config {
	cfg := parleytest.VisitorConfig(baseURL)
	cfg.Credentials.ClientID = ""
	cfg.Memory, cfg.Locks = memory, locks
	return cfg
}

func subscribe(ctx context.Context, t *testing.T, chats *chat.Service, chatID string) *chat.Subscription {
	t.Helper()
	sub, err := chats.Subscribe(ctx, chatID, protocol.Position{}, "agent-1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sub.Close)
	return sub
}

// visitorMessages reads the subscription until it has seen n visitor
// messages, and returns their texts.
func visitorMessages(ctx context.Context, t *testing.T, sub *chat.Subscription, chatID string, n int) []string {
	t.Helper()
	var texts []string
	for len(texts) < n {
		env, err := sub.Next(ctx)
		if err != nil {
			t.Fatalf("after %d of %d messages: %v", len(texts), n, err)
		}
		for _, e := range env.Events {
			if m, ok := e.(*protocol.Message); ok && m.PartyID == chatID {
				texts = append(texts, m.Msg)
			}
		}
	}
	return texts
}

// history waits until the chat holds n events and returns them.
func history(ctx context.Context, t *testing.T, srv *parleytest.Server, chatID string, n int) []protocol.Event {
	t.Helper()
	for {
		events, err := srv.Chats.History(ctx, chatID, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(events) >= n {
			return events
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the chat holds %d events, want %d", len(events), n)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// startNetwork starts a quiet server and a network in front of it, which
// the test cuts, blocks or makes lose traffic.
func startNetwork(t *testing.T) (*parleytest.Server, *parleytest.Network) {
	t.Helper()
	srv := parleytest.Start(t, parleytest.Quiet())
	return srv, parleytest.StartNetwork(t, strings.TrimPrefix(srv.URL, "http://"))
}

// startFront starts a server in front of srv that first hands each request
// to intercept, and forwards it to srv unless intercept answered it. It
// returns the front's URL.
func startFront(t *testing.T, srv *parleytest.Server, intercept func(w http.ResponseWriter, r *http.Request) (answered bool)) string {
	t.Helper()
	target, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	forward := httputil.NewSingleHostReverseProxy(target)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !intercept(w, r) {
			forward.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(front.Close)
	return front.URL
}

// goOffline cuts the network and keeps it down until each page has seen
// the cut.
func goOffline(ctx context.Context, network *parleytest.Network, pages ...*parleytest.Visitor) {
	network.Block(true)
	network.Cut()
	for _, p := range pages {
		p.WaitFor(ctx, "the cut", func() bool { return p.State() != client.ConnConnected })
	}
}

// waitConnected waits until each page is connected.
func waitConnected(ctx context.Context, pages ...*parleytest.Visitor) {
	for _, p := range pages {
		p.WaitFor(ctx, "connected", func() bool { return p.State() == client.ConnConnected })
	}
}

// messageTexts returns the msg of each event, all of them messages.
func messageTexts(events []protocol.Event) []string {
	var texts []string
	for _, e := range events {
		texts = append(texts, e.(*protocol.Message).Msg)
	}
	return texts
}
