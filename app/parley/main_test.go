//go:build !js

package main_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/app/postgres/pgtest"
	"github.com/parleychat/parley/protocol"
	"go.uber.org/goleak"
)

// binary is the parley program, built once for the package's tests.
var binary string

// TestMain builds the program once for the tests, and fails them when one
// leaves a goroutine running.
func TestMain(m *testing.M) { goleak.VerifyTestMain(withProgram{m}) }

// withProgram runs the tests with the parley program built, and a
// PostgreSQL cluster for those that scale out.
type withProgram struct{ *testing.M }

func (m withProgram) Run() int {
	dir, err := os.MkdirTemp("", "parley-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "parley")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building parley: %v\n%s", err, out)
		return 1
	}
	return pgtest.Main(m.M)
}

// process is a running parley program.
type process struct {
	cmd *exec.Cmd
	url string
}

// start runs the program on a free loopback port with its data in dataDir,
// and waits until it says where it listens.
func start(t *testing.T, dataDir string) *process {
	t.Helper()
	return startWith(t, "-data", dataDir)
}

// startWith runs the program on a free loopback port with the flags, and
// waits until it says where it listens.
func startWith(t *testing.T, flags ...string) *process {
	t.Helper()
	args := append([]string{"-addr", "127.0.0.1:0", "-web", parleytest.WebDir(), "-agent-token", parleytest.AgentToken}, flags...)
	cmd := exec.Command(binary, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		if url, ok := strings.CutPrefix(strings.TrimSpace(lines.Text()), "Chat server:"); ok {
			p.url = strings.TrimSpace(url)
			go func() { _, _ = io.Copy(io.Discard, stdout) }()
			return p
		}
	}
	t.Fatalf("parley exited without saying where it listens: %v", lines.Err())
	return nil
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// visit runs the widget's session for the client until the test ends, and
// returns it once connected.
func visit(ctx context.Context, t *testing.T, baseURL string, creds protocol.Credentials) *parleytest.Visitor {
	t.Helper()
	cfg := parleytest.VisitorConfig(baseURL)
	cfg.Credentials = creds
	return parleytest.StartVisitor(ctx, t, cfg)
}

// history reads a chat's history through the API, as its visitor.
func history(ctx context.Context, t *testing.T, baseURL, chatID string, creds protocol.Credentials) []protocol.Event {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+protocol.Path(protocol.PathChatHistory, chatID), nil)
	req.Header.Set("Authorization", creds.Authorization())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	env, err := protocol.DecodeEnvelope(data)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("history: %s %s (%v)", resp.Status, data, err)
	}
	return env.Events
}

func messages(events []protocol.Event) (texts []string, seqs []uint64) {
	for _, e := range events {
		if m, ok := e.(*protocol.Message); ok {
			texts = append(texts, m.Msg)
			seqs = append(seqs, m.Seq)
		}
	}
	return texts, seqs
}

func upload(ctx context.Context, t *testing.T, baseURL string, creds protocol.Credentials, content []byte) string {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	part, _ := mw.CreateFormFile("file", "receipt.txt")
	_, _ = part.Write(content)
	_ = mw.Close()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, baseURL+protocol.PathFiles, &body)
	req.Header.Set("Authorization", creds.Authorization())
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var up protocol.UploadedFile
	if err := json.NewDecoder(resp.Body).Decode(&up); err != nil || up.FileID == "" {
		t.Fatalf("upload: %s %v", resp.Status, err)
	}
	return up.FileID
}

func download(ctx context.Context, t *testing.T, baseURL, chatID, fileID string, creds protocol.Credentials) []byte {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+protocol.Path(protocol.PathChatFile, chatID, fileID), nil)
	req.Header.Set("Authorization", creds.Authorization())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("download: %s %s", resp.Status, data)
	}
	return data
}

// TestKillAndRestartLosesNothing kills the server with SIGKILL in the middle
// of a chat. After a restart on the same data directory every acknowledged
// event and file is there, the visitor's chat carries on where it was, and
// the scenario does not start it over.
func TestKillAndRestartLosesNothing(t *testing.T) {
	ctx := testContext(t)
	dataDir := t.TempDir()
	first := start(t, dataDir)
	creds := protocol.Credentials{AppID: parleytest.AppID, ClientID: protocol.NewUUID()}
	visitor := visit(ctx, t, first.url, creds)
	session, chat := visitor.Session, visitor.Chat()

	agent := parleytest.NewAgent(first.url, parleytest.AgentToken, "Grace Hopper")
	if err := agent.Take(ctx, chat.ChatID); err != nil {
		t.Fatal(err)
	}
	var sent []string
	for i := 1; i <= 5; i++ {
		text := fmt.Sprint("visitor ", i)
		sent = append(sent, text)
		if _, err := session.SendMessage(text); err != nil {
			t.Fatal(err)
		}
	}
	if err := agent.Say(ctx, chat.ChatID, "agent 1"); err != nil {
		t.Fatal(err)
	}
	content := []byte("order 42, paid")
	fileID := upload(ctx, t, first.url, creds, content)

	// What the server acknowledged: wait until it has stored every message.
	var before []protocol.Event
	for {
		before = history(ctx, t, first.url, chat.ChatID, creds)
		if texts, _ := messages(before); len(texts) >= 7 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the messages were never stored: %v", ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}

	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.cmd.Wait()
	second := start(t, dataDir)

	after := history(ctx, t, second.url, chat.ChatID, creds)
	if len(after) != len(before) {
		t.Fatalf("history has %d events after the restart, %d before", len(after), len(before))
	}
	for i := range before {
		a, _ := protocol.MarshalEvent(before[i])
		b, _ := protocol.MarshalEvent(after[i])
		if !bytes.Equal(a, b) {
			t.Errorf("event %d changed across the restart:\n %s\n %s", i, a, b)
		}
	}
	if got := download(ctx, t, second.url, chat.ChatID, fileID, creds); !bytes.Equal(got, content) {
		t.Errorf("the file reads %q after the restart, want %q", got, content)
	}

	// The same visitor, on a reloaded page, gets the same chat and goes on.
	reloaded := visit(ctx, t, second.url, creds)
	again, resumed := reloaded.Session, reloaded.Chat()
	if resumed.ChatID != chat.ChatID || resumed.IsNewChat {
		t.Fatalf("after the restart the visitor got chat %s (new %v), want %s", resumed.ChatID, resumed.IsNewChat, chat.ChatID)
	}
	if _, err := again.SendMessage("visitor 6"); err != nil {
		t.Fatal(err)
	}
	for {
		texts, seqs := messages(history(ctx, t, second.url, chat.ChatID, creds))
		if slices.Contains(texts, "visitor 6") {
			if !slices.IsSorted(seqs) {
				t.Errorf("sequence numbers %v went backwards", seqs)
			}
			for _, want := range append(sent, "agent 1") {
				if !slices.Contains(texts, want) {
					t.Errorf("%q is missing after the restart", want)
				}
			}
			if greetings := count(texts, "Hi! Thanks for reaching out. An agent will be with you shortly."); greetings != 1 {
				t.Errorf("the visitor was greeted %d times", greetings)
			}
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("visitor 6 was never stored: %v", ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func count(texts []string, text string) int {
	n := 0
	for _, t := range texts {
		if t == text {
			n++
		}
	}
	return n
}

// TestSIGTERMClosesSocketsWithGoingAway stops the server gracefully: open
// chat sockets are told to come back (1001), and the program exits cleanly.
func TestSIGTERMClosesSocketsWithGoingAway(t *testing.T) {
	ctx := testContext(t)
	p := start(t, t.TempDir())
	creds := protocol.Credentials{AppID: parleytest.AppID, ClientID: protocol.NewUUID()}
	chat := requestChatSession(ctx, t, p.url, creds)
	socketURL, err := protocol.SocketURL(p.url, protocol.Path(protocol.PathChatSocket, chat.ChatID), url.Values{"token": {chat.Token}})
	if err != nil {
		t.Fatal(err)
	}
	conn, _, err := websocket.Dial(ctx, socketURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	conn.SetReadLimit(1 << 20)
	if _, _, err := conn.Read(ctx); err != nil {
		t.Fatal(err)
	}

	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for {
		if _, _, err = conn.Read(ctx); err != nil {
			break
		}
	}
	if got := protocol.CloseCode(websocket.CloseStatus(err)); got != protocol.CloseGoingAway {
		t.Errorf("the socket closed with %d (%v), want %d", got, err, protocol.CloseGoingAway)
	}
	if err := p.cmd.Wait(); err != nil {
		t.Errorf("parley exited with %v after SIGTERM, want a clean exit", err)
	}
}

// cursorPoller polls a chat as Bright Pattern's SDKs do, without a
// position, through a network, and counts every agent message it gets.
type cursorPoller struct {
	mu     sync.Mutex
	copies map[string]int
	got    chan struct{}
}

func (c *cursorPoller) seen(text string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.copies[text]
}

// run polls until ctx ends. A failed poll is tried again at once, as the
// SDKs do; a network that is down is tried every 10 ms.
func (c *cursorPoller) run(ctx context.Context, t *testing.T, url string, creds protocol.Credentials) {
	client := &http.Client{Transport: &http.Transport{}, Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()
	for ctx.Err() == nil {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		req.Header.Set("Authorization", "MOBILE-API-140-327-PLAIN appId="+creds.AppID+", clientId="+creds.ClientID)
		resp, err := client.Do(req)
		if err != nil {
			select {
			case <-ctx.Done():
			case <-time.After(10 * time.Millisecond):
			}
			continue
		}
		data, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			continue
		}
		env, err := protocol.DecodeEnvelope(data)
		if err != nil {
			t.Errorf("a poll answered %s: %v", data, err)
			continue
		}
		c.mu.Lock()
		for _, e := range env.Events {
			if m, ok := e.(*protocol.Message); ok && strings.HasPrefix(m.Msg, "agent ") {
				c.copies[m.Msg]++
			}
		}
		c.mu.Unlock()
		select {
		case c.got <- struct{}{}:
		default:
		}
	}
}

// waitFor waits until the poller has seen every message of texts.
func (c *cursorPoller) waitFor(ctx context.Context, t *testing.T, texts []string) {
	t.Helper()
	for _, text := range texts {
		for c.seen(text) == 0 {
			select {
			case <-c.got:
			case <-ctx.Done():
				t.Fatalf("%q never reached the poller: %v", text, ctx.Err())
			}
		}
	}
}

// TestCursorPollNeitherLosesNorReplays is issue 10's measurement: 1,000
// agent messages to a client that polls without a position, as the SDKs
// do, through a network that loses every fifth answer after the server
// wrote it, with two kill -9 restarts. Every message arrives exactly once.
func TestCursorPollNeitherLosesNorReplays(t *testing.T) {
	ctx := testContext(t)
	dataDir := t.TempDir()
	p := start(t, dataDir)
	network := parleytest.StartNetwork(t, strings.TrimPrefix(p.url, "http://"))
	var polls, lost atomic.Int64
	network.LoseAnswers(func(request string) bool {
		if !strings.Contains(request, "/events?") || strings.Contains(request, "after=") {
			return false
		}
		if polls.Add(1)%5 == 0 {
			lost.Add(1)
			return true
		}
		return false
	})
	creds := protocol.Credentials{AppID: parleytest.AppID, ClientID: protocol.NewUUID()}
	chat := requestChatSession(ctx, t, p.url, creds)
	agent := parleytest.NewAgent(p.url, parleytest.AgentToken, "Grace Hopper")
	if err := agent.Take(ctx, chat.ChatID); err != nil {
		t.Fatal(err)
	}

	poller := &cursorPoller{copies: map[string]int{}, got: make(chan struct{}, 1)}
	pollCtx, stopPolling := context.WithCancel(ctx)
	pollDone := make(chan struct{})
	go func() {
		defer close(pollDone)
		poller.run(pollCtx, t, network.URL()+protocol.Path(protocol.PathChatEvents, chat.ChatID)+"?tenantUrl=tenant.example.com", creds)
	}()
	defer func() { stopPolling(); <-pollDone }()

	const total, batch = 1000, 100
	var sent []string
	for n := 1; n <= total; n++ {
		text := fmt.Sprint("agent ", n)
		if err := agent.Say(ctx, chat.ChatID, text); err != nil {
			t.Fatal(err)
		}
		sent = append(sent, text)
		if n%batch != 0 {
			continue
		}
		poller.waitFor(ctx, t, sent)
		if n == 300 || n == 700 {
			// Between polls: everything sent has arrived, a poll waits.
			if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			_ = p.cmd.Wait()
			p = start(t, dataDir)
			network.Retarget(strings.TrimPrefix(p.url, "http://"))
			agent = parleytest.NewAgent(p.url, parleytest.AgentToken, "Grace Hopper")
		}
	}
	// A last message, so that any copy still on its way has come first.
	if err := agent.Say(ctx, chat.ChatID, "agent last"); err != nil {
		t.Fatal(err)
	}
	poller.waitFor(ctx, t, []string{"agent last"})
	var missing, replayed int
	for _, text := range sent {
		switch n := poller.seen(text); {
		case n == 0:
			missing++
		case n > 1:
			replayed += n - 1
		}
	}
	t.Logf("%d agent messages, %d polls, %d answers lost on the way, 2 kill -9 restarts: %d never arrived, %d copies replayed", total, polls.Load(), lost.Load(), missing, replayed)
	if missing != 0 || replayed != 0 {
		t.Errorf("%d messages never reached the poller and %d copies were replayed; want none of either", missing, replayed)
	}
	if lost.Load() == 0 {
		t.Error("the network lost no answer: the test proved nothing")
	}
}
