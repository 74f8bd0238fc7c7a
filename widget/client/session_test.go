//go:build !js

package client_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parleychat/parley/app/instance"
	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/app/scenario"
	"github.com/parleychat/parley/protocol"
	"github.com/parleychat/parley/widget/client"
)

func TestSessionChatsBothWays(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	srv := parleytest.Start(t, parleytest.Quiet())
	v := parleytest.StartVisitor(ctx, t, parleytest.VisitorConfig(srv.URL))
	agent := subscribe(ctx, t, srv.Chats, v.ChatID())

	if _, err := v.Session.SendMessage("first"); err != nil {
		t.Fatal(err)
	}
	id, err := v.Session.SendMessage("second")
	if err != nil {
		t.Fatal(err)
	}
	if want := protocol.TextID(v.Session.Tab() + ":2"); id != want {
		t.Errorf("second msg_id = %q, want %q", id, want)
	}
	if got := visitorMessages(ctx, t, agent, v.ChatID(), 2); !slices.Equal(got, []string{"first", "second"}) {
		t.Errorf("the agent saw %q", got)
	}

	if err := srv.Chats.Publish(ctx, v.ChatID(), &protocol.Message{Msg: "hello", Meta: protocol.Meta{PartyID: "agent-1"}}); err != nil {
		t.Fatal(err)
	}
	v.WaitFor(ctx, "the agent's message", func() bool { texts, _, _ := v.Messages(""); return len(texts) == 1 })

	if _, err := v.Session.SendMessage(""); err == nil {
		t.Error("SendMessage took a blank message")
	}
	long := make([]byte, protocol.MaxTextBytes+1)
	for i := range long {
		long[i] = 'a'
	}
	if _, err := v.Session.SendMessage(string(long)); err == nil {
		t.Error("SendMessage took a message over the size limit")
	}
}

func TestSessionEndsWithTheChat(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	srv := parleytest.Start(t, parleytest.Quiet())
	v := parleytest.StartVisitor(ctx, t, parleytest.VisitorConfig(srv.URL))
	if err := srv.Chats.Publish(ctx, v.ChatID(), &protocol.Ended{}); err != nil {
		t.Fatal(err)
	}
	v.WaitFor(ctx, "the end", func() bool { return v.State() == client.ConnEnded })
}

// TestSessionLosesNothingWhenTheConnectionDrops cuts the visitor's connection
// while the agent and the visitor both keep writing: after the reconnect, the
// visitor has every agent message exactly once, in order, and the agent has
// every visitor message exactly once.
func TestSessionLosesNothingWhenTheConnectionDrops(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	srv, proxy := startNetwork(t)
	v := parleytest.StartVisitor(ctx, t, parleytest.VisitorConfig(proxy.URL()))
	agent := subscribe(ctx, t, srv.Chats, v.ChatID())

	var want []string
	publish := func(from, to int) {
		for i := from; i <= to; i++ {
			text := fmt.Sprintf("agent %d", i)
			want = append(want, text)
			if err := srv.Chats.Publish(ctx, v.ChatID(), &protocol.Message{Msg: text, Meta: protocol.Meta{PartyID: "agent-1"}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	publish(1, 10)
	v.WaitFor(ctx, "ten agent messages", func() bool { texts, _, _ := v.Messages(""); return len(texts) == 10 })
	if _, err := v.Session.SendMessage("before the cut"); err != nil {
		t.Fatal(err)
	}

	proxy.Cut()
	publish(11, 20)
	if _, err := v.Session.SendMessage("during the cut"); err != nil {
		t.Fatal(err)
	}
	v.WaitFor(ctx, "twenty agent messages", func() bool { texts, _, _ := v.Messages(""); return len(texts) >= 20 })
	texts, seqs, _ := v.Messages("")
	if !slices.Equal(texts, want) {
		t.Errorf("the visitor saw %q, want %q", texts, want)
	}
	if !slices.IsSorted(seqs) || len(slices.Compact(slices.Clone(seqs))) != len(seqs) {
		t.Errorf("sequence numbers %v are not strictly increasing", seqs)
	}
	got := visitorMessages(ctx, t, agent, v.ChatID(), 2)
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
	srv, proxy := startNetwork(t)
	cfg := parleytest.VisitorConfig(proxy.URL())
	cfg.Heartbeat = 200 * time.Millisecond
	v := parleytest.StartVisitor(ctx, t, cfg)
	agent := subscribe(ctx, t, srv.Chats, v.ChatID())

	// Heartbeats keep a quiet socket that works.
	before := proxy.Connections()
	time.Sleep(5 * cfg.Heartbeat)
	if n := proxy.Connections(); n != before || v.State() != client.ConnConnected {
		t.Fatalf("a quiet socket that works was replaced: %d connections, then %d", before, n)
	}

	proxy.Lose(true, true)
	if _, err := v.Session.SendMessage("into the void"); err != nil {
		t.Fatal(err)
	}
	v.WaitFor(ctx, "a new connection", func() bool { return proxy.Connections() > before && v.State() == client.ConnConnected })
	if got := visitorMessages(ctx, t, agent, v.ChatID(), 1); !slices.Equal(got, []string{"into the void"}) {
		t.Errorf("the agent saw %q", got)
	}
	events, err := srv.Chats.History(ctx, v.ChatID(), 0, 100)
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
	srv, proxy := startNetwork(t)
	cfg := parleytest.VisitorConfig(proxy.URL())
	cfg.Memory = client.NewPageMemory()
	first := parleytest.StartVisitor(ctx, t, cfg)
	agent := subscribe(ctx, t, srv.Chats, first.ChatID())
	if _, err := first.Session.SendMessage("sent while up"); err != nil {
		t.Fatal(err)
	}
	visitorMessages(ctx, t, agent, first.ChatID(), 1)

	goOffline(ctx, proxy, first)
	for _, text := range []string{"sent while down 1", "sent while down 2"} {
		if _, err := first.Session.SendMessage(text); err != nil {
			t.Fatal(err)
		}
	}
	first.Stop()

	proxy.Block(false)
	second := parleytest.StartVisitor(ctx, t, cfg)
	if second.ChatID() != first.ChatID() {
		t.Fatalf("the reloaded page got chat %s, want %s", second.ChatID(), first.ChatID())
	}
	// The first message's answer may have been lost in the cut too: then
	// it is restored and sent again, and the server drops it.
	restored := messageTexts(second.Restored())
	if !slices.Contains(restored, "sent while down 1") || !slices.Contains(restored, "sent while down 2") {
		t.Errorf("the reloaded page restored %q, want both messages sent while down", restored)
	}
	got := visitorMessages(ctx, t, agent, first.ChatID(), 2)
	if !slices.Equal(got, []string{"sent while down 1", "sent while down 2"}) {
		t.Errorf("the agent got %q", got)
	}
	id, err := second.Session.SendMessage("after the reload")
	if err != nil {
		t.Fatal(err)
	}
	if want := protocol.TextID(second.Session.Tab() + ":1"); id != want || second.Session.Tab() == first.Session.Tab() {
		t.Errorf("the next msg_id is %s, want %s, under a name the first page did not have", id, want)
	}
	if got := visitorMessages(ctx, t, agent, first.ChatID(), 1); !slices.Equal(got, []string{"after the reload"}) {
		t.Errorf("then the agent got %q", got)
	}

	// The chat ends: what the page kept for it is forgotten.
	if err := srv.Chats.Publish(ctx, first.ChatID(), &protocol.Ended{}); err != nil {
		t.Fatal(err)
	}
	second.WaitFor(ctx, "the end", func() bool { return second.State() == client.ConnEnded })
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
	cfg := parleytest.VisitorConfig(srv.URL)
	cfg.Memory = client.NewPageMemory()
	first := parleytest.StartVisitor(ctx, t, cfg)
	first.Stop()

	// The page had queued message 1 when it was closed; the server had it
	// already.
	msg := &protocol.Message{MsgID: protocol.MessageID(first.ChatID(), 1), Msg: "only once"}
	if err := srv.Chats.Send(ctx, first.ChatID(), msg); err != nil {
		t.Fatal(err)
	}
	raw, _ := protocol.MarshalEvent(&protocol.Message{MsgID: msg.MsgID, Msg: msg.Msg})
	if err := cfg.Memory.Set("parley."+parleytest.AppID+".outbox."+first.ChatID(), map[string]any{"next": 2, "events": []json.RawMessage{raw}}); err != nil {
		t.Fatal(err)
	}
	second := parleytest.StartVisitor(ctx, t, cfg)
	second.WaitFor(ctx, "the stored message", func() bool { return len(second.Events()) > 0 })
	history, err := srv.Chats.History(ctx, first.ChatID(), 0, 100)
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
	noSockets := startFront(t, srv, func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			return false
		}
		http.Error(w, "no WebSockets here", http.StatusForbidden)
		return true
	})

	v := parleytest.StartVisitor(ctx, t, parleytest.VisitorConfig(noSockets))
	if !v.Polling() {
		t.Error("connected without saying it long-polls")
	}
	agent := subscribe(ctx, t, srv.Chats, v.ChatID())
	if _, err := v.Session.SendMessage("over polling"); err != nil {
		t.Fatal(err)
	}
	if got := visitorMessages(ctx, t, agent, v.ChatID(), 1); !slices.Equal(got, []string{"over polling"}) {
		t.Errorf("the agent got %q", got)
	}
	for i := 1; i <= 3; i++ {
		if err := srv.Chats.Publish(ctx, v.ChatID(), &protocol.Message{Msg: fmt.Sprint("reply ", i), Meta: protocol.Meta{PartyID: "agent-1"}}); err != nil {
			t.Fatal(err)
		}
	}
	v.WaitFor(ctx, "three replies", func() bool { texts, _, _ := v.Messages(""); return len(texts) == 3 })
	if texts, _, _ := v.Messages(""); !slices.Equal(texts, []string{"reply 1", "reply 2", "reply 3"}) {
		t.Errorf("the visitor got %q", texts)
	}
}

// TestWakeReconnectsAtOnce shows a session waiting out a long backoff
// reconnects as soon as it is woken, as the widget does when the page
// becomes visible or the browser goes online.
func TestWakeReconnectsAtOnce(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	_, proxy := startNetwork(t)
	cfg := parleytest.VisitorConfig(proxy.URL())
	cfg.MinBackoff, cfg.MaxBackoff = time.Hour, time.Hour
	v := parleytest.StartVisitor(ctx, t, cfg)
	proxy.Cut()
	v.WaitFor(ctx, "the cut", func() bool { return v.State() == client.ConnReconnecting })
	v.Session.Wake()
	v.WaitFor(ctx, "the reconnection", func() bool { return v.State() == client.ConnConnected })
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
	s := client.NewSession(parleytest.VisitorConfig(srv.URL))
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	var last client.Update
	for u := range s.Updates() {
		if u.Conn != "" {
			last = u
		}
	}
	if err := <-done; !client.Closed(err) {
		t.Errorf("Run returned %v, want the contact center's 5001", err)
	}
	if last.Conn != client.ConnFailed || !client.Closed(last.Err) {
		t.Errorf("the last state is %s (%v), want failed for 5001", last.Conn, last.Err)
	}
}

// TestABurstOverTheRateLimitIsStoredInOrder: a visitor's outbox sends more
// at once than the chat's budget takes (a backlog after a reconnect, a
// paste of many lines). What the server refuses for the rate is sent again
// once the budget allows, never reported as refused; every message is
// stored once, in the order it was written.
func TestABurstOverTheRateLimitIsStoredInOrder(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	srv := parleytest.Start(t, parleytest.Quiet())
	v := parleytest.StartVisitor(ctx, t, parleytest.VisitorConfig(srv.URL))
	const burst = 30 // the budget takes 20 at once, then 5 a second
	var want []string
	for i := range burst {
		text := fmt.Sprintf("line %d", i+1)
		want = append(want, text)
		if _, err := v.Session.SendMessage(text); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	v.WaitFor(ctx, "every line stored", func() bool {
		events, err := srv.Chats.History(ctx, v.ChatID(), 0, 200)
		if err != nil {
			t.Fatal(err)
		}
		got = got[:0]
		for _, e := range events {
			if m, ok := e.(*protocol.Message); ok && m.PartyID == v.ChatID() {
				got = append(got, m.Msg)
			}
		}
		return len(got) >= burst
	})
	if !slices.Equal(got, want) {
		t.Errorf("stored %q, want %q", got, want)
	}
	if refused := v.Refused(); len(refused) > 0 {
		t.Errorf("the session reported %d refusals, the first %v", len(refused), refused[0].Err)
	}
}
