package server_test

import (
	"context"
	"encoding/json"
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

	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/app/instance"
	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/app/scenario"
	"github.com/parleychat/parley/protocol"
	"github.com/parleychat/parley/widget"
)

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// visitor runs a widget.Session and records its updates.
type visitor struct {
	t       *testing.T
	session *widget.Session
	chatID  string
	// stop ends the session, as closing the page would.
	stop func()

	mu       sync.Mutex
	conn     widget.ConnState
	polling  bool
	events   []protocol.Event
	restored []protocol.Event
	unsent   []protocol.Event
	changed  chan struct{}
}

// visitorConfig is a session of a new client of baseURL that retries fast.
func visitorConfig(baseURL string) widget.Config {
	return widget.Config{
		BaseURL:     baseURL,
		Credentials: protocol.Credentials{AppID: parleytest.AppID, ClientID: protocol.NewUUID()},
		MinBackoff:  10 * time.Millisecond,
		MaxBackoff:  50 * time.Millisecond,
	}
}

func startVisitor(ctx context.Context, t *testing.T, baseURL string) *visitor {
	t.Helper()
	return startSession(ctx, t, visitorConfig(baseURL))
}

// startSession runs a session with cfg until the test ends or stop, and
// returns once it is connected.
func startSession(ctx context.Context, t *testing.T, cfg widget.Config) *visitor {
	t.Helper()
	v := runSession(ctx, t, cfg)
	v.waitFor(ctx, "connected", func() bool { return v.state() == widget.ConnConnected })
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.chatID == "" {
		t.Fatal("connected without a chat")
	}
	return v
}

// runSession runs a session with cfg until the test ends or stop.
func runSession(ctx context.Context, t *testing.T, cfg widget.Config) *visitor {
	t.Helper()
	v := &visitor{t: t, changed: make(chan struct{}, 1)}
	v.session = widget.NewSession(cfg)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = v.session.Run(runCtx)
	}()
	go func() {
		for u := range v.session.Updates() {
			v.mu.Lock()
			if u.Conn != "" {
				v.conn, v.polling = u.Conn, u.Polling
			}
			if u.Chat != nil {
				v.chatID = u.Chat.ChatID
			}
			v.events = append(v.events, u.Events...)
			v.restored = append(v.restored, u.Restored...)
			v.unsent = append(v.unsent, u.Unsent...)
			v.mu.Unlock()
			select {
			case v.changed <- struct{}{}:
			default:
			}
		}
	}()
	var once sync.Once
	v.stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(v.stop)
	return v
}

// waitFor waits until cond holds, checking it after every update.
func (v *visitor) waitFor(ctx context.Context, what string, cond func() bool) {
	v.t.Helper()
	for !cond() {
		select {
		case <-v.changed:
		case <-ctx.Done():
			v.t.Fatalf("waiting for %s: %v (state %s)", what, ctx.Err(), v.state())
		}
	}
}

func (v *visitor) state() widget.ConnState {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.conn
}

// agentMessages returns the texts of the agent messages the visitor saw, and
// their sequence numbers.
func (v *visitor) agentMessages() (texts []string, seqs []uint64) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, e := range v.events {
		if m, ok := e.(*protocol.Message); ok && m.PartyID != v.chatID {
			texts = append(texts, m.Msg)
			seqs = append(seqs, m.Seq)
		}
	}
	return texts, seqs
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

func TestSessionChatsBothWays(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	srv := parleytest.Start(t, parleytest.Quiet())
	v := startVisitor(ctx, t, srv.URL)
	agent := subscribe(ctx, t, srv.Chats, v.chatID)

	if _, err := v.session.SendMessage("first"); err != nil {
		t.Fatal(err)
	}
	id, err := v.session.SendMessage("second")
	if err != nil {
		t.Fatal(err)
	}
	if want := protocol.TextID(v.session.Tab() + ":2"); id != want {
		t.Errorf("second msg_id = %q, want %q", id, want)
	}
	if got := visitorMessages(ctx, t, agent, v.chatID, 2); !slices.Equal(got, []string{"first", "second"}) {
		t.Errorf("the agent saw %q", got)
	}

	if err := srv.Chats.Publish(ctx, v.chatID, &protocol.Message{Msg: "hello", Meta: protocol.Meta{PartyID: "agent-1"}}); err != nil {
		t.Fatal(err)
	}
	v.waitFor(ctx, "the agent's message", func() bool { texts, _ := v.agentMessages(); return len(texts) == 1 })

	if _, err := v.session.SendMessage(""); err == nil {
		t.Error("SendMessage took a blank message")
	}
	long := make([]byte, protocol.MaxTextBytes+1)
	for i := range long {
		long[i] = 'a'
	}
	if _, err := v.session.SendMessage(string(long)); err == nil {
		t.Error("SendMessage took a message over the size limit")
	}
}

func TestSessionEndsWithTheChat(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	srv := parleytest.Start(t, parleytest.Quiet())
	v := startVisitor(ctx, t, srv.URL)
	if err := srv.Chats.Publish(ctx, v.chatID, &protocol.Ended{}); err != nil {
		t.Fatal(err)
	}
	v.waitFor(ctx, "the end", func() bool { return v.state() == widget.ConnEnded })
}

// TestSessionLosesNothingWhenTheConnectionDrops cuts the visitor's connection
// while the agent and the visitor both keep writing: after the reconnect, the
// visitor has every agent message exactly once, in order, and the agent has
// every visitor message exactly once.
func TestSessionLosesNothingWhenTheConnectionDrops(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	srv := parleytest.Start(t, parleytest.Quiet())
	proxy := parleytest.StartNetwork(t, srv.URL[len("http://"):])
	v := startVisitor(ctx, t, proxy.URL())
	agent := subscribe(ctx, t, srv.Chats, v.chatID)

	var want []string
	publish := func(from, to int) {
		for i := from; i <= to; i++ {
			text := fmt.Sprintf("agent %d", i)
			want = append(want, text)
			if err := srv.Chats.Publish(ctx, v.chatID, &protocol.Message{Msg: text, Meta: protocol.Meta{PartyID: "agent-1"}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	publish(1, 10)
	v.waitFor(ctx, "ten agent messages", func() bool { texts, _ := v.agentMessages(); return len(texts) == 10 })
	if _, err := v.session.SendMessage("before the cut"); err != nil {
		t.Fatal(err)
	}

	proxy.Cut()
	publish(11, 20)
	if _, err := v.session.SendMessage("during the cut"); err != nil {
		t.Fatal(err)
	}
	v.waitFor(ctx, "twenty agent messages", func() bool { texts, _ := v.agentMessages(); return len(texts) >= 20 })
	texts, seqs := v.agentMessages()
	if !slices.Equal(texts, want) {
		t.Errorf("the visitor saw %q, want %q", texts, want)
	}
	if !slices.IsSorted(seqs) || len(slices.Compact(slices.Clone(seqs))) != len(seqs) {
		t.Errorf("sequence numbers %v are not strictly increasing", seqs)
	}
	got := visitorMessages(ctx, t, agent, v.chatID, 2)
	if !slices.Equal(got, []string{"before the cut", "during the cut"}) {
		t.Errorf("the agent saw %q", got)
	}
	if proxy.Connections() < 2 {
		t.Errorf("the session used %d connections; the cut should have made it reconnect", proxy.Connections())
	}
}

// TestSessionNoticesASilentSocket: a socket that stops passing anything,
// without closing, is given up after a heartbeat goes unanswered; what the
// visitor sent meanwhile arrives once over the next one.
func TestSessionNoticesASilentSocket(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	srv := parleytest.Start(t, parleytest.Quiet())
	proxy := parleytest.StartNetwork(t, srv.URL[len("http://"):])
	cfg := visitorConfig(proxy.URL())
	cfg.Heartbeat = 200 * time.Millisecond
	v := startSession(ctx, t, cfg)
	agent := subscribe(ctx, t, srv.Chats, v.chatID)

	// Heartbeats keep a quiet socket that works.
	before := proxy.Connections()
	time.Sleep(5 * cfg.Heartbeat)
	if n := proxy.Connections(); n != before || v.state() != widget.ConnConnected {
		t.Fatalf("a quiet socket that works was replaced: %d connections, then %d", before, n)
	}

	proxy.Lose(true, true)
	if _, err := v.session.SendMessage("into the void"); err != nil {
		t.Fatal(err)
	}
	v.waitFor(ctx, "a new connection", func() bool { return proxy.Connections() > before && v.state() == widget.ConnConnected })
	if got := visitorMessages(ctx, t, agent, v.chatID, 1); !slices.Equal(got, []string{"into the void"}) {
		t.Errorf("the agent saw %q", got)
	}
	events, err := srv.Chats.History(ctx, v.chatID, 0, 100)
	if err != nil || len(events) != 1 {
		t.Errorf("the chat holds %d events (%v), want the one message", len(events), err)
	}
}

// TestOutboxOutlivesThePage sends messages while the connection is down,
// then closes the page. The next page, with the same storage, shows them as
// pending, sends them, and the agent gets each exactly once; its own
// messages are numbered under its own name.
func TestOutboxOutlivesThePage(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	srv := parleytest.Start(t, parleytest.Quiet())
	proxy := parleytest.StartNetwork(t, srv.URL[len("http://"):])
	cfg := visitorConfig(proxy.URL())
	cfg.Memory = widget.NewPageMemory()
	first := startSession(ctx, t, cfg)
	agent := subscribe(ctx, t, srv.Chats, first.chatID)
	if _, err := first.session.SendMessage("sent while up"); err != nil {
		t.Fatal(err)
	}
	visitorMessages(ctx, t, agent, first.chatID, 1)

	proxy.Block(true)
	proxy.Cut()
	first.waitFor(ctx, "the cut", func() bool { return first.state() != widget.ConnConnected })
	for _, text := range []string{"sent while down 1", "sent while down 2"} {
		if _, err := first.session.SendMessage(text); err != nil {
			t.Fatal(err)
		}
	}
	first.stop()

	proxy.Block(false)
	second := startSession(ctx, t, cfg)
	if second.chatID != first.chatID {
		t.Fatalf("the reloaded page got chat %s, want %s", second.chatID, first.chatID)
	}
	// The first message's answer may have been lost in the cut too: then
	// it is restored and sent again, and the server drops it.
	second.mu.Lock()
	var restored []string
	for _, e := range second.restored {
		restored = append(restored, e.(*protocol.Message).Msg)
	}
	second.mu.Unlock()
	if !slices.Contains(restored, "sent while down 1") || !slices.Contains(restored, "sent while down 2") {
		t.Errorf("the reloaded page restored %q, want both messages sent while down", restored)
	}
	got := visitorMessages(ctx, t, agent, first.chatID, 2)
	if !slices.Equal(got, []string{"sent while down 1", "sent while down 2"}) {
		t.Errorf("the agent got %q", got)
	}
	id, err := second.session.SendMessage("after the reload")
	if err != nil {
		t.Fatal(err)
	}
	if want := protocol.TextID(second.session.Tab() + ":1"); id != want || second.session.Tab() == first.session.Tab() {
		t.Errorf("the next msg_id is %s, want %s, under a name the first page did not have", id, want)
	}
	if got := visitorMessages(ctx, t, agent, first.chatID, 1); !slices.Equal(got, []string{"after the reload"}) {
		t.Errorf("then the agent got %q", got)
	}

	// The chat ends: what the page kept for it is forgotten.
	if err := srv.Chats.Publish(ctx, first.chatID, &protocol.Ended{}); err != nil {
		t.Fatal(err)
	}
	second.waitFor(ctx, "the end", func() bool { return second.state() == widget.ConnEnded })
	if keys := cfg.Memory.Keys("parley." + parleytest.AppID + ".outbox."); len(keys) != 0 {
		t.Errorf("%v remain in storage after the end", keys)
	}
}

// TestResentMessagesAreNotDuplicated loses the server's answer: the message
// is stored, the page does not know, and sends it again after a reload. The
// outbox is kept the way pages kept it before they had names of their own:
// a page of today adopts it all the same.
func TestResentMessagesAreNotDuplicated(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	srv := parleytest.Start(t, parleytest.Quiet())
	cfg := visitorConfig(srv.URL)
	cfg.Memory = widget.NewPageMemory()
	first := startSession(ctx, t, cfg)
	first.stop()

	// The page had queued message 1 when it was closed; the server had it
	// already.
	msg := &protocol.Message{MsgID: protocol.MessageID(first.chatID, 1), Msg: "only once"}
	if err := srv.Chats.Send(ctx, first.chatID, msg); err != nil {
		t.Fatal(err)
	}
	raw, _ := protocol.MarshalEvent(&protocol.Message{MsgID: msg.MsgID, Msg: msg.Msg})
	if err := cfg.Memory.Set("parley."+parleytest.AppID+".outbox."+first.chatID, map[string]any{"next": 2, "events": []json.RawMessage{raw}}); err != nil {
		t.Fatal(err)
	}
	second := startSession(ctx, t, cfg)
	second.waitFor(ctx, "the stored message", func() bool {
		second.mu.Lock()
		defer second.mu.Unlock()
		return len(second.events) > 0
	})
	history, err := srv.Chats.History(ctx, first.chatID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(history) != 1 {
		t.Errorf("history holds %d events, want the message once", len(history))
	}
}

// TestSessionLongPollsWhenWebSocketsFail puts the server behind a proxy that
// refuses WebSocket upgrades, as some corporate proxies do: the session
// falls back to the API's long poll and the chat works both ways.
func TestSessionLongPollsWhenWebSocketsFail(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	srv := parleytest.Start(t, parleytest.Quiet(), parleytest.Tune(func(i *instance.Instance) {
		i.Server.PollWait = 500 * time.Millisecond
	}))
	target, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	forward := httputil.NewSingleHostReverseProxy(target)
	noSockets := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			http.Error(w, "no WebSockets here", http.StatusForbidden)
			return
		}
		forward.ServeHTTP(w, r)
	}))
	t.Cleanup(noSockets.Close)

	v := startSession(ctx, t, visitorConfig(noSockets.URL))
	v.mu.Lock()
	polling := v.polling
	v.mu.Unlock()
	if !polling {
		t.Error("connected without saying it long-polls")
	}
	agent := subscribe(ctx, t, srv.Chats, v.chatID)
	if _, err := v.session.SendMessage("over polling"); err != nil {
		t.Fatal(err)
	}
	if got := visitorMessages(ctx, t, agent, v.chatID, 1); !slices.Equal(got, []string{"over polling"}) {
		t.Errorf("the agent got %q", got)
	}
	for i := 1; i <= 3; i++ {
		if err := srv.Chats.Publish(ctx, v.chatID, &protocol.Message{Msg: fmt.Sprint("reply ", i), Meta: protocol.Meta{PartyID: "agent-1"}}); err != nil {
			t.Fatal(err)
		}
	}
	v.waitFor(ctx, "three replies", func() bool { texts, _ := v.agentMessages(); return len(texts) == 3 })
	if texts, _ := v.agentMessages(); !slices.Equal(texts, []string{"reply 1", "reply 2", "reply 3"}) {
		t.Errorf("the visitor got %q", texts)
	}
}

// TestWakeReconnectsAtOnce shows a session waiting out a long backoff
// reconnects as soon as it is woken, as the widget does when the page
// becomes visible or the browser goes online.
func TestWakeReconnectsAtOnce(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	srv := parleytest.Start(t, parleytest.Quiet())
	proxy := parleytest.StartNetwork(t, srv.URL[len("http://"):])
	cfg := visitorConfig(proxy.URL())
	cfg.MinBackoff, cfg.MaxBackoff = time.Hour, time.Hour
	v := startSession(ctx, t, cfg)
	proxy.Cut()
	v.waitFor(ctx, "the cut", func() bool { return v.state() == widget.ConnReconnecting })
	v.session.Wake()
	v.waitFor(ctx, "the reconnection", func() bool { return v.state() == widget.ConnConnected })
}

// TestSessionStopsWhileClosed: a session that is refused with 5001 (the
// contact center is closed) fails with that error at once instead of
// retrying until the contact center opens.
func TestSessionStopsWhileClosed(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	cfg := scenario.Default()
	cfg.AppIDs = []string{parleytest.AppID}
	day := [...]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}[(time.Now().UTC().Weekday()+3)%7]
	cfg.Hours = scenario.Hours{TimeZone: "UTC", Days: map[string]string{day: "00:00-23:59"}}
	srv := parleytest.Start(t, parleytest.Contact(cfg))
	s := widget.NewSession(visitorConfig(srv.URL))
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	var last widget.Update
	for u := range s.Updates() {
		if u.Conn != "" {
			last = u
		}
	}
	if err := <-done; !widget.Closed(err) {
		t.Errorf("Run returned %v, want the contact center's 5001", err)
	}
	if last.Conn != widget.ConnFailed || !widget.Closed(last.Err) {
		t.Errorf("the last state is %s (%v), want failed for 5001", last.Conn, last.Err)
	}
}
