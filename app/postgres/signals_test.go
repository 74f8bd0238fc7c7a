package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/protocol"
)

// listening waits until from's typing reaches a subscriber of to: to's
// listener has joined the channel, and hears what from announces.
func listening(ctx context.Context, t *testing.T, from, to *chat.Service, chatID string) {
	t.Helper()
	sub, err := to.Subscribe(ctx, chatID, protocol.Position{Seq: 1 << 40}, "watcher")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if _, err := sub.Next(ctx); err != nil {
		t.Fatal(err)
	}
	for {
		if err := from.Send(ctx, chatID, &protocol.Typing{}); err != nil {
			t.Fatal(err)
		}
		wait, stop := context.WithTimeout(ctx, 200*time.Millisecond)
		_, err := sub.Next(wait)
		stop()
		if err == nil {
			return
		}
		if ctx.Err() != nil {
			t.Fatal("the other process never heard this one")
		}
	}
}

// nextSignals reads sub until a delivery carries call signals.
func nextSignals(ctx context.Context, t *testing.T, sub *chat.Subscription) []*protocol.Signaling {
	t.Helper()
	for {
		env, err := sub.Next(ctx)
		if err != nil {
			t.Fatalf("waiting for signals: %v", err)
		}
		var sigs []*protocol.Signaling
		for _, e := range env.Events {
			if sig, ok := e.(*protocol.Signaling); ok {
				sigs = append(sigs, sig)
			}
		}
		if len(sigs) > 0 {
			return sigs
		}
	}
}

// TestCallSignalsAcrossProcesses: the agent is served by one process and
// the visitor by another. An offer larger than a NOTIFY carries reaches
// the visitor whole, the answer reaches the agent, another agent gets
// neither; what one process holds, the other hands a visitor who comes
// back, superseded signals aside, until it runs out.
func TestCallSignalsAcrossProcesses(t *testing.T) {
	t.Parallel()
	ctx, here, there, c := twoProcesses(t, 60*time.Second)
	const agent = "agent-7"
	if err := here.Take(ctx, c.ID, &protocol.PartyJoined{Meta: protocol.Meta{PartyID: agent}}); err != nil {
		t.Fatal(err)
	}
	listening(ctx, t, here, there, c.ID)
	listening(ctx, t, there, here, c.ID)
	taken, err := here.Chat(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	subscribe := func(svc *chat.Service, party string, signal uint64) *chat.Subscription {
		t.Helper()
		sub, err := svc.Subscribe(ctx, c.ID, protocol.Position{Epoch: c.Epoch, Seq: taken.LastSeq, Signal: signal}, party)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(sub.Close)
		return sub
	}
	visitor, agentSub, other := subscribe(there, c.ID, 0), subscribe(here, agent, 0), subscribe(there, "agent-8", 0)

	sdp := "v=0\r\n" + strings.Repeat("a=candidate-ish line of a large offer\r\n", 600)
	if err := here.Publish(ctx, c.ID,
		&protocol.Signaling{DestinationPartyID: c.ID, Data: protocol.SignalData{Type: protocol.SignalOfferCall, SDP: sdp, OfferVideo: true}, Meta: protocol.Meta{PartyID: agent}},
		&protocol.Signaling{DestinationPartyID: c.ID, Data: protocol.SignalData{Type: protocol.SignalICECandidate, Candidate: "candidate:1", SDPMid: "0"}, Meta: protocol.Meta{PartyID: agent}},
	); err != nil {
		t.Fatal(err)
	}
	var got []*protocol.Signaling
	for len(got) < 2 {
		got = append(got, nextSignals(ctx, t, visitor)...)
	}
	if got[0].Data.Type != protocol.SignalOfferCall || got[0].Data.SDP != sdp || got[1].Data.Candidate != "candidate:1" {
		t.Fatalf("the visitor's process delivered %s %d bytes, %s; want the whole offer, then the candidate", got[0].Data.Type, len(got[0].Data.SDP), got[1].Data.Type)
	}

	if err := there.Send(ctx, c.ID, &protocol.Signaling{DestinationPartyID: agent, Data: protocol.SignalData{Type: protocol.SignalAnswerCall, SDP: "v=0 answer"}}); err != nil {
		t.Fatal(err)
	}
	if sigs := nextSignals(ctx, t, agentSub); len(sigs) != 1 || sigs[0].Data.Type != protocol.SignalAnswerCall || sigs[0].PartyID != c.ID {
		t.Errorf("the agent's process delivered %+v, want the visitor's answer", sigs)
	}
	if err := here.Publish(ctx, c.ID, &protocol.Message{Msg: "hello", Meta: protocol.Meta{PartyID: agent}}); err != nil {
		t.Fatal(err)
	}
	for {
		env, err := other.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(env.Events) > 0 {
			if _, ok := env.Events[0].(*protocol.Message); !ok {
				t.Fatalf("another agent got %s, before the message", env.Events[0].EventType())
			}
			break
		}
	}

	back := subscribe(here, c.ID, 0)
	if sigs := nextSignals(ctx, t, back); len(sigs) != 1 || sigs[0].Data.Type != protocol.SignalICECandidate {
		t.Errorf("a visitor back on the agent's process got %d signals (%s first), want the candidate: the answered offer is let go", len(sigs), sigs[0].Data.Type)
	}

	if err := here.SetPolledSignal(ctx, c.ID, got[1].SignalSeq); err != nil {
		t.Fatal(err)
	}
	if polled, err := there.PolledSignal(ctx, c.ID); err != nil || polled != got[1].SignalSeq {
		t.Errorf("the other process reads the poll's signal cursor %d (%v), want %d", polled, err, got[1].SignalSeq)
	}

	here.SignalHold = 100 * time.Millisecond
	if err := here.Publish(ctx, c.ID, &protocol.Signaling{DestinationPartyID: c.ID, Data: protocol.SignalData{Type: protocol.SignalICECandidate, Candidate: "candidate:2", SDPMid: "0"}, Meta: protocol.Meta{PartyID: agent}}); err != nil {
		t.Fatal(err)
	}
	for ran := false; ; ran = true {
		held, err := there.Signals.Held(ctx, c.ID, c.ID, got[1].SignalSeq, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if len(held) == 0 {
			if !ran {
				t.Error("the candidate was gone at once")
			}
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("the candidate held for 100 ms never ran out")
		case <-time.After(20 * time.Millisecond):
		}
	}
}
