package server_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/protocol"
	"github.com/parleychat/parley/widget"
)

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// visitor runs a widget.Session against baseURL and records its updates.
type visitor struct {
	t       *testing.T
	session *widget.Session
	chatID  string

	mu      sync.Mutex
	conn    widget.ConnState
	events  []protocol.Event
	changed chan struct{}
}

func startVisitor(ctx context.Context, t *testing.T, baseURL string) *visitor {
	t.Helper()
	v := &visitor{t: t, changed: make(chan struct{}, 1)}
	v.session = widget.NewSession(widget.Config{
		BaseURL:     baseURL,
		Credentials: protocol.Credentials{AppID: parleytest.AppID, ClientID: protocol.NewUUID()},
		MinBackoff:  10 * time.Millisecond,
		MaxBackoff:  50 * time.Millisecond,
	})
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
				v.conn = u.Conn
			}
			if u.Chat != nil {
				v.chatID = u.Chat.ChatID
			}
			v.events = append(v.events, u.Events...)
			v.mu.Unlock()
			select {
			case v.changed <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	v.waitFor(ctx, "connected", func() bool { return v.state() == widget.ConnConnected })
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.chatID == "" {
		t.Fatal("connected without a chat")
	}
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
	if want := protocol.MessageID(v.chatID, 2); id != want {
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
	proxy := startProxy(t, srv.URL[len("http://"):])
	v := startVisitor(ctx, t, "http://"+proxy.addr())
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

	proxy.cut()
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
	if proxy.connections() < 2 {
		t.Errorf("the session used %d connections; the cut should have made it reconnect", proxy.connections())
	}
}

// proxy forwards TCP connections to a server and can cut them all at once,
// like a flaky network.
type proxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	conns []net.Conn
	count int
}

func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target}
	t.Cleanup(func() {
		ln.Close()
		p.cut()
	})
	go p.serve()
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) serve() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			client.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, client, server)
		p.count++
		p.mu.Unlock()
		go func() { _, _ = io.Copy(server, client); server.Close() }()
		go func() { _, _ = io.Copy(client, server); client.Close() }()
	}
}

func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *proxy) connections() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.count
}
