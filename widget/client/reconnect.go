package client

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/parleychat/parley/protocol"
)

// Wake makes a session that waits to reconnect try at once, and a
// connected one check at once that its socket still reaches the server:
// the page became visible again, or the network came or went.
func (s *Session) Wake() {
	select {
	case s.retry <- struct{}{}:
	default:
	}
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
		perr, ok := errors.AsType[*protocol.Error](err)
		if wasConnected && !(ok && (unavailable(perr) || perr.HTTPStatus() == http.StatusTooManyRequests)) {
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

// permanent reports whether an error means retrying cannot help: the server
// refused the request itself, rather than failing or being busy, or said
// the contact center is closed (see Closed).
func permanent(err error) bool {
	perr, ok := errors.AsType[*protocol.Error](err)
	if !ok {
		return false
	}
	status := perr.HTTPStatus()
	return status >= 400 && status < 500 && status != http.StatusTooManyRequests || Closed(err)
}

// Closed reports whether err is the server saying that no one can take a
// chat now (5001: the contact center is closed). A session stops on it
// rather than retry until the contact center opens.
func Closed(err error) bool {
	perr, ok := errors.AsType[*protocol.Error](err)
	return ok && perr.Code == protocol.CodeNoServer
}
