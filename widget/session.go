package widget

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/parleychat/parley/protocol"
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
	// id is unknown); retrying would not help.
	ConnFailed ConnState = "failed"
)

// Update is what a Session reports: a change of connection state, events
// from the chat's stream, or a refusal of something the visitor sent. Fields
// that did not change are zero.
type Update struct {
	Conn ConnState
	// Chat is set when the session learns its chat.
	Chat *protocol.ChatSession
	// Reset says the server's stream is not the one the session had seen:
	// forget every event shown so far, Events starts over.
	Reset  bool
	Events []protocol.Event
	// Position is the place in the stream after Events.
	Position protocol.Position
	// Refused is an event the server would not take, and why.
	Refused *Refusal
	// Err is the error that cost the session its connection.
	Err error
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
	BaseURL     string
	Credentials protocol.Credentials
	// Request is sent with Request Chat: visitor details, parameters.
	Request protocol.ChatRequest
	// MinBackoff and MaxBackoff bound the wait before reconnecting.
	MinBackoff, MaxBackoff time.Duration
}

// ErrNotReady is returned for a message sent before the session knows its
// chat, since a msg_id names the chat.
var ErrNotReady = errors.New("the chat has not started yet")

// errChatOver ends Run: the chat ended and will take nothing more.
var errChatOver = errors.New("chat over")

// maxFrameBytes bounds a frame from the server: it batches history.
const maxFrameBytes = 16 << 20

// Session is a visitor's connection to one chat. It requests the chat, keeps
// a WebSocket to it open (reconnecting with backoff and resuming from its
// position in the stream), and sends what the visitor does in order. A
// message stays queued until the server says it stored it, and is sent again
// after a reconnect; the server drops a msg_id it already has. Typing events
// are only sent while connected. It builds for the browser and natively, so
// Go tests drive it against a real server.
type Session struct {
	cfg     Config
	updates chan Update
	wake    chan struct{}

	mu        sync.Mutex
	chat      protocol.ChatSession
	pos       protocol.Position
	connected bool
	// generation counts connections, so a writer of a broken one cannot
	// mark frames as written on the next.
	generation int
	queue      []*outgoing
	lastRef    int
	// nextMsg numbers the visitor's next message; it never goes back to a
	// number the stream already holds.
	nextMsg int
}

// outgoing is a frame waiting to be written, or for a durable one, waiting
// for the server's answer.
type outgoing struct {
	ref     string
	event   protocol.Event
	durable bool
	written bool
}

// NewSession returns a Session; call Run to start it.
func NewSession(cfg Config) *Session {
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = 500 * time.Millisecond
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(30*time.Second, cfg.MinBackoff)
	}
	return &Session{cfg: cfg, updates: make(chan Update, 64), wake: make(chan struct{}, 1), nextMsg: 1}
}

// Updates delivers what happens to the session, in order. It is closed when
// Run returns.
func (s *Session) Updates() <-chan Update { return s.updates }

// SendMessage queues a visitor message and returns its msg_id.
func (s *Session) SendMessage(text string) (protocol.ID, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.chat.ChatID == "" {
		return "", ErrNotReady
	}
	msg := &protocol.Message{MsgID: protocol.MessageID(s.chat.ChatID, s.nextMsg), Msg: text}
	if err := protocol.ValidateClientEvent(msg); err != nil {
		return "", err
	}
	s.nextMsg++
	s.enqueue(msg)
	return msg.MsgID, nil
}

// Send queues a client event. Typing events are dropped while disconnected:
// by the time the socket is back they mean nothing.
func (s *Session) Send(e protocol.Event) error {
	if err := protocol.ValidateClientEvent(e); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if ephemeral(e) && !s.connected {
		return nil
	}
	s.enqueue(e)
	return nil
}

// enqueue adds e to the queue and wakes the writer. The caller holds s.mu.
func (s *Session) enqueue(e protocol.Event) {
	s.lastRef++
	s.queue = append(s.queue, &outgoing{ref: strconv.Itoa(s.lastRef), event: e, durable: !ephemeral(e)})
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func ephemeral(e protocol.Event) bool {
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
	backoff := s.cfg.MinBackoff
	for {
		s.emit(ctx, Update{Conn: ConnConnecting})
		wasConnected, err := s.connect(ctx)
		switch {
		case errors.Is(err, errChatOver):
			s.emit(ctx, Update{Conn: ConnEnded})
			return nil
		case ctx.Err() != nil:
			return ctx.Err()
		case permanent(err):
			s.emit(ctx, Update{Conn: ConnFailed, Err: err})
			return err
		}
		if wasConnected {
			backoff = s.cfg.MinBackoff
		}
		s.emit(ctx, Update{Conn: ConnReconnecting, Err: err})
		wait := backoff/2 + rand.N(backoff/2+1)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return ctx.Err()
		}
		backoff = min(2*backoff, s.cfg.MaxBackoff)
	}
}

// permanent reports whether an error means retrying cannot help: the server
// refused the request itself, rather than failing or being busy.
func permanent(err error) bool {
	var perr *protocol.Error
	if !errors.As(err, &perr) {
		return false
	}
	status := perr.HTTPStatus()
	return status >= 400 && status < 500 && status != http.StatusTooManyRequests
}

// connect runs one connection: it requests the chat if the session has none
// yet, dials the socket and reads from it until it breaks.
func (s *Session) connect(ctx context.Context) (wasConnected bool, err error) {
	s.mu.Lock()
	chat := s.chat
	s.mu.Unlock()
	if chat.ChatID == "" {
		if chat, err = s.requestChat(ctx); err != nil {
			return false, err
		}
		s.mu.Lock()
		s.chat, s.pos = chat, protocol.Position{Epoch: chat.Epoch}
		s.mu.Unlock()
		s.emit(ctx, Update{Chat: &chat})
	}

	conn, _, err := websocket.Dial(ctx, s.socketURL(), nil)
	if err != nil {
		return false, fmt.Errorf("opening the chat socket: %w", err)
	}
	defer conn.CloseNow()
	conn.SetReadLimit(maxFrameBytes)

	connCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go s.write(connCtx, conn)
	for {
		_, data, err := conn.Read(connCtx)
		if err != nil {
			s.disconnected()
			if protocol.CloseCode(websocket.CloseStatus(err)) == protocol.CloseChatNotFound {
				return wasConnected, errChatOver
			}
			return wasConnected, fmt.Errorf("reading the chat socket: %w", err)
		}
		env, err := protocol.DecodeEnvelope(data)
		if err != nil {
			return wasConnected, fmt.Errorf("reading the chat socket: %w", err)
		}
		if !wasConnected {
			wasConnected = true
			s.mu.Lock()
			s.connected = true
			s.mu.Unlock()
			s.emit(ctx, Update{Conn: ConnConnected})
		}
		if over := s.receive(ctx, env); over {
			return true, errChatOver
		}
	}
}

// disconnected marks every durable frame for sending again and forgets the
// typing events that were never written.
func (s *Session) disconnected() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.connected = false
	s.generation++
	kept := s.queue[:0]
	for _, o := range s.queue {
		if o.durable {
			o.written = false
			kept = append(kept, o)
		}
	}
	s.queue = kept
}

// write sends queued frames in order until ctx ends or a write fails.
func (s *Session) write(ctx context.Context, conn *websocket.Conn) {
	for {
		s.mu.Lock()
		generation := s.generation
		var batch []*outgoing
		for _, o := range s.queue {
			if !o.written {
				batch = append(batch, o)
			}
		}
		s.mu.Unlock()
		for _, o := range batch {
			data, err := json.Marshal(protocol.Envelope{Events: []protocol.Event{o.event}, Ref: o.ref})
			if err == nil {
				writeCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
				err = conn.Write(writeCtx, websocket.MessageText, data)
				cancel()
			}
			if err != nil {
				conn.CloseNow()
				return
			}
			s.mu.Lock()
			if generation == s.generation {
				o.written = true
				if !o.durable {
					s.remove(o.ref)
				}
			}
			s.mu.Unlock()
		}
		select {
		case <-s.wake:
		case <-ctx.Done():
			return
		}
	}
}

// receive applies one frame from the server and reports whether the chat is
// over.
func (s *Session) receive(ctx context.Context, env protocol.Envelope) (over bool) {
	if env.Ref != "" {
		s.mu.Lock()
		o := s.remove(env.Ref)
		s.mu.Unlock()
		if env.Error != nil && o != nil {
			s.emit(ctx, Update{Refused: &Refusal{Event: o.event, Err: env.Error}})
		}
		return false
	}
	if env.Error != nil {
		s.emit(ctx, Update{Err: env.Error})
		return false
	}

	s.mu.Lock()
	reset := env.Epoch != "" && env.Epoch != s.pos.Epoch
	if reset {
		s.pos = protocol.Position{Epoch: env.Epoch}
	}
	fresh := make([]protocol.Event, 0, len(env.Events))
	for _, e := range env.Events {
		seq := e.EventMeta().Seq
		if seq != 0 && seq <= s.pos.Seq {
			continue // already seen before a reconnect
		}
		if seq != 0 {
			s.pos.Seq = seq
		}
		s.noteOwnMessage(e)
		fresh = append(fresh, e)
		over = over || ends(e)
	}
	pos := s.pos
	s.mu.Unlock()
	if reset || len(fresh) > 0 {
		s.emit(ctx, Update{Reset: reset, Events: fresh, Position: pos})
	}
	return over
}

// noteOwnMessage keeps nextMsg past every msg_id the visitor already used in
// this chat, so a reloaded page never reuses one. The caller holds s.mu.
func (s *Session) noteOwnMessage(e protocol.Event) {
	msg, ok := e.(*protocol.Message)
	if !ok || msg.PartyID != s.chat.ChatID {
		return
	}
	if chatID, n, ok := protocol.ParseMessageID(msg.MsgID); ok && chatID == s.chat.ChatID && n >= s.nextMsg {
		s.nextMsg = n + 1
	}
}

// ends reports whether an event means the chat takes nothing more.
func ends(e protocol.Event) bool {
	switch e := e.(type) {
	case *protocol.Ended, *protocol.InactivityTimeout, *protocol.End:
		return true
	case *protocol.Status:
		return e.State.Over()
	}
	return false
}

// remove takes the frame with ref out of the queue. The caller holds s.mu.
func (s *Session) remove(ref string) *outgoing {
	for i, o := range s.queue {
		if o.ref == ref {
			s.queue = append(s.queue[:i], s.queue[i+1:]...)
			return o
		}
	}
	return nil
}

func (s *Session) emit(ctx context.Context, u Update) {
	select {
	case s.updates <- u:
	case <-ctx.Done():
	}
}

// requestChat calls Request Chat, which returns the client's active chat or
// starts a new one.
func (s *Session) requestChat(ctx context.Context) (protocol.ChatSession, error) {
	body, err := json.Marshal(s.cfg.Request)
	if err != nil {
		return protocol.ChatSession{}, err
	}
	status, data, err := post(ctx, strings.TrimRight(s.cfg.BaseURL, "/")+protocol.PathChats, map[string]string{
		"Authorization": s.cfg.Credentials.Authorization(),
		"Content-Type":  "application/json; charset=UTF-8",
	}, body)
	if err != nil {
		return protocol.ChatSession{}, fmt.Errorf("requesting a chat: %w", err)
	}
	if status != http.StatusOK {
		if perr := protocol.DecodeError(data); perr != nil {
			return protocol.ChatSession{}, perr
		}
		return protocol.ChatSession{}, fmt.Errorf("requesting a chat: HTTP status %d", status)
	}
	var chat protocol.ChatSession
	if err := json.Unmarshal(data, &chat); err != nil || chat.ChatID == "" {
		return protocol.ChatSession{}, fmt.Errorf("requesting a chat: the answer %.100q is not a chat session", data)
	}
	return chat, nil
}

// socketURL is the chat's WebSocket address, carrying its token and the
// position to resume from.
func (s *Session) socketURL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	base := strings.TrimRight(s.cfg.BaseURL, "/")
	base = strings.Replace(base, "http", "ws", 1)
	q := url.Values{
		"token": {s.chat.Token},
		"epoch": {s.pos.Epoch},
		"after": {strconv.FormatUint(s.pos.Seq, 10)},
	}
	return base + protocol.Path(protocol.PathChatSocket, s.chat.ChatID) + "?" + q.Encode()
}
