package widget

import (
	"regexp"
	"time"

	"github.com/parleychat/parley/protocol"
)

// Sender says who a transcript line comes from.
type Sender string

// Senders of transcript lines.
const (
	FromVisitor  Sender = "visitor"
	FromAgent    Sender = "agent"
	FromScenario Sender = "scenario"
	FromSystem   Sender = "system"
)

// Delivery is how far a visitor's message got.
type Delivery string

// Deliveries of a visitor's message.
const (
	// Pending: queued or written, not yet confirmed stored by the server.
	Pending Delivery = "pending"
	// Sent: the server stored it.
	Sent Delivery = "sent"
	// Failed: the server refused it for good.
	Failed Delivery = "failed"
)

// Notice is a system line's meaning; the view words it in the visitor's
// language.
type Notice string

// Notices a transcript shows.
const (
	NoticeJoined         Notice = "joined"
	NoticeLeft           Notice = "left"
	NoticeEnded          Notice = "ended"
	NoticeTimeoutWarning Notice = "timeout_warning"
	NoticeInactivity     Notice = "inactivity"
)

// Line is one entry of the transcript.
type Line struct {
	From   Sender
	Author string
	// Text came from the network or the visitor: it is shown as text,
	// never as HTML.
	Text   string
	Notice Notice
	Time   time.Time
	MsgID  protocol.ID
	// Seq is the line's event in the chat's stream; 0 until stored.
	Seq    uint64
	Status Delivery
}

// Transcript is what the visitor sees of a chat, built from the events of
// its stream and the messages the visitor sent that the stream has not
// confirmed yet. The Session hands it each stored event once; the one thing
// it matches itself is a visitor's message with its echo from the stream.
type Transcript struct {
	ChatID string
	Lines  []Line
	State  protocol.ChatState
	EWT    protocol.Seconds
	// Agent is the name of the agent in the chat, "" when none is.
	Agent string
	// Typing is the name of the party typing, "" when nobody is.
	Typing  string
	agentID string
	typist  string
	parties map[string]*protocol.PartyJoined
	// pending indexes the lines of messages not yet confirmed, by msg_id.
	pending map[protocol.ID]int
}

// Reset forgets every line, for a stream that starts over.
func (t *Transcript) Reset() {
	*t = Transcript{ChatID: t.ChatID}
}

// AddPending shows a message the visitor just sent.
func (t *Transcript) AddPending(id protocol.ID, text string, now time.Time) {
	if t.pending == nil {
		t.pending = map[protocol.ID]int{}
	}
	t.pending[id] = len(t.Lines)
	t.Lines = append(t.Lines, Line{From: FromVisitor, Text: text, Time: now, MsgID: id, Status: Pending})
}

// Refuse marks a message the server refused.
func (t *Transcript) Refuse(e protocol.Event) {
	msg, ok := e.(*protocol.Message)
	if !ok {
		return
	}
	if i, ok := t.pending[msg.MsgID]; ok {
		delete(t.pending, msg.MsgID)
		t.Lines[i].Status = Failed
	}
}

// Apply adds an event of the chat's stream.
func (t *Transcript) Apply(e protocol.Event) {
	meta := e.EventMeta()
	switch e := e.(type) {
	case *protocol.Message:
		t.message(e)
	case *protocol.PartyJoined:
		if t.parties == nil {
			t.parties = map[string]*protocol.PartyJoined{}
		}
		t.parties[e.PartyID] = e
		if e.Type == protocol.PartyInternal || e.Type == protocol.PartyMSTeams {
			t.agentID, t.Agent = e.PartyID, e.Name()
		}
		t.system(NoticeJoined, t.name(e.PartyID), meta)
	case *protocol.PartyLeft:
		t.stopTyping(e.PartyID)
		if e.PartyID == t.agentID {
			t.agentID, t.Agent = "", ""
		}
		t.system(NoticeLeft, t.name(e.PartyID), meta)
	case *protocol.Typing:
		if e.PartyID != t.ChatID {
			t.typist, t.Typing = e.PartyID, t.name(e.PartyID)
		}
	case *protocol.NotTyping:
		t.stopTyping(e.PartyID)
	case *protocol.Status:
		t.State, t.EWT = e.State, e.EWT
	case *protocol.Ended:
		t.State = protocol.StateCompleted
		t.system(NoticeEnded, "", meta)
	case *protocol.End:
		t.State = protocol.StateCompleted
		t.system(NoticeEnded, "", meta)
	case *protocol.TimeoutWarning:
		t.Lines = append(t.Lines, Line{From: FromSystem, Notice: NoticeTimeoutWarning, Text: e.Msg, Time: meta.Timestamp.Time, Seq: meta.Seq})
	case *protocol.InactivityTimeout:
		t.State = protocol.StateCompleted
		t.Lines = append(t.Lines, Line{From: FromSystem, Notice: NoticeInactivity, Text: e.Msg, Time: meta.Timestamp.Time, Seq: meta.Seq})
	}
}

func (t *Transcript) message(m *protocol.Message) {
	if m.PartyID == t.ChatID {
		if i, ok := t.pending[m.MsgID]; ok {
			delete(t.pending, m.MsgID)
			t.Lines[i].Status, t.Lines[i].Seq, t.Lines[i].Time = Sent, m.Seq, m.Timestamp.Time
			return
		}
		t.Lines = append(t.Lines, Line{From: FromVisitor, Text: m.Text(), Time: m.Timestamp.Time, MsgID: m.MsgID, Seq: m.Seq, Status: Sent})
		return
	}
	t.stopTyping(m.PartyID)
	from := FromAgent
	if p := t.parties[m.PartyID]; p != nil && p.Type == protocol.PartyScenario {
		from = FromScenario
	}
	text := m.MsgText
	if text == "" {
		text = lineBreaks.ReplaceAllString(m.Msg, "\n")
	}
	t.Lines = append(t.Lines, Line{From: from, Author: t.name(m.PartyID), Text: text, Time: m.Timestamp.Time, MsgID: m.MsgID, Seq: m.Seq})
}

// lineBreaks are the only markup servers put in msg without a msg_text; any
// other tag stays visible as text.
var lineBreaks = regexp.MustCompile(`(?i)<br\s*/?>`)

func (t *Transcript) system(n Notice, who string, meta *protocol.Meta) {
	t.Lines = append(t.Lines, Line{From: FromSystem, Notice: n, Author: who, Time: meta.Timestamp.Time, Seq: meta.Seq})
}

func (t *Transcript) stopTyping(party string) {
	if party == t.typist {
		t.typist, t.Typing = "", ""
	}
}

func (t *Transcript) name(party string) string {
	if p := t.parties[party]; p != nil {
		return p.Name()
	}
	return ""
}
