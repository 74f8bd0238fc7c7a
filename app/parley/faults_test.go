//go:build !js

package main_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/protocol"
	"github.com/parleychat/parley/widget/client"
)

// TestFaultsLoseNothing is issue 15's fault injection: 50 chats, each a
// visitor on the widget's Session and an agent on the agent API, send 2,000
// messages each way through a network that cuts, tears, stalls and loses
// answers at random (seeded: see parleytest.Seed), while the server is
// killed with SIGKILL and started again twice and its disk refuses every
// write for a moment. Every message arrives exactly once and in order on
// the other side and in the history, and while the disk refuses writes the
// server says so with an error and acknowledges nothing.
func TestFaultsLoseNothing(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	prog := parleytest.StartProgram(t, binary, t.TempDir(), "-config", parleytest.NoIdleTimers(t))
	network := parleytest.StartNetwork(t, prog.Addr())
	report := parleytest.Faults{
		Program: prog,
		Network: network,
		Chaos:   parleytest.FaultChaos(parleytest.Seed(t)),
		Traffic: parleytest.TrafficConfig{
			Chats: 50, Messages: 40, Every: 300 * time.Millisecond,
			Open: func(ctx context.Context, i int) (parleytest.VisitorSide, error) {
				return openSession(ctx, network.URL())
			},
		},
		Restarts: 2,
		DiskFull: time.Second,
	}.Run(ctx, t)
	t.Logf("the widget's Session: %v", report)
	if !report.Traffic.Clean() {
		for _, trouble := range report.Traffic.Troubles {
			t.Error(trouble)
		}
		t.Errorf("messages went wrong: %v", report.Traffic)
	}
}

// sessionVisitor is a visitor on the widget's Session.
type sessionVisitor struct {
	session *client.Session
	chatID  string

	mu       sync.Mutex
	heard    []string
	troubles []string
}

// openSession runs a Session for a new visitor of baseURL until ctx ends,
// and returns it once it knows its chat.
func openSession(ctx context.Context, baseURL string) (*sessionVisitor, error) {
	s := client.NewSession(client.Config{
		BaseURL:     baseURL,
		Credentials: protocol.Credentials{AppID: parleytest.AppID, ClientID: protocol.NewUUID()},
		MinBackoff:  10 * time.Millisecond, MaxBackoff: 200 * time.Millisecond,
	})
	v := &sessionVisitor{session: s}
	go func() { _ = s.Run(ctx) }()
	for u := range s.Updates() {
		if u.Chat != nil {
			v.chatID = u.Chat.ChatID
			go v.follow()
			return v, nil
		}
		if u.Conn == client.ConnFailed {
			return nil, u.Err
		}
	}
	return nil, ctx.Err()
}

// follow takes the session's updates until it ends.
func (v *sessionVisitor) follow() {
	for u := range v.session.Updates() {
		v.mu.Lock()
		if u.Reset {
			v.troubles = append(v.troubles, "the stream started over")
		}
		for _, e := range u.Events {
			if m, ok := e.(*protocol.Message); ok && strings.HasPrefix(m.PartyID, "agent-") {
				v.heard = append(v.heard, m.Msg)
			}
		}
		if u.Refused != nil {
			v.troubles = append(v.troubles, fmt.Sprintf("the server refused %s: %v", u.Refused.Event.EventType(), u.Refused.Err))
		}
		for _, e := range u.Unsent {
			v.troubles = append(v.troubles, fmt.Sprintf("%s never sent", e.EventType()))
		}
		if u.Conn == client.ConnEnded || u.Conn == client.ConnFailed {
			v.troubles = append(v.troubles, fmt.Sprintf("the session stopped: %s %v", u.Conn, u.Err))
		}
		v.mu.Unlock()
	}
}

func (v *sessionVisitor) ChatID() string { return v.chatID }

func (v *sessionVisitor) Say(text string) error {
	_, err := v.session.SendMessage(text)
	return err
}

func (v *sessionVisitor) Heard() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]string(nil), v.heard...)
}

func (v *sessionVisitor) Troubles() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]string(nil), v.troubles...)
}

// TestSessionKeepsWhatTheDiskRefused sends a visitor's message while the
// server's disk refuses writes, on the chat socket and on the long poll
// (behind a proxy that refuses WebSockets). The server answers that it
// cannot store now (7007); the session keeps the message, reconnects after
// a backoff and sends it again until it is stored, once.
func TestSessionKeepsWhatTheDiskRefused(t *testing.T) {
	for _, polling := range []bool{false, true} {
		t.Run(map[bool]string{false: "socket", true: "long poll"}[polling], func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t)
			prog := parleytest.StartProgram(t, binary, t.TempDir())
			base := prog.URL
			if polling {
				base = refusingWebSockets(t, prog.URL)
			}
			creds := protocol.Credentials{AppID: parleytest.AppID, ClientID: protocol.NewUUID()}
			s := client.NewSession(client.Config{BaseURL: base, Credentials: creds, MinBackoff: 50 * time.Millisecond, MaxBackoff: 200 * time.Millisecond})
			runCtx, stop := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() { defer close(done); _ = s.Run(runCtx) }()
			defer func() { stop(); <-done }()
			next := func(what string, cond func(client.Update) bool) {
				t.Helper()
				for u := range s.Updates() {
					if u.Refused != nil {
						t.Fatalf("the session gave up its %s: %v", u.Refused.Event.EventType(), u.Refused.Err)
					}
					if cond(u) {
						return
					}
				}
				t.Fatalf("the session stopped before %s", what)
			}
			var chatID string
			next("it connected", func(u client.Update) bool {
				if u.Chat != nil {
					chatID = u.Chat.ChatID
				}
				if u.Conn == client.ConnConnected && u.Polling != polling {
					t.Fatalf("connected with polling %v, want %v", u.Polling, polling)
				}
				return u.Conn == client.ConnConnected
			})

			prog.RefuseWrites(true)
			if _, err := s.SendMessage("while the disk is full"); err != nil {
				t.Fatal(err)
			}
			next("the server's refusal", func(u client.Update) bool {
				var perr *protocol.Error
				return u.Conn == client.ConnReconnecting && errors.As(u.Err, &perr) && perr.Code == protocol.CodeUnavailable
			})
			prog.RefuseWrites(false)
			next("the message stored", func(u client.Update) bool {
				for _, e := range u.Events {
					if m, ok := e.(*protocol.Message); ok && m.Msg == "while the disk is full" {
						return true
					}
				}
				return false
			})
			texts, _ := messages(history(ctx, t, prog.URL, chatID, creds))
			if n := count(texts, "while the disk is full"); n != 1 {
				t.Errorf("the message is stored %d times, want once", n)
			}
		})
	}
}

// refusingWebSockets is a proxy in front of serverURL that refuses
// WebSocket upgrades, as some corporate proxies do; it returns its URL.
func refusingWebSockets(t *testing.T, serverURL string) string {
	t.Helper()
	target, err := url.Parse(serverURL)
	if err != nil {
		t.Fatal(err)
	}
	forward := httputil.NewSingleHostReverseProxy(target)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			http.Error(w, "no WebSockets here", http.StatusForbidden)
			return
		}
		forward.ServeHTTP(w, r)
	}))
	t.Cleanup(proxy.Close)
	return proxy.URL
}

// TestSocketTakesNothingAfterARefusal writes a visitor's frame while the
// server's disk refuses writes, then, once it takes them again, the next
// frame on the same socket. The server refuses both with 7007: had it
// stored the second, the first, sent again on the next socket, would be
// stored after it. On a new socket both are stored, in order.
func TestSocketTakesNothingAfterARefusal(t *testing.T) {
	ctx := testContext(t)
	prog := parleytest.StartProgram(t, binary, t.TempDir())
	creds := protocol.Credentials{AppID: parleytest.AppID, ClientID: protocol.NewUUID()}
	chat := requestChatSession(ctx, t, prog.URL, creds)
	frame := func(ref, text string) protocol.Envelope {
		return protocol.Envelope{Ref: ref, Events: []protocol.Event{&protocol.Message{MsgID: protocol.TextID(text), Msg: text}}}
	}
	first, second := frame("1", "first"), frame("2", "second")

	socket := openSocket(ctx, t, prog.URL, chat)
	prog.RefuseWrites(true)
	if code := socket.send(ctx, t, first); code != protocol.CodeUnavailable {
		t.Errorf("the frame written while the disk refused writes was answered %q, want %s", code, protocol.CodeUnavailable)
	}
	prog.RefuseWrites(false)
	if code := socket.send(ctx, t, second); code != protocol.CodeUnavailable {
		t.Errorf("the frame after the refused one was answered %q, want %s", code, protocol.CodeUnavailable)
	}
	if texts := visitorTexts(history(ctx, t, prog.URL, chat.ChatID, creds), chat.ChatID); len(texts) != 0 {
		t.Fatalf("the history holds the visitor's %q, want nothing yet", texts)
	}

	again := openSocket(ctx, t, prog.URL, chat)
	for _, f := range []protocol.Envelope{first, second} {
		if code := again.send(ctx, t, f); code != "" {
			t.Errorf("on a new socket frame %s was answered %s", f.Ref, code)
		}
	}
	if texts := visitorTexts(history(ctx, t, prog.URL, chat.ChatID, creds), chat.ChatID); !slices.Equal(texts, []string{"first", "second"}) {
		t.Errorf("the history holds the visitor's %q, want first and second", texts)
	}
}

// visitorTexts are the texts of the visitor's messages among events.
func visitorTexts(events []protocol.Event, chatID string) []string {
	var texts []string
	for _, e := range events {
		if m, ok := e.(*protocol.Message); ok && m.PartyID == chatID {
			texts = append(texts, m.Msg)
		}
	}
	return texts
}

// requestChatSession starts a chat for the client with Request Chat.
func requestChatSession(ctx context.Context, t *testing.T, baseURL string, creds protocol.Credentials) protocol.ChatSession {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, baseURL+protocol.PathChats, nil)
	req.Header.Set("Authorization", creds.Authorization())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var chat protocol.ChatSession
	if err := json.NewDecoder(resp.Body).Decode(&chat); err != nil || chat.ChatID == "" {
		t.Fatalf("Request Chat: %s %v", resp.Status, err)
	}
	return chat
}

// visitorSocket is a visitor's chat socket, written to by hand.
type visitorSocket struct{ conn *websocket.Conn }

func openSocket(ctx context.Context, t *testing.T, baseURL string, chat protocol.ChatSession) *visitorSocket {
	t.Helper()
	u := strings.Replace(baseURL, "http", "ws", 1) + protocol.Path(protocol.PathChatSocket, chat.ChatID) + "?token=" + url.QueryEscape(chat.Token)
	conn, _, err := websocket.Dial(ctx, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetReadLimit(1 << 20)
	t.Cleanup(func() { conn.CloseNow() })
	return &visitorSocket{conn: conn}
}

// send writes a frame and returns the error code of the server's answer to
// it, "" when it took the frame.
func (v *visitorSocket) send(ctx context.Context, t *testing.T, env protocol.Envelope) protocol.Code {
	t.Helper()
	data, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.conn.Write(ctx, websocket.MessageText, data); err != nil {
		t.Fatal(err)
	}
	for {
		_, data, err := v.conn.Read(ctx)
		if err != nil {
			t.Fatalf("waiting for the answer to frame %s: %v", env.Ref, err)
		}
		var answer protocol.Envelope
		if err := json.Unmarshal(data, &answer); err != nil {
			t.Fatal(err)
		}
		if answer.Ref != env.Ref {
			continue
		}
		if answer.Error != nil {
			return answer.Error.Code
		}
		return ""
	}
}
