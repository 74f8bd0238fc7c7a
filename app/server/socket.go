package server

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
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

// socket is a chat's WebSocket: the visitor's envelopes in, the chat's stream
// out, starting after the position the query names (token, epoch, after).
func (s *Server) socket(w http.ResponseWriter, r *http.Request) {
	// Counted before the connection is hijacked, while the HTTP server's
	// shutdown still waits for this request, so Serve's Wait sees it.
	s.sockets.Add(1)
	defer s.sockets.Done()
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{OriginPatterns: s.cfg.AllowedOrigins})
	if err != nil {
		return // Accept has answered, e.g. 403 for an origin that is not allowed
	}
	defer conn.CloseNow()

	chatID, query := r.PathValue("chatId"), r.URL.Query()
	c, err := s.chats.Chat(r.Context(), chatID)
	if err != nil || subtle.ConstantTimeCompare([]byte(c.Token), []byte(query.Get("token"))) != 1 {
		// One answer for "no such chat" and "not your chat", so a token
		// cannot be used to learn which chat ids exist.
		conn.Close(websocket.StatusCode(protocol.CloseChatNotFound), "chat not found")
		return
	}
	after, _ := strconv.ParseUint(query.Get("after"), 10, 64)
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	sub, err := s.chats.Subscribe(ctx, chatID, protocol.Position{Epoch: query.Get("epoch"), Seq: after}, chatID)
	if err != nil {
		s.log.Error("subscribing a socket", "chat", chatID, "err", err)
		conn.Close(websocket.StatusInternalError, "internal error")
		return
	}
	defer sub.Close()
	conn.SetReadLimit(protocol.MaxEnvelopeBytes)

	go func() {
		defer cancel()
		s.readFrames(ctx, conn, chatID, sub)
	}()
	go s.ping(ctx, conn)
	s.writeFrames(ctx, conn, sub)
}

// readFrames hands each client frame to the chat and answers it by its ref.
func (s *Server) readFrames(ctx context.Context, conn *websocket.Conn, chatID string, sub *chat.Subscription) {
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
		if err := s.chats.Send(ctx, chatID, env.Events...); err != nil {
			sub.Reply(env.Ref, s.socketError(chatID, err))
			continue
		}
		if env.Ref != "" {
			sub.Reply(env.Ref, nil)
		}
	}
}

func (s *Server) socketError(chatID string, err error) *protocol.Error {
	var perr *protocol.Error
	if errors.As(err, &perr) {
		return perr
	}
	s.log.Error("taking a socket frame", "chat", chatID, "err", err)
	return protocol.Errorf(protocol.CodeInternal, "internal server error")
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
