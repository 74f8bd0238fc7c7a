package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/app/instance"
	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/app/scenario"
	"github.com/parleychat/parley/app/server"
	"github.com/parleychat/parley/protocol"
)

// openChat requests a chat for a new client and returns it.
func openChat(t *testing.T, baseURL string) protocol.ChatSession {
	t.Helper()
	status, body := requestChat(t, baseURL, protocol.Credentials{AppID: parleytest.AppID, ClientID: protocol.NewUUID()}.Authorization(), "")
	var s protocol.ChatSession
	if status != http.StatusOK || json.Unmarshal(body, &s) != nil {
		t.Fatalf("requesting a chat: %d %s", status, body)
	}
	return s
}

func socketURL(baseURL, chatID, token string) string {
	u, err := protocol.SocketURL(baseURL, protocol.Path(protocol.PathChatSocket, chatID), url.Values{"token": {token}})
	if err != nil {
		panic(err)
	}
	return u
}

// agentSocketURL is the agent socket of a chat with the query.
func agentSocketURL(baseURL, chatID string, query url.Values) string {
	u, err := protocol.SocketURL(baseURL, protocol.Path(server.PathAgentSocket, chatID), query)
	if err != nil {
		panic(err)
	}
	return u
}

func dial(ctx context.Context, t *testing.T, url string, header http.Header) *websocket.Conn {
	t.Helper()
	conn, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: header})
	if err != nil {
		t.Fatalf("dialing %s: %v", url, err)
	}
	t.Cleanup(func() { conn.CloseNow() })
	return conn
}

func readEnvelope(ctx context.Context, t *testing.T, conn *websocket.Conn) protocol.Envelope {
	t.Helper()
	_, data, err := conn.Read(ctx)
	if err != nil {
		t.Fatalf("reading a frame: %v", err)
	}
	env, err := protocol.DecodeEnvelope(data)
	if err != nil {
		t.Fatalf("decoding %s: %v", data, err)
	}
	return env
}

func TestSocketRefusesOtherChatsAndWrongTokens(t *testing.T) {
	t.Parallel()
	srv := parleytest.Start(t, parleytest.Quiet())
	mine, other := openChat(t, srv.URL), openChat(t, srv.URL)
	cases := []struct{ name, chatID, token string }{
		{"another chat's token", mine.ChatID, other.Token},
		{"no token", mine.ChatID, ""},
		{"a chat that does not exist", protocol.NewUUID(), mine.Token},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// Its own deadline: a parallel subtest may wait long for its turn.
			ctx := testContext(t)
			conn := dial(ctx, t, socketURL(srv.URL, tc.chatID, tc.token), nil)
			_, _, err := conn.Read(ctx)
			if got := protocol.CloseCode(websocket.CloseStatus(err)); got != protocol.CloseChatNotFound {
				t.Errorf("closed with %d (%v), want %d", got, err, protocol.CloseChatNotFound)
			}
		})
	}
}

func TestSocketAnswersBadFramesAndKeepsGoing(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	srv := parleytest.Start(t, parleytest.Quiet())
	s := openChat(t, srv.URL)
	conn := dial(ctx, t, socketURL(srv.URL, s.ChatID, s.Token), nil)
	if env := readEnvelope(ctx, t, conn); env.Epoch != s.Epoch || len(env.Events) != 0 {
		t.Fatalf("first frame %+v, want the epoch and no events", env)
	}
	cases := []struct {
		name  string
		frame string
		ref   string
		code  protocol.Code
	}{
		{"not JSON", `{"events":`, "", protocol.CodeBadRequest},
		{"a message without msg_id", `{"ref":"1","events":[{"event":"chat_session_message","msg":"hi"}]}`, "1", protocol.CodeBadRequest},
		{"an unknown event", `{"ref":"2","events":[{"event":"chat_session_dance"}]}`, "2", protocol.CodeBadRequest},
		{"a server event", `{"ref":"3","events":[{"event":"chat_session_status","state":"connected"}]}`, "3", protocol.CodeBadRequest},
		{"a field of the wrong shape", `{"ref":"4","events":[{"event":"chat_session_message","msg_id":"x","msg":{}}]}`, "4", protocol.CodeBadRequest},
		{"a message over the limit", `{"ref":"5","events":[{"event":"chat_session_message","msg_id":"x","msg":"` + strings.Repeat("a", protocol.MaxTextBytes+1) + `"}]}`, "5", protocol.CodeTooLarge},
	}
	for _, tc := range cases {
		if err := conn.Write(ctx, websocket.MessageText, []byte(tc.frame)); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		env := readEnvelope(ctx, t, conn)
		if env.Ref != tc.ref || env.Error == nil || env.Error.Code != tc.code || len(env.Events) != 0 {
			t.Errorf("%s: answered %+v (error %+v), want ref %q and error_code %s", tc.name, env, env.Error, tc.ref, tc.code)
		}
	}

	// After all that, a good frame is stored, echoed, then acknowledged.
	good := `{"ref":"9","events":[{"event":"chat_session_message","msg_id":"` + s.ChatID + `:1","msg":"still here"}]}`
	if err := conn.Write(ctx, websocket.MessageText, []byte(good)); err != nil {
		t.Fatal(err)
	}
	echo := readEnvelope(ctx, t, conn)
	if len(echo.Events) != 1 || echo.Events[0].EventMeta().Seq != 1 {
		t.Fatalf("echo %+v, want the stored message with seq 1", echo)
	}
	if ack := readEnvelope(ctx, t, conn); ack.Ref != "9" || ack.Error != nil {
		t.Errorf("answer %+v, want ref 9 without error", ack)
	}
}

// TestSocketAnswersAnEmptyFrame: a frame without events is how a client
// checks that its socket still reaches the server; it is answered, and
// nothing is stored or counted against the visitor's rate.
func TestSocketAnswersAnEmptyFrame(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	srv := parleytest.Start(t, parleytest.Quiet(), parleytest.Memory())
	s := openChat(t, srv.URL)
	conn := dial(ctx, t, socketURL(srv.URL, s.ChatID, s.Token), nil)
	readEnvelope(ctx, t, conn)
	for i := range 50 {
		ref := "beat-" + strconv.Itoa(i)
		if err := conn.Write(ctx, websocket.MessageText, []byte(`{"ref":"`+ref+`","events":[]}`)); err != nil {
			t.Fatal(err)
		}
		if env := readEnvelope(ctx, t, conn); env.Ref != ref || env.Error != nil || len(env.Events) != 0 {
			t.Fatalf("answer %+v (error %+v), want ref %s alone", env, env.Error, ref)
		}
	}
	if events, err := srv.Chats.History(ctx, s.ChatID, 0, 100); err != nil || len(events) != 0 {
		t.Errorf("after the empty frames the chat holds %d events (%v), want none", len(events), err)
	}
}

func TestSocketClosesFramesOverTheLimit(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	srv := parleytest.Start(t, parleytest.Quiet())
	s := openChat(t, srv.URL)
	conn := dial(ctx, t, socketURL(srv.URL, s.ChatID, s.Token), nil)
	readEnvelope(ctx, t, conn)
	huge := `{"events":[],"pad":"` + strings.Repeat("x", protocol.MaxEnvelopeBytes) + `"}`
	_ = conn.Write(ctx, websocket.MessageText, []byte(huge))
	_, _, err := conn.Read(ctx)
	if got := websocket.CloseStatus(err); got != websocket.StatusMessageTooBig {
		t.Errorf("closed with %d (%v), want %d", got, err, websocket.StatusMessageTooBig)
	}
}

func TestSocketChecksTheOrigin(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	svc := chat.NewService(chat.NewMemoryStore())
	srv, err := server.New(server.Config{WebDir: parleytest.WebDir(), Contact: scenario.Default(), AllowedOrigins: []string{"shop.example"}}, svc)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	s := openChat(t, ts.URL)
	url := socketURL(ts.URL, s.ChatID, s.Token)

	for _, origin := range []string{"https://shop.example", ts.URL} {
		conn := dial(ctx, t, url, http.Header{"Origin": {origin}})
		if env := readEnvelope(ctx, t, conn); env.Epoch != s.Epoch {
			t.Errorf("origin %s: first frame %+v", origin, env)
		}
	}
	_, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {"https://evil.example"}}})
	if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("a page from evil.example opened the socket (%v, %v); want 403", resp, err)
	}
}

func TestShutdownTellsSocketsToComeBack(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	svc := chat.NewService(chat.NewMemoryStore())
	srv, err := server.New(server.Config{WebDir: parleytest.WebDir(), Contact: scenario.Default()}, svc)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(nil)
	serveCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(serveCtx, ts.Listener) }()
	baseURL := "http://" + ts.Listener.Addr().String()
	s := openChat(t, baseURL)
	conn := dial(ctx, t, socketURL(baseURL, s.ChatID, s.Token), nil)
	readEnvelope(ctx, t, conn)

	stop()
	_, _, err = conn.Read(ctx)
	if got := protocol.CloseCode(websocket.CloseStatus(err)); got != protocol.CloseGoingAway || !got.Reconnect() {
		t.Errorf("closed with %d (%v), want %d", got, err, protocol.CloseGoingAway)
	}
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("Serve returned %v", err)
	}
}

// TestASilentPeerIsDisconnected: a socket with nothing to send is pinged,
// and one whose peer no longer answers (a path that lost what travels up,
// without a close) is closed, so the chat's subscription does not linger.
func TestASilentPeerIsDisconnected(t *testing.T) {
	t.Parallel()
	srv := parleytest.Start(t, parleytest.Quiet(), parleytest.Tune(func(i *instance.Instance) {
		i.Server.PingInterval = 50 * time.Millisecond
	}))
	network := parleytest.StartNetwork(t, strings.TrimPrefix(srv.URL, "http://"))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	chat := openChat(t, srv.URL)
	conn := dial(ctx, t, socketURL(network.URL(), chat.ChatID, chat.Token), nil)
	readEnvelope(ctx, t, conn)
	// Reading answers the server's pings: the socket stays.
	idle, stop := context.WithTimeout(ctx, 300*time.Millisecond)
	_, _, err := conn.Read(idle)
	stop()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("an idle socket that answers pings: %v, want it open", err)
	}
	conn = dial(ctx, t, socketURL(network.URL(), chat.ChatID, chat.Token), nil)
	readEnvelope(ctx, t, conn)
	network.Lose(true, false)
	if _, _, err := conn.Read(ctx); err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a peer whose answers are lost: read %v, want the server to close the socket", err)
	}
}

// TestACatchUpComesInFewFrames: a socket that opens on a long chat gets
// the history in as few frames as fit a mebibyte each (the writer's
// frameBudget), since a client draws each frame at once: a thousand short
// messages come in one frame, not in pages; messages that JSON escapes to
// twice their size (quotes) are split so that no frame of several events
// passes the budget. Every event comes once, in order.
func TestACatchUpComesInFewFrames(t *testing.T) {
	t.Parallel()
	const budget = 1 << 20
	tests := []struct {
		name       string
		messages   int
		text       func(i int) string
		wantFrames func(stored, bytes int) (least, most int)
	}{
		{"a thousand short messages", 1000, func(i int) string { return "message " + strconv.Itoa(i) },
			func(int, int) (int, int) { return 1, 1 }},
		{"messages escaped to twice their size", 80, func(int) string { return strings.Repeat(`"`, protocol.MaxTextBytes) },
			func(_, bytes int) (int, int) { return bytes / budget, bytes/budget + 2 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t)
			srv := parleytest.Start(t, parleytest.Quiet())
			s := openChat(t, srv.URL)
			// One transaction: a thousand, each synced on its own, took
			// most of the test's time on a loaded machine.
			history := make([]protocol.Event, tc.messages)
			for i := range history {
				history[i] = &protocol.Message{Msg: tc.text(i), Meta: protocol.Meta{PartyID: "scenario"}}
			}
			if err := srv.Chats.Publish(ctx, s.ChatID, history...); err != nil {
				t.Fatal(err)
			}
			stored, err := srv.Chats.History(ctx, s.ChatID, 0, 100000)
			if err != nil {
				t.Fatal(err)
			}
			conn := dial(ctx, t, socketURL(srv.URL, s.ChatID, s.Token), nil)
			conn.SetReadLimit(64 << 20)
			var seqs []uint64
			frames, total := 0, 0
			for len(seqs) < len(stored) {
				_, data, err := conn.Read(ctx)
				if err != nil {
					t.Fatalf("after %d of %d events: %v", len(seqs), len(stored), err)
				}
				env, err := protocol.DecodeEnvelope(data)
				if err != nil {
					t.Fatal(err)
				}
				if len(env.Events) > 1 && len(data) > budget+1024 {
					t.Errorf("a frame of %d events is %d bytes", len(env.Events), len(data))
				}
				frames, total = frames+1, total+len(data)
				for _, e := range env.Events {
					seqs = append(seqs, e.EventMeta().Seq)
				}
			}
			for i, e := range stored {
				if seqs[i] != e.EventMeta().Seq {
					t.Fatalf("event %d came with seq %d, want %d", i, seqs[i], e.EventMeta().Seq)
				}
			}
			if least, most := tc.wantFrames(len(stored), total); frames < least || frames > most {
				t.Errorf("%d events (%d bytes) came in %d frames, want %d to %d", len(stored), total, frames, least, most)
			}
		})
	}
}
