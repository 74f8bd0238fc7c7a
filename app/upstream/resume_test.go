package upstream_test

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/app/instance"
	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/app/scenario"
	"github.com/parleychat/parley/app/upstream"
	"github.com/parleychat/parley/protocol"
	"github.com/parleychat/parley/widget/client"
)

// parley is a Parley server in upstream mode that a test stops and starts
// again on the same data and address.
type parley struct {
	inst   *instance.Instance
	cancel context.CancelFunc
	done   chan error
}

func startParley(t *testing.T, dir, addr string, bp *parleytest.BrightPattern) *parley {
	t.Helper()
	inst, err := instance.Open(context.Background(), instance.Config{
		DataDir: dir, WebDir: parleytest.WebDir(), Contact: scenario.Default(),
		Upstream: &upstream.Config{URL: bp.URL, TenantURL: bp.TenantURL, AppID: bp.AppID},
	})
	if err != nil {
		t.Fatal(err)
	}
	inst.Bridge.MinBackoff, inst.Bridge.MaxBackoff, inst.Bridge.Grace = 20*time.Millisecond, 200*time.Millisecond, 100*time.Millisecond
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &parley{inst: inst, cancel: cancel, done: make(chan error, 1)}
	go func() { p.done <- inst.Run(ctx, ln) }()
	t.Cleanup(func() { p.stop(t) })
	return p
}

// stop shuts the server down, once.
func (p *parley) stop(t *testing.T) {
	t.Helper()
	if p.cancel == nil {
		return
	}
	p.cancel()
	p.cancel = nil
	if err := <-p.done; err != nil {
		t.Errorf("the server stopped with %v", err)
	}
	if err := p.inst.Close(); err != nil {
		t.Error(err)
	}
}

// TestAStoppedServerResumesItsChats stops Parley while a chat is open and
// things are on their way both ways, and starts it again: the visitor's
// events waiting in the server's outbox reach the tenant once, what the
// tenant said meanwhile reaches the visitor once, also what a poll answer
// carried that the server never stored (the tenant counted it delivered),
// and what the visitor typed while the server was away goes once.
func TestAStoppedServerResumesItsChats(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	bp := parleytest.StartBrightPattern(t, parleytest.BrightPatternConfig{PollWait: time.Second})
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	first := startParley(t, dir, addr, bp)
	br := &bridged{bp: bp, srv: &parleytest.Server{URL: "http://" + addr, Chats: first.inst.Chats, Instance: first.inst}}
	v, up, agent := br.chatWithAgent(ctx, t)
	converse(ctx, t, br, v, up, agent, "before", 3)

	// The tenant goes away; what the visitor sends waits in the server's
	// outbox.
	bp.Disappear()
	v.waitFor(ctx, "reconnecting", func() bool { return v.conn == client.ConnReconnecting })
	queued := numbered("queued visitor", 3)
	for _, text := range queued {
		v.say(text)
	}
	parleytest.Eventually(ctx, t, "the visitor's messages in the server's outbox", func() bool {
		q, err := first.inst.Store.Queue(ctx, v.chatID(), chat.Outbox, 3, 100)
		return err == nil && len(q) == len(queued)
	})
	link, err := first.inst.Store.Upstream(ctx, v.chatID())
	if err != nil {
		t.Fatal(err)
	}
	first.stop(t)
	if err := bp.Reappear(); err != nil {
		t.Fatal(err)
	}

	// While the server is away: the agent speaks, a poll answer is lost
	// after the tenant wrote it, the agent speaks again, and the visitor
	// types.
	lost := numbered("lost agent", 2)
	for _, text := range lost {
		up.Say(text)
	}
	loseAnAnswer(ctx, t, bp, link)
	later := numbered("later agent", 2)
	for _, text := range later {
		up.Say(text)
	}
	typed := numbered("typed visitor", 2)
	for _, text := range typed {
		v.say(text)
	}

	second := startParley(t, dir, addr, bp)
	br.srv.Chats, br.srv.Instance = second.inst.Chats, second.inst
	v.waitFor(ctx, "connected again", func() bool { return v.conn == client.ConnConnected })
	checkConversation(ctx, t, br, v, up, agent, "queued", queued, nil)
	checkConversation(ctx, t, br, v, up, agent, "lost", nil, lost)
	checkConversation(ctx, t, br, v, up, agent, "later", nil, later)
	checkConversation(ctx, t, br, v, up, agent, "typed", typed, nil)
	converse(ctx, t, br, v, up, agent, "after", 3)
	if n := len(bp.Chats()); n != 1 {
		t.Errorf("the tenant has %d chats, want one", n)
	}
}

// loseAnAnswer polls the chat as the bridge would, and throws the answer
// away: the tenant counts its events as delivered.
func loseAnAnswer(ctx context.Context, t *testing.T, bp *parleytest.BrightPattern, link chat.Upstream) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, bp.APIURL()+"/chats/"+link.UpstreamID+"/events?tenantUrl="+bp.TenantURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", protocol.Credentials{AppID: bp.AppID, ClientID: link.ClientID}.Authorization())
	resp, err := bp.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || bp.Chat(link.UpstreamID).Undelivered() != 0 {
		t.Fatalf("the lost poll answered %d, leaving %d events undelivered", resp.StatusCode, bp.Chat(link.UpstreamID).Undelivered())
	}
}
