package upstream_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/protocol"
	"github.com/parleychat/parley/widget/client"
)

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// bridged is Parley in upstream mode in front of a fake tenant.
type bridged struct {
	bp  *parleytest.BrightPattern
	srv *parleytest.Server
}

// startBridged starts a fake tenant with cfg (polls held 1 s unless cfg
// says otherwise) and Parley in upstream mode in front of it.
func startBridged(t *testing.T, cfg parleytest.BrightPatternConfig, opts ...parleytest.Option) *bridged {
	t.Helper()
	if cfg.PollWait == 0 {
		cfg.PollWait = time.Second
	}
	bp := parleytest.StartBrightPattern(t, cfg)
	srv := parleytest.Start(t, append([]parleytest.Option{parleytest.Upstream(bp)}, opts...)...)
	return &bridged{bp: bp, srv: srv}
}

// visitor is the widget's Session against Parley, with everything it
// reported.
type visitor struct {
	t       *testing.T
	session *client.Session
	stop    func()

	mu      sync.Mutex
	chat    protocol.ChatSession
	conn    client.ConnState
	conns   []client.ConnState
	events  []protocol.Event
	refused []*client.Refusal
	failure error
	changed chan struct{}
}

// startVisitor starts a new visitor's session and waits until it is
// connected to its chat.
func (b *bridged) startVisitor(ctx context.Context, t *testing.T) *visitor {
	t.Helper()
	v := b.runVisitor(ctx, t, protocol.NewUUID(), protocol.ChatRequest{})
	v.waitFor(ctx, "the chat", func() bool { return v.conn == client.ConnConnected && v.chat.ChatID != "" })
	return v
}

// runVisitor runs a session of clientID until the test ends or stop.
func (b *bridged) runVisitor(ctx context.Context, t *testing.T, clientID string, req protocol.ChatRequest) *visitor {
	t.Helper()
	v := &visitor{t: t, changed: make(chan struct{})}
	v.session = client.NewSession(client.Config{
		BaseURL:     b.srv.URL,
		Credentials: protocol.Credentials{AppID: b.bp.AppID, ClientID: clientID},
		Request:     req,
		MinBackoff:  20 * time.Millisecond,
		MaxBackoff:  200 * time.Millisecond,
	})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		err := v.session.Run(runCtx)
		v.mu.Lock()
		v.failure = err
		v.mu.Unlock()
	}()
	go func() {
		for u := range v.session.Updates() {
			v.mu.Lock()
			if u.Conn != "" {
				v.conn = u.Conn
				v.conns = append(v.conns, u.Conn)
			}
			if u.Chat != nil {
				v.chat = *u.Chat
			}
			if u.Reset {
				v.events = nil
			}
			v.events = append(v.events, u.Events...)
			if u.Refused != nil {
				v.refused = append(v.refused, u.Refused)
			}
			close(v.changed)
			v.changed = make(chan struct{})
			v.mu.Unlock()
		}
	}()
	var once sync.Once
	v.stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(v.stop)
	return v
}

// waitFor waits until cond, which runs with v.mu held, holds.
func (v *visitor) waitFor(ctx context.Context, what string, cond func() bool) {
	v.t.Helper()
	for {
		v.mu.Lock()
		ok, changed := cond(), v.changed
		state := v.conn
		v.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-changed:
		case <-ctx.Done():
			v.t.Fatalf("waiting for %s: %v (connection %s)", what, ctx.Err(), state)
		}
	}
}

func (v *visitor) chatID() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.chat.ChatID
}

// say sends a message and returns its msg_id.
func (v *visitor) say(text string) protocol.ID {
	v.t.Helper()
	id, err := v.session.SendMessage(text)
	if err != nil {
		v.t.Fatalf("sending %q: %v", text, err)
	}
	return id
}

func (v *visitor) send(e protocol.Event) {
	v.t.Helper()
	if err := v.session.Send(e); err != nil {
		v.t.Fatalf("sending %s: %v", e.EventType(), err)
	}
}

// messages returns the texts of the messages in the stream, with their
// sender: "visitor" for the visitor's own, the party id for the others.
// The caller holds v.mu.
func (v *visitor) messages() []string {
	var out []string
	for _, e := range v.events {
		if m, ok := e.(*protocol.Message); ok {
			from := m.PartyID
			if from == v.chat.ChatID {
				from = "visitor"
			}
			out = append(out, from+": "+m.Text())
		}
	}
	return out
}

// eventsOf returns the stream's events of a type. The caller holds v.mu.
func (v *visitor) eventsOf(eventType string) []protocol.Event {
	var out []protocol.Event
	for _, e := range v.events {
		if e.EventType() == eventType {
			out = append(out, e)
		}
	}
	return out
}

// checkSeqs fails the test unless the stream's stored events carry each
// seq once, in order, from 1. The caller holds v.mu.
func (v *visitor) checkSeqs() {
	v.t.Helper()
	var want uint64 = 1
	for _, e := range v.events {
		seq := e.EventMeta().Seq
		if seq == 0 {
			continue
		}
		if seq != want {
			v.t.Errorf("the stream has seq %d where %d was due", seq, want)
			return
		}
		want++
	}
}

// visitorTexts returns the texts of the visitor's messages the tenant got,
// in order, repeats included.
func visitorTexts(c *parleytest.BrightPatternChat) []string {
	var out []string
	for _, m := range c.VisitorMessages() {
		out = append(out, m.Text())
	}
	return out
}

// numbered returns "prefix 1" to "prefix n".
func numbered(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s %d", prefix, i+1)
	}
	return out
}

// equal reports whether two lists hold the same texts in the same order.
func equal(a, b []string) bool { return slices.Equal(a, b) }

// eventually checks cond every few milliseconds until it holds, for what
// announces no change: the server's store.
func eventually(ctx context.Context, t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v", what, ctx.Err())
		}
	}
}
