package client

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
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

// Timeouts of what a session asks the server outside its socket.
const (
	// requestTimeout bounds Request Chat and the configuration.
	requestTimeout = 30 * time.Second
	// pollTimeout bounds one long poll, which the server ends after its
	// own wait: one that never ends went silent.
	pollTimeout = 60 * time.Second
)

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

// SendMessage queues a visitor message and returns its msg_id. A message
// sent before the session knows its chat waits for it.
func (s *Session) SendMessage(text string) (protocol.ID, error) {
	msg := &protocol.Message{Msg: text}
	err := s.Send(msg)
	return msg.MsgID, err
}

// Send queues a client event. Typing events are dropped while disconnected
// (see droppedOffline); call signals wait for the connection, but only for
// the page's life. An event that carries a msg_id and has none gets the
// page's next one, once it is valid.
func (s *Session) Send(e protocol.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := protocol.MsgIDOf(e)
	unnumbered := id != nil && id.IsZero()
	if unnumbered {
		*id = protocol.TextID("-")
	}
	if err := protocol.ValidateClientEvent(e); err != nil {
		if unnumbered {
			*id = protocol.ID{}
		}
		return err
	}
	if unnumbered {
		*id = s.outbox.nextID()
	}
	if droppedOffline(e) && !s.connected {
		return nil
	}
	s.enqueue(e)
	return nil
}

// Configuration fetches the widget configuration: the title, the styling,
// the forms the contact center may ask for, whether it offers calls (which
// it tells the chat's Call).
func (s *Session) Configuration(ctx context.Context) (protocol.WidgetConfiguration, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	s.identify(ctx)
	var cfg protocol.WidgetConfiguration
	err := s.call(ctx, http.MethodGet, protocol.PathConfiguration, nil, &cfg)
	if err == nil {
		styling := cfg.Definition.ChatWidgetStyling
		s.calls.Configure(styling.VideoCallEnabled, styling.VisitorVideoEnabled)
	}
	return cfg, err
}

// ICEServers fetches the STUN and TURN servers for the chat's calls.
func (s *Session) ICEServers(ctx context.Context) ([]protocol.ICEServer, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	s.identify(ctx)
	var answer protocol.ICEServers
	err := s.call(ctx, http.MethodGet, protocol.PathICEServers, nil, &answer)
	return answer.ICEServers, err
}

// Wake makes a session that waits to reconnect try at once, and a
// connected one check at once that its socket still reaches the server:
// the page became visible again, or the network came or went.
func (s *Session) Wake() {
	select {
	case s.retry <- struct{}{}:
	default:
	}
}

// enqueue adds e to the outbox and wakes the writer. The caller holds s.mu.
func (s *Session) enqueue(e protocol.Event) {
	// A call signal waits for the server's answer and goes again after a
	// reconnect, but is not kept across a reload: another page has no call
	// to signal for.
	s.outbox.add(e, !droppedOffline(e), !protocol.Ephemeral(e))
	select {
	case s.written <- struct{}{}:
	default:
	}
}

// droppedOffline reports whether the session drops e rather than queue it
// while it is not connected: a typing state means nothing by the time the
// connection is back, and the next keystroke says it again. Other
// ephemeral events, such as call signals, wait for the connection; none is
// kept across a reload (protocol.Ephemeral).
func droppedOffline(e protocol.Event) bool {
	switch e.(type) {
	case *protocol.Typing, *protocol.NotTyping:
		return true
	}
	return false
}

// Run requests the chat and keeps it connected until the chat is over (it
// then returns nil), the server refuses the chat for good, or ctx ends.
func (s *Session) Run(ctx context.Context) error {
	defer close(s.updates)
	var release func()
	defer func() {
		if release != nil {
			release()
		}
	}()
	s.identify(ctx)
	backoff := s.cfg.MinBackoff
	socketFailures := 0
	for attempt := 0; ; attempt++ {
		s.emit(ctx, Update{Conn: ConnConnecting})
		// After repeated socket failures, long-poll; now and then, give the
		// socket another chance.
		polling := socketFailures >= s.cfg.SocketTries && attempt%5 != 0
		wasConnected, err := s.connect(ctx, polling, &release)
		switch {
		case errors.Is(err, errChatOver):
			s.calls.ChatOver()
			s.emit(ctx, Update{Conn: ConnEnded, Unsent: s.forget()})
			return nil
		case ctx.Err() != nil:
			s.calls.ChatOver()
			return ctx.Err()
		case permanent(err):
			s.calls.ChatOver()
			s.emit(ctx, Update{Conn: ConnFailed, Err: err, Unsent: s.forget()})
			return err
		}
		switch {
		case !polling && !wasConnected && s.knowsChat():
			socketFailures++
		case !polling:
			socketFailures = 0
		}
		// A server that could not take what the session sent is given
		// the time a growing backoff gives it, however often it accepts
		// the connection.
		var perr *protocol.Error
		if wasConnected && !(errors.As(err, &perr) && (unavailable(perr) || perr.HTTPStatus() == http.StatusTooManyRequests)) {
			backoff = s.cfg.MinBackoff
		}
		wait := backoff/2 + rand.N(backoff/2+1)
		s.emit(ctx, Update{Conn: ConnReconnecting, Err: err, Retry: time.Now().Add(wait)})
		select {
		case <-time.After(wait):
		case <-s.retry:
		case <-ctx.Done():
			return ctx.Err()
		}
		backoff = min(2*backoff, s.cfg.MaxBackoff)
	}
}

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

// permanent reports whether an error means retrying cannot help: the server
// refused the request itself, rather than failing or being busy, or said
// the contact center is closed (see Closed).
func permanent(err error) bool {
	var perr *protocol.Error
	if !errors.As(err, &perr) {
		return false
	}
	status := perr.HTTPStatus()
	return status >= 400 && status < 500 && status != http.StatusTooManyRequests || Closed(err)
}

// Closed reports whether err is the server saying that no one can take a
// chat now (5001: the contact center is closed). A session stops on it
// rather than retry until the contact center opens.
func Closed(err error) bool {
	var perr *protocol.Error
	return errors.As(err, &perr) && perr.Code == protocol.CodeNoServer
}

func (s *Session) emit(ctx context.Context, u Update) {
	select {
	case s.updates <- u:
	case <-ctx.Done():
	}
}
