package client

import (
	"context"
	"net/http"
	"time"

	"github.com/parleychat/parley/protocol"
)

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
