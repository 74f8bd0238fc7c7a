package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/app/postgres"
	"github.com/parleychat/parley/app/postgres/pgtest"
	"github.com/parleychat/parley/protocol"
)

// process is one server process's chat service on the shared database,
// following the others through its Fanout.
func process(t *testing.T, database string) *chat.Service {
	t.Helper()
	store := mustOpen(t, database)
	t.Cleanup(func() { store.Close() })
	svc := chat.NewService(store)
	svc.VisitorRate, svc.VisitorBurst = 1e6, 1e6 // the visitor here is a test that sends in bursts
	svc.Signals = store.Signals()
	fanout := store.Fanout()
	fanout.ReconnectDelay = 20 * time.Millisecond
	svc.Fanout = fanout
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = fanout.Follow(ctx, svc) }()
	t.Cleanup(func() { cancel(); <-done })
	return svc
}

// twoProcesses starts two processes on one fresh database, and a visitor's
// chat opened through the first; ctx ends after timeout or with the test.
func twoProcesses(t *testing.T, timeout time.Duration) (ctx context.Context, here, there *chat.Service, c chat.Chat) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	t.Cleanup(cancel)
	database := pgtest.Database(t)
	here, there = process(t, database), process(t, database)
	c, _, err := here.Open(ctx, protocol.Credentials{AppID: "demo", ClientID: "visitor"}, protocol.ChatRequest{})
	if err != nil {
		t.Fatal(err)
	}
	return ctx, here, there, c
}

// collect reads a subscription until it has n stored events, and returns
// their seqs and texts.
func collect(ctx context.Context, t *testing.T, sub *chat.Subscription, n int) (seqs []uint64, texts []string) {
	t.Helper()
	for len(seqs) < n {
		env, err := sub.Next(ctx)
		if err != nil {
			t.Fatalf("after %d of %d events: %v", len(seqs), n, err)
		}
		for _, e := range env.Events {
			if seq := e.EventMeta().Seq; seq != 0 {
				seqs = append(seqs, seq)
				if m, ok := e.(*protocol.Message); ok {
					texts = append(texts, m.Msg)
				}
			}
		}
	}
	return seqs, texts
}

func span(n int) []uint64 {
	seqs := make([]uint64, n)
	for i := range seqs {
		seqs[i] = uint64(i + 1)
	}
	return seqs
}

func TestTwoProcessesWritingToOneChat(t *testing.T) {
	t.Parallel()
	ctx, here, there, c := twoProcesses(t, 60*time.Second)
	var subs []*chat.Subscription
	for _, svc := range []*chat.Service{here, there} {
		sub, err := svc.Subscribe(ctx, c.ID, protocol.Position{}, "watcher")
		if err != nil {
			t.Fatal(err)
		}
		defer sub.Close()
		subs = append(subs, sub)
	}
	const each = 40
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range each {
			msg := &protocol.Message{MsgID: protocol.TextID(fmt.Sprint("v", i)), Msg: fmt.Sprint("visitor ", i)}
			if err := here.Send(ctx, c.ID, msg); err != nil {
				t.Errorf("Send: %v", err)
				return
			}
		}
	})
	wg.Go(func() {
		for i := range each {
			msg := &protocol.Message{Msg: fmt.Sprint("agent ", i), Meta: protocol.Meta{PartyID: "agent"}}
			if err := there.Publish(ctx, c.ID, msg); err != nil {
				t.Errorf("Publish: %v", err)
				return
			}
		}
	})
	wg.Wait()
	for i, sub := range subs {
		seqs, texts := collect(ctx, t, sub, 2*each)
		if !slices.Equal(seqs, span(2*each)) {
			t.Errorf("process %d delivered seqs %v, want 1 to %d once each, in order", i, seqs, 2*each)
		}
		var visitor []string
		for _, text := range texts {
			if strings.HasPrefix(text, "visitor") {
				visitor = append(visitor, text)
			}
		}
		for j, text := range visitor {
			if want := fmt.Sprint("visitor ", j); text != want {
				t.Errorf("process %d: visitor message %d is %q, want %q", i, j, text, want)
			}
		}
	}
}

func TestEphemeralEventsReachTheOtherProcess(t *testing.T) {
	t.Parallel()
	ctx, here, there, c := twoProcesses(t, 30*time.Second)
	agent, err := there.Subscribe(ctx, c.ID, protocol.Position{}, "agent")
	if err != nil {
		t.Fatal(err)
	}
	defer agent.Close()
	if _, err := agent.Next(ctx); err != nil {
		t.Fatal(err)
	}
	// The listener may not have joined the channel yet: typing goes on
	// until one reaches the other process.
	for {
		if err := here.Send(ctx, c.ID, &protocol.Typing{}); err != nil {
			t.Fatal(err)
		}
		wait, stop := context.WithTimeout(ctx, 200*time.Millisecond)
		env, err := agent.Next(wait)
		stop()
		if err == nil {
			if got := env.Events[0]; got.EventType() != protocol.TypeTyping || got.EventMeta().PartyID != c.ID {
				t.Fatalf("the other process got %#v, want the visitor's typing", got)
			}
			return
		}
		if ctx.Err() != nil {
			t.Fatal("the typing never reached the other process")
		}
	}
}

// TestAListenerThatDropsCatchesUp cuts the connections of one process to
// the database while the other stores events: when it is back, its
// subscriber has every event, once and in order.
func TestAListenerThatDropsCatchesUp(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	database := pgtest.Database(t)
	u, err := url.Parse(database)
	if err != nil {
		t.Fatal(err)
	}
	network := parleytest.StartNetwork(t, u.Host)
	u.Host = strings.TrimPrefix(network.URL(), "http://")
	here, there := process(t, database), process(t, u.String())
	c, _, err := here.Open(ctx, protocol.Credentials{AppID: "demo", ClientID: "visitor"}, protocol.ChatRequest{})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := there.Subscribe(ctx, c.ID, protocol.Position{}, "agent")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { sub.Close() }()
	say := func(from, to int) {
		for i := from; i < to; i++ {
			if err := here.Publish(ctx, c.ID, &protocol.Message{Msg: fmt.Sprint("agent ", i), Meta: protocol.Meta{PartyID: "agent"}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	say(0, 5)
	if seqs, _ := collect(ctx, t, sub, 5); !slices.Equal(seqs, span(5)) {
		t.Fatalf("before the cut: %v", seqs)
	}
	network.Block(true)
	network.Cut()
	say(5, 15)
	network.Block(false)
	// The first read on each pooled connection the cut left dead fails
	// (the pool pings only connections idle for over a second): the
	// subscriber resumes from its position, as a socket's client does.
	var seqs []uint64
	resume := func() *chat.Subscription {
		for {
			sub, err := there.Subscribe(ctx, c.ID, protocol.Position{Seq: uint64(5 + len(seqs))}, "agent")
			if err == nil {
				return sub
			}
			if !errors.Is(err, chat.ErrUnavailable) || ctx.Err() != nil {
				t.Fatalf("resuming after %d of 10 events: %v", len(seqs), err)
			}
		}
	}
	for len(seqs) < 10 {
		env, err := sub.Next(ctx)
		if errors.Is(err, chat.ErrUnavailable) && ctx.Err() == nil {
			sub.Close()
			sub = resume()
			continue
		}
		if err != nil {
			t.Fatalf("after %d of 10 events: %v", len(seqs), err)
		}
		for _, e := range env.Events {
			if seq := e.EventMeta().Seq; seq != 0 {
				seqs = append(seqs, seq)
			}
		}
	}
	if !slices.Equal(seqs, span(15)[5:]) {
		t.Errorf("after the cut: %v, want 6 to 15", seqs)
	}
}

var _ chat.Fanout = (*postgres.Fanout)(nil)
