package upstream_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
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

// waitForEvents waits until the stream holds n events of eventType, and
// returns them.
func (v *visitor) waitForEvents(ctx context.Context, what, eventType string, n int) []protocol.Event {
	v.t.Helper()
	var got []protocol.Event
	v.waitFor(ctx, what, func() bool {
		got = v.eventsOf(eventType)
		return len(got) == n
	})
	return got
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

// converse has the visitor and the agent say n messages each, marked with
// tag, interleaved, and checks that every one arrives exactly once and in
// order: at the tenant, and in the visitor's stream, the visitor's own
// shown as sent.
func converse(ctx context.Context, t *testing.T, br *bridged, v *visitor, up *parleytest.BrightPatternChat, agent, tag string, n int) {
	t.Helper()
	sent, said := numbered(tag+" visitor", n), numbered(tag+" agent", n)
	for i := range n {
		v.say(sent[i])
		up.Say(said[i])
	}
	checkConversation(ctx, t, br, v, up, agent, tag, sent, said)
}

// checkConversation waits until the messages marked with tag are there,
// then checks that each of sent reached the tenant once, in order, and that
// the visitor's stream holds sent and said once each, in order.
func checkConversation(ctx context.Context, t *testing.T, br *bridged, v *visitor, up *parleytest.BrightPatternChat, agent, tag string, sent, said []string) {
	t.Helper()
	tagged := func(texts []string) []string {
		var out []string
		for _, m := range texts {
			if strings.Contains(m, tag+" ") {
				out = append(out, m)
			}
		}
		return out
	}
	v.waitFor(ctx, tag+" messages in the stream", func() bool { return len(tagged(v.messages())) >= len(sent)+len(said) })
	if err := br.bp.WaitFor(ctx, func() bool { return len(tagged(visitorTexts(up))) >= len(sent) }); err != nil {
		t.Fatalf("waiting for the tenant to get the visitor's %s messages: %v (it has %q)", tag, err, visitorTexts(up))
	}
	if got := tagged(visitorTexts(up)); !equal(got, sent) {
		t.Errorf("the tenant got %q, want %q once each, in order", got, sent)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	var mine, theirs []string
	for _, m := range tagged(v.messages()) {
		switch {
		case strings.HasPrefix(m, "visitor: "):
			mine = append(mine, strings.TrimPrefix(m, "visitor: "))
		case strings.HasPrefix(m, agent+": "):
			theirs = append(theirs, strings.TrimPrefix(m, agent+": "))
		default:
			t.Errorf("a message from nobody in the chat: %q", m)
		}
	}
	if !equal(mine, sent) {
		t.Errorf("the stream shows the visitor's %q, want %q once each, in order", mine, sent)
	}
	if !equal(theirs, said) {
		t.Errorf("the stream shows the agent's %q, want %q once each, in order", theirs, said)
	}
	v.checkSeqs()
}

// chatWithAgent starts a visitor, waits for the chat upstream, and has an
// agent join it.
func (br *bridged) chatWithAgent(ctx context.Context, t *testing.T) (*visitor, *parleytest.BrightPatternChat, string) {
	t.Helper()
	v := br.startVisitor(ctx, t)
	up, err := br.bp.WaitForChat(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	agent := up.Join("Grace Hopper")
	v.waitFor(ctx, "the agent", func() bool { return len(v.eventsOf(protocol.TypePartyJoined)) == 1 })
	return v, up, agent
}

// visitorEvent waits until the tenant got an event of eventType from the
// visitor, and returns the first.
func visitorEvent(ctx context.Context, t *testing.T, up *parleytest.BrightPatternChat, eventType string) parleytest.VisitorEvent {
	t.Helper()
	e, err := up.WaitForVisitorEvent(ctx, func(e parleytest.VisitorEvent) bool { return e.Event.EventType() == eventType })
	if err != nil {
		t.Fatalf("waiting for the visitor's %s at the tenant: %v", eventType, err)
	}
	return e
}

// shareFile uploads content as the visitor's file name, sends it in the
// chat, and waits for the tenant's file event; it fails the test unless the
// tenant holds the file under the event's file_id, with that name and
// content.
func (br *bridged) shareFile(ctx context.Context, t *testing.T, v *visitor, up *parleytest.BrightPatternChat, name, contentType string, content []byte) (protocol.UploadedFile, *protocol.File) {
	t.Helper()
	uploaded, err := v.session.Upload(ctx, client.NewAttachment(name, contentType, content), nil)
	if err != nil {
		t.Fatal(err)
	}
	v.send(&protocol.File{FileID: uploaded.FileID, FileName: name, FileType: protocol.FileAttachment})
	shared := visitorEvent(ctx, t, up, protocol.TypeFile).Event.(*protocol.File)
	if f, ok := br.bp.File(shared.FileID); !ok || !bytes.Equal(f.Content, content) || f.Name != name {
		t.Errorf("the tenant has file %s as %+v (found %v), want the visitor's %s", shared.FileID, f, ok, name)
	}
	return uploaded, shared
}

// getAsVisitor fetches path from Parley with the visitor's chat token, as
// the widget's downloads do.
func (br *bridged) getAsVisitor(t *testing.T, v *visitor, path string) (int, []byte, http.Header) {
	t.Helper()
	v.mu.Lock()
	token := v.chat.Token
	v.mu.Unlock()
	return get(t, br.srv.URL+path+"?token="+url.QueryEscape(token))
}

// get fetches a URL and returns its status, body and header.
func get(t *testing.T, u string) (int, []byte, http.Header) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body, resp.Header
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
