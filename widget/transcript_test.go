package widget

import (
	"reflect"
	"testing"
	"time"

	"github.com/parleychat/parley/protocol"
)

const chatID = "c1"

var at = protocol.Timestamp{Time: time.Unix(1700000000, 0)}

func stamped(party string, seq uint64) protocol.Meta {
	return protocol.Meta{PartyID: party, Timestamp: at, Seq: seq}
}

// summary is a line reduced to what a test checks.
type summary struct {
	From   Sender
	Author string
	Text   string
	Notice Notice
	Status Delivery
}

func summarize(lines []Line) []summary {
	out := make([]summary, 0, len(lines))
	for _, l := range lines {
		out = append(out, summary{l.From, l.Author, l.Text, l.Notice, l.Status})
	}
	return out
}

func TestTranscriptShowsEachEventOnce(t *testing.T) {
	t.Parallel()
	grace := &protocol.PartyJoined{FirstName: "Grace", LastName: "Hopper", Type: protocol.PartyInternal, Meta: stamped("a7", 2)}
	bot := &protocol.PartyJoined{DisplayName: "Helper", Type: protocol.PartyScenario, Meta: stamped("s1", 1)}
	cases := []struct {
		name    string
		pending []string
		events  []protocol.Event
		refused []protocol.ID
		want    []summary
		agent   string
		typing  string
		state   protocol.ChatState
	}{
		{
			name:    "a visitor message and its echo are one line",
			pending: []string{"hi"},
			events:  []protocol.Event{&protocol.Message{MsgID: protocol.TextID("c1:1"), Msg: "hi", Meta: stamped(chatID, 1)}},
			want:    []summary{{From: FromVisitor, Text: "hi", Status: Sent}},
		},
		{
			name:    "a refused message fails and settles; one not yet echoed stays pending below it",
			pending: []string{"one", "two"},
			refused: []protocol.ID{protocol.TextID("c1:2")},
			want:    []summary{{From: FromVisitor, Text: "two", Status: Failed}, {From: FromVisitor, Text: "one", Status: Pending}},
		},
		{
			name:    "a message written before the history replays moves after it",
			pending: []string{"three"},
			events: []protocol.Event{
				&protocol.Message{MsgID: protocol.TextID("c1:2"), Msg: "one", Meta: stamped(chatID, 1)},
				&protocol.Message{MsgID: protocol.TextID("a"), Msg: "two", Meta: stamped("a7", 2)},
				&protocol.Message{MsgID: protocol.TextID("c1:1"), Msg: "three", Meta: stamped(chatID, 3)},
			},
			want: []summary{
				{From: FromVisitor, Text: "one", Status: Sent},
				{From: FromAgent, Text: "two"},
				{From: FromVisitor, Text: "three", Status: Sent},
			},
		},
		{
			name:    "an agent's message stored first goes first; the next pending line stays last",
			pending: []string{"mine", "later"},
			events: []protocol.Event{
				&protocol.Message{MsgID: protocol.TextID("a"), Msg: "theirs", Meta: stamped("a7", 1)},
				&protocol.Message{MsgID: protocol.TextID("c1:1"), Msg: "mine", Meta: stamped(chatID, 2)},
				&protocol.MessageRead{RefMsgID: protocol.TextID("c1:1"), Meta: stamped("a7", 3)},
			},
			want: []summary{
				{From: FromAgent, Text: "theirs"},
				{From: FromVisitor, Text: "mine", Status: Read},
				{From: FromVisitor, Text: "later", Status: Pending},
			},
		},
		{
			name:   "replayed visitor messages show as sent",
			events: []protocol.Event{&protocol.Message{MsgID: protocol.TextID("c1:1"), Msg: "from before", Meta: stamped(chatID, 1)}},
			want:   []summary{{From: FromVisitor, Text: "from before", Status: Sent}},
		},
		{
			name: "agents and bots by name, with joins and leaves",
			events: []protocol.Event{
				bot, grace,
				&protocol.Message{MsgID: protocol.TextID("a"), Msg: "Hello", Meta: stamped("s1", 3)},
				&protocol.Message{MsgID: protocol.TextID("b"), Msg: "I'm Grace", Meta: stamped("a7", 4)},
				&protocol.PartyLeft{Meta: stamped("s1", 5)},
			},
			want: []summary{
				{From: FromSystem, Author: "Helper", Notice: NoticeJoined},
				{From: FromSystem, Author: "Grace Hopper", Notice: NoticeJoined},
				{From: FromScenario, Author: "Helper", Text: "Hello"},
				{From: FromAgent, Author: "Grace Hopper", Text: "I'm Grace"},
				{From: FromSystem, Author: "Helper", Notice: NoticeLeft},
			},
			agent: "Grace Hopper",
		},
		{
			name:   "markup stays text, line breaks become new lines",
			events: []protocol.Event{&protocol.Message{MsgID: protocol.TextID("a"), Msg: "<b>one</b><br/>two<BR>three", Meta: stamped("a7", 1)}},
			want:   []summary{{From: FromAgent, Text: "<b>one</b>\ntwo\nthree"}},
		},
		{
			name:   "msg_text wins over msg",
			events: []protocol.Event{&protocol.Message{MsgID: protocol.TextID("a"), Msg: "a<br>b", MsgText: "a\nb", Meta: stamped("a7", 1)}},
			want:   []summary{{From: FromAgent, Text: "a\nb"}},
		},
		{
			name:   "typing shows until the agent stops or writes",
			events: []protocol.Event{grace, &protocol.Typing{Meta: stamped("a7", 0)}},
			want:   []summary{{From: FromSystem, Author: "Grace Hopper", Notice: NoticeJoined}},
			agent:  "Grace Hopper",
			typing: "Grace Hopper",
		},
		{
			name:   "a message ends typing",
			events: []protocol.Event{grace, &protocol.Typing{Meta: stamped("a7", 0)}, &protocol.Message{MsgID: protocol.TextID("m"), Msg: "done", Meta: stamped("a7", 3)}},
			want:   []summary{{From: FromSystem, Author: "Grace Hopper", Notice: NoticeJoined}, {From: FromAgent, Author: "Grace Hopper", Text: "done"}},
			agent:  "Grace Hopper",
		},
		{
			name:   "the visitor's own typing is not shown",
			events: []protocol.Event{&protocol.Typing{Meta: stamped(chatID, 0)}},
			want:   []summary{},
		},
		{
			name:   "the agent leaving",
			events: []protocol.Event{grace, &protocol.PartyLeft{Meta: stamped("a7", 3)}},
			want:   []summary{{From: FromSystem, Author: "Grace Hopper", Notice: NoticeJoined}, {From: FromSystem, Author: "Grace Hopper", Notice: NoticeLeft}},
		},
		{
			name:   "status and the end",
			events: []protocol.Event{&protocol.Status{State: protocol.StateQueued, EWT: 90, Meta: stamped("", 1)}, &protocol.Ended{Meta: stamped("", 2)}},
			want:   []summary{{From: FromSystem, Notice: NoticeEnded}},
			state:  protocol.StateCompleted,
		},
		{
			name: "timeouts keep the server's words",
			events: []protocol.Event{
				&protocol.TimeoutWarning{Msg: "Still there?", Meta: stamped("", 1)},
				&protocol.InactivityTimeout{Meta: stamped("", 2)},
			},
			want:  []summary{{From: FromSystem, Text: "Still there?", Notice: NoticeTimeoutWarning}, {From: FromSystem, Notice: NoticeInactivity}},
			state: protocol.StateCompleted,
		},
		{
			name:   "events the window does not show are skipped",
			events: []protocol.Event{&protocol.Unknown{Name: "chat_session_cobrowsing_started"}, &protocol.CaseSet{CaseID: "1"}},
			want:   []summary{},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tr := Transcript{ChatID: chatID}
			for i, text := range tc.pending {
				tr.AddPending(protocol.MessageID(chatID, i+1), text, at.Time)
			}
			for _, e := range tc.events {
				tr.Apply(e)
			}
			for _, id := range tc.refused {
				tr.Refuse(&protocol.Message{MsgID: id})
			}
			if got := summarize(tr.Lines); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("lines\n got %+v\nwant %+v", got, tc.want)
			}
			if tr.Agent != tc.agent || tr.Typing != tc.typing || tr.State != tc.state {
				t.Errorf("agent %q typing %q state %q, want %q %q %q", tr.Agent, tr.Typing, tr.State, tc.agent, tc.typing, tc.state)
			}
		})
	}
}

func TestTranscriptResetForgetsEverything(t *testing.T) {
	t.Parallel()
	tr := Transcript{ChatID: chatID}
	tr.AddPending(protocol.TextID("c1:1"), "hi", at.Time)
	tr.Apply(&protocol.PartyJoined{FirstName: "Grace", Type: protocol.PartyInternal, Meta: stamped("a7", 1)})
	tr.Reset()
	if len(tr.Lines) != 0 || tr.Agent != "" || tr.ChatID != chatID {
		t.Errorf("after Reset: %+v", tr)
	}
	tr.Apply(&protocol.Message{MsgID: protocol.TextID("c1:1"), Msg: "hi", Meta: stamped(chatID, 1)})
	if got := summarize(tr.Lines); len(got) != 1 || got[0].Status != Sent {
		t.Errorf("after Reset and a replay: %+v", got)
	}
}

func TestLastUnreadStandsForEveryMessageBefore(t *testing.T) {
	t.Parallel()
	agent := func(id protocol.ID, seq uint64) protocol.Event {
		return &protocol.Message{MsgID: id, Msg: id.String(), Meta: stamped("a7", seq)}
	}
	read := func(id protocol.ID, seq uint64) protocol.Event {
		return &protocol.MessageRead{RefMsgID: id, Meta: stamped(chatID, seq)}
	}
	cases := []struct {
		name   string
		events []protocol.Event
		marked []protocol.ID
		want   protocol.ID
	}{
		{name: "nothing yet", want: protocol.ID{}},
		{name: "the latest of the agent's messages", events: []protocol.Event{agent(protocol.TextID("a"), 1), agent(protocol.TextID("b"), 2)}, want: protocol.TextID("b")},
		{name: "a receipt for the latest, replayed", events: []protocol.Event{agent(protocol.TextID("a"), 1), agent(protocol.TextID("b"), 2), read(protocol.TextID("b"), 3)}, want: protocol.ID{}},
		{name: "a receipt for an earlier one", events: []protocol.Event{agent(protocol.TextID("a"), 1), agent(protocol.TextID("b"), 2), read(protocol.TextID("a"), 3)}, want: protocol.TextID("b")},
		{name: "a message after the receipt", events: []protocol.Event{agent(protocol.TextID("a"), 1), read(protocol.TextID("a"), 2), agent(protocol.TextID("c"), 3)}, want: protocol.TextID("c")},
		{name: "marked read by this page", events: []protocol.Event{agent(protocol.TextID("a"), 1), agent(protocol.TextID("b"), 2)}, marked: []protocol.ID{protocol.TextID("b")}, want: protocol.ID{}},
		{
			name: "the visitor's own lines and notices do not count",
			events: []protocol.Event{
				agent(protocol.TextID("a"), 1),
				&protocol.Message{MsgID: protocol.TextID("c1:1"), Msg: "mine", Meta: stamped(chatID, 2)},
				&protocol.PartyLeft{Meta: stamped("a7", 3)},
			},
			want: protocol.TextID("a"),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tr := Transcript{ChatID: chatID}
			for _, e := range tc.events {
				tr.Apply(e)
			}
			for _, id := range tc.marked {
				tr.MarkRead(id)
			}
			if got := tr.LastUnread(); got != tc.want {
				t.Errorf("LastUnread() = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestTranscriptCountsUnread counts the contact center's messages and files
// after the last one the visitor read, whichever page sent the receipt.
func TestTranscriptCountsUnread(t *testing.T) {
	t.Parallel()
	agentSays := func(id string, seq uint64) protocol.Event {
		return &protocol.Message{MsgID: protocol.TextID(id), Msg: id, Meta: stamped("a7", seq)}
	}
	cases := []struct {
		name   string
		events []protocol.Event
		want   int
	}{
		{"nothing", nil, 0},
		{"two messages, none read", []protocol.Event{agentSays("m1", 1), agentSays("m2", 2)}, 2},
		{"read up to the first, on another page", []protocol.Event{agentSays("m1", 1), agentSays("m2", 2),
			&protocol.MessageRead{RefMsgID: protocol.TextID("m1"), Meta: stamped(chatID, 3)}}, 1},
		{"a file counts, a form and the visitor's own do not", []protocol.Event{
			&protocol.MessageRead{RefMsgID: protocol.TextID("m0"), Meta: stamped(chatID, 1)},
			&protocol.File{MsgID: protocol.TextID("f1"), FileID: "x", Meta: stamped("a7", 2)},
			&protocol.FormShow{FormRequestID: protocol.TextID("r1"), FormName: "pre_chat", Meta: stamped("", 3)},
			&protocol.Message{MsgID: protocol.TextID("v:1"), Msg: "mine", Meta: stamped(chatID, 4)},
		}, 1},
		{"all read", []protocol.Event{agentSays("m1", 1), agentSays("m2", 2), &protocol.MessageRead{RefMsgID: protocol.TextID("m2"), Meta: stamped(chatID, 3)}}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tr := Transcript{ChatID: chatID}
			for _, e := range tc.events {
				tr.Apply(e)
			}
			if got := tr.Unread(); got != tc.want {
				t.Errorf("Unread() = %d, want %d", got, tc.want)
			}
		})
	}
}

// TestTranscriptTypingGoesByItself: a typing line nobody renews goes after
// TypingShown by the server's clock, and a broken connection forgets it.
func TestTranscriptTypingGoesByItself(t *testing.T) {
	t.Parallel()
	tr := Transcript{ChatID: chatID}
	tr.Apply(&protocol.PartyJoined{FirstName: "Grace", Type: protocol.PartyInternal, Meta: stamped("a7", 1)})
	tr.Apply(&protocol.Typing{Meta: stamped("a7", 0)})
	if tr.Typing != "Grace" || tr.TypingOver(at.Add(TypingShown-time.Second)) {
		t.Fatalf("typing %q went before its time", tr.Typing)
	}
	if !tr.TypingOver(at.Add(TypingShown)) || tr.Typing != "" {
		t.Errorf("typing %q stayed after %v without news", tr.Typing, TypingShown)
	}
	tr.Apply(&protocol.Typing{Meta: stamped("a7", 0)})
	tr.ForgetTyping()
	if tr.Typing != "" {
		t.Errorf("typing %q stayed after the connection broke", tr.Typing)
	}
}

// TestTranscriptRefusesFormAnswers: a form's answer that was never stored
// shows as not sent.
func TestTranscriptRefusesFormAnswers(t *testing.T) {
	t.Parallel()
	tr := Transcript{ChatID: chatID}
	tr.Apply(&protocol.FormShow{FormRequestID: protocol.TextID("r1"), FormName: "pre_chat", Meta: stamped("", 1)})
	tr.Forms[protocol.TextID("r1")].Answered = true
	tr.Refuse(&protocol.FormData{FormRequestID: protocol.TextID("r1")})
	if f := tr.Forms[protocol.TextID("r1")]; f.Answered || !f.NotSent {
		t.Errorf("the refused answer's form is %+v", f)
	}
}
