//go:build !js

package client_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/app/scenario"
	"github.com/parleychat/parley/protocol"
	"github.com/parleychat/parley/widget/call"
	"github.com/parleychat/parley/widget/client"
)

// fakeMedia stands for the browser's media in a client.Session: it answers
// every offer and records what the call gives it.
type fakeMedia struct {
	mu         sync.Mutex
	report     func(call.PeerEvent)
	offers     []string
	candidates []string
	closed     bool
}

func (m *fakeMedia) open(_ []protocol.ICEServer, report func(call.PeerEvent)) (call.Peer, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.report = report
	return fakePeer{m}, nil
}

func (m *fakeMedia) snapshot() (offers, candidates []string, closed bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.offers), slices.Clone(m.candidates), m.closed
}

// send reports ev as the browser would.
func (m *fakeMedia) send(ev call.PeerEvent) {
	m.mu.Lock()
	report := m.report
	m.mu.Unlock()
	report(ev)
}

type fakePeer struct{ m *fakeMedia }

func (p fakePeer) Answer(_ context.Context, offer string, _ bool) (string, error) {
	p.m.mu.Lock()
	defer p.m.mu.Unlock()
	p.m.offers = append(p.m.offers, offer)
	return "v=0\r\nanswer", nil
}

func (p fakePeer) AddCandidate(c protocol.SignalData) error {
	p.m.mu.Lock()
	defer p.m.mu.Unlock()
	p.m.candidates = append(p.m.candidates, c.Candidate)
	return nil
}

func (p fakePeer) SetMuted(bool)  {}
func (p fakePeer) SetCamera(bool) {}
func (p fakePeer) Attach()        {}

func (p fakePeer) Close() {
	p.m.mu.Lock()
	defer p.m.mu.Unlock()
	p.m.closed = true
}

// callsOn is the default contact center with calls offered.
func callsOn() parleytest.Option {
	contact := scenario.Default()
	contact.AppIDs = []string{parleytest.AppID}
	contact.Widget.VideoCallEnabled, contact.Widget.VisitorVideoEnabled = true, true
	return parleytest.Contact(contact)
}

// caller is an agent who took a visitor's chat, following it on the agent
// socket.
type caller struct {
	t      *testing.T
	agent  *parleytest.Agent
	chatID string
	seen   *parleytest.Follower
}

func takeCall(ctx context.Context, t *testing.T, srv *parleytest.Server, chatID string) *caller {
	t.Helper()
	grace := srv.Agent("Grace Hopper")
	if err := grace.Take(ctx, chatID); err != nil {
		t.Fatal(err)
	}
	seen, err := grace.Follow(ctx, chatID)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { seen.Close() })
	return &caller{t: t, agent: grace, chatID: chatID, seen: seen}
}

func (c *caller) signal(ctx context.Context, data protocol.SignalData) {
	c.t.Helper()
	if err := c.agent.Publish(ctx, c.chatID, &protocol.Signaling{DestinationPartyID: c.chatID, Data: data, Meta: protocol.Meta{PartyID: c.agent.PartyID}}); err != nil {
		c.t.Fatal(err)
	}
}

// heard waits until the agent got a signal of type from the visitor, and
// returns it.
func (c *caller) heard(ctx context.Context, kind string) *protocol.Signaling {
	c.t.Helper()
	for {
		e, err := c.seen.Next(ctx)
		if err != nil {
			c.t.Fatalf("waiting for %s: %v", kind, err)
		}
		if sig, ok := e.(*protocol.Signaling); ok && sig.Data.Type == kind {
			if sig.PartyID != c.chatID || sig.DestinationPartyID != c.agent.PartyID {
				c.t.Errorf("%s from %q to %q, want from the visitor to the agent", kind, sig.PartyID, sig.DestinationPartyID)
			}
			return sig
		}
	}
}

// waitCall waits until the session's call is in phase p.
func waitCall(ctx context.Context, t *testing.T, s *client.Session, p call.Phase) call.State {
	t.Helper()
	calls := s.Calls()
	for {
		if st := calls.State(); st.Phase == p {
			return st
		}
		select {
		case <-calls.Changed():
		case <-ctx.Done():
			t.Fatalf("the call never reached %s: %+v", p, calls.State())
		}
	}
}

// TestACallSurvivesAReconnectDuringSetup: the agent offers a call, the
// visitor's network goes away, the visitor accepts meanwhile and the agent
// sends another candidate; when the network is back, the answer and the
// visitor's candidate reach the agent, and the agent's candidates reach the
// visitor's call once each. Nothing of the call is kept in the page's
// storage.
func TestACallSurvivesAReconnectDuringSetup(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	srv := parleytest.Start(t, parleytest.Quiet(), callsOn())
	network := parleytest.StartNetwork(t, strings.TrimPrefix(srv.URL, "http://"))
	media := &fakeMedia{}
	memory := client.NewPageMemory()
	cfg := parleytest.VisitorConfig(network.URL())
	cfg.CallMedia, cfg.Memory = media.open, memory
	v := parleytest.StartVisitor(ctx, t, cfg)
	if _, err := v.Session.Configuration(ctx); err != nil {
		t.Fatal(err)
	}
	agent := takeCall(ctx, t, srv, v.ChatID())
	v.WaitFor(ctx, "the agent's joining", func() bool { return v.Session.Calls().State().CanRequest })

	agent.signal(ctx, protocol.SignalData{Type: protocol.SignalOfferCall, SDP: "v=0\r\noffer", OfferVideo: true})
	agent.signal(ctx, protocol.SignalData{Type: protocol.SignalICECandidate, Candidate: "c1", SDPMid: "0"})
	if st := waitCall(ctx, t, v.Session, call.Ringing); !st.Video || st.Party != agent.agent.PartyID {
		t.Errorf("ringing as %+v", st)
	}

	network.Block(true)
	network.Cut()
	v.WaitFor(ctx, "the reconnecting", func() bool { return v.State() != client.ConnConnected })
	if err := v.Session.Calls().Accept(true); err != nil {
		t.Fatal(err)
	}
	waitCall(ctx, t, v.Session, call.Connecting)
	parleytest.Eventually(ctx, t, "the call answered", func() bool {
		offers, _, _ := media.snapshot()
		return len(offers) == 1
	})
	media.send(call.PeerEvent{Candidate: &protocol.SignalData{Type: protocol.SignalICECandidate, Candidate: "v1", SDPMid: "0"}})
	agent.signal(ctx, protocol.SignalData{Type: protocol.SignalICECandidate, Candidate: "c2", SDPMid: "0"})
	for _, key := range memory.Keys("") {
		var kept struct {
			Events []json.RawMessage `json:"events"`
		}
		if err := memory.Get(key, &kept); err == nil && strings.Contains(string(mustJSON(t, kept)), protocol.TypeSignaling) {
			t.Errorf("the page's storage keeps a call signal under %s", key)
		}
	}

	network.Block(false)
	if answer := agent.heard(ctx, protocol.SignalAnswerCall); answer.Data.SDP != "v=0\r\nanswer" {
		t.Errorf("the agent got the answer %q", answer.Data.SDP)
	}
	if candidate := agent.heard(ctx, protocol.SignalICECandidate); candidate.Data.Candidate != "v1" {
		t.Errorf("the agent got the candidate %q, want the visitor's", candidate.Data.Candidate)
	}
	parleytest.Eventually(ctx, t, "the agent's candidates", func() bool {
		_, candidates, _ := media.snapshot()
		return len(candidates) >= 2
	})
	media.send(call.PeerEvent{Connection: "connected"})
	waitCall(ctx, t, v.Session, call.InCall)
	if offers, candidates, _ := media.snapshot(); !slices.Equal(offers, []string{"v=0\r\noffer"}) || !slices.Equal(candidates, []string{"c1", "c2"}) {
		t.Errorf("the call answered %q and added %q, want the offer once and each candidate once", offers, candidates)
	}

	// Ending the chat ends the call.
	if err := agent.agent.Publish(ctx, v.ChatID(), &protocol.Ended{}); err != nil {
		t.Fatal(err)
	}
	if st := waitCall(ctx, t, v.Session, call.Ended); st.Reason != call.ChatEnded {
		t.Errorf("the call ended for %q, want the chat's end", st.Reason)
	}
	if _, _, closed := media.snapshot(); !closed {
		t.Error("the chat ended, yet the call's devices are on")
	}
}

// TestAWidgetWithCallsOffDeclinesEveryOffer: a contact center that does not
// offer calls gets CALL_REJECTED for each offer at once.
func TestAWidgetWithCallsOffDeclinesEveryOffer(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	srv := parleytest.Start(t, parleytest.Quiet())
	media := &fakeMedia{}
	cfg := parleytest.VisitorConfig(srv.URL)
	cfg.CallMedia = media.open
	v := parleytest.StartVisitor(ctx, t, cfg)
	if _, err := v.Session.Configuration(ctx); err != nil {
		t.Fatal(err)
	}
	agent := takeCall(ctx, t, srv, v.ChatID())
	for range 2 {
		agent.signal(ctx, protocol.SignalData{Type: protocol.SignalOfferCall, SDP: "v=0\r\noffer"})
		agent.heard(ctx, protocol.SignalCallRejected)
	}
	if offers, _, _ := media.snapshot(); len(offers) > 0 || v.Session.Calls().State().Phase != call.Idle {
		t.Errorf("a widget with calls off answered %q, state %+v", offers, v.Session.Calls().State())
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
