package client

import (
	"context"
	"errors"
	"fmt"
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
	if ce, ok := errors.AsType[websocket.CloseError](err); ok && protocol.CloseCode(ce.Code) == protocol.CloseChatNotFound {
		return true
	}
	perr, ok := errors.AsType[*protocol.Error](err)
	return ok && perr.Code == protocol.CodeChatNotFound
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
