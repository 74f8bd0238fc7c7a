package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/coder/websocket"
	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/protocol"
)

// appID is the launch point of the built-in configuration.
const appID = "demo"

// parley is the server under test: the parley program in a subprocess with
// a data directory of its own, so what /proc tells about the process is
// about Parley alone, and its CPU is not the benchmark's.
type parley struct {
	cmd  *exec.Cmd
	done chan struct{}
	// url is the chat server on 127.0.0.1; demoURL the demo website on
	// "localhost", another site, as a customer's website would be.
	url, demoURL string
	token        string
	dataDir      string
	http         *http.Client
	// agent is the benchmark's agent, benchAgentParty.
	agent *parleytest.Agent

	// While it stops, the program's log is counted rather than shown: a
	// server stopped amid thousands of chats has a line for many of them.
	mu       sync.Mutex
	stopping bool
	muted    int
	first    string
}

func (p *parley) log(line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.stopping {
		logf("parley: %s", line)
		return
	}
	if p.muted++; p.muted == 1 {
		p.first = line
	}
}

// startParley runs the program on free loopback ports, with extra flags
// after its own, and waits until it says where it listens.
func startParley(ctx context.Context, binary, webDir string, demo bool, extra ...string) (*parley, error) {
	dataDir, err := os.MkdirTemp("", "parley-bench-data-")
	if err != nil {
		return nil, err
	}
	token := rand.Text()
	args := []string{"-addr", "127.0.0.1:0", "-data", dataDir, "-web", webDir, "-agent-token", token}
	if demo {
		args = append(args, "-demo-addr", "localhost:0")
	}
	args = append(args, extra...)
	type listening struct{ url, demoURL string }
	addrs := make(chan listening, 1)
	var l listening
	cmd := exec.Command(binary, args...)
	// Writers, not pipes, so Wait returns only once all output is read.
	cmd.Stdout = &lineWriter{line: func(line string) {
		line = strings.TrimSpace(line)
		if rest, ok := strings.CutPrefix(line, "Demo website:"); ok {
			l.demoURL = strings.TrimRight(firstField(rest), "/")
		}
		if rest, ok := strings.CutPrefix(line, "Chat server:"); ok {
			l.url = firstField(rest)
			addrs <- l
		}
	}}
	p := &parley{
		cmd: cmd, done: make(chan struct{}), token: token, dataDir: dataDir,
		// Thousands of chats are requested in parallel: keep their
		// connections instead of opening one per request. No Timeout:
		// coder/websocket refuses a client with one; contexts bound
		// every call.
		http: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}},
	}
	cmd.Stderr = &lineWriter{line: p.log}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dataDir)
		return nil, fmt.Errorf("starting %s: %w", binary, err)
	}
	go func() {
		_ = cmd.Wait()
		close(p.done)
	}()
	select {
	case got := <-addrs:
		p.url, p.demoURL = got.url, got.demoURL
		p.agent = parleytest.NewAgent(p.url, token, "Bench")
		p.agent.PartyID, p.agent.HTTP = benchAgentParty, p.http
	case <-p.done:
		err = errors.New("parley exited without saying where it listens")
	case <-ctx.Done():
		err = ctx.Err()
	case <-time.After(30 * time.Second):
		err = errors.New("parley did not start within 30 s")
	}
	if err != nil {
		p.stop()
		return nil, err
	}
	return p, nil
}

// lineWriter hands each line written to it to line. exec copies a stream
// from one goroutine, so it needs no lock.
type lineWriter struct {
	buf  []byte
	line func(string)
}

func (w *lineWriter) Write(b []byte) (int, error) {
	w.buf = append(w.buf, b...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(b), nil
		}
		w.line(string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
}

func firstField(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return ""
}

// stop ends the program as an operator would, with SIGTERM, and kills it if
// it has not exited after a while.
func (p *parley) stop() {
	p.mu.Lock()
	p.stopping = true
	p.mu.Unlock()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		logf("parley did not stop within 20 s of SIGTERM; killing it")
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	p.mu.Lock()
	if p.muted > 0 {
		logf("parley: %d log lines while stopping; the first: %s", p.muted, p.first)
	}
	p.mu.Unlock()
	p.http.CloseIdleConnections()
	os.RemoveAll(p.dataDir)
}

// rssOf is the resident memory of process pid, VmRSS of
// /proc/PID/status, in bytes.
func rssOf(pid int) (float64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb * 1024, err
		}
	}
	return 0, errors.New("no VmRSS in /proc status")
}

// requestChat is Request Chat for a new visitor, as the widget calls it.
func (p *parley) requestChat(ctx context.Context, creds protocol.Credentials) (protocol.ChatSession, error) {
	var chat protocol.ChatSession
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url+protocol.PathChats, strings.NewReader("{}"))
	if err != nil {
		return chat, err
	}
	req.Header.Set("Authorization", creds.Authorization())
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	err = p.do(req, &chat)
	if err == nil && chat.ChatID == "" {
		err = errors.New("the answer of Request Chat has no chat_id")
	}
	return chat, err
}

// visitorSocket opens the chat's WebSocket as its visitor, from the start of
// the stream.
func (p *parley) visitorSocket(ctx context.Context, chat protocol.ChatSession) (*websocket.Conn, error) {
	q := url.Values{"token": {chat.Token}, "epoch": {chat.Epoch}, "after": {"0"}}
	u, err := protocol.SocketURL(p.url, protocol.Path(protocol.PathChatSocket, chat.ChatID), q)
	if err != nil {
		return nil, err
	}
	conn, _, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPClient: p.http})
	if err != nil {
		return nil, err
	}
	conn.SetReadLimit(16 << 20)
	return conn, nil
}

// do sends a request of Parley's API with the benchmark's HTTP client.
func (p *parley) do(req *http.Request, out any) error { return parleytest.Do(p.http, req, out) }

func newVisitor() protocol.Credentials {
	return protocol.Credentials{AppID: appID, ClientID: protocol.NewUUID()}
}
