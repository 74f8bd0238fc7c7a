package chat_test

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/protocol"
)

// agentID and agentName are the agent who takes the chats of newCall.
const (
	agentID   = "agent-7"
	agentName = "Grace Hopper"
)

// clock is a settable time for a Service.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newCall returns a service on a settable clock and a chat an agent took.
func newCall(t *testing.T) (*chat.Service, chat.Chat) {
	t.Helper()
	svc, c := newService(t)
	if err := svc.Take(t.Context(), c.ID, &protocol.PartyJoined{DisplayName: agentName, Meta: protocol.Meta{PartyID: agentID}}); err != nil {
		t.Fatal(err)
	}
	c, err := svc.Chat(t.Context(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	return svc, c
}

func offer(c chat.Chat) *protocol.Signaling {
	return &protocol.Signaling{DestinationPartyID: c.ID, Data: protocol.SignalData{Type: protocol.SignalOfferCall, SDP: "v=0 offer", OfferVideo: true}, Meta: protocol.Meta{PartyID: agentID}}
}

func candidate(from, to, text string) *protocol.Signaling {
	return &protocol.Signaling{DestinationPartyID: to, Data: protocol.SignalData{Type: protocol.SignalICECandidate, Candidate: text, SDPMid: "0"}, Meta: protocol.Meta{PartyID: from}}
}

func answer() *protocol.Signaling {
	return &protocol.Signaling{DestinationPartyID: agentID, Data: protocol.SignalData{Type: protocol.SignalAnswerCall, SDP: "v=0 answer"}}
}

func end(from, to string) *protocol.Signaling {
	return &protocol.Signaling{DestinationPartyID: to, Data: protocol.SignalData{Type: protocol.SignalEndCall}, Meta: protocol.Meta{PartyID: from}}
}

// signalsOf lists what the signals of envs say, as "TYPE candidate".
func signalsOf(envs ...protocol.Envelope) []string {
	var out []string
	for _, env := range envs {
		for _, e := range env.Events {
			if sig, ok := e.(*protocol.Signaling); ok {
				out = append(out, (sig.Data.Type + " " + sig.Data.Candidate))
			}
		}
	}
	return out
}

// collectSignals reads deliveries until n signals came.
func collectSignals(ctx context.Context, t *testing.T, sub *chat.Subscription, n int) []string {
	t.Helper()
	var got []string
	for len(got) < n {
		got = append(got, signalsOf(drain(ctx, t, sub, 1)...)...)
	}
	return got
}

// subscribe follows the chat as party from the start and past its catch-up.
func subscribe(ctx context.Context, t *testing.T, svc *chat.Service, c chat.Chat, party string, signal uint64) *chat.Subscription {
	t.Helper()
	sub := mustSubscribe(ctx, t, svc, c.ID, protocol.Position{Epoch: c.Epoch, Signal: signal}, party)
	drain(ctx, t, sub, 1)
	return sub
}

// nextIsMessage checks that what sub gets next is the message text, not a
// signal meant for someone else.
func nextIsMessage(ctx context.Context, t *testing.T, who string, sub *chat.Subscription, text string) {
	t.Helper()
	for {
		env := drain(ctx, t, sub, 1)[0]
		if signals := signalsOf(env); len(signals) > 0 {
			t.Fatalf("%s got %v, signals meant for another party", who, signals)
		}
		if msgs, _ := texts([]protocol.Envelope{env}); len(msgs) > 0 {
			if msgs[0] != text {
				t.Fatalf("%s got %q, want %q", who, msgs[0], text)
			}
			return
		}
	}
}

// TestSignalsReachOnlyTheirDestination: an agent's signal reaches the
// visitor, the visitor's the agent, and neither reaches anyone else who
// follows the chat: another agent, a follower without a party, the sender.
func TestSignalsReachOnlyTheirDestination(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	svc, c := newCall(t)
	visitorSub := subscribe(ctx, t, svc, c, c.ID, 0)
	agentSub := subscribe(ctx, t, svc, c, agentID, 0)
	others := map[string]*chat.Subscription{
		"another agent":        subscribe(ctx, t, svc, c, "agent-8", 0),
		"a follower, no party": subscribe(ctx, t, svc, c, "", 0),
	}

	if err := svc.Publish(ctx, c.ID, offer(c), candidate(agentID, c.ID, "a1")); err != nil {
		t.Fatal(err)
	}
	if got, want := collectSignals(ctx, t, visitorSub, 2), []string{"OFFER_CALL ", "ICE_CANDIDATE a1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("the visitor got %v, want %v", got, want)
	}
	if err := svc.Send(ctx, c.ID, answer(), candidate("", agentID, "v1")); err != nil {
		t.Fatal(err)
	}
	if got, want := collectSignals(ctx, t, agentSub, 2), []string{"ANSWER_CALL ", "ICE_CANDIDATE v1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("the agent got %v, want %v", got, want)
	}
	if err := svc.Publish(ctx, c.ID, &protocol.Message{Msg: "after the call", Meta: protocol.Meta{PartyID: agentID}}); err != nil {
		t.Fatal(err)
	}
	for who, sub := range others {
		nextIsMessage(ctx, t, who, sub, "after the call")
	}
	nextIsMessage(ctx, t, "the visitor", visitorSub, "after the call")
	nextIsMessage(ctx, t, "the agent", agentSub, "after the call")
	if got := storedTexts(t, svc, c.ID); !reflect.DeepEqual(got, []string{"after the call"}) {
		t.Errorf("history holds %q: signals are never stored", got)
	}
	events, err := svc.History(ctx, c.ID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if signals := signalsOf(protocol.Envelope{Events: events}); len(signals) > 0 {
		t.Errorf("history holds signals %v", signals)
	}
}

// TestSignalsAreHeldForAPartyThatIsAway: what was said to the visitor while
// it had no subscription reaches it when it comes back, after its
// catch-up; a resume from a signal gets only those after it; what is older
// than SignalHold is gone.
func TestSignalsAreHeldForAPartyThatIsAway(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	svc, c := newCall(t)
	clk := &clock{now: svc.Now()}
	svc.Now = clk.Now
	if err := svc.Publish(ctx, c.ID, offer(c), candidate(agentID, c.ID, "a1"), candidate(agentID, c.ID, "a2")); err != nil {
		t.Fatal(err)
	}

	back := mustSubscribe(ctx, t, svc, c.ID, protocol.Position{Epoch: c.Epoch}, c.ID)
	first := drain(ctx, t, back, 2)
	if _, seqs := texts(first[:1]); len(seqs) != 2 || len(signalsOf(first[0])) > 0 {
		t.Errorf("the first delivery is %v, want the catch-up (the agent joining, connected)", seqs)
	}
	held := first[1].Events
	if got, want := signalsOf(first[1]), []string{"OFFER_CALL ", "ICE_CANDIDATE a1", "ICE_CANDIDATE a2"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("the visitor came back to %v, want %v", got, want)
	}
	for i, e := range held {
		seq := e.(*protocol.Signaling).SignalSeq
		if i > 0 && seq <= held[i-1].(*protocol.Signaling).SignalSeq {
			t.Errorf("signal_seq %d after %d: the numbers must grow", seq, held[i-1].(*protocol.Signaling).SignalSeq)
		}
	}
	if back.SignalCursor() != held[2].(*protocol.Signaling).SignalSeq {
		t.Errorf("SignalCursor = %d, want the last signal's %d", back.SignalCursor(), held[2].(*protocol.Signaling).SignalSeq)
	}

	resumed := subscribe(ctx, t, svc, c, c.ID, held[0].(*protocol.Signaling).SignalSeq)
	if got, want := signalsOf(drain(ctx, t, resumed, 1)...), []string{"ICE_CANDIDATE a1", "ICE_CANDIDATE a2"}; !reflect.DeepEqual(got, want) {
		t.Errorf("a resume after the offer got %v, want %v", got, want)
	}

	clk.advance(svc.SignalHold)
	expired := subscribe(ctx, t, svc, c, c.ID, 0)
	if err := svc.Publish(ctx, c.ID, &protocol.Message{Msg: "still there?", Meta: protocol.Meta{PartyID: agentID}}); err != nil {
		t.Fatal(err)
	}
	nextIsMessage(ctx, t, "a visitor back after SignalHold", expired, "still there?")
}

// TestSupersededSignalsAreLetGo: an unanswered offer is offered again to a
// visitor that comes back, one it answered is not; hanging up lets go of
// the whole call but its end.
func TestSupersededSignalsAreLetGo(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// then happens after the agent's offer and candidate.
		then func(ctx context.Context, svc *chat.Service, c chat.Chat) error
		want []string
	}{
		{"unanswered: the offer again", func(context.Context, *chat.Service, chat.Chat) error { return nil },
			[]string{"OFFER_CALL ", "ICE_CANDIDATE a1"}},
		{"answered: the candidates only", func(ctx context.Context, svc *chat.Service, c chat.Chat) error {
			return svc.Send(ctx, c.ID, answer())
		}, []string{"ICE_CANDIDATE a1"}},
		{"the agent hung up: the end only", func(ctx context.Context, svc *chat.Service, c chat.Chat) error {
			return svc.Publish(ctx, c.ID, end(agentID, c.ID))
		}, []string{"END_CALL "}},
		{"the visitor hung up: nothing", func(ctx context.Context, svc *chat.Service, c chat.Chat) error {
			return svc.Send(ctx, c.ID, end("", agentID))
		}, nil},
		{"a new offer: the new call only", func(ctx context.Context, svc *chat.Service, c chat.Chat) error {
			return svc.Publish(ctx, c.ID, offer(c), candidate(agentID, c.ID, "a2"))
		}, []string{"OFFER_CALL ", "ICE_CANDIDATE a2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t)
			svc, c := newCall(t)
			if err := svc.Publish(ctx, c.ID, offer(c), candidate(agentID, c.ID, "a1")); err != nil {
				t.Fatal(err)
			}
			if err := tc.then(ctx, svc, c); err != nil {
				t.Fatal(err)
			}
			back := subscribe(ctx, t, svc, c, c.ID, 0)
			if err := svc.Publish(ctx, c.ID, &protocol.Message{Msg: "hello", Meta: protocol.Meta{PartyID: agentID}}); err != nil {
				t.Fatal(err)
			}
			var got []string
			for {
				env := drain(ctx, t, back, 1)[0]
				if msgs, _ := texts([]protocol.Envelope{env}); len(msgs) > 0 {
					break
				}
				got = append(got, signalsOf(env)...)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("the visitor came back to %v, want %v", got, tc.want)
			}
		})
	}
}

// TestSignalsGoToTheOtherSideOfTheCall: a visitor calls the agent who has
// the chat, an agent calls the visitor; anything else is refused, and so is
// a call before any agent took the chat.
func TestSignalsGoToTheOtherSideOfTheCall(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	svc, c := newService(t)
	request := &protocol.Signaling{DestinationPartyID: agentID, Data: protocol.SignalData{Type: protocol.SignalRequestCall, OfferVideo: true}}
	if err := svc.Send(ctx, c.ID, request); codeOf(err) != protocol.CodeBadRequest {
		t.Errorf("a request before any agent took the chat: %v, want %s", err, protocol.CodeBadRequest)
	}
	svc, c = newCall(t)
	tests := []struct {
		name string
		send func() error
	}{
		{"a visitor's signal to another party", func() error {
			return svc.Send(ctx, c.ID, &protocol.Signaling{DestinationPartyID: "agent-8", Data: protocol.SignalData{Type: protocol.SignalRequestCall}})
		}},
		{"a visitor's signal to itself", func() error {
			return svc.Send(ctx, c.ID, &protocol.Signaling{DestinationPartyID: c.ID, Data: protocol.SignalData{Type: protocol.SignalRequestCall}})
		}},
		{"an agent's signal to another agent", func() error { return svc.Publish(ctx, c.ID, end(agentID, "agent-8")) }},
		{"an agent's signal without a destination", func() error { return svc.Publish(ctx, c.ID, end(agentID, "")) }},
		{"a signal without a sender", func() error { return svc.Publish(ctx, c.ID, end("", c.ID)) }},
	}
	for _, tc := range tests {
		if err := tc.send(); codeOf(err) != protocol.CodeBadRequest {
			t.Errorf("%s: %v, want %s", tc.name, err, protocol.CodeBadRequest)
		}
	}
	if err := svc.Send(ctx, c.ID, request); err != nil {
		t.Errorf("the visitor's request to the agent: %v", err)
	}
	if err := svc.Publish(ctx, c.ID, end(agentID, c.ID)); err != nil {
		t.Errorf("the agent's signal to the visitor: %v", err)
	}
	if err := svc.Publish(ctx, c.ID, &protocol.Ended{}); err != nil {
		t.Fatal(err)
	}
	if err := svc.Send(ctx, c.ID, request); codeOf(err) != protocol.CodeChatNotFound {
		t.Errorf("a request in an ended chat: %v, want %s", err, protocol.CodeChatNotFound)
	}
}

// TestSignalsHeldByAnotherProcessReachThisOne: two services on one store and
// one Signals, as two processes on one database: a signal one holds reaches
// the subscriber of the other when it hears of it, and one it did not hear
// of when it resyncs.
func TestSignalsHeldByAnotherProcessReachThisOne(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	store := chat.NewMemoryStore()
	here, there := chat.NewService(store), chat.NewService(store)
	there.Signals = here.Signals
	c, _, err := here.Open(ctx, visitor, protocol.ChatRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if err := here.Take(ctx, c.ID, &protocol.PartyJoined{Meta: protocol.Meta{PartyID: agentID}}); err != nil {
		t.Fatal(err)
	}
	sub := subscribe(ctx, t, here, c, c.ID, 0)

	if err := there.Publish(ctx, c.ID, offer(c)); err != nil {
		t.Fatal(err)
	}
	here.Signaled(c.ID, c.ID)
	if got := signalsOf(drain(ctx, t, sub, 1)...); !reflect.DeepEqual(got, []string{"OFFER_CALL "}) {
		t.Errorf("got %v, want the offer held there", got)
	}
	if err := there.Publish(ctx, c.ID, candidate(agentID, c.ID, "a1")); err != nil {
		t.Fatal(err)
	}
	if err := here.Resync(ctx); err != nil {
		t.Fatal(err)
	}
	if got := signalsOf(drain(ctx, t, sub, 1)...); !reflect.DeepEqual(got, []string{"ICE_CANDIDATE a1"}) {
		t.Errorf("got %v after a resync, want the candidate held there", got)
	}
}

func codeOf(err error) protocol.Code {
	var perr *protocol.Error
	if errors.As(err, &perr) {
		return perr.Code
	}
	return ""
}
