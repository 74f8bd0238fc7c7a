package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/parleychat/parley/protocol"
)

// relay is the floor of delivery: a coder/websocket server that forwards
// every frame of side a to side b and back, with nothing in between. With a
// log it is the floor of a server that stores before it delivers: each frame
// is appended to the log and synced, one at a time, before it goes on.
type relay struct {
	mu    sync.Mutex
	sides map[string]*websocket.Conn
	both  chan struct{}
	log   *os.File
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
		if err := rl.store(data); err != nil {
			return
		}
		if err := other.Write(ctx, typ, data); err != nil {
			return
		}
	}
}

func (rl *relay) store(frame []byte) error {
	if rl.log == nil {
		return nil
	}
	rl.mu.Lock()
	defer rl.mu.Unlock()
	if _, err := rl.log.Write(append(frame, '\n')); err != nil {
		return err
	}
	return rl.log.Sync()
}

// relayEnv, when set to relayBare or relayDurable, makes the bench program
// serve that relay and nothing else, so the floor runs in a process of its
// own as Parley does.
const (
	relayEnv     = "PARLEY_BENCH_RELAY"
	relayBare    = "bare"
	relayDurable = "durable"
)

// serveRelay serves the relay on a loopback port that it prints, until its
// standard input closes: the benchmark closes it, or ends. A durable relay
// keeps its log in a temporary file beside Parley's own temporary data.
func serveRelay(durable bool) error {
	rl := &relay{sides: map[string]*websocket.Conn{}, both: make(chan struct{})}
	if durable {
		log, err := os.CreateTemp("", "parley-bench-relay-*.log")
		if err != nil {
			return err
		}
		defer os.Remove(log.Name())
		defer log.Close()
		rl.log = log
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Println("relay: ws://" + ln.Addr().String())
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		ln.Close()
	}()
	err = http.Serve(ln, rl)
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// startRelay runs the bench program as the relay of the mode and returns
// its address.
func startRelay(ctx context.Context, mode string) (string, func(), error) {
	exe, err := os.Executable()
	if err != nil {
		return "", nil, err
	}
	addr := make(chan string, 1)
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), relayEnv+"="+mode)
	cmd.Stdout = &lineWriter{line: func(line string) {
		if rest, ok := strings.CutPrefix(line, "relay: "); ok {
			addr <- rest
		}
	}}
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	stop := func() {
		stdin.Close()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
	select {
	case u := <-addr:
		return u, stop, nil
	case <-done:
		err = errors.New("the relay exited at once")
	case <-ctx.Done():
		err = ctx.Err()
	case <-time.After(10 * time.Second):
		err = errors.New("the relay did not start within 10 s")
	}
	stop()
	return "", nil, err
}

// relayLatency measures the relay of the mode with the frames Parley's
// visitor and agent send, latencyMessages each way.
func relayLatency(ctx context.Context, chatID, mode string) (ab, ba []time.Duration, err error) {
	url, stop, err := startRelay(ctx, mode)
	if err != nil {
		return nil, nil, err
	}
	defer stop()
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
