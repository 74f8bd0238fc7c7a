package server

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/protocol"
)

// writeTimeout bounds every write to a chat socket, a ping's answer
// included.
const writeTimeout = 10 * time.Second

// visitorSocket is a chat's WebSocket for its visitor: the visitor's
// envelopes in, the chat's stream out, starting after the position the query
// names (token, epoch, after, signal).
func (s *Server) visitorSocket(w http.ResponseWriter, r *http.Request) {
	s.serveSocket(w, r, s.origins, func(r *http.Request) (socketSide, error) {
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

// serveSocket runs a chat socket for the side that identify returns. Pages
// of the server's own origin may open it, and of the origins patterns name
// (see coder/websocket's AcceptOptions.OriginPatterns); a page of any other
// origin is refused with 403.
func (s *Server) serveSocket(w http.ResponseWriter, r *http.Request, origins []string, identify func(*http.Request) (socketSide, error)) {
	// Counted before the connection is hijacked, while the HTTP server's
	// shutdown still waits for this request, so Serve's Wait sees it.
	s.sockets.Add(1)
	defer s.sockets.Done()
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{OriginPatterns: origins})
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
	writer := &socketWriter{s: s, conn: conn, sub: sub, ctx: ctx}
	writer.start()
	s.readFrames(ctx, conn, side, sub, &typing)
	cancel()
	writer.stop()
	s.stopTyping(side, typing.get())
}

// allEphemeral reports whether every event is one the server relays
// without storing.
func allEphemeral(events []protocol.Event) bool {
	for _, e := range events {
		if !protocol.Ephemeral(e) {
			return false
		}
	}
	return true
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
// frame by its ref; typing follows who types. Once the server could not
// take a frame for its own reasons (it failed, or cannot store), it takes
// none of the frames after it on this socket and answers them with the same
// error: the client sends them again, in order, after that one.
func (s *Server) readFrames(ctx context.Context, conn *websocket.Conn, side socketSide, sub *chat.Subscription, typing *typingParty) {
	chatID := side.chat.ID
	var failed *protocol.Error
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
		if failed != nil {
			sub.Reply(env.Ref, failed)
			continue
		}
		if err := side.take(ctx, chatID, env.Events...); err != nil {
			if ctx.Err() != nil {
				return // the socket went away mid-frame; nobody is left to answer
			}
			holdRefusal(ctx, err)
			perr := s.socketError(chatID, err)
			// After a refusal the client sends the frame again, and what
			// it sent after it would otherwise be stored before it: the
			// socket takes nothing more. Typing refused for the rate is
			// not sent again.
			if perr.HTTPStatus() >= http.StatusInternalServerError ||
				(perr.HTTPStatus() == http.StatusTooManyRequests && !allEphemeral(env.Events)) {
				failed = perr
			}
			sub.Reply(env.Ref, perr)
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
