package parleytest

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parleychat/parley/protocol"
)

// Faults is a fault run: [Traffic] through a [Network] in [Chaos] to a
// [Program] that is killed with SIGKILL and started again, and whose disk
// refuses writes for a moment.
type Faults struct {
	Program *Program
	// Network stands in front of Program; the traffic goes through it.
	Network *Network
	Chaos   ChaosConfig
	// Traffic is the chats; its URL is the network's.
	Traffic TrafficConfig
	// Restarts is how many times the program is killed and started
	// again, spread evenly over the messages.
	Restarts int
	// DiskFull is how long the program's disk refuses writes, half-way
	// through the messages; 0 for never.
	DiskFull time.Duration
}

// FaultsReport is how a fault run went.
type FaultsReport struct {
	Network ChaosReport
	// Restarts counts the kills and starts; Refusals the writes the
	// server refused, saying it cannot store now, while its disk refused
	// them.
	Restarts, Refusals int
	Traffic            TrafficReport
	// Took is how long the run took.
	Took time.Duration
}

func (r FaultsReport) String() string {
	return fmt.Sprintf("%v\nnetwork: %v\nserver: %d kill -9 restarts; %d writes refused with 7007 while its disk refused them\ntook %v",
		r.Traffic, r.Network, r.Restarts, r.Refusals, r.Took.Round(time.Millisecond))
}

// Run runs the fault run and reports. While the disk refuses writes, a
// visitor's and an agent's messages sent straight to the server must be
// refused with 7007 (503), and must not be in the history once writes
// work again: nothing is acknowledged that is not stored. The test fails
// if they are not, or if the faults did not happen; whether every message
// arrived is for the caller to judge from the report.
func (f Faults) Run(ctx context.Context, tb testing.TB) FaultsReport {
	tb.Helper()
	began := time.Now()
	chaos := f.Network.Chaos(f.Chaos)
	f.Traffic.URL = f.Network.URL()
	traffic := StartTraffic(ctx, f.Traffic)
	var r FaultsReport
	total := traffic.Total()
	type step struct {
		at float64
		do func()
	}
	var steps []step
	for i := 1; i <= f.Restarts; i++ {
		steps = append(steps, step{float64(i) / float64(f.Restarts+1), func() {
			f.Program.Kill()
			f.Program.Start()
			f.Network.Retarget(f.Program.Addr())
			r.Restarts++
		}})
	}
	if f.DiskFull > 0 {
		steps = append(steps, step{0.5, func() { r.Refusals = refuseWrites(ctx, tb, f.Program, f.DiskFull) }})
	}
	slices.SortFunc(steps, func(a, b step) int { return cmp.Compare(a.at, b.at) })
	for _, s := range steps {
		if err := traffic.WaitSent(ctx, int(s.at*float64(total))); err != nil {
			tb.Fatalf("the traffic stopped at %d of %d messages: %v", traffic.Sent(), total, err)
		}
		s.do()
	}
	if err := traffic.WaitSent(ctx, total); err != nil {
		tb.Fatalf("the traffic stopped at %d of %d messages: %v", traffic.Sent(), total, err)
	}
	r.Network = chaos.Stop()
	r.Traffic = traffic.Finish(ctx, f.Network.URL())
	r.Took = time.Since(began)
	if r.Network.Hit == 0 || r.Restarts != f.Restarts || f.DiskFull > 0 && r.Refusals == 0 {
		tb.Errorf("the faults did not all happen: %v, %d restarts, %d refusals", r.Network, r.Restarts, r.Refusals)
	}
	return r
}

// refuseWrites makes the program's disk refuse writes for d while the
// traffic goes on, probing it meanwhile with a visitor's and an agent's
// messages sent straight to the server, and returns how many of them the
// server refused with 7007.
func refuseWrites(ctx context.Context, tb testing.TB, prog *Program, d time.Duration) int {
	tb.Helper()
	srv := &Server{URL: prog.URL}
	agent := srv.Agent("Disk Probe")
	creds := protocol.Credentials{AppID: AppID, ClientID: protocol.NewUUID()}
	var chat protocol.ChatSession
	if err := visitorCall(ctx, srv.URL, creds, http.MethodPost, protocol.PathChats, nil, &chat); err != nil {
		tb.Fatalf("the probe's Request Chat: %v", err)
	}
	if err := agent.Take(ctx, chat.ChatID); err != nil {
		tb.Fatalf("the probe's agent: %v", err)
	}
	refusedWith := func(who string, err error) bool {
		var perr *protocol.Error
		switch {
		case errors.As(err, &perr) && perr.Code == protocol.CodeUnavailable:
			return true
		case err == nil:
			tb.Errorf("the server acknowledged the %s's message while its disk refused writes", who)
		default:
			tb.Errorf("while its disk refused writes the server answered the %s %v, want error %s", who, err, protocol.CodeUnavailable)
		}
		return false
	}

	prog.RefuseWrites(true)
	refused := 0
	moment := time.After(d)
	for n := 0; ; n++ {
		text := fmt.Sprint(refusedText, n)
		if refusedWith("agent", agent.Say(ctx, chat.ChatID, text)) {
			refused++
		}
		body, err := protocol.EncodeEnvelope(&protocol.Message{MsgID: protocol.TextID(text), Msg: text})
		if err != nil {
			tb.Fatal(err)
		}
		if refusedWith("visitor", visitorCall(ctx, srv.URL, creds, http.MethodPost, protocol.Path(protocol.PathChatEvents, chat.ChatID), body, nil)) {
			refused++
		}
		select {
		case <-moment:
			prog.RefuseWrites(false)
			if err := agent.Say(ctx, chat.ChatID, "after"); err != nil {
				tb.Errorf("once the disk took writes again: %v", err)
			}
			var history protocol.Envelope
			if err := visitorCall(ctx, srv.URL, creds, http.MethodGet, protocol.Path(protocol.PathChatHistory, chat.ChatID), nil, &history); err != nil {
				tb.Fatalf("the probe's history: %v", err)
			}
			for _, e := range history.Events {
				if m, ok := e.(*protocol.Message); ok && strings.HasPrefix(m.Msg, refusedText) {
					tb.Errorf("%q is stored, though the server refused it", m.Msg)
				}
			}
			return refused
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// NoIdleTimers writes the program's contact center for fault runs, the
// default scenario without its idle timers, so that no chat ends while it
// waits for the network, and returns its path for -config.
func NoIdleTimers(tb testing.TB) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "contact.json")
	if err := os.WriteFile(path, []byte(`{"idle_warning": 0, "idle_timeout": 0}`), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// refusedText begins the probes' messages while the disk refuses writes.
const refusedText = "while the disk refuses writes "

// visitorCall calls the visitor API as the client creds and decodes the
// answer into out, as Do does.
func visitorCall(ctx context.Context, baseURL string, creds protocol.Credentials, method, path string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, baseURL+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", creds.Authorization())
	req.Header.Set("Content-Type", "application/json")
	return Do(http.DefaultClient, req, out)
}
