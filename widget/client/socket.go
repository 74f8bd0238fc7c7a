package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"

	"github.com/coder/websocket"
	"github.com/parleychat/parley/protocol"
)

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
