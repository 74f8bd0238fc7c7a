package parleytest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parleychat/parley/protocol"
)

// VisitorSide is the visitor's side of a chat in [Traffic]: the widget's
// Session, or the widget itself in a browser.
type VisitorSide interface {
	// ChatID names the visitor's chat.
	ChatID() string
	// Say sends a message, as the visitor does: it may return before the
	// message reaches the server.
	Say(text string) error
	// Heard returns the texts of the agent's messages the visitor was
	// shown so far, in the order shown, copies included.
	Heard() []string
	// Troubles lists what the visitor's client gave up on or started
	// over: a message refused or not sent, a stream that changed.
	Troubles() []string
}

// TrafficConfig is many chats, each a visitor and an agent writing to each
// other at once.
type TrafficConfig struct {
	// URL is where the agents reach the server: the network in front of
	// it.
	URL string
	// Chats is how many chats talk at once, and Messages how many
	// messages each visitor and each agent sends.
	Chats, Messages int
	// Every is the time between two messages of one side of a chat: under
	// the visitor's rate limit, with room for what a reconnect sends
	// again.
	Every time.Duration
	// Open starts the visitor of the i-th chat, once it has its chat.
	Open func(ctx context.Context, i int) (VisitorSide, error)
}

// Traffic runs a TrafficConfig; see [StartTraffic].
type Traffic struct {
	cfg   TrafficConfig
	chats []*talk
	sent  atomic.Int64
	done  chan struct{}

	mu       sync.Mutex
	troubles []string
}

// talk is one chat of the traffic: its visitor and its agent.
type talk struct {
	i       int
	visitor VisitorSide
	agent   *Agent
	chatID  string
	// heard is what the agent's socket delivered: the visitor's messages,
	// copies included, in the order delivered.
	mu    sync.Mutex
	heard []string
	// seqs counts stream events delivered at or before a position the
	// agent already had.
	seqs int
}

// StartTraffic opens the chats and has them talk until every message is
// sent, or ctx ends. Each visitor and each agent sends cfg.Messages
// messages, one every cfg.Every: the visitor through its client, the agent
// through the agent API, again and again until the server acknowledges it
// (the message's msg_id makes a resend safe). Each agent takes its chat
// and follows it on the agent socket, resuming from its position after
// every break.
func StartTraffic(ctx context.Context, cfg TrafficConfig) *Traffic {
	tr := &Traffic{cfg: cfg, chats: make([]*talk, cfg.Chats), done: make(chan struct{})}
	var all sync.WaitGroup
	for i := range cfg.Chats {
		all.Go(func() {
			if err := tr.run(ctx, i); err != nil {
				tr.trouble(fmt.Sprintf("chat %d: %v", i, err))
			}
		})
	}
	go func() { all.Wait(); close(tr.done) }()
	return tr
}

// Sent counts the messages sent so far, by visitors and agents.
func (tr *Traffic) Sent() int { return int(tr.sent.Load()) }

// Total is how many messages the traffic sends in all.
func (tr *Traffic) Total() int { return 2 * tr.cfg.Chats * tr.cfg.Messages }

// WaitSent waits until n messages were sent, or everything was.
func (tr *Traffic) WaitSent(ctx context.Context, n int) error {
	for tr.Sent() < n {
		select {
		case <-tr.done:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil
}

func (tr *Traffic) trouble(s string) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.troubles = append(tr.troubles, s)
}

// run is one chat: the visitor opens it, the agent takes and follows it,
// and both send their messages.
func (tr *Traffic) run(ctx context.Context, i int) error {
	v, err := tr.cfg.Open(ctx, i)
	if err != nil {
		return fmt.Errorf("opening the visitor: %w", err)
	}
	c := &talk{i: i, visitor: v, chatID: v.ChatID(), agent: (&Server{URL: tr.cfg.URL}).Agent(fmt.Sprintf("Agent %d", i))}
	tr.mu.Lock()
	tr.chats[i] = c
	tr.mu.Unlock()
	if err := retry(ctx, func() error { return c.agent.Take(ctx, c.chatID) }); err != nil {
		return fmt.Errorf("taking the chat: %w", err)
	}
	go c.follow(ctx, tr.cfg.URL)
	tick := time.NewTicker(tr.cfg.Every)
	defer tick.Stop()
	for k := range tr.cfg.Messages {
		if err := v.Say(VisitorText(i, k)); err != nil {
			return fmt.Errorf("the visitor's message %d: %w", k, err)
		}
		tr.sent.Add(1)
		text := AgentText(i, k)
		msg := &protocol.Message{MsgID: protocol.TextID(text), Msg: text, Meta: protocol.Meta{PartyID: c.agent.PartyID}}
		if err := retry(ctx, func() error { return c.agent.Publish(ctx, c.chatID, msg) }); err != nil {
			return fmt.Errorf("the agent's message %d: %w", k, err)
		}
		tr.sent.Add(1)
		select {
		case <-tick.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// VisitorText and AgentText are the k-th message of the i-th chat's
// visitor and agent.
func VisitorText(i, k int) string { return fmt.Sprintf("v%03d.%03d", i, k) }
func AgentText(i, k int) string   { return fmt.Sprintf("a%03d.%03d", i, k) }

// retry calls f until it succeeds, the server refuses it for good (a 4xx
// but 429), or ctx ends: a network error, or the server failing or
// unavailable, is tried again.
func retry(ctx context.Context, f func() error) error {
	for wait := 10 * time.Millisecond; ; wait = min(2*wait, 200*time.Millisecond) {
		err := f()
		var perr *protocol.Error
		if err == nil || errors.As(err, &perr) && perr.HTTPStatus() < 500 && perr.HTTPStatus() != http.StatusTooManyRequests {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last: %v)", ctx.Err(), err)
		case <-time.After(wait):
		}
	}
}
