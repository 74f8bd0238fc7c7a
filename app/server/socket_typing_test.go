package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/coder/websocket"
	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/app/scenario"
	"github.com/parleychat/parley/app/server"
	"github.com/parleychat/parley/protocol"
)

// writeFrame writes an envelope with a ref and reads frames until the
// server answers it.
func writeFrame(ctx context.Context, t *testing.T, conn *websocket.Conn, env protocol.Envelope) {
	t.Helper()
	env.Ref = "w"
	data, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.Write(ctx, websocket.MessageText, data); err != nil {
		t.Fatal(err)
	}
	for {
		if answer := readEnvelope(ctx, t, conn); answer.Ref == "w" {
			if answer.Error != nil {
				t.Fatalf("the server refused %s: %v", data, answer.Error)
			}
			return
		}
	}
}

// nextTyping reads frames until a typing event of party comes.
func nextTyping(ctx context.Context, t *testing.T, conn *websocket.Conn, party string) protocol.Event {
	t.Helper()
	for {
		for _, e := range readEnvelope(ctx, t, conn).Events {
			switch e.(type) {
			case *protocol.Typing, *protocol.NotTyping:
				if e.EventMeta().PartyID == party {
					return e
				}
			}
		}
	}
}

// TestTypingEndsWhenItsSocketGoes: a party whose socket goes away while
// it types (an agent closes the console mid-word, a visitor the tab) is
// said to have stopped, to the other side, which would show the typing
// for good otherwise.
func TestTypingEndsWhenItsSocketGoes(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	srv := parleytest.Start(t, parleytest.Quiet())
	s := openChat(t, srv.URL)
	agent := srv.Agent("Grace Hopper")
	if err := agent.Take(ctx, s.ChatID); err != nil {
		t.Fatal(err)
	}
	agentURL := agentSocketURL(srv.URL, s.ChatID, url.Values{"token": {parleytest.AgentToken}, "party_id": {agent.PartyID}})
	visitorURL := socketURL(srv.URL, s.ChatID, s.Token)

	cases := []struct {
		name            string
		typist, watcher string
		party           string
		typing          protocol.Event
	}{
		{"the agent", agentURL, visitorURL, agent.PartyID, &protocol.Typing{Meta: protocol.Meta{PartyID: agent.PartyID}}},
		{"the visitor", visitorURL, agentURL, s.ChatID, &protocol.Typing{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			watcher := dial(ctx, t, tc.watcher, nil)
			readEnvelope(ctx, t, watcher) // caught up: live events come next
			typist := dial(ctx, t, tc.typist, nil)
			writeFrame(ctx, t, typist, protocol.Envelope{Events: []protocol.Event{tc.typing}})
			if e := nextTyping(ctx, t, watcher, tc.party); e.EventType() != protocol.TypeTyping {
				t.Fatalf("the other side got %s, want the typing", e.EventType())
			}
			typist.CloseNow()
			if e := nextTyping(ctx, t, watcher, tc.party); e.EventType() != protocol.TypeNotTyping {
				t.Errorf("after the typist's socket went, the other side got %s, want %s", e.EventType(), protocol.TypeNotTyping)
			}
		})
	}
}

// TestSocketTakesThePublicURLsOrigin: behind a reverse proxy that forwards
// with a Host header of its own, the widget's frame and the agent console
// come from the server's public URL, which is not the request's host: that
// origin may open sockets.
func TestSocketTakesThePublicURLsOrigin(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	svc := chat.NewService(chat.NewMemoryStore())
	srv, err := server.New(server.Config{WebDir: parleytest.WebDir(), Contact: scenario.Default(), PublicURL: "https://chat.example.com/"}, svc)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	s := openChat(t, ts.URL)
	url := socketURL(ts.URL, s.ChatID, s.Token)
	conn := dial(ctx, t, url, http.Header{"Origin": {"https://chat.example.com"}})
	if env := readEnvelope(ctx, t, conn); env.Epoch != s.Epoch {
		t.Errorf("the public origin's socket began with %+v", env)
	}
	for _, origin := range []string{"http://chat.example.com", "https://evil.example"} {
		_, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {origin}}})
		if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Errorf("a page from %s opened the socket (%v, %v); want 403", origin, resp, err)
		}
	}
	if _, err := server.New(server.Config{WebDir: parleytest.WebDir(), Contact: scenario.Default(), PublicURL: "chat.example.com"}, svc); err == nil {
		t.Error("a public URL without a scheme was taken")
	}
}
