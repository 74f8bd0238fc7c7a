package client

import (
	"context"
	"errors"
	"net/http"

	"github.com/parleychat/parley/protocol"
)

// pollLink is a link over the API: Send Events to write, Parley's positioned
// Get New Chat Events (a long poll) to read.
type pollLink struct{ s *Session }

func (l *pollLink) write(ctx context.Context, env protocol.Envelope) (*protocol.Envelope, error) {
	data, err := protocol.EncodeEnvelope(env.Events...)
	if err != nil {
		return nil, err
	}
	err = l.s.call(ctx, http.MethodPost, protocol.Path(protocol.PathChatEvents, l.s.chatID()), data, nil)
	perr, ok := errors.AsType[*protocol.Error](err)
	switch {
	case ok && !over(err) && !unavailable(perr) && perr.HTTPStatus() != http.StatusTooManyRequests:
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
