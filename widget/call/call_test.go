package call_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/parleychat/parley/protocol"
	"github.com/parleychat/parley/widget/call"
)

const agent = "agent-7"

// fakePeer records what the engine asks of a Peer.
type fakePeer struct {
	mu sync.Mutex
	peerState
}

// peerState is what a fakePeer was asked.
type peerState struct {
	video      bool
	offer      string
	candidates []string
	muted      bool
	cameraOn   bool
	closed     bool
	answers    int
}

// fakeMedia opens fakePeers, answering "v=0 answer" or failing with err
// (their Answer waits for hold to close, when it is set), and tells opened
// of each.
type fakeMedia struct {
	opened chan *fakePeer

	mu     sync.Mutex
	err    error
	hold   chan struct{}
	peers  []*fakePeer
	report func(call.PeerEvent)
	ice    []protocol.ICEServer
}

func newMedia() *fakeMedia { return &fakeMedia{opened: make(chan *fakePeer, 8)} }

func (m *fakeMedia) open(ice []protocol.ICEServer, report func(call.PeerEvent)) (call.Peer, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := &fakePeer{}
	m.peers = append(m.peers, p)
	m.report, m.ice = report, ice
	m.opened <- p
	return &answerer{p, m}, nil
}

// waitOpened waits until the engine opened a peer.
func (m *fakeMedia) waitOpened(t *testing.T) *fakePeer {
	t.Helper()
	select {
	case p := <-m.opened:
		return p
	case <-time.After(5 * time.Second):
		t.Fatal("the engine never opened the devices")
		return nil
	}
}

func (m *fakeMedia) last() *fakePeer {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.peers) == 0 {
		return nil
	}
	return m.peers[len(m.peers)-1]
}

// send reports ev as the last peer's browser would.
func (m *fakeMedia) send(ev call.PeerEvent) {
	m.mu.Lock()
	report := m.report
	m.mu.Unlock()
	report(ev)
}

type answerer struct {
	p *fakePeer
	m *fakeMedia
}

func (a *answerer) Answer(ctx context.Context, offer string, video bool) (string, error) {
	a.m.mu.Lock()
	err, hold := a.m.err, a.m.hold
	a.m.mu.Unlock()
	if hold != nil {
		select {
		case <-hold:
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	a.p.mu.Lock()
	defer a.p.mu.Unlock()
	a.p.offer, a.p.video, a.p.cameraOn = offer, video, video
	a.p.answers++
	if err != nil {
		return "", err
	}
	return "v=0 answer", nil
}

func (a *answerer) AddCandidate(c protocol.SignalData) error {
	a.p.mu.Lock()
	defer a.p.mu.Unlock()
	a.p.candidates = append(a.p.candidates, c.Candidate)
	return nil
}

func (a *answerer) SetMuted(muted bool) {
	a.p.mu.Lock()
	defer a.p.mu.Unlock()
	a.p.muted = muted
}

func (a *answerer) SetCamera(on bool) {
	a.p.mu.Lock()
	defer a.p.mu.Unlock()
	a.p.cameraOn = on
}

func (a *answerer) Attach() {}

func (a *answerer) Close() {
	a.p.mu.Lock()
	defer a.p.mu.Unlock()
	a.p.closed = true
}

func (p *fakePeer) get() peerState {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.peerState
	s.candidates = slices.Clone(s.candidates)
	return s
}

// chat stands for the chat's client: what the engine sends.
type chat struct {
	mu   sync.Mutex
	sent []*protocol.Signaling
	seq  uint64
}

func (c *chat) send(e protocol.Event) error {
	if err := protocol.ValidateClientEvent(e); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sent = append(c.sent, e.(*protocol.Signaling))
	return nil
}

// said lists the types of what the engine sent, as "TYPE>party".
func (c *chat) said() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, s := range c.sent {
		out = append(out, s.Data.Type+">"+s.DestinationPartyID)
	}
	return out
}

func (c *chat) lastSent() *protocol.Signaling {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sent[len(c.sent)-1]
}

// signal is a signal of the agent to the visitor, numbered as the server
// numbers them.
func (c *chat) signal(data protocol.SignalData) *protocol.Signaling {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	return &protocol.Signaling{DestinationPartyID: "chat-1", Data: data, SignalSeq: c.seq, Meta: protocol.Meta{PartyID: agent}}
}

func (c *chat) offer(video bool) *protocol.Signaling {
	return c.signal(protocol.SignalData{Type: protocol.SignalOfferCall, SDP: "v=0 offer", OfferVideo: video})
}

func (c *chat) candidate(text string) *protocol.Signaling {
	return c.signal(protocol.SignalData{Type: protocol.SignalICECandidate, Candidate: text, SDPMid: "0"})
}

type fixture struct {
	call  *call.Call
	media *fakeMedia
	chat  *chat
	now   time.Time
}

// newFixture returns an engine configured with calls on, in a chat an
// agent took.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{media: newMedia(), chat: &chat{}, now: time.Unix(1700000000, 0)}
	f.call = call.New(call.Config{
		Send: f.chat.send,
		ICEServers: func(context.Context) ([]protocol.ICEServer, error) {
			return []protocol.ICEServer{{URLs: []string{"stun:stun.example"}}}, nil
		},
		Media: f.media.open,
		Now:   func() time.Time { return f.now },
	})
	f.call.Configure(true, true)
	f.call.Handle(&protocol.PartyJoined{Type: protocol.PartyInternal, Meta: protocol.Meta{PartyID: agent}})
	return f
}

// waitFor waits until the engine's state satisfies ok.
func waitFor(t *testing.T, c *call.Call, what string, ok func(call.State) bool) call.State {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		if s := c.State(); ok(s) {
			return s
		}
		select {
		case <-c.Changed():
		case <-timeout:
			t.Fatalf("never %s; the state is %+v", what, c.State())
		}
	}
}

// eventually waits until ok holds, for what the engine does without a
// change of its state.
func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	timeout := time.After(5 * time.Second)
	for !ok() {
		select {
		case <-tick.C:
		case <-timeout:
			t.Fatalf("never %s", what)
		}
	}
}

func phase(p call.Phase) func(call.State) bool {
	return func(s call.State) bool { return s.Phase == p }
}

// waitSaid waits until the engine sent what want lists.
func waitSaid(t *testing.T, f *fixture, want ...string) {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for !reflect.DeepEqual(f.chat.said(), want) {
		select {
		case <-f.call.Changed():
		case <-timeout:
			t.Fatalf("sent %v, want %v", f.chat.said(), want)
		}
	}
}

// connect rings, accepts with video and connects a call.
func connect(t *testing.T, f *fixture, video bool) *fakePeer {
	t.Helper()
	f.call.Handle(f.chat.offer(true))
	waitFor(t, f.call, "ringing", phase(call.Ringing))
	if err := f.call.Accept(video); err != nil {
		t.Fatal(err)
	}
	peer := f.media.waitOpened(t)
	waitSaid(t, f, "ANSWER_CALL>"+agent)
	f.media.send(call.PeerEvent{Connection: "connected"})
	waitFor(t, f.call, "in the call", phase(call.InCall))
	return peer
}

// TestAnIncomingCall goes through a whole call: ringing with the agent's
// video, accepted with the camera, candidates both ways in the right order,
// connected with a timer, muted, camera paused, hung up.
func TestAnIncomingCall(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.call.Handle(f.chat.offer(true))
	s := waitFor(t, f.call, "ringing", phase(call.Ringing))
	if s.Party != agent || !s.Video || s.CanRequest {
		t.Errorf("ringing as %+v, want the agent's video call", s)
	}
	// Candidates that come before the answer wait for it, both ways.
	f.call.Handle(f.chat.candidate("a1"))
	f.media.hold = make(chan struct{})
	if err := f.call.Accept(true); err != nil {
		t.Fatal(err)
	}
	waitFor(t, f.call, "connecting", phase(call.Connecting))
	peer := f.media.waitOpened(t)
	f.call.Handle(f.chat.candidate("a2"))
	f.media.send(call.PeerEvent{Candidate: &protocol.SignalData{Type: protocol.SignalICECandidate, Candidate: "v1", SDPMid: "0"}})
	close(f.media.hold)
	waitSaid(t, f, "ANSWER_CALL>"+agent, "ICE_CANDIDATE>"+agent)
	if got := peer.get(); got.offer != "v=0 offer" || !got.video || !slices.Equal(got.candidates, []string{"a1", "a2"}) {
		t.Errorf("the peer answered %q with video %v and candidates %v", got.offer, got.video, got.candidates)
	}
	if !reflect.DeepEqual(f.media.ice, []protocol.ICEServer{{URLs: []string{"stun:stun.example"}}}) {
		t.Errorf("the peer got ICE servers %v, want the server's", f.media.ice)
	}
	f.call.Handle(f.chat.candidate("a3"))
	waitFor(t, f.call, "the late candidate added", func(call.State) bool { return len(peer.get().candidates) == 3 })

	f.media.send(call.PeerEvent{RemoteVideo: true})
	f.media.send(call.PeerEvent{Connection: "connected"})
	s = waitFor(t, f.call, "in the call", phase(call.InCall))
	if !s.Since.Equal(f.now) || !s.RemoteVideo || !s.Camera {
		t.Errorf("in the call as %+v", s)
	}
	if got := s.Elapsed(f.now.Add(83*time.Second + 400*time.Millisecond)); got != 83*time.Second {
		t.Errorf("the timer reads %v after 83.4 s", got)
	}

	f.call.SetMuted(true)
	f.call.SetCamera(false)
	if got, s := peer.get(), f.call.State(); !got.muted || got.cameraOn || !s.Muted || !s.CameraOff {
		t.Errorf("muted and camera off: the peer is %+v, the state %+v", got, s)
	}
	f.call.SetMuted(false)
	if peer.get().muted || f.call.State().Muted {
		t.Error("unmuting left the microphone off")
	}

	f.call.HangUp()
	s = waitFor(t, f.call, "ended", phase(call.Ended))
	if s.Reason != call.HungUp || !peer.get().closed || !s.CanRequest {
		t.Errorf("hung up as %+v, peer closed %v", s, peer.get().closed)
	}
	if got := f.chat.said(); got[len(got)-1] != "END_CALL>"+agent {
		t.Errorf("sent %v, want END_CALL last", got)
	}
}

// TestAcceptWithTheMicrophoneOnly: the visitor picks audio, or the
// configuration lets no visitor send video.
func TestAcceptWithTheMicrophoneOnly(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		visitorVideo bool
		accept       bool
	}{
		{"the visitor picks audio", true, false},
		{"visitorVideoEnabled is off", false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.call.Configure(true, tc.visitorVideo)
			peer := connect(t, f, tc.accept)
			if peer.get().video || f.call.State().Camera {
				t.Errorf("the call has the camera: peer %+v, state %+v", peer.get(), f.call.State())
			}
			f.call.SetCamera(true)
			if peer.get().cameraOn {
				t.Error("SetCamera turned on a camera the call does not have")
			}
		})
	}
}

// TestEndings: each way a ringing or connected call ends, what the agent
// is told, and what the visitor sees.
func TestEndings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// connected says the call is connected first, else it rings.
		connected bool
		do        func(f *fixture)
		reason    call.Reason
		// said is what the engine sends after the ringing or the answer.
		said []string
	}{
		{"the visitor declines", false, func(f *fixture) { _ = f.call.Decline() }, call.Declined, []string{"CALL_REJECTED>" + agent}},
		{"hanging up a ringing call declines it", false, func(f *fixture) { f.call.HangUp() }, call.Declined, []string{"CALL_REJECTED>" + agent}},
		{"the agent gives up before an answer", false, func(f *fixture) {
			f.call.Handle(f.chat.signal(protocol.SignalData{Type: protocol.SignalEndCall}))
		}, call.RemoteEnded, nil},
		{"the agent hangs up", true, func(f *fixture) {
			f.call.Handle(f.chat.signal(protocol.SignalData{Type: protocol.SignalEndCall}))
		}, call.RemoteEnded, nil},
		{"the agent leaves the chat", true, func(f *fixture) {
			f.call.Handle(&protocol.PartyLeft{Meta: protocol.Meta{PartyID: agent}})
		}, call.RemoteEnded, nil},
		{"the chat ends", true, func(f *fixture) { f.call.Handle(&protocol.Ended{}) }, call.ChatEnded, nil},
		{"the chat's client says the chat is over", true, func(f *fixture) { f.call.ChatOver() }, call.ChatEnded, nil},
		{"the connection fails", true, func(f *fixture) { f.media.send(call.PeerEvent{Connection: "failed"}) }, call.Failed, []string{"END_CALL>" + agent}},
		{"the server refuses a signal", true, func(f *fixture) {
			f.call.Refused(f.chat.lastSent(), errors.New("no agent"))
		}, call.Failed, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			var before []string
			if tc.connected {
				connect(t, f, true)
				before = []string{"ANSWER_CALL>" + agent}
			} else {
				f.call.Handle(f.chat.offer(false))
				waitFor(t, f.call, "ringing", phase(call.Ringing))
			}
			tc.do(f)
			s := waitFor(t, f.call, "ended", phase(call.Ended))
			if s.Reason != tc.reason {
				t.Errorf("ended for %q, want %q", s.Reason, tc.reason)
			}
			if peer := f.media.last(); peer != nil && !peer.get().closed {
				t.Error("the devices are still on")
			}
			if got, want := f.chat.said(), append(before, tc.said...); !slices.Equal(got, want) {
				t.Errorf("sent %v, want %v", got, want)
			}
		})
	}
}

// TestTheDevicesRefused: the visitor or the browser refuses the microphone
// or there is none: a clear reason, and the agent told with CALL_REJECTED.
func TestTheDevicesRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		err    error
		reason call.Reason
	}{
		{"permission denied", fmt.Errorf("%w (Permission denied)", call.ErrPermission), call.PermissionDenied},
		{"no microphone", fmt.Errorf("%w (Requested device not found)", call.ErrNoDevice), call.NoDevice},
		{"no media in this build", call.ErrNoMedia, call.NoDevice},
		{"an offer the browser cannot take", errors.New("the agent's offer: InvalidAccessError"), call.Failed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.media.err = tc.err
			f.call.Handle(f.chat.offer(true))
			waitFor(t, f.call, "ringing", phase(call.Ringing))
			if err := f.call.Accept(true); err != nil {
				t.Fatal(err)
			}
			s := waitFor(t, f.call, "ended", phase(call.Ended))
			if s.Reason != tc.reason || s.Err != tc.err.Error() {
				t.Errorf("ended as %+v, want %q with the error's words", s, tc.reason)
			}
			waitSaid(t, f, "CALL_REJECTED>"+agent)
			if !f.media.last().get().closed {
				t.Error("the peer was left open")
			}
		})
	}
}

// TestCallsSwitchedOff: every offer is declined at once, so the agent never
// waits on a silent widget; an offer before the configuration waits for
// it.
func TestCallsSwitchedOff(t *testing.T) {
	t.Parallel()
	f := &fixture{media: newMedia(), chat: &chat{}}
	c := call.New(call.Config{Send: f.chat.send, Media: f.media.open})
	c.Handle(f.chat.offer(true))
	if s := c.State(); s.Phase != call.Idle || len(f.chat.said()) > 0 {
		t.Fatalf("before the configuration: %+v, sent %v; want the offer kept", s, f.chat.said())
	}
	c.Configure(false, false)
	c.Handle(f.chat.offer(false))
	if got, want := f.chat.said(), []string{"CALL_REJECTED>" + agent, "CALL_REJECTED>" + agent}; !slices.Equal(got, want) {
		t.Errorf("sent %v, want each offer declined", got)
	}
	if s := c.State(); s.Phase != call.Idle || s.CanRequest || f.media.last() != nil {
		t.Errorf("with calls off: %+v", s)
	}
	if err := c.Request(false); err == nil {
		t.Error("a request with calls off was sent")
	}

	on := &fixture{media: newMedia(), chat: &chat{}}
	c = call.New(call.Config{Send: on.chat.send, Media: on.media.open})
	c.Handle(on.chat.offer(true))
	c.Configure(true, true)
	if s := c.State(); s.Phase != call.Ringing {
		t.Errorf("the offer that came before calls were on rings? %+v", s)
	}
}

// TestTheVisitorRequestsACall: the request goes to the agent who has the
// chat; the agent's offer is answered at once, with the video asked for.
func TestTheVisitorRequestsACall(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if err := f.call.Request(true); err != nil {
		t.Fatal(err)
	}
	if s := f.call.State(); s.Phase != call.Requesting || s.Party != agent || !s.Video {
		t.Errorf("requesting as %+v", s)
	}
	if sent := f.chat.lastSent(); sent.Data.Type != protocol.SignalRequestCall || !sent.Data.OfferVideo || sent.DestinationPartyID != agent {
		t.Errorf("sent %+v, want a request for a video call to the agent", sent)
	}
	if err := f.call.Request(false); err == nil {
		t.Error("a second request while one is on went out")
	}
	f.call.Handle(f.chat.offer(true))
	waitSaid(t, f, "REQUEST_CALL>"+agent, "ANSWER_CALL>"+agent)
	if !f.media.last().get().video {
		t.Error("the requested video call was answered without the camera")
	}

	declined := newFixture(t)
	if err := declined.call.Request(false); err != nil {
		t.Fatal(err)
	}
	declined.call.Handle(declined.chat.signal(protocol.SignalData{Type: protocol.SignalCallRejected}))
	if s := waitFor(t, declined.call, "ended", phase(call.Ended)); s.Reason != call.Rejected {
		t.Errorf("the agent declined: %+v", s)
	}

	taken := newFixture(t)
	if err := taken.call.Request(false); err != nil {
		t.Fatal(err)
	}
	taken.call.HangUp()
	waitSaid(t, taken, "REQUEST_CALL>"+agent, "END_CALL>"+agent)

	nobody := &fixture{media: newMedia(), chat: &chat{}}
	c := call.New(call.Config{Send: nobody.chat.send, Media: nobody.media.open})
	c.Configure(true, true)
	if err := c.Request(false); err == nil || c.State().CanRequest {
		t.Error("a request went out with no agent in the chat")
	}
}

// TestSignalsSeenTwiceAreIgnored: after a reconnect the stream may bring a
// signal again; it changes nothing.
func TestSignalsSeenTwiceAreIgnored(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	offer := f.chat.offer(true)
	f.call.Handle(offer)
	waitFor(t, f.call, "ringing", phase(call.Ringing))
	if err := f.call.Accept(false); err != nil {
		t.Fatal(err)
	}
	waitSaid(t, f, "ANSWER_CALL>"+agent)
	f.call.Handle(offer)
	if s := f.call.State(); s.Phase != call.Connecting {
		t.Errorf("the offer seen again made the call %+v", s)
	}
	if f.media.last().get().answers != 1 || len(f.media.peers) != 1 {
		t.Error("the offer seen again was answered again")
	}
}

// TestHangingUpWhileAnswering: the visitor hangs up while the browser asks
// for the microphone; the devices that come after are let go, no answer
// goes out.
func TestHangingUpWhileAnswering(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.media.hold = make(chan struct{})
	f.call.Handle(f.chat.offer(false))
	waitFor(t, f.call, "ringing", phase(call.Ringing))
	if err := f.call.Accept(false); err != nil {
		t.Fatal(err)
	}
	peer := f.media.waitOpened(t)
	f.call.HangUp()
	close(f.media.hold)
	eventually(t, "the peer let go", func() bool { return peer.get().closed })
	if got := f.chat.said(); !slices.Equal(got, []string{"END_CALL>" + agent}) {
		t.Errorf("sent %v, want END_CALL only", got)
	}
}

// TestANewOfferReplacesTheCall: the agent calls again while a call is on
// (its console reloaded): the old call's devices are let go, the new one
// rings.
func TestANewOfferReplacesTheCall(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	old := connect(t, f, false)
	f.call.Handle(f.chat.offer(true))
	s := waitFor(t, f.call, "ringing again", phase(call.Ringing))
	if !old.get().closed || !s.Video || s.Muted {
		t.Errorf("the old call's peer closed %v; ringing as %+v", old.get().closed, s)
	}
}
