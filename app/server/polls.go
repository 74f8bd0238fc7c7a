package server

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/protocol"
)

// polls keeps what the API's own long poll needs, since it carries no
// position: the SDKs ask for "what is new" and the server must know what it
// already gave them. (One poll per chat at a time is a lease of the chats,
// LeasePoll, so that it holds whichever process a poll reaches.)
//
// The rule, and its limits:
//   - Each chat's cursor, the last event and the last call signal a poll
//     answered with, is stored before the answer is written. A restart or
//     a deploy therefore replays nothing: nothing of this is in memory.
//   - A poll whose client went away before its answer was written moves
//     nothing.
//   - The server cannot see whether an answer arrived, but it sees the
//     connection that carried it. A client reads an answer before it sends
//     its next request on that connection, and keeps a connection whose
//     answer it read open for the next. So when the next poll comes on
//     another connection and the one that carried the last answer has
//     closed unused, that answer was lost on the way: the cursor goes back
//     to where it was before it, and this poll answers it again.
//   - An answer to a request that asked to close its connection (or spoke
//     HTTP/1.0) counts as delivered: there is no connection left to watch.
//     So does every answer behind a proxy that pools its own connections
//     or closes them itself, and one whose connection died without a word:
//     there, a lost answer stays lost (the history has it all).
//   - A client that reads an answer and closes its connection without
//     saying so gets that answer again on its next poll.
//   - The process that wrote an answer judges it: behind a load balancer
//     the next poll may reach another process, which counts the answer as
//     delivered (as a pooling proxy in front makes every process do).
type polls struct {
	mu   sync.Mutex
	last map[string]lastAnswer
}

// pollCursor is where a chat's cursor poll stands: the last stored event
// and the last call signal it answered with.
type pollCursor struct {
	seq, signal uint64
}

// lastAnswer is the last answer a chat's cursor poll wrote.
type lastAnswer struct {
	// before is the cursor before the answer: where a lost answer sends
	// the chat back to.
	before pollCursor
	// conn carried the answer, and requests is how many requests it had
	// begun by then.
	conn     *conn
	requests int64
}

// lostGrace is how long a poll that comes on a new connection waits to see
// the last answer's connection close: the close of a connection and the
// client's next request race into the server.
const lostGrace = 50 * time.Millisecond

// pollLeaseSlack is how much longer than its wait a poll's lease lasts:
// the time to read what there is and write the answer.
const pollLeaseSlack = 30 * time.Second

// lost reports whether the chat's last answer was lost on the way, judged
// when the next poll r comes, and the cursor before that answer. It
// forgets the answer either way.
func (p *polls) lost(r *http.Request, chatID string) (before pollCursor, lost bool) {
	p.mu.Lock()
	last, ok := p.last[chatID]
	delete(p.last, chatID)
	p.mu.Unlock()
	if !ok || last.conn == nil || last.conn == connOf(r) || last.conn.requests.Load() > last.requests {
		return pollCursor{}, false
	}
	timer := time.NewTimer(lostGrace)
	defer timer.Stop()
	select {
	case <-last.conn.closed:
		return last.before, true
	case <-timer.C:
		return pollCursor{}, false
	case <-r.Context().Done():
		return pollCursor{}, false
	}
}

// answered notes the answer the chat's poll r is about to write, whose
// cursor was before.
func (p *polls) answered(r *http.Request, chatID string, before pollCursor) {
	c := connOf(r)
	if c == nil || r.Close || !r.ProtoAtLeast(1, 1) {
		return // nothing to watch: the answer counts as delivered
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.last == nil {
		p.last = map[string]lastAnswer{}
	}
	p.last[chatID] = lastAnswer{before: before, conn: c, requests: c.requests.Load()}
}

// forget drops the chat's last answer, as delivered.
func (p *polls) forget(chatID string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.last, chatID)
}

// conn follows one connection of the HTTP server: how many requests it
// began, and whether it closed.
type conn struct {
	requests atomic.Int64
	closed   chan struct{}
}

// conns maps the server's connections to what it follows of them. Serve
// wires it into its http.Server; a handler served some other way sees no
// connections, and its cursor polls count every answer as delivered.
type conns struct{ m sync.Map }

type connKey struct{}

func connOf(r *http.Request) *conn {
	c, _ := r.Context().Value(connKey{}).(*conn)
	return c
}

// context is the http.Server's ConnContext.
func (cs *conns) context(ctx context.Context, nc net.Conn) context.Context {
	c := &conn{closed: make(chan struct{})}
	cs.m.Store(nc, c)
	return context.WithValue(ctx, connKey{}, c)
}

// state is the http.Server's ConnState.
func (cs *conns) state(nc net.Conn, state http.ConnState) {
	v, ok := cs.m.Load(nc)
	if !ok {
		return
	}
	c := v.(*conn)
	switch state {
	case http.StateActive:
		c.requests.Add(1)
	case http.StateClosed, http.StateHijacked:
		cs.m.Delete(nc)
		close(c.closed)
	}
}

// pollEvents is Get New Chat Events, a long poll. By default it keeps the
// API's semantics: the events since the last poll, without the visitor's
// own, after the chat's cursor (see polls). With ?after=N (and &epoch=E) it
// is Parley's: the events after that position, the visitor's own included,
// so a client that cannot keep a WebSocket loses nothing either.
func (s *Server) pollEvents(w http.ResponseWriter, r *http.Request) {
	c, err := s.ownChat(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	release, ok, err := s.chats.LeasePoll(r.Context(), c.ID, s.PollWait+pollLeaseSlack)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !ok {
		s.writeError(w, r, protocol.Errorf(protocol.CodeConcurrentPoll, "another poll is waiting on this chat"))
		return
	}
	defer release()

	query := r.URL.Query()
	_, positioned := query["after"]
	var cursor pollCursor
	var from protocol.Position
	if positioned {
		if from, err = positionOf(query); err != nil {
			s.writeError(w, r, err)
			return
		}
	} else {
		if cursor, err = s.pollCursor(r, c); err != nil {
			s.writeError(w, r, err)
			return
		}
		from = protocol.Position{Epoch: c.Epoch, Seq: cursor.seq, Signal: cursor.signal}
	}
	sub, err := s.chats.Subscribe(r.Context(), c.ID, from, c.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer sub.Close()
	// Only the wait is bounded: reading what there is takes what it takes.
	ctx, cancel := context.WithTimeout(r.Context(), s.PollWait)
	defer cancel()

	answer := protocol.Envelope{Events: []protocol.Event{}}
	next := cursor
	for first := true; len(answer.Events) == 0; first = false {
		if !first && c.State.Over() {
			// Caught up on a chat that will say nothing more: the API
			// answers 5005, which clients take as the end.
			s.writeError(w, r, protocol.Errorf(protocol.CodeChatNotFound, "chat %s has ended", c.ID))
			return
		}
		env, err := sub.Next(ctx)
		if err != nil {
			break // the wait is over: answer with what there is
		}
		answer.Epoch = env.Epoch
		for _, e := range env.Events {
			if seq := e.EventMeta().Seq; seq > next.seq {
				next.seq = seq
			}
			if positioned || e.EventMeta().PartyID != c.ID {
				answer.Events = append(answer.Events, e)
			}
		}
	}
	if positioned {
		writeJSON(w, http.StatusOK, answer)
		return
	}
	next.signal = sub.SignalCursor()
	answer.Epoch = ""
	s.answerPoll(w, r, c.ID, cursor, next, answer)
}

// positionOf reads a positioned poll's or a socket's position: ?after=N
// (a sequence number), &epoch=E and &signal=S (a SignalSeq).
func positionOf(query url.Values) (protocol.Position, error) {
	from := protocol.Position{Epoch: query.Get("epoch")}
	for _, p := range []struct {
		name string
		to   *uint64
	}{{"after", &from.Seq}, {"signal", &from.Signal}} {
		if v := query.Get(p.name); v != "" {
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return protocol.Position{}, protocol.Errorf(protocol.CodeBadRequest, "%s must be a sequence number", p.name)
			}
			*p.to = n
		}
	}
	return from, nil
}

// pollCursor reads where the chat's cursor poll stands, and moves it back
// when the last answer was lost on the way (see polls).
func (s *Server) pollCursor(r *http.Request, c chat.Chat) (pollCursor, error) {
	signal, err := s.chats.PolledSignal(r.Context(), c.ID)
	if err != nil {
		return pollCursor{}, err
	}
	cursor := pollCursor{seq: c.PollCursor, signal: signal}
	before, lost := s.polls.lost(r, c.ID)
	if !lost {
		return cursor, nil
	}
	if before.seq < cursor.seq {
		if err := s.chats.SetPollCursor(r.Context(), c.ID, before.seq); err != nil {
			return pollCursor{}, err
		}
		cursor.seq = before.seq
	}
	if before.signal < cursor.signal {
		if err := s.chats.SetPolledSignal(r.Context(), c.ID, before.signal); err != nil {
			return pollCursor{}, err
		}
		cursor.signal = before.signal
	}
	return cursor, nil
}

// answerPoll writes a cursor poll's answer, which moves the chat's cursor
// from before to after: stored first, so no restart replays it, and moved
// back if the answer cannot be written.
func (s *Server) answerPoll(w http.ResponseWriter, r *http.Request, chatID string, before, after pollCursor, answer protocol.Envelope) {
	if r.Context().Err() != nil {
		return // the client went away: nobody got this answer
	}
	if after != before {
		if err := s.movePollCursor(r.Context(), chatID, before, after); err != nil {
			s.writeError(w, r, err)
			return
		}
		s.polls.answered(r, chatID, before)
	}
	if err := flushJSON(w, http.StatusOK, answer); err != nil && after != before {
		s.polls.forget(chatID)
		// The request's context may be done with the connection: the
		// cursor goes back whatever it says.
		if err := s.movePollCursor(context.WithoutCancel(r.Context()), chatID, after, before); err != nil {
			s.log.Error("moving a poll cursor back", "chat", chatID, "err", err)
		}
	}
}

// movePollCursor stores the chat's poll cursor where it moves from from to
// to.
func (s *Server) movePollCursor(ctx context.Context, chatID string, from, to pollCursor) error {
	if to.seq != from.seq {
		if err := s.chats.SetPollCursor(ctx, chatID, to.seq); err != nil {
			return err
		}
	}
	if to.signal != from.signal {
		return s.chats.SetPolledSignal(ctx, chatID, to.signal)
	}
	return nil
}
