package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/coder/websocket"
	"github.com/parleychat/parley/protocol"
)

// maxFrameBytes bounds a frame from the server: it batches history.
const maxFrameBytes = 16 << 20

// writeTimeout bounds every write to the server.
const writeTimeout = 10 * time.Second

// link is one connection to the chat: a WebSocket, or the API's long poll
// when WebSockets fail. Both carry the same envelopes.
type link interface {
	// write sends a frame. A link that learns the server's answer at once
	// returns it; a socket's answer arrives through read.
	write(ctx context.Context, env protocol.Envelope) (*protocol.Envelope, error)
	// read returns the next frame from the server.
	read(ctx context.Context) (protocol.Envelope, error)
	close()
}

// connect runs one connection: it requests the chat if the session has none
// yet, takes in the outboxes of the visitor's closed pages, opens a link
// and reads from it until it breaks. release is set to what gives up the
// page's own outbox, once the session knows its chat.
func (s *Session) connect(ctx context.Context, polling bool, release *func()) (wasConnected bool, err error) {
	if !s.knowsChat() {
		chat, err := s.requestChat(ctx)
		if err != nil {
			return false, err
		}
		s.mu.Lock()
		s.chat, s.pos = chat, protocol.Position{Epoch: chat.Epoch}
		s.mu.Unlock()
		*release = s.claimOutbox(ctx, chat.ChatID)
		s.emit(ctx, Update{Chat: &chat, Restored: s.adoptOutboxes(ctx)})
	} else if restored := s.adoptOutboxes(ctx); len(restored) > 0 {
		s.emit(ctx, Update{Restored: restored})
	}

	var l link
	if polling {
		l = &pollLink{s: s}
	} else {
		u, err := s.socketURL()
		if err != nil {
			return false, err
		}
		conn, _, err := websocket.Dial(ctx, u, nil)
		if err != nil {
			return false, fmt.Errorf("opening the chat socket: %w", err)
		}
		conn.SetReadLimit(maxFrameBytes)
		l = &socketLink{conn: conn}
	}
	defer l.close()

	linkCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	answers := make(chan protocol.Envelope, 16)
	unwritten := make(chan error, 1)
	// A socket's first frame brings what was stored since the session's
	// position, its own events among them: what it shows was stored need
	// not be sent again. A long poll's first answer may wait for news, so
	// its writer starts at once.
	startWriter := func() { go func() { unwritten <- s.write(linkCtx, l, answers) }() }
	if polling {
		startWriter()
	}
	frames := make(chan protocol.Envelope)
	failed := make(chan error, 1)
	go func() {
		for {
			env, err := l.read(linkCtx)
			if err != nil {
				failed <- err
				return
			}
			select {
			case frames <- env:
			case <-linkCtx.Done():
				return
			}
		}
	}()
	// A socket must answer what the session wrote within AnswerTimeout;
	// one that stays silent for a Heartbeat is asked for an answer. The
	// long poll needs none of this: each of its requests is bounded.
	check := time.NewTicker(s.cfg.AnswerTimeout / 4)
	defer check.Stop()
	heard := time.Now()
	var asked time.Time
	// first says the frame just taken is the socket's first.
	first := false
	ask := func(now time.Time) {
		if polling || !asked.IsZero() {
			return
		}
		asked = now
		go func() { _, _ = l.write(linkCtx, protocol.Envelope{Ref: heartbeatRef}) }()
	}
	for {
		var env protocol.Envelope
		select {
		case now := <-check.C:
			if !polling && (s.unanswered(now) || !asked.IsZero() && now.Sub(asked) >= s.cfg.AnswerTimeout) {
				s.disconnected()
				return wasConnected, errSilent
			}
			if now.Sub(heard) >= s.cfg.Heartbeat {
				ask(now)
			}
			continue
		case <-s.retry:
			ask(time.Now())
			continue
		case env = <-answers:
		case env = <-frames:
			if !wasConnected {
				wasConnected = true
				s.mu.Lock()
				s.connected = true
				s.mu.Unlock()
				s.emit(ctx, Update{Conn: ConnConnected, Polling: polling})
				first = !polling
			}
		case err := <-unwritten:
			// A socket whose write failed is closed, and its read fails
			// too; a long poll's reads may go on working, but what the
			// visitor sent must not wait for them to fail. A chat that
			// is over is left to the reads: they bring its end, which
			// the window shows.
			if over(err) {
				continue
			}
			s.disconnected()
			return wasConnected, err
		case err := <-failed:
			s.disconnected()
			if over(err) {
				return wasConnected, errChatOver
			}
			return wasConnected, err
		}
		heard = time.Now()
		if env.Ref == heartbeatRef {
			asked = time.Time{}
		}
		ended, err := s.receive(ctx, env, polling)
		if ended || err != nil {
			s.disconnected()
			if ended {
				return true, errChatOver
			}
			return wasConnected, err
		}
		if first {
			first = false
			startWriter()
		}
	}
}

// unanswered reports whether a frame the session wrote has waited longer
// than AnswerTimeout for the server's answer.
func (s *Session) unanswered(now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	oldest := s.outbox.oldestUnanswered()
	return !oldest.IsZero() && now.Sub(oldest) >= s.cfg.AnswerTimeout
}

// heartbeatRef names the empty frame that asks a silent socket for an
// answer; the server answers it like any frame, storing nothing.
const heartbeatRef = "heartbeat"

// errSilent is a socket that left a frame unanswered.
var errSilent = errors.New("the chat socket went silent")

// over reports whether a link failed because the chat is gone.
func over(err error) bool {
	var perr *protocol.Error
	return protocol.CloseCode(websocket.CloseStatus(err)) == protocol.CloseChatNotFound ||
		errors.As(err, &perr) && perr.Code == protocol.CodeChatNotFound
}

// disconnected marks every durable frame for sending again and forgets the
// typing events that were never written.
func (s *Session) disconnected() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.connected = false
	s.outbox.disconnected()
}

// write sends queued frames in order until ctx ends (it then returns nil)
// or a write fails. An answer the link learns at once goes to answers, to
// be handled as the socket's would be.
func (s *Session) write(ctx context.Context, l link, answers chan<- protocol.Envelope) error {
	for {
		s.mu.Lock()
		generation := s.outbox.generation
		batch := s.outbox.unwritten()
		s.mu.Unlock()
		for _, o := range batch {
			writeCtx, cancel := context.WithTimeout(ctx, writeTimeout)
			answer, err := l.write(writeCtx, protocol.Envelope{Events: []protocol.Event{o.event}, Ref: o.ref})
			cancel()
			if ctx.Err() != nil {
				return nil
			}
			if err != nil {
				l.close()
				return fmt.Errorf("sending: %w", err)
			}
			s.mu.Lock()
			s.outbox.written(o, generation, time.Now())
			s.mu.Unlock()
			if answer != nil {
				select {
				case answers <- *answer:
				case <-ctx.Done():
					return nil
				}
			}
		}
		select {
		case <-s.written:
		case <-ctx.Done():
			return nil
		}
	}
}

// receive applies one frame from the server, which came by long polling or
// not, and reports whether the chat is over. An answer that says the server
// could not take a frame now (it failed, or cannot store) is an error: the
// frame stays in the outbox, to be sent again on the next connection.
func (s *Session) receive(ctx context.Context, env protocol.Envelope, polling bool) (over bool, err error) {
	if env.Ref != "" {
		if env.Error != nil && s.sendAgain(env.Ref, env.Error) {
			return false, env.Error
		}
		s.mu.Lock()
		o := s.outbox.remove(env.Ref)
		s.mu.Unlock()
		if env.Error == nil || o == nil {
			return false, nil
		}
		if sig, ok := o.event.(*protocol.Signaling); ok {
			s.calls.Refused(sig, env.Error) // the call says so, not the transcript
			return false, nil
		}
		s.emit(ctx, Update{Refused: &Refusal{Event: o.event, Err: env.Error}})
		return false, nil
	}
	if env.Error != nil {
		s.emit(ctx, Update{Err: env.Error})
		return false, nil
	}

	arrived := time.Now()
	s.mu.Lock()
	reset := env.Epoch != "" && env.Epoch != s.pos.Epoch
	if reset {
		// Call signals are not in the stream: where they stand holds.
		s.pos = protocol.Position{Epoch: env.Epoch, Signal: s.pos.Signal}
	}
	fresh := make([]protocol.Event, 0, len(env.Events))
	var upstream ConnState
	for _, e := range env.Events {
		if u, ok := e.(*protocol.Upstream); ok {
			upstream = upstreamConn(u)
			continue
		}
		seq := e.EventMeta().Seq
		if seq != 0 && seq <= s.pos.Seq {
			continue // already seen before a reconnect
		}
		if seq != 0 {
			s.pos.Seq = seq
		}
		if id := protocol.MsgIDOf(e); seq != 0 && id != nil && e.EventMeta().PartyID == s.chat.ChatID {
			s.outbox.stored(*id)
		}
		if sig, ok := e.(*protocol.Signaling); ok {
			s.pos.Signal = max(s.pos.Signal, sig.SignalSeq)
		}
		s.clock.stamped(e.EventMeta().Timestamp.Time, arrived)
		fresh = append(fresh, e)
		over = over || protocol.EndsChat(e)
	}
	pos := s.pos
	s.mu.Unlock()
	for _, e := range fresh {
		s.calls.Handle(e)
	}
	// Every frame of the stream is reported, even one with nothing new: the
	// first after connecting says the window has caught up.
	if reset || len(fresh) > 0 || env.Epoch != "" {
		s.emit(ctx, Update{Reset: reset, Events: fresh, Position: pos})
	}
	if upstream != "" {
		s.emit(ctx, Update{Conn: upstream, Polling: polling})
	}
	return over, nil
}

// unavailable reports whether the server refused something because it
// cannot take anything now (a 5xx: it failed, or cannot store), rather
// than for what was sent: sent again later, it may be taken.
func unavailable(err *protocol.Error) bool { return err.HTTPStatus() >= 500 }

// sendAgain reports whether the frame the server refused with err stays in
// the outbox, to be sent again on the next link: any the server could not
// take now, and a message (or any event kept across reloads) refused for
// the rate, which a reconnect's backlog meets. The server takes nothing
// more on a socket after either (app/server, readFrames), so what follows
// is sent again after it, in order. Typing refused for the rate is let go.
func (s *Session) sendAgain(ref string, err *protocol.Error) bool {
	if unavailable(err) {
		return true
	}
	if err.HTTPStatus() != http.StatusTooManyRequests {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.outbox.persisted(ref)
}

// upstreamConn is how the chat stands while the server says whether it
// reaches the contact center behind it: reconnecting, with the link to the
// server itself up, so what the visitor sends waits on the server.
func upstreamConn(u *protocol.Upstream) ConnState {
	if u.State == protocol.UpstreamReconnecting {
		return ConnReconnecting
	}
	return ConnConnected
}

// requestChat calls Request Chat, which returns the client's active chat or
// starts a new one.
func (s *Session) requestChat(ctx context.Context) (protocol.ChatSession, error) {
	body, err := json.Marshal(s.cfg.Request)
	if err != nil {
		return protocol.ChatSession{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	var chat protocol.ChatSession
	if err := s.call(ctx, http.MethodPost, protocol.PathChats, body, &chat); err != nil {
		return protocol.ChatSession{}, fmt.Errorf("requesting a chat: %w", err)
	}
	if chat.ChatID == "" {
		return protocol.ChatSession{}, errors.New("requesting a chat: the answer has no chat_id")
	}
	return chat, nil
}

// call sends an API request with the visitor's credentials and decodes the
// answer into out; an error answer is a *protocol.Error. The answer's Date
// tells the server's clock.
func (s *Session) call(ctx context.Context, method, path string, body []byte, out any) error {
	sent := time.Now()
	resp, err := request(ctx, method, strings.TrimRight(s.cfg.BaseURL, "/")+path, map[string]string{
		"Authorization": s.credentials().Authorization(),
		"Content-Type":  "application/json; charset=UTF-8",
	}, body)
	if err != nil {
		return err
	}
	s.clock.date(resp.date, sent, time.Now())
	if resp.status != http.StatusOK {
		if perr := protocol.DecodeError(resp.body); perr != nil {
			return perr
		}
		return fmt.Errorf("HTTP status %d", resp.status)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(resp.body, out)
}

// socketURL is the chat's WebSocket address, carrying its token and the
// position to resume from.
func (s *Session) socketURL() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := position(s.pos)
	q.Set("token", s.chat.Token)
	return protocol.SocketURL(s.cfg.BaseURL, protocol.Path(protocol.PathChatSocket, s.chat.ChatID), q)
}

// position is the query that resumes the chat's stream after pos: its
// stored events, and the call signals the server holds for the visitor.
func position(pos protocol.Position) url.Values {
	return url.Values{
		"epoch":  {pos.Epoch},
		"after":  {strconv.FormatUint(pos.Seq, 10)},
		"signal": {strconv.FormatUint(pos.Signal, 10)},
	}
}

// socketLink is a link over the chat's WebSocket.
type socketLink struct{ conn *websocket.Conn }

func (l *socketLink) write(ctx context.Context, env protocol.Envelope) (*protocol.Envelope, error) {
	data, err := json.Marshal(env)
	if err != nil {
		return nil, err
	}
	return nil, l.conn.Write(ctx, websocket.MessageText, data)
}

func (l *socketLink) read(ctx context.Context) (protocol.Envelope, error) {
	_, data, err := l.conn.Read(ctx)
	if err != nil {
		return protocol.Envelope{}, fmt.Errorf("reading the chat socket: %w", err)
	}
	return protocol.DecodeEnvelope(data)
}

func (l *socketLink) close() { l.conn.CloseNow() }

// pollLink is a link over the API: Send Events to write, Parley's positioned
// Get New Chat Events (a long poll) to read.
type pollLink struct{ s *Session }

func (l *pollLink) write(ctx context.Context, env protocol.Envelope) (*protocol.Envelope, error) {
	data, err := protocol.EncodeEnvelope(env.Events...)
	if err != nil {
		return nil, err
	}
	err = l.s.call(ctx, http.MethodPost, protocol.Path(protocol.PathChatEvents, l.s.chatID()), data, nil)
	var perr *protocol.Error
	switch {
	case errors.As(err, &perr) && !over(err) && !unavailable(perr) && perr.HTTPStatus() != http.StatusTooManyRequests:
		return &protocol.Envelope{Ref: env.Ref, Error: perr}, nil // refused for good
	case err != nil:
		return nil, err
	}
	return &protocol.Envelope{Ref: env.Ref}, nil
}

func (l *pollLink) read(ctx context.Context) (protocol.Envelope, error) {
	l.s.mu.Lock()
	q := position(l.s.pos)
	chatID := l.s.chat.ChatID
	l.s.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, pollTimeout)
	defer cancel()
	var env protocol.Envelope
	err := l.s.call(ctx, http.MethodGet, protocol.Path(protocol.PathChatEvents, chatID)+"?"+q.Encode(), nil, &env)
	return env, err
}

func (l *pollLink) close() {}

func (s *Session) chatID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.chat.ChatID
}
