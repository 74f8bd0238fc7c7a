package server

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/protocol"
)

// socketWriter sends a subscription's deliveries to its socket. No
// goroutine waits for them: when something arrives, the subscription says
// so (Notify) and a goroutine drains it, then ends. A socket that had
// nothing to send for PingInterval is pinged from a timer, so one that died
// without a close is noticed; the answer comes through the reader. An idle
// socket so costs its reader's goroutine and nothing more.
type socketWriter struct {
	s    *Server
	conn *websocket.Conn
	sub  *chat.Subscription
	// ctx ends when the socket does; writes are bounded by writeTimeout.
	ctx context.Context

	mu sync.Mutex
	// pending says something arrived since the drain last looked;
	// draining that a drain runs; done that the socket is over.
	pending, draining, done bool
	drains                  sync.WaitGroup
	ping                    *time.Timer
	unwatch                 func() bool
}

func (w *socketWriter) start() {
	w.ping = time.AfterFunc(w.s.PingInterval, w.pingNow)
	w.unwatch = context.AfterFunc(w.s.closing, w.kick)
	w.sub.Notify(w.kick)
	w.kick() // the catch-up, or the first delivery naming the epoch
}

// stop ends the writer once the reader ended, and waits for a drain under
// way.
func (w *socketWriter) stop() {
	w.mu.Lock()
	w.done = true
	w.mu.Unlock()
	w.unwatch()
	w.ping.Stop()
	w.drains.Wait()
}

// kick notes that something arrived, and starts a drain unless one runs.
func (w *socketWriter) kick() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return
	}
	w.pending = true
	if w.draining {
		return
	}
	w.draining = true
	w.drains.Add(1)
	go w.drain()
}

// drain sends what is ready until nothing more arrived, and closes the
// socket with a code that says whether to come back when the server shuts
// down or the subscription ended.
func (w *socketWriter) drain() {
	defer w.drains.Done()
	for {
		w.mu.Lock()
		if !w.pending || w.done {
			w.draining = false
			w.mu.Unlock()
			return
		}
		w.pending = false
		w.mu.Unlock()
		if !w.send() {
			w.mu.Lock()
			w.done, w.draining = true, false
			w.mu.Unlock()
			return
		}
	}
}

// frameBudget bounds the bytes of events the writer joins into one frame.
// A client draws what a frame brings at once: a catch-up of a long chat
// in pages of HistoryPage events would be drawn page after page, the list
// growing each time (a thousand messages took the widget 2.7 s in six
// frames, 1.0 s in one). The bound keeps a frame far below what clients
// read (the widget reads 16 MiB); an event larger than it goes alone.
const frameBudget = 1 << 20

// send writes every delivery that is ready, and reports whether the socket
// goes on. The events of deliveries that follow each other go in one
// frame, up to frameBudget; a reply (a ref, an error) goes in its own
// frame, after the events before it.
func (w *socketWriter) send() bool {
	var f frame
	for {
		if w.s.closing.Err() != nil {
			w.conn.Close(websocket.StatusCode(protocol.CloseGoingAway), "server shutting down")
			return false
		}
		env, ok, err := w.sub.TryNext(w.ctx)
		switch {
		case errors.Is(err, chat.ErrTooSlow):
			w.conn.Close(websocket.StatusCode(protocol.CloseTryAgainLater), "too slow; resume from your position")
			return false
		case err != nil:
			w.conn.CloseNow()
			return false
		case !ok:
			return w.flush(&f)
		}
		if env.Ref != "" || env.Error != nil {
			data, err := json.Marshal(env)
			if err != nil {
				return w.fail(err)
			}
			if !w.flush(&f) || !w.write(data) {
				return false
			}
			continue
		}
		f.take(env.Epoch, nil)
		for _, e := range env.Events {
			raw, err := protocol.MarshalEvent(e)
			if err != nil {
				return w.fail(err)
			}
			if f.size+len(raw) > frameBudget && len(f.events) > 0 && !w.flush(&f) {
				return false
			}
			f.take(env.Epoch, raw)
		}
	}
}

// fail closes the socket on a frame the server could not encode.
func (w *socketWriter) fail(err error) bool {
	w.s.log.Error("encoding a socket frame", "err", err)
	w.conn.CloseNow()
	return false
}

// frame gathers the events of deliveries for one socket frame. started
// says a delivery came, which a frame without events still carries: the
// first one names the epoch.
type frame struct {
	started bool
	epoch   string
	events  []json.RawMessage
	size    int
}

// take adds an event, encoded, of a delivery in epoch; nil adds none but
// notes that a delivery came.
func (f *frame) take(epoch string, raw json.RawMessage) {
	f.started, f.epoch = true, epoch
	if raw != nil {
		f.events, f.size = append(f.events, raw), f.size+len(raw)
	}
}

// flush writes the frame gathered, if any, and empties it.
func (w *socketWriter) flush(f *frame) bool {
	if !f.started {
		return true
	}
	data, err := protocol.EncodeEncodedEvents(f.events, f.epoch)
	*f = frame{}
	if err != nil {
		return w.fail(err)
	}
	return w.write(data)
}

// write writes one frame, bounded by writeTimeout, and reports whether the
// socket goes on.
func (w *socketWriter) write(data []byte) bool {
	ctx, cancel := context.WithTimeout(w.ctx, writeTimeout)
	err := w.conn.Write(ctx, websocket.MessageText, data)
	cancel()
	if err != nil {
		w.conn.CloseNow()
		return false
	}
	w.ping.Reset(w.s.PingInterval)
	return true
}

// pingNow pings the socket, from the ping timer's goroutine; a peer that
// does not answer is disconnected, which ends the reader.
func (w *socketWriter) pingNow() {
	ctx, cancel := context.WithTimeout(w.ctx, writeTimeout)
	defer cancel()
	if err := w.conn.Ping(ctx); err != nil {
		w.conn.CloseNow()
		return
	}
	w.ping.Reset(w.s.PingInterval)
}
