package parleytest

import (
	"context"
	"fmt"
	"time"

	"github.com/parleychat/parley/protocol"
)

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
