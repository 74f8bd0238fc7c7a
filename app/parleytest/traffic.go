package parleytest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
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

// follow reads the chat on the agent socket until ctx ends, as the console
// does: from the position it has, again after every break, asking a socket
// that stays silent for an answer and giving it up when none comes.
func (c *talk) follow(ctx context.Context, base string) {
	var pos protocol.Position
	for ctx.Err() == nil {
		q := url.Values{"token": {AgentToken}, "party_id": {c.agent.PartyID}, "epoch": {pos.Epoch}, "after": {fmt.Sprint(pos.Seq)}}
		u := strings.Replace(base, "http", "ws", 1) + "/agent/api/chats/" + url.PathEscape(c.chatID) + "/socket?" + q.Encode()
		dialCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
		conn, _, err := websocket.Dial(dialCtx, u, nil)
		cancel()
		if err != nil {
			select {
			case <-ctx.Done():
			case <-time.After(20 * time.Millisecond):
			}
			continue
		}
		conn.SetReadLimit(16 << 20)
		c.read(ctx, conn, &pos)
		conn.CloseNow()
	}
}

// silence is how long the agent's socket may stay silent before the agent
// asks it for an answer, and then before it gives it up: the widget's
// AnswerTimeout.
const silence = 5 * time.Second

// read takes the socket's frames until it breaks or goes silent.
func (c *talk) read(ctx context.Context, conn *websocket.Conn, pos *protocol.Position) {
	frames := make(chan []byte)
	go func() {
		defer close(frames)
		for {
			_, data, err := conn.Read(ctx)
			if err != nil {
				return
			}
			select {
			case frames <- data:
			case <-ctx.Done():
				return
			}
		}
	}()
	defer func() {
		conn.CloseNow()
		for range frames {
		}
	}()
	check := time.NewTicker(silence / 4)
	defer check.Stop()
	heard, asked := time.Now(), time.Time{}
	for {
		select {
		case <-ctx.Done():
			return
		case data, ok := <-frames:
			if !ok {
				return
			}
			heard, asked = time.Now(), time.Time{}
			var env protocol.Envelope
			if err := json.Unmarshal(data, &env); err != nil {
				return
			}
			c.take(env, pos)
		case now := <-check.C:
			switch {
			case !asked.IsZero() && now.Sub(asked) >= silence:
				return
			case asked.IsZero() && now.Sub(heard) >= silence:
				asked = now
				go func() {
					writeCtx, cancel := context.WithTimeout(ctx, silence)
					defer cancel()
					_ = conn.Write(writeCtx, websocket.MessageText, []byte(`{"ref":"heartbeat"}`))
				}()
			}
		}
	}
}

// take notes a frame of the stream. The agent keeps every copy it is
// given: the server, not the agent, must see to it that there are none.
func (c *talk) take(env protocol.Envelope, pos *protocol.Position) {
	if env.Epoch != "" && env.Epoch != pos.Epoch {
		*pos = protocol.Position{Epoch: env.Epoch}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range env.Events {
		seq := e.EventMeta().Seq
		if seq != 0 && seq <= pos.Seq {
			c.seqs++
		}
		pos.Seq = max(pos.Seq, seq)
		if m, ok := e.(*protocol.Message); ok && m.PartyID == c.chatID {
			c.heard = append(c.heard, m.Msg)
		}
	}
}

// Tally counts how one direction of the traffic went.
type Tally struct {
	// Sent is how many messages were sent; Lost how many never arrived;
	// Duplicated how many copies arrived besides the first; OutOfOrder
	// how many arrived after a message sent later.
	Sent, Lost, Duplicated, OutOfOrder int
}

// Add adds the counts of o.
func (t *Tally) Add(o Tally) {
	t.Sent += o.Sent
	t.Lost += o.Lost
	t.Duplicated += o.Duplicated
	t.OutOfOrder += o.OutOfOrder
}

// Clean reports whether every message arrived once and in order.
func (t Tally) Clean() bool { return t.Lost == 0 && t.Duplicated == 0 && t.OutOfOrder == 0 }

func (t Tally) String() string {
	return fmt.Sprintf("%d sent, %d lost, %d duplicated, %d out of order", t.Sent, t.Lost, t.Duplicated, t.OutOfOrder)
}

// tally compares what arrived with what was sent, in order, and says what
// went wrong, message by message.
func tally(sent, arrived []string) (Tally, []string) {
	t := Tally{Sent: len(sent)}
	var notes []string
	index := make(map[string]int, len(sent))
	for i, s := range sent {
		index[s] = i
	}
	seen := map[string]bool{}
	latest := -1
	for _, a := range arrived {
		i, ok := index[a]
		switch {
		case !ok:
			continue
		case seen[a]:
			t.Duplicated++
			notes = append(notes, a+" arrived again")
			continue
		case i < latest:
			t.OutOfOrder++
			notes = append(notes, a+" arrived after "+sent[latest])
		}
		seen[a] = true
		latest = max(latest, i)
	}
	for _, s := range sent {
		if !seen[s] {
			t.Lost++
			notes = append(notes, s+" never arrived")
		}
	}
	return t, notes
}

// TrafficReport is how the traffic went.
type TrafficReport struct {
	Chats int
	// ToAgents are the visitors' messages as the agents' sockets
	// delivered them, ToVisitors the agents' messages as the visitors
	// were shown them, and Stored both as each chat's history holds them.
	ToAgents, ToVisitors, Stored Tally
	// Replayed counts stream events the agents' sockets delivered again,
	// at or before a position the agent had.
	Replayed int
	// Troubles are what went wrong besides: a visitor's client that gave
	// something up, a chat that could not finish.
	Troubles []string
}

// Clean reports whether every message arrived once and in order, on the
// other side and in the history, with no trouble.
func (r TrafficReport) Clean() bool {
	return r.ToAgents.Clean() && r.ToVisitors.Clean() && r.Stored.Clean() && r.Replayed == 0 && len(r.Troubles) == 0
}

func (r TrafficReport) String() string {
	return fmt.Sprintf("%d chats; visitors to agents: %v; agents to visitors: %v; in the histories: %v; %d events delivered again; %d troubles",
		r.Chats, r.ToAgents, r.ToVisitors, r.Stored, r.Replayed, len(r.Troubles))
}

// Finish waits until every message was sent and has arrived on the other
// side, or ctx ends, then reads each chat's history from the server at
// serverURL, for a minute at most, and reports.
func (tr *Traffic) Finish(ctx context.Context, serverURL string) TrafficReport {
	select {
	case <-tr.done:
	case <-ctx.Done():
	}
	reading, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	r := TrafficReport{Chats: tr.cfg.Chats}
	tr.mu.Lock()
	r.Troubles = append(r.Troubles, tr.troubles...)
	chats := append([]*talk(nil), tr.chats...)
	tr.mu.Unlock()
	for i, c := range chats {
		var visitorSent, agentSent []string
		for k := range tr.cfg.Messages {
			visitorSent = append(visitorSent, VisitorText(i, k))
			agentSent = append(agentSent, AgentText(i, k))
		}
		count := func(into *Tally, what string, sent, arrived []string) {
			t, notes := tally(sent, arrived)
			into.Add(t)
			for _, n := range notes {
				r.Troubles = append(r.Troubles, fmt.Sprintf("chat %d, %s: %s", i, what, n))
			}
		}
		if c == nil {
			count(&r.ToAgents, "to the agent", visitorSent, nil)
			count(&r.ToVisitors, "to the visitor", agentSent, nil)
			count(&r.Stored, "stored", append(visitorSent, agentSent...), nil)
			continue
		}
		toAgent, toVisitor := c.arrived(ctx, visitorSent, agentSent)
		count(&r.ToAgents, "to the agent", visitorSent, toAgent)
		count(&r.ToVisitors, "to the visitor", agentSent, toVisitor)
		c.mu.Lock()
		r.Replayed += c.seqs
		c.mu.Unlock()
		for _, t := range c.visitor.Troubles() {
			r.Troubles = append(r.Troubles, fmt.Sprintf("chat %d: %s", i, t))
		}
		stored, err := storedMessages(reading, serverURL, c)
		if err != nil {
			r.Troubles = append(r.Troubles, fmt.Sprintf("chat %d: reading its history: %v", i, err))
		}
		count(&r.Stored, "stored", visitorSent, stored[c.chatID])
		count(&r.Stored, "stored", agentSent, stored[c.agent.PartyID])
	}
	return r
}

// arrived waits until every message sent each way has arrived, or ctx
// ends, and returns what arrived each way.
func (c *talk) arrived(ctx context.Context, visitorSent, agentSent []string) (toAgent, toVisitor []string) {
	for {
		c.mu.Lock()
		toAgent = append([]string(nil), c.heard...)
		c.mu.Unlock()
		toVisitor = c.visitor.Heard()
		a, _ := tally(visitorSent, toAgent)
		v, _ := tally(agentSent, toVisitor)
		if a.Lost == 0 && v.Lost == 0 {
			return toAgent, toVisitor
		}
		select {
		case <-ctx.Done():
			return toAgent, toVisitor
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// storedMessages reads the chat's history through the agent API and
// returns the texts of its messages by party, in the order stored.
func storedMessages(ctx context.Context, serverURL string, c *talk) (map[string][]string, error) {
	agent := (&Server{URL: serverURL}).Agent(c.agent.Name)
	list, err := agent.Chats(ctx, 0)
	if err != nil {
		return nil, err
	}
	var last uint64
	for _, ch := range list.Chats {
		if ch.ChatID == c.chatID {
			last = ch.LastSeq
		}
	}
	texts := map[string][]string{}
	for after := uint64(0); after < last; {
		env, err := agent.Events(ctx, c.chatID, after)
		if err != nil {
			return texts, err
		}
		for _, e := range env.Events {
			if seq := e.EventMeta().Seq; seq > after {
				after = seq
			}
			if m, ok := e.(*protocol.Message); ok {
				texts[m.PartyID] = append(texts[m.PartyID], m.Msg)
			}
		}
	}
	return texts, nil
}
