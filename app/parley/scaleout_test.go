//go:build !js

package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/app/postgres/pgtest"
	"github.com/parleychat/parley/protocol"
)

// TestTwoProcessesOnOneDatabase runs two servers on one PostgreSQL database
// behind one address, as a load balancer would put them: the visitor
// reaches the first, the agent the second. Both chat; the first is killed
// mid-chat and the visitor carries on through the second. Nothing is lost
// or stored twice, each side sees each of the other's messages once, and
// the scenario's timers, which both processes run, fire once.
func TestTwoProcessesOnOneDatabase(t *testing.T) {
	ctx := testContext(t)
	database := pgtest.Database(t)
	config := filepath.Join(t.TempDir(), "contact.json")
	if err := os.WriteFile(config, []byte(`{"ewt": 30, "ewt_update": 1, "idle_warning": 3, "idle_timeout": 600}`), 0o600); err != nil {
		t.Fatal(err)
	}
	first := startWith(t, "-database", database, "-config", config)
	second := startWith(t, "-database", database, "-config", config)
	balancer := startBalancer(t, address(t, first.url), address(t, second.url))

	creds := protocol.Credentials{AppID: parleytest.AppID, ClientID: protocol.NewUUID()}
	cfg := parleytest.VisitorConfig(balancer)
	cfg.Credentials, cfg.MaxBackoff = creds, 200*time.Millisecond
	visitor := parleytest.StartVisitor(ctx, t, cfg)
	chatID := visitor.ChatID()

	// While queued, the wait counts down in both processes.
	until(ctx, t, "the wait counts down", func() bool {
		return countType(history(ctx, t, second.url, chatID, creds), protocol.TypeStatus) >= 3
	})
	agent := parleytest.NewAgent(second.url, parleytest.AgentToken, "Grace Hopper")
	if err := agent.Take(ctx, chatID); err != nil {
		t.Fatal(err)
	}
	seen, err := agent.Follow(ctx, chatID)
	if err != nil {
		t.Fatal(err)
	}
	defer seen.Close()

	var sent, said []string
	chat := func(n int) {
		text := fmt.Sprint("visitor ", n)
		sent = append(sent, text)
		if _, err := visitor.Session.SendMessage(text); err != nil {
			t.Fatal(err)
		}
		text = fmt.Sprint("agent ", n)
		said = append(said, text)
		if err := agent.Say(ctx, chatID, text); err != nil {
			t.Fatal(err)
		}
	}
	for n := 1; n <= 3; n++ {
		chat(n)
	}
	shown(ctx, t, visitor, said)

	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.cmd.Wait()
	for n := 4; n <= 6; n++ {
		chat(n)
	}
	shown(ctx, t, visitor, said)

	// The agent's socket, on the second process all along, saw each of the
	// visitor's messages once.
	var agentSaw []string
	for len(agentSaw) < len(sent) {
		e, err := seen.Next(ctx)
		if err != nil {
			t.Fatalf("the agent's socket: %v (saw %q)", err, agentSaw)
		}
		if m, ok := e.(*protocol.Message); ok && m.PartyID == chatID {
			agentSaw = append(agentSaw, m.Msg)
		}
	}
	if !slices.Equal(agentSaw, sent) {
		t.Errorf("the agent saw %q, want %q", agentSaw, sent)
	}

	// The idle visitor is warned once, however many processes watch: for
	// two more ticks of the timers after the first warning, no second one.
	until(ctx, t, "the idle visitor is warned", func() bool {
		return countType(history(ctx, t, second.url, chatID, creds), protocol.TypeTimeoutWarning) > 0
	})
	window, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var events []protocol.Event
	for window.Err() == nil {
		events = history(ctx, t, second.url, chatID, creds)
		if countType(events, protocol.TypeTimeoutWarning) > 1 {
			break
		}
		<-time.After(100 * time.Millisecond)
	}

	texts, seqs := messages(events)
	for _, want := range append(append([]string{}, sent...), said...) {
		if n := count(texts, want); n != 1 {
			t.Errorf("%q is stored %d times, want once", want, n)
		}
	}
	if !slices.IsSorted(seqs) {
		t.Errorf("sequence numbers %v are out of order", seqs)
	}
	if n := countType(events, protocol.TypeTimeoutWarning); n != 1 {
		t.Errorf("%d idle warnings, want 1", n)
	}
	if n := count(texts, "Hi! Thanks for reaching out. An agent will be with you shortly."); n != 1 {
		t.Errorf("the visitor was greeted %d times", n)
	}
	var waits []protocol.Seconds
	for _, e := range events {
		if s, ok := e.(*protocol.Status); ok && s.State == protocol.StateQueued {
			waits = append(waits, s.EWT)
		}
	}
	if len(waits) < 3 || len(slices.Compact(slices.Clone(waits))) != len(waits) {
		t.Errorf("the wait counted down %v: want each step once, and at least two steps", waits)
	}
}

// until waits for cond, checking it every 50 ms.
func until(ctx context.Context, t *testing.T, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("%s: %v", what, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func countType(events []protocol.Event, eventType string) int {
	n := 0
	for _, e := range events {
		if e.EventType() == eventType {
			n++
		}
	}
	return n
}

// address is the host:port of a server URL.
func address(t *testing.T, serverURL string) string {
	t.Helper()
	u, err := url.Parse(serverURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

// startBalancer forwards each connection to the first of the backends that
// accepts it, as a load balancer whose health check takes out a dead
// server, and returns its URL.
func startBalancer(t *testing.T, backends ...string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer client.Close()
				for _, backend := range backends {
					server, err := net.Dial("tcp", backend)
					if err != nil {
						continue
					}
					defer server.Close()
					go func() { _, _ = io.Copy(server, client); server.Close() }()
					_, _ = io.Copy(client, server)
					return
				}
			})
		}
	})
	return "http://" + ln.Addr().String()
}

// shown waits until the visitor has shown exactly want of the agents'
// messages, in order.
func shown(ctx context.Context, t *testing.T, v *parleytest.Visitor, want []string) {
	t.Helper()
	heard := func() []string {
		var out []string
		texts, _, _ := v.Messages("")
		for _, text := range texts {
			if strings.HasPrefix(text, "agent ") {
				out = append(out, text)
			}
		}
		return out
	}
	v.WaitFor(ctx, fmt.Sprintf("the agent's messages %q", want), func() bool { return len(heard()) >= len(want) })
	if got := heard(); !slices.Equal(got, want) {
		t.Fatalf("the visitor was shown %q, want %q", got, want)
	}
}

// TestTheDatabaseGoesAway cuts the server off from its database: requests
// are refused in the API's error envelope with 7005 and status 503, and
// when the database is back the server serves again without a restart.
func TestTheDatabaseGoesAway(t *testing.T) {
	ctx := testContext(t)
	database, err := url.Parse(pgtest.Database(t))
	if err != nil {
		t.Fatal(err)
	}
	network := parleytest.StartNetwork(t, database.Host)
	database.Host = address(t, network.URL())
	p := startWith(t, "-database", database.String())

	requestChat := func() (int, *protocol.Error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, p.url+protocol.PathChats, nil)
		req.Header.Set("Authorization", protocol.Credentials{AppID: parleytest.AppID, ClientID: protocol.NewUUID()}.Authorization())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, protocol.DecodeError(data)
	}
	if status, perr := requestChat(); status != http.StatusOK {
		t.Fatalf("Request Chat = %d %v before the outage", status, perr)
	}
	network.Block(true)
	network.Cut()
	status, perr := requestChat()
	if status != http.StatusServiceUnavailable || perr == nil || perr.Code != protocol.CodeUnavailable {
		t.Errorf("Request Chat during the outage = %d %v, want 503 and error %s", status, perr, protocol.CodeUnavailable)
	}
	network.Block(false)
	until(ctx, t, "the server serves again", func() bool {
		status, _ := requestChat()
		return status == http.StatusOK
	})
}

// TestLimitsAndPollsHoldAcrossProcesses sends one visitor's requests to two
// processes in turn: the visitor's message budget (burst 20) is one, and
// only one long poll may wait on the chat at a time, whichever process it
// reaches.
func TestLimitsAndPollsHoldAcrossProcesses(t *testing.T) {
	ctx := testContext(t)
	database := pgtest.Database(t)
	processes := []*process{startWith(t, "-database", database), startWith(t, "-database", database)}
	creds := protocol.Credentials{AppID: parleytest.AppID, ClientID: protocol.NewUUID()}
	call := func(p *process, method, path string, body []byte) (int, *protocol.Error, []byte) {
		req, _ := http.NewRequestWithContext(ctx, method, p.url+path, bytes.NewReader(body))
		req.Header.Set("Authorization", creds.Authorization())
		req.Header.Set("Content-Type", "application/json; charset=UTF-8")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, protocol.DecodeError(data), data
	}
	status, perr, data := call(processes[0], http.MethodPost, protocol.PathChats, nil)
	if status != http.StatusOK {
		t.Fatalf("Request Chat: %d %v", status, perr)
	}
	var chat protocol.ChatSession
	if err := json.Unmarshal(data, &chat); err != nil {
		t.Fatal(err)
	}

	taken := 0
	for i := range 25 {
		body := fmt.Sprintf(`{"events":[{"event":"chat_session_message","msg_id":"m%d","msg":"hello %d"}]}`, i, i)
		status, perr, _ := call(processes[i%2], http.MethodPost, protocol.Path(protocol.PathChatEvents, chat.ChatID), []byte(body))
		switch {
		case status == http.StatusOK:
			taken++
		case perr == nil || perr.Code != protocol.CodeRateLimited:
			t.Fatalf("message %d: %d %v", i, status, perr)
		}
	}
	// The bucket refills at 5 a second while the messages go: a few more
	// than its 20 may pass, never the 25 that two buckets would take.
	if taken < 20 || taken > 23 {
		t.Errorf("%d of 25 messages in a burst over two processes were taken, want the one budget's 20 (and what refilled meanwhile)", taken)
	}

	waiting := make(chan int, 1)
	go func() {
		status, _, _ := call(processes[0], http.MethodGet, protocol.Path(protocol.PathChatEvents, chat.ChatID)+"?after=1000", nil)
		waiting <- status
	}()
	db, err := pgx.Connect(ctx, database)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	until(ctx, t, "the first poll waits", func() bool {
		var held bool
		if err := db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM leases WHERE name = $1)`, "poll "+chat.ChatID).Scan(&held); err != nil {
			t.Fatal(err)
		}
		return held
	})
	status, perr, _ = call(processes[1], http.MethodGet, protocol.Path(protocol.PathChatEvents, chat.ChatID)+"?after=1000", nil)
	if status != http.StatusTooManyRequests || perr == nil || perr.Code != protocol.CodeConcurrentPoll {
		t.Errorf("a second poll on the other process while the first waits: %d %v, want 429 and %s", status, perr, protocol.CodeConcurrentPoll)
	}
	if status := <-waiting; status != http.StatusOK {
		t.Errorf("the first poll answered %d", status)
	}
}
