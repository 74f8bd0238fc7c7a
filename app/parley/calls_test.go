//go:build !js

package main_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/app/postgres/pgtest"
	"github.com/parleychat/parley/protocol"
	"github.com/parleychat/parley/widget/call"
	"github.com/parleychat/parley/widget/client"
)

// answeringMedia stands for the browser's media: it answers every offer,
// and keeps the offer it got.
type answeringMedia struct {
	mu     sync.Mutex
	offers []string
}

func (m *answeringMedia) open([]protocol.ICEServer, func(call.PeerEvent)) (call.Peer, error) {
	return answeringPeer{m}, nil
}

func (m *answeringMedia) offer() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.offers) == 0 {
		return ""
	}
	return m.offers[len(m.offers)-1]
}

type answeringPeer struct{ m *answeringMedia }

func (p answeringPeer) Answer(_ context.Context, offer string, _ bool) (string, error) {
	p.m.mu.Lock()
	defer p.m.mu.Unlock()
	p.m.offers = append(p.m.offers, offer)
	return "v=0\r\nanswer", nil
}
func (answeringPeer) AddCandidate(protocol.SignalData) error { return nil }
func (answeringPeer) SetMuted(bool)                          {}
func (answeringPeer) SetCamera(bool)                         {}
func (answeringPeer) Attach()                                {}
func (answeringPeer) Close()                                 {}

// TestACallAcrossProcesses: the visitor is served by one process, the agent
// by another, on one database. The agent's offer, larger than a NOTIFY
// carries, rings whole in the visitor's widget; the visitor's answer
// reaches the agent; the visitor, reloaded onto the agent's process before
// answering, gets the offer again.
func TestACallAcrossProcesses(t *testing.T) {
	ctx := testContext(t)
	database := pgtest.Database(t)
	config := filepath.Join(t.TempDir(), "contact.json")
	if err := os.WriteFile(config, []byte(`{"widget": {"videoCallEnabled": true, "visitorVideoEnabled": true}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	first := startWith(t, "-database", database, "-config", config)
	second := startWith(t, "-database", database, "-config", config)
	creds := protocol.Credentials{AppID: parleytest.AppID, ClientID: protocol.NewUUID()}
	visitor := callingVisitor(ctx, t, first.url, creds)
	chatID := visitor.chat.ChatID

	agent := (&parleytest.Server{URL: second.url}).Agent("Grace Hopper")
	if err := agent.Take(ctx, chatID); err != nil {
		t.Fatal(err)
	}
	seen, err := agent.Follow(ctx, chatID)
	if err != nil {
		t.Fatal(err)
	}
	defer seen.Close()
	sdp := "v=0\r\n" + strings.Repeat("a=a line of a large offer, as one with many codecs has\r\n", 300)
	offer := &protocol.Signaling{DestinationPartyID: chatID, Data: protocol.SignalData{Type: protocol.SignalOfferCall, SDP: sdp, OfferVideo: true}, Meta: protocol.Meta{PartyID: agent.PartyID}}

	// Reloaded before it answers, onto the agent's process: the offer
	// rings again.
	until(ctx, t, "the agent's joining", func() bool { return visitor.session.Calls().State().CanRequest })
	if err := agent.Publish(ctx, chatID, offer); err != nil {
		t.Fatal(err)
	}
	until(ctx, t, "the offer ringing", func() bool { return visitor.session.Calls().State().Phase == call.Ringing })
	visitor.stop()
	reloaded := callingVisitor(ctx, t, second.url, creds)
	calls := reloaded.session.Calls()
	until(ctx, t, "the offer ringing again", func() bool { return calls.State().Phase == call.Ringing })
	if err := calls.Accept(true); err != nil {
		t.Fatal(err)
	}
	until(ctx, t, "the answer", func() bool { return reloaded.media.offer() != "" })
	if got := reloaded.media.offer(); got != sdp {
		t.Errorf("the visitor's call answered an offer of %d bytes, want the agent's %d", len(got), len(sdp))
	}
	for {
		e, err := seen.Next(ctx)
		if err != nil {
			t.Fatalf("waiting for the answer: %v", err)
		}
		if sig, ok := e.(*protocol.Signaling); ok && sig.Data.Type == protocol.SignalAnswerCall {
			if sig.PartyID != chatID || sig.DestinationPartyID != agent.PartyID || sig.Data.SDP != "v=0\r\nanswer" {
				t.Errorf("the agent got %+v, want the visitor's answer", sig)
			}
			break
		}
	}
}

// callingVisitorSide is a visitor's widget session on a server that offers
// calls, with media that answers; stop closes its page.
type callingVisitorSide struct {
	session *client.Session
	chat    protocol.ChatSession
	media   *answeringMedia
	stop    func()
}

// callingVisitor runs a visitor's session until the test ends or stop, and
// returns it once connected and configured.
func callingVisitor(ctx context.Context, t *testing.T, baseURL string, creds protocol.Credentials) *callingVisitorSide {
	t.Helper()
	v := &callingVisitorSide{media: &answeringMedia{}}
	v.session = client.NewSession(client.Config{
		BaseURL: baseURL, Credentials: creds, CallMedia: v.media.open,
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond,
	})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = v.session.Run(runCtx) }()
	var once sync.Once
	v.stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(v.stop)
	for u := range v.session.Updates() {
		if u.Chat != nil {
			v.chat = *u.Chat
		}
		if u.Conn == client.ConnConnected {
			break
		}
	}
	go func() {
		for range v.session.Updates() {
		}
	}()
	if _, err := v.session.Configuration(ctx); err != nil {
		t.Fatal(err)
	}
	return v
}
