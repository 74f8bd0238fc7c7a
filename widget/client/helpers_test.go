// The tests that start a server run natively: the server does not build for
// js/wasm.

//go:build !js

package client_test

import (
	"context"
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
