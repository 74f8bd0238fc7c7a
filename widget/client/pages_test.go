//go:build !js

package client_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/protocol"
	"github.com/parleychat/parley/widget/client"
)

// TestTwoPagesOneChat: two pages of a new visitor start at once, and agree
// on one visitor id, so on one chat; each sends a message before it saw the
// other's. Both are stored, under msg_ids of their own, and both pages show
// both, in the order the server stored them.
func TestTwoPagesOneChat(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	srv := parleytest.Start(t, parleytest.Quiet())
	cfg := pagesConfig(srv.URL, client.NewPageMemory(), client.NewProcessLocks())
	pages := []*parleytest.Visitor{parleytest.RunVisitor(ctx, t, cfg), parleytest.RunVisitor(ctx, t, cfg)}
	waitConnected(ctx, pages...)
	if pages[0].ChatID() != pages[1].ChatID() {
		t.Fatalf("two pages of one visitor got chats %s and %s", pages[0].ChatID(), pages[1].ChatID())
	}
	for i, p := range pages {
		if _, err := p.Session.SendMessage([]string{"from the first tab", "from the second tab"}[i]); err != nil {
			t.Fatal(err)
		}
	}
	stored := messageTexts(history(ctx, t, srv, pages[0].ChatID(), 2))
	for _, p := range pages {
		p.WaitFor(ctx, "both messages", func() bool { texts, _, _ := p.Messages(p.ChatID()); return len(texts) == 2 })
		texts, _, ids := p.Messages(p.ChatID())
		if !slices.Equal(texts, stored) || ids[0] == ids[1] {
			t.Errorf("a page shows %q with msg_ids %q; the server stored %q", texts, ids, stored)
		}
	}
	slices.Sort(stored)
	if !slices.Equal(stored, []string{"from the first tab", "from the second tab"}) {
		t.Errorf("the server stored %q", stored)
	}
}

// TestClosedPagesOutboxesAreAdoptedOnce: two pages of one chat each queue a
// message while offline, and both are closed; nothing is lost. The next
// two pages, opened at once, adopt each outbox exactly once; a page that
// is still open keeps its own.
func TestClosedPagesOutboxesAreAdoptedOnce(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	srv, net := startNetwork(t)
	memory, locks := client.NewPageMemory(), client.NewProcessLocks()
	offline := pagesConfig(net.URL(), memory, locks)
	a, b := parleytest.StartVisitor(ctx, t, offline), parleytest.StartVisitor(ctx, t, offline)
	goOffline(ctx, net, a, b)
	if _, err := a.Session.SendMessage("queued in tab A"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Session.SendMessage("queued in tab B"); err != nil {
		t.Fatal(err)
	}

	// A page that opens while both are open leaves their outboxes alone.
	online := pagesConfig(srv.URL, memory, locks)
	c := parleytest.StartVisitor(ctx, t, online)
	if c.ChatID() != a.ChatID() {
		t.Fatalf("the third page got chat %s, want %s", c.ChatID(), a.ChatID())
	}
	if adoptedEarly := len(c.Restored()); adoptedEarly != 0 {
		t.Errorf("a page adopted %d messages of pages that are still open", adoptedEarly)
	}
	c.Stop()
	a.Stop()
	b.Stop()

	pages := []*parleytest.Visitor{parleytest.RunVisitor(ctx, t, online), parleytest.RunVisitor(ctx, t, online)}
	waitConnected(ctx, pages...)
	var restored []string
	for _, p := range pages {
		restored = append(restored, messageTexts(p.Restored())...)
	}
	slices.Sort(restored)
	if !slices.Equal(restored, []string{"queued in tab A", "queued in tab B"}) {
		t.Errorf("the new pages adopted %q, want each queued message once", restored)
	}
	stored := messageTexts(history(ctx, t, srv, a.ChatID(), 2))
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
	answered := make(chan struct{})
	slow := startFront(t, srv, func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/chats") {
			<-answered // held until the visitor has sent
		}
		return false
	})

	v := parleytest.RunVisitor(ctx, t, parleytest.VisitorConfig(slow))
	id, err := v.Session.SendMessage("sent at once")
	close(answered)
	if err != nil || id.IsZero() {
		t.Fatalf("SendMessage before the chat = %q, %v", id, err)
	}
	v.WaitFor(ctx, "connected", func() bool { return v.State() == client.ConnConnected })
	events := history(ctx, t, srv, v.ChatID(), 1)
	if m, ok := events[0].(*protocol.Message); !ok || m.Msg != "sent at once" || m.MsgID != id {
		t.Errorf("the chat holds %v, want the message as %s", events, id)
	}
}

// TestUnsentWhenTheChatEndsDuringAnOutage: the visitor writes while the
// connection is down, and the chat ends meanwhile. The session says the
// message was never sent, rather than leave it on its way for good.
func TestUnsentWhenTheChatEndsDuringAnOutage(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	srv, net := startNetwork(t)
	v := parleytest.StartVisitor(ctx, t, parleytest.VisitorConfig(net.URL()))
	goOffline(ctx, net, v)
	id, err := v.Session.SendMessage("written during the outage")
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Chats.Publish(ctx, v.ChatID(), &protocol.Ended{}); err != nil {
		t.Fatal(err)
	}
	net.Block(false)
	v.WaitFor(ctx, "the end", func() bool { return v.State() == client.ConnEnded })
	if unsent := v.Unsent(); len(unsent) != 1 || *protocol.MsgIDOf(unsent[0]) != id {
		t.Errorf("the session reported %v as not sent, want the message %s", unsent, id)
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
	srv, net := startNetwork(t)
	cfg := parleytest.VisitorConfig(net.URL())
	cfg.Heartbeat, cfg.AnswerTimeout = time.Hour, 300*time.Millisecond
	v := parleytest.StartVisitor(ctx, t, cfg)
	agent := subscribe(ctx, t, srv.Chats, v.ChatID())

	before := net.Connections()
	net.Lose(true, true)
	if _, err := v.Session.SendMessage("into the void"); err != nil {
		t.Fatal(err)
	}
	v.WaitFor(ctx, "a new connection", func() bool { return net.Connections() > before && v.State() == client.ConnConnected })
	if got := visitorMessages(ctx, t, agent, v.ChatID(), 1); !slices.Equal(got, []string{"into the void"}) {
		t.Errorf("the agent saw %q", got)
	}

	before = net.Connections()
	net.Lose(true, true)
	v.Session.Wake()
	v.WaitFor(ctx, "a new connection after the wake", func() bool { return net.Connections() > before && v.State() == client.ConnConnected })
}
