package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/protocol"
)

// Sizes of the upstream suite.
const (
	upstreamChats    = 20
	upstreamMessages = 1000
)

// upstreamSuite measures delivery from an agent to the visitor through the
// upstream bridge: the parley program in upstream mode in front of the fake
// Bright Pattern tenant, which runs in this process, an agent scripted on
// it, the visitor on Parley's socket. Beside it, in the same run, the same
// delivery in embedded mode: the agent on the agent API's socket.
func upstreamSuite(ctx context.Context, cfg config) ([]row, error) {
	binary, cleanup, err := parleyProgram(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer cleanup()

	host := &tenantHost{}
	defer host.close()
	// Polls held for 10 s, as a tenant holds them: every message wakes one.
	bp := parleytest.StartBrightPattern(host, parleytest.BrightPatternConfig{})
	logf("upstream: %d messages, agent on the tenant to visitor, over %d chats", upstreamMessages, upstreamChats)
	p, err := startUpstreamParley(ctx, binary, cfg.web, bp)
	if err != nil {
		return nil, err
	}
	bridged, err := viaUpstream(ctx, p, bp)
	p.stop()
	if err == nil {
		err = host.err()
	}
	if err != nil {
		return nil, fmt.Errorf("through the bridge: %w", err)
	}

	logf("upstream: the same in embedded mode, agent API socket to visitor")
	p, err = startParley(ctx, binary, cfg.web, false)
	if err != nil {
		return nil, err
	}
	defer p.stop()
	chats, err := openChats(ctx, upstreamChats, true, p)
	if err != nil {
		return nil, err
	}
	defer closeChats(chats)
	embedded, err := oneWay(ctx, chats, upstreamMessages, agentToVisitor, true)
	if err != nil {
		return nil, fmt.Errorf("embedded: %w", err)
	}

	var rows []row
	for _, q := range []float64{0.50, 0.99} {
		rows = append(rows, row{
			Figure: fmt.Sprintf("delivery agent (upstream tenant) to visitor through the bridge, p%02.0f (%d messages)", q*100, upstreamMessages),
			Value:  ms(quantile(bridged, q)), Unit: "ms",
			Ref: new(ms(quantile(embedded, q))), RefLabel: "embedded mode, agent API socket to visitor, this run",
		})
	}
	return rows, nil
}

// viaUpstream opens chats on p, which bridges them to bp, has an agent join
// each on the tenant, and measures each of the agent's messages, one at a
// time, from the moment the tenant has it to its arrival on the visitor's
// socket.
func viaUpstream(ctx context.Context, p *parley, bp *parleytest.BrightPattern) ([]time.Duration, error) {
	type bridgedChat struct {
		visitor *peer
		up      *parleytest.BrightPatternChat
	}
	var chats []bridgedChat
	defer func() {
		for _, c := range chats {
			c.visitor.close()
		}
	}()
	for i := range upstreamChats {
		chat, err := p.requestChat(ctx, protocol.Credentials{AppID: bp.AppID, ClientID: protocol.NewUUID()})
		if err != nil {
			return nil, err
		}
		conn, err := p.visitorSocket(ctx, chat)
		if err != nil {
			return nil, fmt.Errorf("the visitor socket: %w", err)
		}
		visitor := newPeer(conn)
		// Chats are opened one at a time: the tenant's newest is this one.
		var up *parleytest.BrightPatternChat
		if err := bp.WaitFor(ctx, func() bool {
			if all := bp.Chats(); len(all) == i+1 {
				up = all[i]
			}
			return up != nil
		}); err != nil {
			visitor.close()
			return nil, fmt.Errorf("the chat upstream: %w", err)
		}
		chats = append(chats, bridgedChat{visitor, up})
		up.Join("Bench Agent")
		if _, err := visitor.next(ctx, func(env protocol.Envelope) bool {
			return slices.ContainsFunc(env.Events, func(e protocol.Event) bool { return e.EventType() == protocol.TypePartyJoined })
		}); err != nil {
			return nil, fmt.Errorf("the agent joining: %w", err)
		}
	}
	lat := make([]time.Duration, 0, upstreamMessages)
	for i := range upstreamMessages {
		c := chats[i%len(chats)]
		text := fmt.Sprintf("bench message %d", i)
		start := time.Now()
		c.up.Say(text)
		got, err := c.visitor.next(ctx, carries(text))
		if err != nil {
			return nil, fmt.Errorf("message %d: %w", i, err)
		}
		lat = append(lat, got.at.Sub(start))
	}
	return lat, nil
}

// startUpstreamParley runs the program in upstream mode in front of bp. It
// is started as startParley starts it, with the upstream flags' variables
// set for the moment it starts: the child takes its environment then.
func startUpstreamParley(ctx context.Context, binary, webDir string, bp *parleytest.BrightPattern) (*parley, error) {
	vars := map[string]string{"PARLEY_UPSTREAM": bp.URL, "PARLEY_UPSTREAM_APP_ID": bp.AppID, "PARLEY_UPSTREAM_TENANT_URL": bp.TenantURL}
	for k, v := range vars {
		if err := os.Setenv(k, v); err != nil {
			return nil, err
		}
	}
	defer func() {
		for k := range vars {
			_ = os.Unsetenv(k)
		}
	}()
	return startParley(ctx, binary, webDir, false)
}

// parleyProgram is the program to measure: the one the flags name or the
// run built, else one it builds now for this suite alone.
func parleyProgram(ctx context.Context, cfg config) (string, func(), error) {
	if cfg.parley != "" {
		return cfg.parley, func() {}, nil
	}
	dir, err := os.MkdirTemp("", "parley-bench-bin-")
	if err != nil {
		return "", nil, err
	}
	binary := filepath.Join(dir, "parley")
	logf("building the parley program")
	if out, err := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", binary, "./app/parley").CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("building ./app/parley: %v\n%s", err, out)
	}
	return binary, func() { os.RemoveAll(dir) }, nil
}

// tenantHost runs the fake tenant outside a test: what it complains of
// fails the suite, and closing it stops the fake.
type tenantHost struct {
	mu       sync.Mutex
	errs     []error
	cleanups []func()
}

func (h *tenantHost) Helper() {}

func (h *tenantHost) Errorf(format string, args ...any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.errs = append(h.errs, fmt.Errorf(format, args...))
}

// Fatalf is what the fake calls for a configuration it cannot serve, which
// this suite never gives it.
func (h *tenantHost) Fatalf(format string, args ...any) {
	panic(fmt.Sprintf(format, args...))
}

func (h *tenantHost) Cleanup(f func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.cleanups = append(h.cleanups, f)
}

func (h *tenantHost) err() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return errors.Join(h.errs...)
}

func (h *tenantHost) close() {
	h.mu.Lock()
	cleanups := h.cleanups
	h.cleanups = nil
	h.mu.Unlock()
	for _, f := range slices.Backward(cleanups) {
		f()
	}
}
