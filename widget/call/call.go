package call

import (
	"context"
	"sync"
	"time"

	"github.com/parleychat/parley/protocol"
)

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
