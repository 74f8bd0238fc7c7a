package widget

import (
	"strings"
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/parleychat/parley/protocol"
	"github.com/parleychat/parley/widget/client"
)

func TestChatRendersEachState(t *testing.T) {
	t.Parallel()
	session := &protocol.ChatSession{ChatID: chatID, State: protocol.StateQueued, EWT: 150}
	grace := &protocol.PartyJoined{FirstName: "Grace", Type: protocol.PartyInternal, Meta: stamped("a7", 1)}
	hostile := `<img src=x onerror="alert(1)">`
	cases := []struct {
		name    string
		updates []client.Update
		pending string
		want    []string
		wantNot []string
		// disabled and enabled name controls by test id.
		disabled, enabled []string
	}{
		{
			name:     "prerendered, before the wasm runs",
			want:     []string{`data-connection="starting"`, "Connecting…"},
			disabled: []string{"composer-input", "send", "file-input"},
		},
		{
			name:    "queued with a wait",
			updates: []client.Update{{Conn: client.ConnConnected}, {Chat: session}},
			want:    []string{`data-connection="connected"`, `data-chat-id="c1"`, "Waiting for an agent, about 3 min"},
			enabled: []string{"composer-input", "send", "file-input"},
		},
		{
			name: "an agent's message, as text",
			updates: []client.Update{{Conn: client.ConnConnected}, {Chat: session}, {
				Events:   []protocol.Event{grace, &protocol.Message{MsgID: protocol.TextID("m1"), Msg: hostile, Meta: stamped("a7", 2)}},
				Position: protocol.Position{Epoch: "e", Seq: 2},
			}},
			want: []string{
				"Chatting with Grace", "Grace joined the chat", `data-from="agent"`, `data-position="e:2"`,
				"&lt;img src=x onerror=&#34;alert(1)&#34;&gt;",
			},
			wantNot: []string{"<img"},
		},
		{
			name:    "a message on its way",
			updates: []client.Update{{Conn: client.ConnConnected}, {Chat: session}},
			pending: "on its way",
			want:    []string{`data-from="visitor"`, `data-status="pending"`, "on its way", "Sending…"},
		},
		{
			name:     "connecting, before the chat exists: the message waits for the chat, files cannot",
			updates:  []client.Update{{Conn: client.ConnConnecting}},
			disabled: []string{"file-input"},
			enabled:  []string{"composer-input", "send"},
		},
		{
			name:     "reconnecting: messages go to the outbox, files wait",
			updates:  []client.Update{{Conn: client.ConnConnected}, {Chat: session}, {Conn: client.ConnReconnecting}},
			want:     []string{"Connection lost. Retrying…"},
			disabled: []string{"file-input"},
			enabled:  []string{"composer-input", "send"},
		},
		{
			name:    "ended",
			updates: []client.Update{{Conn: client.ConnConnected}, {Chat: session}, {Events: []protocol.Event{&protocol.Ended{Meta: stamped("", 1)}}}, {Conn: client.ConnEnded}},
			want:    []string{"Chat ended", "The chat has ended.", `data-testid="transcript"`, `data-testid="new-chat"`},
		},
		{
			name:    "refused to start",
			updates: []client.Update{{Conn: client.ConnFailed}},
			want:    []string{"Chat is not available right now"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := &Chat{}
			for _, u := range tc.updates {
				c.apply(u)
			}
			if tc.pending != "" {
				c.transcript.AddPending(protocol.TextID("c1:1"), tc.pending, at.Time)
			}
			html := app.HTMLString(c.Render())
			for _, want := range tc.want {
				if !strings.Contains(html, want) {
					t.Errorf("the window lacks %s:\n%s", want, html)
				}
			}
			for _, not := range tc.wantNot {
				if strings.Contains(html, not) {
					t.Errorf("the window has %s:\n%s", not, html)
				}
			}
			for _, id := range tc.disabled {
				if !strings.Contains(tagOf(t, html, id), " disabled") {
					t.Errorf("%s is enabled, want disabled", id)
				}
			}
			for _, id := range tc.enabled {
				if strings.Contains(tagOf(t, html, id), " disabled") {
					t.Errorf("%s is disabled, want enabled", id)
				}
			}
		})
	}
}

// tagOf returns the opening tag of the element with the test id.
func tagOf(t *testing.T, html, testID string) string {
	t.Helper()
	at := strings.Index(html, `data-testid="`+testID+`"`)
	if at < 0 {
		t.Fatalf("no element %s in:\n%s", testID, html)
	}
	start := strings.LastIndexByte(html[:at], '<')
	end := at + strings.IndexByte(html[at:], '>')
	return html[start : end+1]
}

func TestHostOriginTakesOnlyAnOrigin(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"https://shop.example":          "https://shop.example",
		"http://localhost:8080":         "http://localhost:8080",
		"https://shop.example/":         "https://shop.example",
		"":                              "",
		"*":                             "",
		"javascript:alert(1)":           "",
		"https://shop.example/path":     "",
		"https://user@shop.example":     "",
		"https://shop.example?x=1":      "",
		"ftp://shop.example":            "",
		"//shop.example":                "",
		"https://shop.example#fragment": "",
	}
	for in, want := range cases {
		if got := hostOrigin(in); got != want {
			t.Errorf("hostOrigin(%q) = %q, want %q", in, got, want)
		}
	}
}
