package main

import (
	"context"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/jackc/pgx/v5"
	"github.com/parleychat/parley/protocol"
)

// relay is the floor of delivery: a coder/websocket server that forwards
// every frame of side a to side b and back, with nothing in between. With a
// store it is the floor of a server that stores before it delivers: each
// frame is stored (appended to a file and fsynced, or committed in
// PostgreSQL), one at a time, before it goes on.
type relay struct {
	mu    sync.Mutex
	sides map[string]*websocket.Conn
	both  chan struct{}
	// store keeps a frame durably; nil for the bare relay. It runs under
	// mu, one frame at a time.
	store func([]byte) error
}

// newRelay makes the relay of the mode, and what closes its store.
func newRelay(mode string) (*relay, func(), error) {
	rl := &relay{sides: map[string]*websocket.Conn{}, both: make(chan struct{})}
	switch mode {
	case relayFsync:
		// A temporary file, beside Parley's own temporary data.
		log, err := os.CreateTemp("", "parley-bench-relay-*.log")
		if err != nil {
			return nil, nil, err
		}
		rl.store = func(frame []byte) error {
			if _, err := log.Write(append(frame, '\n')); err != nil {
				return err
			}
			return log.Sync()
		}
		return rl, func() { log.Close(); os.Remove(log.Name()) }, nil
	case relayPostgres:
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, os.Getenv(databaseEnv))
		if err != nil {
			return nil, nil, err
		}
		if _, err := conn.Exec(ctx, `CREATE TABLE relay_frames (id bigserial PRIMARY KEY, frame text NOT NULL)`); err != nil {
			conn.Close(ctx)
			return nil, nil, err
		}
		// Each Exec is a transaction of its own, committed (and with
		// synchronous_commit on, flushed) before it returns.
		rl.store = func(frame []byte) error {
			_, err := conn.Exec(ctx, `INSERT INTO relay_frames (frame) VALUES ($1)`, string(frame))
			return err
		}
		return rl, func() { conn.Close(ctx) }, nil
	}
	return rl, func() {}, nil
}

func (rl *relay) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	side := r.URL.Query().Get("side")
	conn, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer conn.CloseNow()
	conn.SetReadLimit(1 << 20)
	rl.mu.Lock()
	rl.sides[side] = conn
	if len(rl.sides) == 2 {
		close(rl.both)
	}
	rl.mu.Unlock()
	<-rl.both
	rl.mu.Lock()
	other := rl.sides[map[string]string{"a": "b", "b": "a"}[side]]
	rl.mu.Unlock()
	ctx := context.Background()
	for {
		typ, data, err := conn.Read(ctx)
		if err != nil {
			return
		}
		if err := rl.keep(data); err != nil {
			return
		}
		if err := other.Write(ctx, typ, data); err != nil {
			return
		}
	}
}

func (rl *relay) keep(frame []byte) error {
	if rl.store == nil {
		return nil
	}
	rl.mu.Lock()
	defer rl.mu.Unlock()
	return rl.store(frame)
}

// relayLatency measures the relay of the mode with the frames Parley's
// visitor and agent send, latencyMessages each way.
func relayLatency(ctx context.Context, chatID, mode string, env ...string) (ab, ba []time.Duration, err error) {
	h, err := startHelper(ctx, mode, env...)
	if err != nil {
		return nil, nil, err
	}
	defer h.stop()
	url := h.url
	dial := func(side string) (*peer, error) {
		conn, _, err := websocket.Dial(ctx, url+"/?side="+side, nil)
		if err != nil {
			return nil, err
		}
		conn.SetReadLimit(1 << 20)
		return newPeer(conn), nil
	}
	a, err := dial("a")
	if err != nil {
		return nil, nil, err
	}
	defer a.close()
	b, err := dial("b")
	if err != nil {
		return nil, nil, err
	}
	defer b.close()
	pair := []*chatPair{{visitor: &visitorConn{chat: protocol.ChatSession{ChatID: chatID}, peer: a}, agent: b}}
	// The relay answers no ref: the frames carry one all the same, so
	// they are the bytes Parley gets.
	if ab, err = oneWay(ctx, pair, latencyMessages, visitorToAgent, false); err != nil {
		return nil, nil, err
	}
	ba, err = oneWay(ctx, pair, latencyMessages, agentToVisitor, false)
	return ab, ba, err
}
