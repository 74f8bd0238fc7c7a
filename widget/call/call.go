package call

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/parleychat/parley/protocol"
)

// Phase is where a call stands.
type Phase string

// Phases, in the order a call goes through them.
const (
	// Idle: no call.
	Idle Phase = "idle"
	// Requesting: the visitor asked the agent for a call and waits for
	// the offer, which is answered at once.
	Requesting Phase = "requesting"
	// Ringing: the agent offers a call; the visitor accepts or declines.
	Ringing Phase = "ringing"
	// Connecting: accepted; the devices and the connection are being set
	// up.
	Connecting Phase = "connecting"
	// InCall: connected, media flowing.
	InCall Phase = "in-call"
	// Ended: the call is over, Reason says why; another may start.
	Ended Phase = "ended"
)

// Reason says why a call ended.
type Reason string

// Reasons a call ends.
const (
	// HungUp: the visitor hung up, or took back a request.
	HungUp Reason = "hung-up"
	// RemoteEnded: the agent hung up, or left the chat.
	RemoteEnded Reason = "remote-ended"
	// Declined: the visitor declined the agent's offer.
	Declined Reason = "declined"
	// Rejected: the agent declined the visitor's request.
	Rejected Reason = "rejected"
	// PermissionDenied: the microphone or camera was refused; the agent
	// was told with CALL_REJECTED.
	PermissionDenied Reason = "permission-denied"
	// NoDevice: there is no microphone or camera to use.
	NoDevice Reason = "no-device"
	// Failed: the connection could not be made, or broke, or the server
	// refused a signal.
	Failed Reason = "failed"
	// ChatEnded: the chat ended, and the call with it.
	ChatEnded Reason = "chat-ended"
)

// State is what a call panel shows. It is plain data: a copy, which the
// Call never changes.
type State struct {
	Phase Phase
	// Party is the agent on the other side of the call: who rings, or
	// who was asked.
	Party string
	// Video says the agent's offer carries its video (ringing), or the
	// visitor asked for video (requesting).
	Video bool
	// Camera says the call sends the visitor's camera, CameraOff that the
	// visitor paused it; Muted that the microphone is off.
	Camera, CameraOff, Muted bool
	// RemoteVideo says the agent's video arrived.
	RemoteVideo bool
	// Since is when the call connected; the timer counts from it.
	Since time.Time
	// Reason says why the call ended, and Err gives the browser's words
	// for a failure.
	Reason Reason
	Err    string

	// Enabled says the configuration offers calls (videoCallEnabled);
	// VisitorVideo that the visitor may send video (visitorVideoEnabled).
	Enabled, VisitorVideo bool
	// CanRequest says the visitor can ask for a call now: calls are
	// offered, an agent has the chat, and no call is on.
	CanRequest bool
}

// Elapsed is how long the call has been connected at now: the timer.
func (s State) Elapsed(now time.Time) time.Duration {
	if s.Phase != InCall || s.Since.IsZero() {
		return 0
	}
	return max(0, now.Sub(s.Since).Truncate(time.Second))
}

// Config is what a Call needs from the chat's client.
type Config struct {
	// Send hands a signal to the chat; the chat's client numbers it and
	// keeps it through a reconnect (widget.Session.Send).
	Send func(protocol.Event) error
	// ICEServers fetches the STUN and TURN servers (Get ICE Servers).
	ICEServers func(context.Context) ([]protocol.ICEServer, error)
	// Media opens the devices and the connection; nil is the browser's.
	Media Media
	// Now is the clock of the timer; nil is time.Now.
	Now func() time.Time
}

// Call is the visitor's side of the calls of one chat, one at a time. It is
// safe for concurrent use.
type Call struct {
	cfg     Config
	changed chan struct{}

	mu    sync.Mutex
	state State
	// configured says the configuration came; an offer before it waits
	// in early.
	configured bool
	early      *protocol.Signaling
	// agent is the party who has the chat; over says the chat is over.
	agent string
	over  bool
	// lastSignal is the SignalSeq of the last signal handled.
	lastSignal uint64
	ice        []protocol.ICEServer

	// The call on now. gen numbers the calls, so what an old one's
	// goroutines report late is dropped; offer is the offer ringing, or
	// answered; cancel stops the answering.
	gen    int
	offer  string
	peer   Peer
	cancel context.CancelFunc
	// answered says the answer went out: the agent's candidates go to the
	// peer (before, they wait in remote) and the visitor's to the agent
	// (before, in local).
	answered      bool
	remote, local []protocol.SignalData
}

// New returns a Call with no call, waiting for the configuration.
func New(cfg Config) *Call {
	if cfg.Media == nil {
		cfg.Media = Browser
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Call{cfg: cfg, changed: make(chan struct{}, 1), state: State{Phase: Idle}}
}

// State returns the call's state now.
func (c *Call) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.state
	s.CanRequest = s.Enabled && c.agent != "" && !c.over && (s.Phase == Idle || s.Phase == Ended)
	return s
}

// Changed is told, without ever blocking the Call, when the state changed
// since it was last read from: a panel renders State() then.
func (c *Call) Changed() <-chan struct{} { return c.changed }

// notify tells Changed. The caller holds c.mu.
func (c *Call) notify() {
	select {
	case c.changed <- struct{}{}:
	default:
	}
}

// Configure says what the widget configuration offers: calls at all
// (chatWidgetStyling.videoCallEnabled), and the visitor's own video
// (visitorVideoEnabled). With calls off, every offer is declined at once,
// so the agent never waits on a call nobody sees.
func (c *Call) Configure(enabled, visitorVideo bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.configured = true
	c.state.Enabled, c.state.VisitorVideo = enabled, visitorVideo
	if early := c.early; early != nil {
		c.early = nil
		c.offered(early)
	}
	c.notify()
}

// Handle takes an event of the chat's stream, in order: the agent joining
// or leaving, the call signals addressed to the visitor, the chat ending.
func (c *Call) Handle(e protocol.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch e := e.(type) {
	case *protocol.PartyJoined:
		if e.Type == protocol.PartyInternal || e.Type == protocol.PartyMSTeams {
			c.agent = e.PartyID
		}
	case *protocol.PartyLeft:
		if e.PartyID == c.agent {
			c.agent = ""
		}
		if e.PartyID == c.state.Party && c.active() {
			c.finish(RemoteEnded, "")
		}
	case *protocol.Signaling:
		if e.SignalSeq != 0 && e.SignalSeq <= c.lastSignal {
			return // seen before a reconnect
		}
		c.lastSignal = max(c.lastSignal, e.SignalSeq)
		c.signaled(e)
	}
	if protocol.EndsChat(e) {
		c.chatOver()
	}
	c.notify()
}

// ChatOver says the chat is over: the call ends with it, and no other
// starts.
func (c *Call) ChatOver() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.chatOver()
	c.notify()
}

func (c *Call) chatOver() {
	c.over = true
	if c.active() {
		c.finish(ChatEnded, "")
	}
}

// Refused tells the Call that the server refused one of its signals: the
// call it belongs to cannot go on.
func (c *Call) Refused(sig *protocol.Signaling, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.active() && sig.DestinationPartyID == c.state.Party {
		c.finish(Failed, err.Error())
		c.notify()
	}
}

// active reports whether a call is on, from a request to its end. The
// caller holds c.mu.
func (c *Call) active() bool {
	switch c.state.Phase {
	case Requesting, Ringing, Connecting, InCall:
		return true
	}
	return false
}

// signaled handles a signal for the visitor. The caller holds c.mu.
func (c *Call) signaled(sig *protocol.Signaling) {
	from := sig.PartyID
	if sig.Data.Type == protocol.SignalOfferCall {
		c.offered(sig)
		return
	}
	if !c.active() || from != c.state.Party {
		return // what is left of a call that is over, or of no call
	}
	switch sig.Data.Type {
	case protocol.SignalICECandidate:
		switch {
		case c.answered:
			_ = c.peer.AddCandidate(sig.Data) // a candidate the browser cannot use is one path less
		case c.state.Phase == Ringing || c.state.Phase == Connecting:
			c.remote = append(c.remote, sig.Data)
		}
	case protocol.SignalEndCall:
		c.finish(RemoteEnded, "")
	case protocol.SignalCallRejected:
		if c.state.Phase == Requesting {
			c.finish(Rejected, "")
		} else {
			c.finish(RemoteEnded, "")
		}
	}
}

// offered handles an offer: declined when calls are off, answered at once
// when the visitor asked for it, ringing otherwise. An offer while a call
// is on starts the agent's new call in its place. The caller holds c.mu.
func (c *Call) offered(sig *protocol.Signaling) {
	switch {
	case !c.configured:
		c.early = sig
		return
	case !c.state.Enabled || c.over:
		c.reject(sig.PartyID)
		return
	}
	requested := c.state.Phase == Requesting && c.state.Party == sig.PartyID
	video := c.state.Video
	if c.active() && !requested {
		c.stop()
	}
	c.gen++
	c.offer, c.remote, c.local = sig.Data.SDP, nil, nil
	c.state = State{Phase: Ringing, Party: sig.PartyID, Video: sig.Data.OfferVideo,
		Enabled: c.state.Enabled, VisitorVideo: c.state.VisitorVideo}
	if requested {
		c.accept(video)
	}
}

// reject declines an offer of party. The caller holds c.mu.
func (c *Call) reject(party string) {
	c.send(party, protocol.SignalData{Type: protocol.SignalCallRejected})
}

// send hands a signal for party to the chat. The caller holds c.mu.
func (c *Call) send(party string, data protocol.SignalData) {
	// The chat's client refuses only what is invalid, which these are
	// not, or what comes after the chat's end, which the agent hears of.
	_ = c.cfg.Send(&protocol.Signaling{DestinationPartyID: party, Data: data})
}

// Request asks the agent who has the chat for a call, with the visitor's
// video when video and the configuration allow it; the agent's offer is
// answered at once.
func (c *Call) Request(video bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case !c.state.Enabled:
		return errors.New("calls are not offered here")
	case c.over:
		return errors.New("the chat is over")
	case c.agent == "":
		return errors.New("no agent has the chat yet")
	case c.active():
		return errors.New("a call is on already")
	}
	video = video && c.state.VisitorVideo
	c.gen++
	c.state = State{Phase: Requesting, Party: c.agent, Video: video, Enabled: c.state.Enabled, VisitorVideo: c.state.VisitorVideo}
	c.send(c.agent, protocol.SignalData{Type: protocol.SignalRequestCall, OfferVideo: video})
	c.notify()
	return nil
}

// Accept answers the ringing call, with the visitor's camera when video
// and the configuration allow it, else with the microphone only.
func (c *Call) Accept(video bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state.Phase != Ringing {
		return errors.New("no call is ringing")
	}
	c.accept(video && c.state.VisitorVideo)
	c.notify()
	return nil
}

// accept starts answering the offer: devices, connection, answer. The
// caller holds c.mu.
func (c *Call) accept(video bool) {
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	c.state.Phase, c.state.Camera = Connecting, video
	go c.answer(ctx, c.gen, c.offer, video)
}

// answer runs the answering of call gen, outside the lock: it may wait for
// the visitor to allow the microphone.
func (c *Call) answer(ctx context.Context, gen int, offer string, video bool) {
	peer, err := c.cfg.Media(c.iceServers(ctx), func(ev PeerEvent) { c.peerEvent(gen, ev) })
	var sdp string
	if err == nil {
		sdp, err = peer.Answer(ctx, offer, video)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen || c.state.Phase != Connecting {
		if peer != nil {
			peer.Close()
		}
		return
	}
	if err != nil {
		if peer != nil {
			peer.Close()
		}
		c.reject(c.state.Party)
		c.finish(reasonOf(err), err.Error())
		c.notify()
		return
	}
	c.peer, c.answered = peer, true
	c.send(c.state.Party, protocol.SignalData{Type: protocol.SignalAnswerCall, SDP: sdp})
	for _, cand := range c.local {
		c.send(c.state.Party, cand)
	}
	for _, cand := range c.remote {
		_ = peer.AddCandidate(cand)
	}
	c.local, c.remote = nil, nil
	// What the visitor pressed while the call was being set up.
	peer.SetMuted(c.state.Muted)
	if c.state.Camera {
		peer.SetCamera(!c.state.CameraOff)
	}
	c.notify()
}

// iceServers returns the ICE servers, fetched once. Without them the call
// still connects where host candidates reach (a LAN, loopback).
func (c *Call) iceServers(ctx context.Context) []protocol.ICEServer {
	c.mu.Lock()
	ice := c.ice
	c.mu.Unlock()
	if ice != nil || c.cfg.ICEServers == nil {
		return ice
	}
	ice, err := c.cfg.ICEServers(ctx)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	c.ice = ice
	c.mu.Unlock()
	return ice
}

func reasonOf(err error) Reason {
	switch {
	case errors.Is(err, ErrPermission):
		return PermissionDenied
	case errors.Is(err, ErrNoDevice), errors.Is(err, ErrNoMedia):
		return NoDevice
	}
	return Failed
}

// peerEvent takes what the peer of call gen reports.
func (c *Call) peerEvent(gen int, ev PeerEvent) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen || (c.state.Phase != Connecting && c.state.Phase != InCall) {
		return
	}
	switch {
	case ev.Candidate != nil && c.answered:
		c.send(c.state.Party, *ev.Candidate)
	case ev.Candidate != nil:
		c.local = append(c.local, *ev.Candidate)
	case ev.RemoteVideo:
		c.state.RemoteVideo = true
	case ev.Connection == "connected" && c.state.Phase == Connecting:
		c.state.Phase, c.state.Since = InCall, c.cfg.Now()
	case ev.Connection == "failed":
		c.send(c.state.Party, protocol.SignalData{Type: protocol.SignalEndCall})
		c.finish(Failed, "the connection to the agent failed")
	}
	c.notify()
}

// Decline declines the ringing call: the agent gets CALL_REJECTED.
func (c *Call) Decline() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state.Phase != Ringing {
		return errors.New("no call is ringing")
	}
	c.reject(c.state.Party)
	c.finish(Declined, "")
	c.notify()
	return nil
}

// HangUp ends the call on, whatever its phase: a ringing call is declined,
// a request taken back, a call hung up (END_CALL).
func (c *Call) HangUp() {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch c.state.Phase {
	case Ringing:
		c.reject(c.state.Party)
		c.finish(Declined, "")
	case Requesting, Connecting, InCall:
		c.send(c.state.Party, protocol.SignalData{Type: protocol.SignalEndCall})
		c.finish(HungUp, "")
	default:
		return
	}
	c.notify()
}

// SetMuted turns the visitor's microphone off or on again.
func (c *Call) SetMuted(muted bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state.Phase != Connecting && c.state.Phase != InCall {
		return
	}
	c.state.Muted = muted
	if c.peer != nil {
		c.peer.SetMuted(muted)
	}
	c.notify()
}

// SetCamera pauses the visitor's camera, or turns it on again, in a call
// that has it.
func (c *Call) SetCamera(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.state.Camera || (c.state.Phase != Connecting && c.state.Phase != InCall) {
		return
	}
	c.state.CameraOff = !on
	if c.peer != nil {
		c.peer.SetCamera(on)
	}
	c.notify()
}

// Attach shows the call's streams in the page's elements: a panel calls it
// once it drew them.
func (c *Call) Attach() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.peer != nil {
		c.peer.Attach()
	}
}

// finish ends the call on with reason. The caller holds c.mu.
func (c *Call) finish(reason Reason, detail string) {
	c.stop()
	c.end(reason, detail)
}

// stop lets go of the call's devices and connection, and of what its
// goroutines still do. The caller holds c.mu.
func (c *Call) stop() {
	c.gen++
	if c.cancel != nil {
		c.cancel()
		c.cancel = nil
	}
	if c.peer != nil {
		c.peer.Close()
		c.peer = nil
	}
	c.offer, c.answered, c.remote, c.local = "", false, nil, nil
}

// end shows the call as over. The caller holds c.mu.
func (c *Call) end(reason Reason, detail string) {
	c.state = State{Phase: Ended, Party: c.state.Party, Reason: reason, Err: detail,
		Enabled: c.state.Enabled, VisitorVideo: c.state.VisitorVideo}
}
