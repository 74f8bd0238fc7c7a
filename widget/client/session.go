package client

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/parleychat/parley/protocol"
	"github.com/parleychat/parley/widget/call"
)

// ConnState is where a Session stands with the server.
type ConnState string

// Connection states, in the order a session usually goes through them.
const (
	// ConnStarting: the session has not run yet (and the prerendered page
	// shows this until the wasm starts).
	ConnStarting     ConnState = "starting"
	ConnConnecting   ConnState = "connecting"
	ConnConnected    ConnState = "connected"
	ConnReconnecting ConnState = "reconnecting"
	// ConnEnded: the chat is over; the session will not reconnect.
	ConnEnded ConnState = "ended"
	// ConnFailed: the server refused to start a chat (for example the app
	// id is unknown, or the contact center is closed); retrying would not
	// help.
	ConnFailed ConnState = "failed"
)

// Update is what a Session reports: a change of connection state, events
// from the chat's stream, or a refusal of something the visitor sent. Fields
// that did not change are zero.
type Update struct {
	Conn ConnState
	// Chat is set when the session learns its chat.
	Chat *protocol.ChatSession
	// Restored lists what the visitor sent on an earlier page, or on
	// another page of the chat that is closed now, that the server has not
	// confirmed yet; the session sends it.
	Restored []protocol.Event
	// Reset says the server's stream is not the one the session had seen:
	// forget every event shown so far, Events starts over.
	Reset bool
	// Events are the stream's events the session had not seen, in order;
	// a frame of the stream with none new gives an empty, non-nil list.
	Events []protocol.Event
	// Position is the place in the stream after Events.
	Position protocol.Position
	// Refused is an event the server would not take, and why. A call
	// signal's refusal goes to the session's Calls instead.
	Refused *Refusal
	// Unsent lists what the visitor sent that the server never took
	// because the chat is over, or would not start: it is not sent.
	Unsent []protocol.Event
	// Err is the error that cost the session its connection.
	Err error
	// Retry is when the session tries again, while reconnecting.
	Retry time.Time
	// Polling says the session reaches the server by long polling, because
	// WebSockets fail on this network.
	Polling bool
}

// Refusal is an event the server refused for good, such as a message over
// the size limit; it will not be sent again.
type Refusal struct {
	Event protocol.Event
	Err   *protocol.Error
}

// Config is what a Session needs to reach its chat.
type Config struct {
	// BaseURL is the server's origin, such as "https://chat.example.com".
	BaseURL string
	// Credentials name the launch point and the visitor. Without a
	// ClientID, the session uses the visitor's id kept in Memory, made
	// once for the launch point.
	Credentials protocol.Credentials
	// Request is sent with Request Chat: visitor details, parameters.
	Request protocol.ChatRequest
	// Memory keeps the outbox across page loads, shared by the visitor's
	// pages; nil keeps it for the session only.
	Memory Memory
	// Locks coordinate the Sessions that share Memory, as the pages of a
	// browser; nil uses one set of locks for the whole program.
	Locks Locks
	// MinBackoff and MaxBackoff bound the wait before reconnecting.
	MinBackoff, MaxBackoff time.Duration
	// SocketTries is how many WebSocket connections may fail in a row
	// before the session long-polls instead.
	SocketTries int
	// Heartbeat is how long a socket may stay silent before the session
	// asks the server for an answer, and AnswerTimeout how long any answer
	// may take, to a frame the session wrote or to that question, before
	// the session gives the socket up for dead: a socket can die without a
	// word (a closed lid, a network that drops packets).
	Heartbeat, AnswerTimeout time.Duration
	// CallMedia is the media of the chat's calls; nil is the browser's.
	CallMedia call.Media
}

// errChatOver ends Run: the chat ended and will take nothing more.
var errChatOver = errors.New("chat over")

// Session is a visitor's connection to one chat. It requests the chat, keeps
// a WebSocket to it open (reconnecting with backoff and jitter, resuming from
// its position in the stream, falling back to the API's long poll when
// WebSockets fail), and sends what the visitor does in order. What the
// visitor sent stays in an outbox, kept in Memory, until the server says it
// stored it, and is sent again after a reconnect or a reload; the server
// drops a msg_id it already has. Typing events are only sent while
// connected. It builds for the browser and natively, so Go tests drive it
// against a real server.
type Session struct {
	cfg     Config
	updates chan Update
	clock   *serverClock
	calls   *call.Call
	// written wakes the writer; retry wakes a session waiting to
	// reconnect, or makes a connected one check its socket.
	written chan struct{}
	retry   chan struct{}

	mu        sync.Mutex
	chat      protocol.ChatSession
	pos       protocol.Position
	connected bool
	outbox    outbox
}

// NewSession returns a Session; call Run to start it.
func NewSession(cfg Config) *Session {
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = 500 * time.Millisecond
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(30*time.Second, cfg.MinBackoff)
	}
	if cfg.SocketTries <= 0 {
		cfg.SocketTries = 2
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = 20 * time.Second
	}
	if cfg.AnswerTimeout <= 0 {
		cfg.AnswerTimeout = 5 * time.Second
	}
	if cfg.Memory == nil {
		cfg.Memory = NewPageMemory()
	}
	if cfg.Locks == nil {
		cfg.Locks = processLocks
	}
	s := &Session{
		cfg:     cfg,
		updates: make(chan Update, 64),
		clock:   newServerClock(),
		written: make(chan struct{}, 1),
		retry:   make(chan struct{}, 1),
		outbox:  outbox{memory: cfg.Memory, appID: cfg.Credentials.AppID, tab: newTab()},
	}
	s.calls = call.New(call.Config{Send: s.Send, ICEServers: s.ICEServers, Media: cfg.CallMedia})
	return s
}

// Calls is the chat's calls: the session hands it the chat's events and
// its signals go out through the session. A call panel renders its State.
func (s *Session) Calls() *call.Call { return s.calls }

// Updates delivers what happens to the session, in order. It is closed when
// Run returns.
func (s *Session) Updates() <-chan Update { return s.updates }

// Tab is the session's name among the visitor's pages; its msg_ids are
// "tab:n".
func (s *Session) Tab() string { return s.outbox.tab }

// Now is the server's time, as well as the session learnt the server's
// clock: compare the server's timestamps with it, never with the
// visitor's clock, which may be minutes off.
func (s *Session) Now() time.Time { return s.clock.Now() }

// forget drops the outbox of a chat that is over and returns what it held.
func (s *Session) forget() []protocol.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.outbox.forget()
}

// identify gives a session without a ClientID the visitor's id kept in
// Memory.
func (s *Session) identify(ctx context.Context) {
	if s.credentials().ClientID != "" {
		return
	}
	id := visitorID(ctx, s.cfg.Memory, s.cfg.Locks, s.cfg.Credentials.AppID)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cfg.Credentials.ClientID == "" {
		s.cfg.Credentials.ClientID = id
	}
}

func (s *Session) credentials() protocol.Credentials {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg.Credentials
}

func (s *Session) knowsChat() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.chat.ChatID != ""
}

func (s *Session) emit(ctx context.Context, u Update) {
	select {
	case s.updates <- u:
	case <-ctx.Done():
	}
}
