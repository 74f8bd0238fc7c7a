package chat_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/protocol"
)

var visitor = protocol.Credentials{AppID: "demo", ClientID: "6f1c0d3e-8a52-4d8e-9a43-2b1f0c9e7d11"}

func newService(t *testing.T) (*chat.Service, chat.Chat) {
	t.Helper()
	svc := chat.NewService(chat.NewMemoryStore())
	svc.Now = func() time.Time { return time.Unix(1700000000, 0) }
	c, isNew, err := svc.Open(context.Background(), visitor, protocol.ChatRequest{})
	if err != nil || !isNew {
		t.Fatalf("Open = %v, %v; want a new chat", isNew, err)
	}
	return svc, c
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func message(n int) *protocol.Message {
	return &protocol.Message{MsgID: protocol.TextID(fmt.Sprint("m", n)), Msg: fmt.Sprint("text ", n)}
}

// texts lists the msg of each message in envs, and the seq of every event.
func texts(envs []protocol.Envelope) (msgs []string, seqs []uint64) {
	for _, env := range envs {
		for _, e := range env.Events {
			seqs = append(seqs, e.EventMeta().Seq)
			if m, ok := e.(*protocol.Message); ok {
				msgs = append(msgs, m.Msg)
			}
		}
	}
	return msgs, seqs
}

// mustSubscribe follows the chat as party from the position, until the test
// ends.
func mustSubscribe(ctx context.Context, t *testing.T, svc *chat.Service, chatID string, from protocol.Position, party string) *chat.Subscription {
	t.Helper()
	sub, err := svc.Subscribe(ctx, chatID, from, party)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sub.Close)
	return sub
}

// drain reads the next want deliveries.
func drain(ctx context.Context, t *testing.T, sub *chat.Subscription, want int) []protocol.Envelope {
	t.Helper()
	var envs []protocol.Envelope
	for range want {
		env, err := sub.Next(ctx)
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		envs = append(envs, env)
	}
	return envs
}

func TestSubscribeResumesFromAPosition(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		from     func(c chat.Chat) protocol.Position
		wantMsgs []string
		wantSeqs []uint64
	}{
		{"from the start", func(c chat.Chat) protocol.Position { return protocol.Position{Epoch: c.Epoch} },
			[]string{"text 1", "text 2", "text 3"}, []uint64{1, 2, 3}},
		{"from the middle", func(c chat.Chat) protocol.Position { return protocol.Position{Epoch: c.Epoch, Seq: 2} },
			[]string{"text 3"}, []uint64{3}},
		{"up to date", func(c chat.Chat) protocol.Position { return protocol.Position{Epoch: c.Epoch, Seq: 3} },
			nil, nil},
		{"another epoch starts over", func(chat.Chat) protocol.Position { return protocol.Position{Epoch: "lost", Seq: 2} },
			[]string{"text 1", "text 2", "text 3"}, []uint64{1, 2, 3}},
		{"no epoch trusts the sequence number", func(chat.Chat) protocol.Position { return protocol.Position{Seq: 2} },
			[]string{"text 3"}, []uint64{3}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t)
			svc, c := newService(t)
			svc.HistoryPage = 2
			for n := 1; n <= 3; n++ {
				if err := svc.Send(ctx, c.ID, message(n)); err != nil {
					t.Fatal(err)
				}
			}
			sub := mustSubscribe(ctx, t, svc, c.ID, tc.from(c), "agent")
			pages := (len(tc.wantSeqs) + 1) / 2
			envs := drain(ctx, t, sub, max(pages, 1))
			for _, env := range envs {
				if env.Epoch != c.Epoch {
					t.Errorf("delivery epoch = %q, want %q", env.Epoch, c.Epoch)
				}
			}
			msgs, seqs := texts(envs)
			if !reflect.DeepEqual(msgs, tc.wantMsgs) || !reflect.DeepEqual(seqs, tc.wantSeqs) {
				t.Errorf("caught up on %q %v, want %q %v", msgs, seqs, tc.wantMsgs, tc.wantSeqs)
			}

			// Live events follow the history with the next numbers.
			if err := svc.Send(ctx, c.ID, message(4)); err != nil {
				t.Fatal(err)
			}
			msgs, seqs = texts(drain(ctx, t, sub, 1))
			if !reflect.DeepEqual(msgs, []string{"text 4"}) || !reflect.DeepEqual(seqs, []uint64{4}) {
				t.Errorf("live delivery %q %v, want [text 4] [4]", msgs, seqs)
			}
		})
	}
}

func TestSendStampsStoresAndDropsDuplicates(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	svc, c := newService(t)
	sub := mustSubscribe(ctx, t, svc, c.ID, protocol.Position{}, "agent")
	drain(ctx, t, sub, 1)

	for range 2 {
		if err := svc.Send(ctx, c.ID, &protocol.Message{MsgID: protocol.TextID("c:1"), Msg: "hello", Meta: protocol.Meta{PartyID: "forged", Seq: 99}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := svc.Send(ctx, c.ID, &protocol.Message{MsgID: protocol.TextID("c:2"), Msg: "again"}); err != nil {
		t.Fatal(err)
	}
	envs := drain(ctx, t, sub, 2)
	got := envs[0].Events[0].(*protocol.Message)
	want := &protocol.Message{MsgID: protocol.TextID("c:1"), Msg: "hello", Meta: protocol.Meta{PartyID: c.ID, Timestamp: protocol.At(time.Unix(1700000000, 0)), Seq: 1}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("stored\n got %#v\nwant %#v", got, want)
	}
	if msgs, seqs := texts(envs); !reflect.DeepEqual(msgs, []string{"hello", "again"}) || !reflect.DeepEqual(seqs, []uint64{1, 2}) {
		t.Errorf("delivered %q %v, want the duplicate dropped", msgs, seqs)
	}
}

func TestTypingIsDeliveredToOthersAndNeverStored(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	svc, c := newService(t)
	agent := mustSubscribe(ctx, t, svc, c.ID, protocol.Position{}, "agent")
	self := mustSubscribe(ctx, t, svc, c.ID, protocol.Position{}, c.ID)
	drain(ctx, t, agent, 1)
	drain(ctx, t, self, 1)

	if err := svc.Send(ctx, c.ID, &protocol.Typing{}, message(1), &protocol.NotTyping{}); err != nil {
		t.Fatal(err)
	}
	var agentSaw []string
	for _, env := range drain(ctx, t, agent, 3) {
		agentSaw = append(agentSaw, env.Events[0].EventType())
	}
	if want := []string{protocol.TypeTyping, protocol.TypeMessage, protocol.TypeNotTyping}; !reflect.DeepEqual(agentSaw, want) {
		t.Errorf("agent saw %v, want %v", agentSaw, want)
	}
	if env := drain(ctx, t, self, 1)[0]; env.Events[0].EventType() != protocol.TypeMessage {
		t.Errorf("visitor got %s back; it should get only its stored message", env.Events[0].EventType())
	}

	late := mustSubscribe(ctx, t, svc, c.ID, protocol.Position{}, "late")
	if msgs, seqs := texts(drain(ctx, t, late, 1)); len(msgs) != 1 || !reflect.DeepEqual(seqs, []uint64{1}) {
		t.Errorf("history holds %q %v, want only the message", msgs, seqs)
	}
}

func TestARefusedEventStoresNothing(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	svc, c := newService(t)
	err := svc.Send(ctx, c.ID, message(1), &protocol.Message{Msg: "no id"})
	var perr *protocol.Error
	if !errors.As(err, &perr) || perr.Code != protocol.CodeBadRequest {
		t.Fatalf("Send = %v, want error %s", err, protocol.CodeBadRequest)
	}
	sub := mustSubscribe(ctx, t, svc, c.ID, protocol.Position{}, "agent")
	if msgs, _ := texts(drain(ctx, t, sub, 1)); len(msgs) != 0 {
		t.Errorf("stored %q from a refused batch", msgs)
	}
}

func TestASlowSubscriberDoesNotHoldUpOthers(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	svc, c := newService(t)
	svc.QueueSize = 2
	slow := mustSubscribe(ctx, t, svc, c.ID, protocol.Position{}, "slow")
	fast := mustSubscribe(ctx, t, svc, c.ID, protocol.Position{}, "fast")
	drain(ctx, t, fast, 1)
	for n := 1; n <= 6; n++ {
		if err := svc.Send(ctx, c.ID, message(n)); err != nil {
			t.Fatal(err)
		}
		drain(ctx, t, fast, 1)
	}
	// The slow one fell four deliveries past its queue: it reads them from
	// the store, each once and in order.
	var envs []protocol.Envelope
	for {
		_, seqs := texts(envs)
		if len(seqs) == 6 {
			break
		}
		envs = append(envs, drain(ctx, t, slow, 1)...)
	}
	if _, seqs := texts(envs); !reflect.DeepEqual(seqs, []uint64{1, 2, 3, 4, 5, 6}) {
		t.Errorf("the slow subscriber got %v, want 1 to 6", seqs)
	}
}

func TestASubscriberWhoLetsTypingPileUpIsDropped(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	svc, c := newService(t)
	svc.QueueSize = 2
	slow := mustSubscribe(ctx, t, svc, c.ID, protocol.Position{}, "slow")
	for range 3 {
		if err := svc.Send(ctx, c.ID, &protocol.Typing{}); err != nil {
			t.Fatal(err)
		}
	}
	var err2 error
	for err2 == nil {
		_, err2 = slow.Next(ctx)
	}
	if !errors.Is(err2, chat.ErrTooSlow) {
		t.Errorf("slow subscriber ended with %v, want ErrTooSlow", err2)
	}
}

func TestAnnouncementsFromAnotherProcessAreReadFromTheStore(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	store := chat.NewMemoryStore()
	here, there := chat.NewService(store), chat.NewService(store)
	c, _, err := here.Open(ctx, visitor, protocol.ChatRequest{})
	if err != nil {
		t.Fatal(err)
	}
	sub := mustSubscribe(ctx, t, here, c.ID, protocol.Position{}, "agent")
	drain(ctx, t, sub, 1)

	// Another process stores 1 and 2; this one stores 3 and hears of it
	// before the announcement of 1 and 2 arrives, then hears that again.
	for n := 1; n <= 2; n++ {
		if err := there.Send(ctx, c.ID, message(n)); err != nil {
			t.Fatal(err)
		}
	}
	if err := here.Send(ctx, c.ID, message(3)); err != nil {
		t.Fatal(err)
	}
	here.Stored(ctx, c.ID, 0, 2, nil)
	here.Stored(ctx, c.ID, 1, 2, nil)
	if err := here.Send(ctx, c.ID, message(4)); err != nil {
		t.Fatal(err)
	}
	var envs []protocol.Envelope
	for {
		_, seqs := texts(envs)
		if len(seqs) >= 4 {
			break
		}
		envs = append(envs, drain(ctx, t, sub, 1)...)
	}
	if msgs, seqs := texts(envs); !reflect.DeepEqual(seqs, []uint64{1, 2, 3, 4}) ||
		!reflect.DeepEqual(msgs, []string{"text 1", "text 2", "text 3", "text 4"}) {
		t.Errorf("delivered %q %v, want each message once, in order", msgs, seqs)
	}
}

func TestPublishOnceStoresEachKeyOnce(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	store := chat.NewMemoryStore()
	svc, other := chat.NewService(store), chat.NewService(store)
	c, _, err := svc.Open(ctx, visitor, protocol.ChatRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []*chat.Service{svc, other, svc} {
		err := s.PublishOnce(ctx, c.ID, "warning", &protocol.TimeoutWarning{Msg: "still there?"}, &protocol.Message{Msg: "hello?", Meta: protocol.Meta{PartyID: "scenario"}})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := svc.PublishOnce(ctx, c.ID, "another", &protocol.TimeoutWarning{Msg: "still there?"}); err != nil {
		t.Fatal(err)
	}
	history, err := svc.History(ctx, c.ID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range history {
		types = append(types, e.EventType())
	}
	if want := []string{protocol.TypeTimeoutWarning, protocol.TypeMessage, protocol.TypeTimeoutWarning}; !reflect.DeepEqual(types, want) {
		t.Errorf("stored %v, want %v", types, want)
	}
}

// TestPublishAsAgentTakesOnlyTheAgentsEvents publishes batches as the agent
// API does, then a marker, and checks what the visitor got before the
// marker: all of a batch, or nothing of it.
func TestPublishAsAgentTakesOnlyTheAgentsEvents(t *testing.T) {
	t.Parallel()
	const other = "agent-8"
	say := func(party string) protocol.Event {
		return &protocol.Message{Msg: "from " + party, Meta: protocol.Meta{PartyID: party}}
	}
	typing := func(party string) protocol.Event { return &protocol.Typing{Meta: protocol.Meta{PartyID: party}} }
	cases := []struct {
		name string
		// untaken leaves the chat without an agent.
		untaken bool
		events  []protocol.Event
		// wantCode is the refusal's code, "" for none; want is what the
		// visitor got, as "event party".
		wantCode protocol.Code
		want     []string
	}{
		{"the agent's message", false, []protocol.Event{say(agentID)}, "", []string{"chat_session_message agent-7"}},
		{"another agent's message", false, []protocol.Event{say(other)}, protocol.CodeForbidden, nil},
		{"a chat nobody took", true, []protocol.Event{say(agentID)}, protocol.CodeForbidden, nil},
		{"an event of no party", true, []protocol.Event{&protocol.TimeoutWarning{Msg: "still there?"}}, "", []string{"chat_session_timeout_warning "}},
		{"the agent's typing", false, []protocol.Event{typing(agentID)}, "", []string{"chat_session_typing agent-7"}},
		{"another agent's typing", false, []protocol.Event{typing(other)}, protocol.CodeForbidden, nil},
		{"another agent's call signal", false, []protocol.Event{candidate(other, "the visitor", "a1")}, protocol.CodeForbidden, nil},
		{"the agent's message and typing", false, []protocol.Event{say(agentID), typing(agentID)}, "",
			[]string{"chat_session_message agent-7", "chat_session_typing agent-7"}},
		{"a message, then another agent's typing", false, []protocol.Event{say(agentID), typing(other)}, protocol.CodeForbidden, nil},
		{"typing, then another agent's message", false, []protocol.Event{typing(agentID), say(other)}, protocol.CodeForbidden, nil},
		{"the agent's messages, then another's", false, []protocol.Event{say(agentID), say(agentID), say(other)}, protocol.CodeForbidden, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t)
			svc, c := newCall(t)
			if tc.untaken {
				svc, c = newService(t)
			}
			sub := mustSubscribe(ctx, t, svc, c.ID, protocol.Position{Epoch: c.Epoch, Seq: c.LastSeq}, c.ID)
			drain(ctx, t, sub, 1)
			if err := svc.PublishAsAgent(ctx, c.ID, "", tc.events...); codeOf(err) != tc.wantCode || (err == nil) != (tc.wantCode == "") {
				t.Errorf("PublishAsAgent = %v, want code %q", err, tc.wantCode)
			}
			if err := svc.Publish(ctx, c.ID, &protocol.Message{Msg: "marker", Meta: protocol.Meta{PartyID: "scenario"}}); err != nil {
				t.Fatal(err)
			}
			var got []string
			for {
				env, err := sub.Next(ctx)
				if err != nil {
					t.Fatalf("Next: %v", err)
				}
				for _, e := range env.Events {
					if m, ok := e.(*protocol.Message); ok && m.Msg == "marker" {
						if !reflect.DeepEqual(got, tc.want) {
							t.Errorf("the visitor got %q, want %q", got, tc.want)
						}
						return
					}
					got = append(got, e.EventType()+" "+e.EventMeta().PartyID)
				}
			}
		})
	}
}

// chatReads is a store that counts its reads of chats.
type chatReads struct {
	chat.Store
	n atomic.Int64
}

func (s *chatReads) Chat(ctx context.Context, id string) (chat.Chat, error) {
	s.n.Add(1)
	return s.Store.Chat(ctx, id)
}

// TestPublishAsAgentReadsNoChatForMessages: the store checks the party of
// the events it stores as it appends them, so an agent's messages, the
// agent API's busiest traffic, cost no read of the chat.
func TestPublishAsAgentReadsNoChatForMessages(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	store := &chatReads{Store: chat.NewMemoryStore()}
	svc := chat.NewService(store)
	c, _, err := svc.Open(ctx, visitor, protocol.ChatRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Take(ctx, c.ID, &protocol.PartyJoined{Meta: protocol.Meta{PartyID: agentID}}); err != nil {
		t.Fatal(err)
	}
	say := func(text string) protocol.Event {
		return &protocol.Message{Msg: text, Meta: protocol.Meta{PartyID: agentID}}
	}
	before := store.n.Load()
	if err := svc.PublishAsAgent(ctx, c.ID, "", say("hello"), say("how can I help?")); err != nil {
		t.Fatal(err)
	}
	if n := store.n.Load() - before; n != 0 {
		t.Errorf("publishing the agent's messages read the chat %d times, want none", n)
	}
}

// TestPublishAsAgentOnceStoresEachKeyOnce: an agent's request sent again
// under its key is stored once; without a key, each event as Publish does.
func TestPublishAsAgentOnceStoresEachKeyOnce(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	svc, c := newCall(t)
	before := len(storedTexts(t, svc, c.ID))
	for _, once := range []string{"request 1", "request 1", "", ""} {
		if err := svc.PublishAsAgent(ctx, c.ID, once, &protocol.Message{Msg: "hello", Meta: protocol.Meta{PartyID: agentID}}); err != nil {
			t.Fatal(err)
		}
	}
	if got := storedTexts(t, svc, c.ID)[before:]; !reflect.DeepEqual(got, []string{"hello", "hello", "hello"}) {
		t.Errorf("stored %q, want the keyed request once and each unkeyed one", got)
	}
}

func TestEndedChatsRefuseEvents(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	svc, c := newService(t)
	if err := svc.Send(ctx, c.ID, &protocol.End{}); err != nil {
		t.Fatal(err)
	}
	err := svc.Send(ctx, c.ID, message(1))
	var perr *protocol.Error
	if !errors.As(err, &perr) || perr.Code != protocol.CodeChatNotFound {
		t.Errorf("Send after end = %v, want error %s", err, protocol.CodeChatNotFound)
	}
	next, isNew, err := svc.Open(ctx, visitor, protocol.ChatRequest{})
	if err != nil || !isNew || next.ID == c.ID {
		t.Errorf("Open after end = %s, %v, %v; want a new chat", next.ID, isNew, err)
	}
}

func TestOpenReturnsTheActiveChat(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	svc, c := newService(t)
	again, isNew, err := svc.Open(ctx, visitor, protocol.ChatRequest{})
	if err != nil || isNew || again.ID != c.ID {
		t.Errorf("Open again = %s, %v, %v; want %s, false", again.ID, isNew, err, c.ID)
	}
	other, isNew, err := svc.Open(ctx, protocol.Credentials{AppID: "demo", ClientID: "other"}, protocol.ChatRequest{})
	if err != nil || !isNew || other.ID == c.ID {
		t.Errorf("Open for another client = %s, %v, %v; want a new chat", other.ID, isNew, err)
	}
}

func TestPublishGivesAgentMessagesAnID(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	svc, c := newService(t)
	sub := mustSubscribe(ctx, t, svc, c.ID, protocol.Position{}, c.ID)
	drain(ctx, t, sub, 1)
	if err := svc.Publish(ctx, c.ID, &protocol.Message{Msg: "Hi, I'm Grace", Meta: protocol.Meta{PartyID: "agent-7"}}); err != nil {
		t.Fatal(err)
	}
	got := drain(ctx, t, sub, 1)[0].Events[0].(*protocol.Message)
	if got.MsgID.IsZero() || got.PartyID != "agent-7" || got.Timestamp.IsZero() || got.Seq != 1 {
		t.Errorf("published %#v; want a msg_id, the agent's party, a timestamp and seq 1", got)
	}
	if err := svc.Publish(ctx, c.ID, &protocol.End{}); err == nil {
		t.Error("Publish took chat_session_end, a client event")
	}
}

// storedTexts reads back the msg of every message the chat stored.
func storedTexts(t *testing.T, svc *chat.Service, chatID string) []string {
	t.Helper()
	events, err := svc.History(t.Context(), chatID, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, e := range events {
		if m, ok := e.(*protocol.Message); ok {
			msgs = append(msgs, m.Msg)
		}
	}
	return msgs
}

// TestOnlyATrueResendIsDropped is the duplicate rule (DESIGN.md): the same
// party sending the same msg_id with the same content again is stored once;
// anything else that reuses a msg_id is stored, as real clients reuse them
// (the Android SDK sends "null" for every message an app gives no id, Bright
// Pattern's web client starts again at "1" after a reload).
func TestOnlyATrueResendIsDropped(t *testing.T) {
	t.Parallel()
	msg := func(id, text string) protocol.Event {
		return &protocol.Message{MsgID: protocol.TextID(id), Msg: text}
	}
	tests := []struct {
		name string
		sent []protocol.Event
		want []string
	}{
		{"a true resend is stored once", []protocol.Event{msg("1", "hello"), msg("1", "hello")}, []string{"hello"}},
		{"a repeated msg_id with another text is stored", []protocol.Event{msg("1", "hello"), msg("1", "how are you?")}, []string{"hello", "how are you?"}},
		{"a web client that restarted its counter", []protocol.Event{msg("1", "hi"), msg("3", "order 42"), msg("1", "back again")}, []string{"hi", "order 42", "back again"}},
		{"the Android SDK's msg_id of an app that gave none", []protocol.Event{msg("null", "ok"), msg("null", "ok"), msg("null", "thanks")}, []string{"ok", "ok", "thanks"}},
		{"the same text under another msg_id", []protocol.Event{msg("1", "ok"), msg("3", "ok")}, []string{"ok", "ok"}},
		{"a resend with the id as a number is another event", []protocol.Event{
			&protocol.Message{MsgID: protocol.NumberID(5), Msg: "five"}, &protocol.Message{MsgID: protocol.NumberID(5), Msg: "five"},
		}, []string{"five"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			svc, c := newService(t)
			for _, e := range tc.sent {
				if err := svc.Send(t.Context(), c.ID, e); err != nil {
					t.Fatalf("Send: %v", err)
				}
			}
			if got := storedTexts(t, svc, c.ID); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("stored %q, want %q", got, tc.want)
			}
		})
	}
}

// TestReceiptsTypingAndSignalsHaveTheirOwnBudget: a client that sends a
// delivered and a read receipt for each of 200 agent messages, types and
// places a call, can still send its message at once.
func TestReceiptsTypingAndSignalsHaveTheirOwnBudget(t *testing.T) {
	t.Parallel()
	svc, c := newCall(t)
	ctx := t.Context()
	for i := range 200 {
		ref := protocol.TextID(fmt.Sprint("a-", i))
		if err := svc.Send(ctx, c.ID, &protocol.MessageDelivered{RefMsgID: ref}, &protocol.MessageRead{RefMsgID: ref}); err != nil {
			t.Fatalf("receipts for message %d: %v", i, err)
		}
	}
	for range 5 {
		if err := svc.Send(ctx, c.ID, &protocol.Typing{}, &protocol.NotTyping{}); err != nil {
			t.Fatalf("typing: %v", err)
		}
	}
	for i := range 30 {
		candidate := &protocol.Signaling{DestinationPartyID: agentID, Data: protocol.SignalData{Type: protocol.SignalICECandidate, Candidate: fmt.Sprint("candidate:", i), SDPMid: "0"}}
		if err := svc.Send(ctx, c.ID, candidate); err != nil {
			t.Fatalf("ICE candidate %d: %v", i, err)
		}
	}
	if err := svc.Send(ctx, c.ID, &protocol.Message{MsgID: protocol.TextID("1"), Msg: "still here"}); err != nil {
		t.Fatalf("the message after the receipts: %v", err)
	}
	if got := storedTexts(t, svc, c.ID); !reflect.DeepEqual(got, []string{"still here"}) {
		t.Errorf("stored %q, want the message", got)
	}
}

// TestEachBudgetRefusesWithItsName: past its own limit, each kind of event
// is refused with an error that says which limit it met.
func TestEachBudgetRefusesWithItsName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		event func(i int) protocol.Event
		limit int
		words string
	}{
		{"messages", func(i int) protocol.Event { return message(i) }, 20, "messages"},
		{"receipts", func(i int) protocol.Event { return &protocol.MessageRead{RefMsgID: protocol.TextID(fmt.Sprint(i))} }, 400, "receipts"},
		{"typing", func(int) protocol.Event { return &protocol.Typing{} }, 10, "typing events"},
		{"signals", func(int) protocol.Event {
			return &protocol.Signaling{DestinationPartyID: agentID, Data: protocol.SignalData{Type: protocol.SignalEndCall}}
		}, 100, "call signals"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			svc, c := newCall(t)
			for i := range tc.limit {
				if err := svc.Send(t.Context(), c.ID, tc.event(i)); err != nil {
					t.Fatalf("event %d of %d: %v", i+1, tc.limit, err)
				}
			}
			err := svc.Send(t.Context(), c.ID, tc.event(tc.limit))
			var perr *protocol.Error
			if !errors.As(err, &perr) || perr.Code != protocol.CodeRateLimited || !strings.Contains(perr.Message, tc.words) {
				t.Errorf("event past the burst: %v, want %s refused for %s", err, protocol.CodeRateLimited, tc.words)
			}
		})
	}
}

// TestPublishNumbersFormRequests: the Android SDK declares form_request_id
// a 32-bit integer and fails the whole poll on anything else, so a form
// request leaves with one, and with a channel.
func TestPublishNumbersFormRequests(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		id   protocol.ID
		keep bool // whether the id is kept as it is
	}{
		{"none", protocol.ID{}, false},
		{"a number", protocol.NumberID(17), true},
		{"digits in a string become the number", protocol.TextID("18"), false},
		{"text", protocol.TextID("agent-1700000000000"), false},
		{"a number past 32 bits", protocol.NumberID(1 << 40), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			svc, c := newService(t)
			fs := &protocol.FormShow{FormRequestID: tc.id, FormName: "survey"}
			if err := svc.Publish(t.Context(), c.ID, fs); err != nil {
				t.Fatal(err)
			}
			events, err := svc.History(t.Context(), c.ID, 0, 10)
			if err != nil || len(events) != 1 {
				t.Fatalf("History = %v, %v", events, err)
			}
			got := events[0].(*protocol.FormShow)
			n, err := strconv.ParseUint(got.FormRequestID.String(), 10, 31)
			if !got.FormRequestID.IsNumber() || err != nil || n == 0 {
				t.Errorf("form_request_id = %v (number %v), want a 32-bit number", got.FormRequestID, got.FormRequestID.IsNumber())
			}
			if tc.keep && got.FormRequestID != tc.id {
				t.Errorf("form_request_id = %v, want %v kept", got.FormRequestID, tc.id)
			}
			if tc.id == protocol.TextID("18") && got.FormRequestID != protocol.NumberID(18) {
				t.Errorf("form_request_id = %v, want the number 18", got.FormRequestID)
			}
			if got.Channel != protocol.ChannelChat {
				t.Errorf("channel = %q, want %q", got.Channel, protocol.ChannelChat)
			}
		})
	}
}

func TestWhatHappensAfterSubscribingKeepsItsOrder(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	svc, c := newService(t)
	if err := svc.Send(ctx, c.ID, message(1)); err != nil {
		t.Fatal(err)
	}
	sub := mustSubscribe(ctx, t, svc, c.ID, protocol.Position{}, "agent")
	// All of it happens before the subscriber reads anything.
	if err := svc.Send(ctx, c.ID, &protocol.Typing{}, message(2), &protocol.NotTyping{}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, env := range drain(ctx, t, sub, 4) {
		for _, e := range env.Events {
			got = append(got, fmt.Sprint(e.EventType(), " ", e.EventMeta().Seq))
		}
	}
	want := []string{protocol.TypeMessage + " 1", protocol.TypeTyping + " 0", protocol.TypeMessage + " 2", protocol.TypeNotTyping + " 0"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("delivered %v, want %v", got, want)
	}
}

func TestAdmitTakesWithoutStoringAndRecordStoresOnce(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	svc, c := newService(t)
	msg := message(1)
	if err := svc.Admit(ctx, c.ID, noForms, msg); err != nil {
		t.Fatal(err)
	}
	if msg.PartyID != c.ID || msg.Timestamp.IsZero() {
		t.Errorf("admitted message meta = %+v, want the chat's party and a time", msg.Meta)
	}
	if history, err := svc.History(ctx, c.ID, 0, 10); err != nil || len(history) != 0 {
		t.Errorf("history after Admit = %v, %v; want nothing stored", history, err)
	}
	for range 3 {
		if err := svc.Record(ctx, c.ID, "outbox:1", msg); err != nil {
			t.Fatal(err)
		}
	}
	history, err := svc.History(ctx, c.ID, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(history) != 1 || history[0].EventMeta().PartyID != c.ID {
		t.Errorf("history after three Records = %v, want the visitor's message once", history)
	}
	if err := svc.Record(ctx, c.ID, "", msg); err == nil {
		t.Error("Record without a key succeeded, want a refusal")
	}
}

func TestAdmitRefusesAsSendDoes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		setup func(ctx context.Context, svc *chat.Service, c chat.Chat)
		event protocol.Event
		want  protocol.Code
	}{
		{"an invalid event", nil, &protocol.Message{MsgID: protocol.TextID("m1")}, protocol.CodeBadRequest},
		{"a file of no upload", nil, &protocol.File{FileID: "nope"}, protocol.CodeFileNotFound},
		{"over the visitor's rate", func(ctx context.Context, svc *chat.Service, c chat.Chat) {
			svc.VisitorBurst, svc.VisitorRate = 1, 0.001
			_ = svc.Admit(ctx, c.ID, noForms, message(1))
		}, message(2), protocol.CodeRateLimited},
		{"a chat that is over", func(ctx context.Context, svc *chat.Service, c chat.Chat) {
			_ = svc.Send(ctx, c.ID, &protocol.End{})
		}, message(1), protocol.CodeChatNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t)
			svc, c := newService(t)
			if tc.setup != nil {
				tc.setup(ctx, svc, c)
			}
			err := svc.Admit(ctx, c.ID, noForms, tc.event)
			var perr *protocol.Error
			if !errors.As(err, &perr) || perr.Code != tc.want {
				t.Errorf("Admit = %v, want error %s", err, tc.want)
			}
		})
	}
}

// TestARefusalForTheRateSaysWhen: a refusal for the rate says by when the
// budget takes what was refused: what many events need of an empty bucket.
func TestARefusalForTheRateSaysWhen(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		events []protocol.Event
		want   time.Duration
	}{
		{"one message", []protocol.Event{message(2)}, 250 * time.Millisecond},
		{"two messages", []protocol.Event{message(2), message(3)}, 500 * time.Millisecond},
		{"two typing events", []protocol.Event{&protocol.Typing{}, &protocol.Typing{}}, 2 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t)
			svc, c := newService(t)
			svc.VisitorRate, svc.VisitorBurst = 4, 1
			svc.Typing = chat.Limit{Rate: 1, Burst: 1}
			if err := svc.Send(ctx, c.ID, message(1), &protocol.Typing{}); err != nil {
				t.Fatal(err)
			}
			err := svc.Send(ctx, c.ID, tc.events...)
			var rl *chat.RateLimitedError
			var perr *protocol.Error
			if !errors.As(err, &rl) || !errors.As(err, &perr) || perr.Code != protocol.CodeRateLimited {
				t.Fatalf("Send = %v, want a *RateLimitedError of code %s", err, protocol.CodeRateLimited)
			}
			if rl.RetryAfter != tc.want {
				t.Errorf("RetryAfter = %v, want %v", rl.RetryAfter, tc.want)
			}
		})
	}
}

// noForms is the forms of a contact center that defines none.
func noForms(context.Context) []protocol.WidgetForm { return nil }

// TestAdmitChecksFormAnswersAgainstTheFormsGiven: a bridge's visitor answers
// the other contact center's forms, which this one does not define; Admit
// checks the answer against the forms the bridge gives it.
func TestAdmitChecksFormAnswersAgainstTheFormsGiven(t *testing.T) {
	t.Parallel()
	theirs := func(context.Context) []protocol.WidgetForm {
		return []protocol.WidgetForm{{Name: "theirs", Fields: []protocol.WidgetField{
			{FormFieldType: "name", Name: "first_name", Label: "Name", Required: true},
		}}}
	}
	cases := []struct {
		name   string
		fields map[string]string
		forms  func(context.Context) []protocol.WidgetForm
		want   protocol.Code // "": admitted
	}{
		{"a good answer", map[string]string{"first_name": "Ada"}, theirs, ""},
		{"a required field missing", map[string]string{}, theirs, protocol.CodeBadRequest},
		{"a form the forms given do not define", map[string]string{"first_name": "Ada"}, noForms, protocol.CodeBadRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t)
			svc, c := newService(t)
			svc.Forms = nil
			if err := svc.Publish(ctx, c.ID, &protocol.FormShow{FormRequestID: protocol.NumberID(7), FormName: "theirs"}); err != nil {
				t.Fatal(err)
			}
			err := svc.Admit(ctx, c.ID, tc.forms, &protocol.FormData{FormRequestID: protocol.NumberID(7), FormName: "theirs", Data: protocol.FormValues{Fields: tc.fields}})
			var perr *protocol.Error
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("Admit = %v, want the answer admitted", err)
			case tc.want != "" && (!errors.As(err, &perr) || perr.Code != tc.want):
				t.Errorf("Admit = %v, want error %s", err, tc.want)
			}
		})
	}
}

func TestRemoteFilesArePublishedWithoutACopy(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	svc, c := newService(t)
	agentFile := &protocol.File{FileID: "upstream-file", FileName: "a.pdf", FileType: protocol.FileAttachment, Meta: protocol.Meta{PartyID: "agent"}}
	if err := svc.Publish(ctx, c.ID, agentFile); err == nil {
		t.Fatal("a file event naming no upload was published without RemoteFiles")
	}
	svc.RemoteFiles = func(chatID, fileID string) bool { return chatID == c.ID && fileID == "upstream-file" }
	if err := svc.Publish(ctx, c.ID, agentFile); err != nil {
		t.Fatalf("Publish of a remote file: %v", err)
	}
	other := &protocol.File{FileID: "another", Meta: protocol.Meta{PartyID: "agent"}}
	if err := svc.Publish(ctx, c.ID, other); err == nil {
		t.Error("a file that is neither here nor remote was published")
	}
}
