package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/protocol"
)

// Socket timing. Every write is bounded, and a ping finds connections that
// died without a close.
const (
	writeTimeout = 10 * time.Second
	pingInterval = 30 * time.Second
)

// visitorSocket is a chat's WebSocket for its visitor: the visitor's
// envelopes in, the chat's stream out, starting after the position the query
// names (token, epoch, after, signal).
func (s *Server) visitorSocket(w http.ResponseWriter, r *http.Request) {
	s.serveSocket(w, r, func(r *http.Request) (socketSide, error) {
		c, err := s.tokenChat(r)
		if err != nil {
			// One answer for "no such chat" and "not your chat", so a
			// token cannot be used to learn which chat ids exist.
			return socketSide{}, socketRefusal{protocol.CloseChatNotFound, "chat not found"}
		}
		return socketSide{chat: c, party: c.ID, take: s.chats.Send}, nil
	})
}

// socketSide is who is on the other end of a chat socket: the chat, the
// party (whose own typing is not echoed), and what takes its frames'
// events.
type socketSide struct {
	chat  chat.Chat
	party string
	take  func(ctx context.Context, chatID string, events ...protocol.Event) error
}

// socketRefusal closes a socket that was accepted only to say why it cannot
// be used: a browser cannot see the HTTP status of a refused upgrade, but it
// sees a close code.
type socketRefusal struct {
	code   protocol.CloseCode
	reason string
}

func (e socketRefusal) Error() string { return e.reason }

// serveSocket runs a chat socket for the side that identify returns.
func (s *Server) serveSocket(w http.ResponseWriter, r *http.Request, identify func(*http.Request) (socketSide, error)) {
	// Counted before the connection is hijacked, while the HTTP server's
	// shutdown still waits for this request, so Serve's Wait sees it.
	s.sockets.Add(1)
	defer s.sockets.Done()
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{OriginPatterns: s.origins})
	if err != nil {
		return // Accept has answered, e.g. 403 for an origin that is not allowed
	}
	defer conn.CloseNow()

	side, err := identify(r)
	var refusal socketRefusal
	if errors.As(err, &refusal) {
		conn.Close(websocket.StatusCode(refusal.code), refusal.reason)
		return
	}
	// A position that does not parse starts the stream over.
	from, _ := positionOf(r.URL.Query())
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	sub, err := s.chats.Subscribe(ctx, side.chat.ID, from, side.party)
	if err != nil {
		s.log.Error("subscribing a socket", "chat", side.chat.ID, "err", err)
		conn.Close(websocket.StatusInternalError, "internal error")
		return
	}
	defer sub.Close()
	conn.SetReadLimit(protocol.MaxEnvelopeBytes)

	var typing typingParty
	read := make(chan struct{})
	go func() {
		defer close(read)
		defer cancel()
		s.readFrames(ctx, conn, side, sub, &typing)
	}()
	go s.ping(ctx, conn)
	s.writeFrames(ctx, conn, sub)
	conn.CloseNow() // a writer that failed leaves the reader waiting
	<-read
	s.stopTyping(side, typing.get())
}

// typingParty is the party that said it is typing on a socket and has not
// said it stopped: "" when none.
type typingParty struct {
	mu    sync.Mutex
	party string
}

// note follows what a frame's events say about typing.
func (t *typingParty) note(side socketSide, events []protocol.Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, e := range events {
		party := e.EventMeta().PartyID
		if party == "" {
			party = side.party
		}
		switch e.(type) {
		case *protocol.Typing:
			t.party = party
		case *protocol.NotTyping, *protocol.Message:
			if party == t.party {
				t.party = ""
			}
		}
	}
}

func (t *typingParty) get() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.party
}

// stopTyping ends the typing of a party whose socket went away while it
// typed, as closing a tab mid-word does: nobody else would ever say it
// stopped.
func (s *Server) stopTyping(side socketSide, party string) {
	if party == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	if err := side.take(ctx, side.chat.ID, &protocol.NotTyping{Meta: protocol.Meta{PartyID: party}}); err != nil {
		s.log.Debug("ending the typing of a party that went away", "chat", side.chat.ID, "party", party, "err", err)
	}
}

// readFrames hands each frame's events to the side's taker and answers the
// frame by its ref; typing follows who types.
func (s *Server) readFrames(ctx context.Context, conn *websocket.Conn, side socketSide, sub *chat.Subscription, typing *typingParty) {
	chatID := side.chat.ID
	for {
		_, data, err := conn.Read(ctx)
		if err != nil {
			return
		}
		env, err := protocol.DecodeEnvelope(data)
		if err != nil {
			sub.Reply("", s.socketError(chatID, err))
			continue
		}
		if err := side.take(ctx, chatID, env.Events...); err != nil {
			if ctx.Err() != nil {
				return // the socket went away mid-frame; nobody is left to answer
			}
			sub.Reply(env.Ref, s.socketError(chatID, err))
			continue
		}
		typing.note(side, env.Events)
		if env.Ref != "" {
			sub.Reply(env.Ref, nil)
		}
	}
}

func (s *Server) socketError(chatID string, err error) *protocol.Error {
	return s.asProtocolError(err, "socket of chat", chatID)
}

// writeFrames sends the subscription's deliveries until the socket or the
// server goes away, and closes the socket with a code that says whether to
// come back.
func (s *Server) writeFrames(ctx context.Context, conn *websocket.Conn, sub *chat.Subscription) {
	// Only waiting stops at shutdown: the reader keeps ctx, since a
	// cancelled read would close the socket before it could say why.
	waitCtx, stopWaiting := context.WithCancel(ctx)
	defer stopWaiting()
	go func() {
		select {
		case <-s.closing:
			stopWaiting()
		case <-waitCtx.Done():
		}
	}()
	for {
		env, err := sub.Next(waitCtx)
		switch {
		case isClosed(s.closing):
			conn.Close(websocket.StatusCode(protocol.CloseGoingAway), "server shutting down")
			return
		case errors.Is(err, chat.ErrTooSlow):
			conn.Close(websocket.StatusCode(protocol.CloseTryAgainLater), "too slow; resume from your position")
			return
		case err != nil:
			return
		}
		data, err := json.Marshal(env)
		if err != nil {
			s.log.Error("encoding a socket frame", "err", err)
			return
		}
		writeCtx, cancel := context.WithTimeout(ctx, writeTimeout)
		err = conn.Write(writeCtx, websocket.MessageText, data)
		cancel()
		if err != nil {
			return
		}
	}
}

func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// ping checks the connection now and then; a peer that does not answer is
// disconnected, which ends the reader and the writer.
func (s *Server) ping(ctx context.Context, conn *websocket.Conn) {
	ticker := time.NewTicker(pingInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
			pingCtx, cancel := context.WithTimeout(ctx, writeTimeout)
			err := conn.Ping(pingCtx)
			cancel()
			if err != nil {
				conn.CloseNow()
				return
			}
		}
	}
}
