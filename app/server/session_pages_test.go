package server_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/protocol"
	"github.com/parleychat/parley/widget"
)

// pagesConfig is a session of a visitor whose pages share storage and
// locks, as the tabs of one browser do, and who has no id yet.
func pagesConfig(baseURL string, memory widget.Memory, locks widget.Locks) widget.Config {
	cfg := visitorConfig(baseURL)
	cfg.Credentials.ClientID = ""
	cfg.Memory, cfg.Locks = memory, locks
	return cfg
}

// visitorTexts are the texts of the visitor's messages the session saw in
// the stream, and their msg_ids.
func (v *visitor) visitorTexts() (texts []string, ids []protocol.ID) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, e := range v.events {
		if m, ok := e.(*protocol.Message); ok && m.PartyID == v.chatID {
			texts = append(texts, m.Msg)
			ids = append(ids, m.MsgID)
		}
	}
	return texts, ids
}

// TestTwoPagesOneChat: two pages of a new visitor start at once, and agree
// on one visitor id, so on one chat; each sends a message before it saw the
// other's. Both are stored, under msg_ids of their own, and both pages show
// both, in the order the server stored them.
func TestTwoPagesOneChat(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	srv := parleytest.Start(t, parleytest.Quiet())
	cfg := pagesConfig(srv.URL, widget.NewPageMemory(), widget.NewProcessLocks())
	pages := []*visitor{runSession(ctx, t, cfg), runSession(ctx, t, cfg)}
	for _, p := range pages {
		p.waitFor(ctx, "connected", func() bool { return p.state() == widget.ConnConnected })
	}
	if pages[0].chatID != pages[1].chatID {
		t.Fatalf("two pages of one visitor got chats %s and %s", pages[0].chatID, pages[1].chatID)
	}
	for i, p := range pages {
		if _, err := p.session.SendMessage([]string{"from the first tab", "from the second tab"}[i]); err != nil {
			t.Fatal(err)
		}
	}
	var stored []string
	for _, e := range history(ctx, t, srv, pages[0].chatID, 2) {
		stored = append(stored, e.(*protocol.Message).Msg)
	}
	for _, p := range pages {
		p.waitFor(ctx, "both messages", func() bool { texts, _ := p.visitorTexts(); return len(texts) == 2 })
		texts, ids := p.visitorTexts()
		if !slices.Equal(texts, stored) || ids[0] == ids[1] {
			t.Errorf("a page shows %q with msg_ids %q; the server stored %q", texts, ids, stored)
		}
	}
	slices.Sort(stored)
	if !slices.Equal(stored, []string{"from the first tab", "from the second tab"}) {
		t.Errorf("the server stored %q", stored)
	}
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

// TestClosedPagesOutboxesAreAdoptedOnce: two pages of one chat each queue a
// message while offline, and both are closed; nothing is lost. The next
// two pages, opened at once, adopt each outbox exactly once; a page that
// is still open keeps its own.
func TestClosedPagesOutboxesAreAdoptedOnce(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	srv := parleytest.Start(t, parleytest.Quiet())
	net := parleytest.StartNetwork(t, srv.URL[len("http://"):])
	memory, locks := widget.NewPageMemory(), widget.NewProcessLocks()
	offline := pagesConfig(net.URL(), memory, locks)
	a, b := startSession(ctx, t, offline), startSession(ctx, t, offline)
	net.Block(true)
	net.Cut()
	for _, p := range []*visitor{a, b} {
		p.waitFor(ctx, "the cut", func() bool { return p.state() != widget.ConnConnected })
	}
	if _, err := a.session.SendMessage("queued in tab A"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.session.SendMessage("queued in tab B"); err != nil {
		t.Fatal(err)
	}

	// A page that opens while both are open leaves their outboxes alone.
	online := pagesConfig(srv.URL, memory, locks)
	c := startSession(ctx, t, online)
	if c.chatID != a.chatID {
		t.Fatalf("the third page got chat %s, want %s", c.chatID, a.chatID)
	}
	c.mu.Lock()
	adoptedEarly := len(c.restored)
	c.mu.Unlock()
	if adoptedEarly != 0 {
		t.Errorf("a page adopted %d messages of pages that are still open", adoptedEarly)
	}
	c.stop()
	a.stop()
	b.stop()

	pages := []*visitor{runSession(ctx, t, online), runSession(ctx, t, online)}
	for _, p := range pages {
		p.waitFor(ctx, "connected", func() bool { return p.state() == widget.ConnConnected })
	}
	var restored []string
	for _, p := range pages {
		p.mu.Lock()
		for _, e := range p.restored {
			restored = append(restored, e.(*protocol.Message).Msg)
		}
		p.mu.Unlock()
	}
	slices.Sort(restored)
	if !slices.Equal(restored, []string{"queued in tab A", "queued in tab B"}) {
		t.Errorf("the new pages adopted %q, want each queued message once", restored)
	}
	var stored []string
	for _, e := range history(ctx, t, srv, a.chatID, 2) {
		stored = append(stored, e.(*protocol.Message).Msg)
	}
	slices.Sort(stored)
	if !slices.Equal(stored, []string{"queued in tab A", "queued in tab B"}) {
		t.Errorf("the server stored %q", stored)
	}
}

// TestMessageBeforeTheChatIsKnown: on a slow network the visitor sends
// before Request Chat has answered; the message waits for the chat and is
// stored, never dropped.
func TestMessageBeforeTheChatIsKnown(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	srv := parleytest.Start(t, parleytest.Quiet())
	target, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	forward := httputil.NewSingleHostReverseProxy(target)
	answered := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/chats") {
			<-answered // held until the visitor has sent
		}
		forward.ServeHTTP(w, r)
	}))
	t.Cleanup(slow.Close)

	v := runSession(ctx, t, visitorConfig(slow.URL))
	id, err := v.session.SendMessage("sent at once")
	close(answered)
	if err != nil || id.IsZero() {
		t.Fatalf("SendMessage before the chat = %q, %v", id, err)
	}
	v.waitFor(ctx, "connected", func() bool { return v.state() == widget.ConnConnected })
	events := history(ctx, t, srv, v.chatID, 1)
	if m, ok := events[0].(*protocol.Message); !ok || m.Msg != "sent at once" || m.MsgID != id {
		t.Errorf("the chat holds %v, want the message as %s", eventTypes(events), id)
	}
}

// TestUnsentWhenTheChatEndsDuringAnOutage: the visitor writes while the
// connection is down, and the chat ends meanwhile. The session says the
// message was never sent, rather than leave it on its way for good.
func TestUnsentWhenTheChatEndsDuringAnOutage(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	srv := parleytest.Start(t, parleytest.Quiet())
	net := parleytest.StartNetwork(t, srv.URL[len("http://"):])
	v := startSession(ctx, t, visitorConfig(net.URL()))
	net.Block(true)
	net.Cut()
	v.waitFor(ctx, "the cut", func() bool { return v.state() != widget.ConnConnected })
	id, err := v.session.SendMessage("written during the outage")
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Chats.Publish(ctx, v.chatID, &protocol.Ended{}); err != nil {
		t.Fatal(err)
	}
	net.Block(false)
	v.waitFor(ctx, "the end", func() bool { return v.state() == widget.ConnEnded })
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.unsent) != 1 || *protocol.MsgIDOf(v.unsent[0]) != id {
		t.Errorf("the session reported %v as not sent, want the message %s", v.unsent, id)
	}
}

// TestSilentSocketNoticedByAnUnansweredWrite: with no heartbeat for an
// hour, a socket that drops what the visitor writes is given up when the
// server's answer does not come, and the message goes over the next one.
// Woken (the browser went online, the page became visible), a session
// checks its socket at once too.
func TestSilentSocketNoticedByAnUnansweredWrite(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	srv := parleytest.Start(t, parleytest.Quiet())
	net := parleytest.StartNetwork(t, srv.URL[len("http://"):])
	cfg := visitorConfig(net.URL())
	cfg.Heartbeat, cfg.AnswerTimeout = time.Hour, 300*time.Millisecond
	v := startSession(ctx, t, cfg)
	agent := subscribe(ctx, t, srv.Chats, v.chatID)

	before := net.Connections()
	net.Lose(true, true)
	if _, err := v.session.SendMessage("into the void"); err != nil {
		t.Fatal(err)
	}
	v.waitFor(ctx, "a new connection", func() bool { return net.Connections() > before && v.state() == widget.ConnConnected })
	if got := visitorMessages(ctx, t, agent, v.chatID, 1); !slices.Equal(got, []string{"into the void"}) {
		t.Errorf("the agent saw %q", got)
	}

	before = net.Connections()
	net.Lose(true, true)
	v.session.Wake()
	v.waitFor(ctx, "a new connection after the wake", func() bool { return net.Connections() > before && v.state() == widget.ConnConnected })
}
