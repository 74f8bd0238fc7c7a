package widget

import (
	"regexp"
	"slices"
	"time"

	"github.com/parleychat/parley/protocol"
)

// Transcript is what the visitor sees of a chat, built from the events of
// its stream and what the visitor sent that the stream has not confirmed
// yet. The Session hands it each stored event once; what it matches itself
// is a visitor's message with its echo from the stream, and receipts with
// the messages they are for.
//
// Lines holds the settled lines first, in the stream's order (a refused
// message settles where it was refused), then the visitor's lines on their
// way, in the order written. A message restored on a new page, or written
// while an agent's was being stored, thus never shows above what the
// stream put before it.
type Transcript struct {
	ChatID string
	Lines  []Line
	// settled counts the settled lines at the front of Lines.
	settled int
	State   protocol.ChatState
	EWT     protocol.Seconds
	// EWTAt is when the estimated wait was given, to count it down.
	EWTAt time.Time
	// Agent is the name of the agent in the chat, and AgentID its party;
	// "" when none is.
	Agent   string
	AgentID string
	// Typing is the name of the party typing, "" when nobody is, and
	// TypingAt when the server said so.
	Typing   string
	TypingAt time.Time
	// Left says the visitor disconnected: the conversation is over, the
	// session lasts for what the scenario still has to ask.
	Left bool
	// Forms are the forms asked for, by request id.
	Forms   map[protocol.ID]*FormRequest
	typist  string
	parties map[string]*protocol.PartyJoined
	// own indexes the visitor's message and file lines by msg_id.
	own map[protocol.ID]int
	// readByVisitor holds the msg_ids of contact-center messages the
	// visitor already sent a read receipt for.
	readByVisitor map[protocol.ID]bool
}

// Reset forgets every line, for a stream that starts over.
func (t *Transcript) Reset() {
	*t = Transcript{ChatID: t.ChatID}
}

// AddPending shows a message the visitor just sent.
func (t *Transcript) AddPending(id protocol.ID, text string, now time.Time) {
	t.addPending(Line{From: FromVisitor, PartyID: t.ChatID, Text: text, Time: now, MsgID: id, Status: Pending})
}

// AddPendingEvent shows something the visitor sent on an earlier page that
// the server has not confirmed.
func (t *Transcript) AddPendingEvent(e protocol.Event, now time.Time) {
	switch e := e.(type) {
	case *protocol.Message:
		t.AddPending(e.MsgID, e.Msg, now)
	case *protocol.File:
		t.addPending(Line{From: FromVisitor, PartyID: t.ChatID, Time: now, MsgID: e.MsgID, Status: Pending, File: e})
	}
}

func (t *Transcript) addPending(l Line) {
	if _, ok := t.own[l.MsgID]; ok {
		return
	}
	t.Lines = append(t.Lines, l)
	t.index(len(t.Lines) - 1)
}

// settle adds a line of the stream, after the settled ones.
func (t *Transcript) settle(l Line) {
	t.Lines = slices.Insert(t.Lines, t.settled, l)
	t.settled++
	for i := t.settled - 1; i < len(t.Lines); i++ {
		t.index(i)
	}
}

// moveToSettled moves the line at i, one on its way, to the end of the
// settled ones.
func (t *Transcript) moveToSettled(i int) {
	l := t.Lines[i]
	copy(t.Lines[t.settled+1:i+1], t.Lines[t.settled:i])
	t.Lines[t.settled] = l
	t.settled++
	for j := t.settled - 1; j <= i; j++ {
		t.index(j)
	}
}

// index notes where the visitor's line at i is.
func (t *Transcript) index(i int) {
	l := t.Lines[i]
	if l.From != FromVisitor || l.MsgID.IsZero() {
		return
	}
	if t.own == nil {
		t.own = map[protocol.ID]int{}
	}
	t.own[l.MsgID] = i
}

// Refuse marks what the visitor sent that the server never stored, because
// it refused it or the chat ended first: a message or a file shows as not
// sent, its text kept; a form's answer too.
func (t *Transcript) Refuse(e protocol.Event) {
	var id protocol.ID
	switch e := e.(type) {
	case *protocol.Message:
		id = e.MsgID
	case *protocol.File:
		id = e.MsgID
	case *protocol.FormData:
		t.notSent(e.FormRequestID)
		return
	case *protocol.SecureFormData:
		t.notSent(e.FormRequestID)
		return
	default:
		return
	}
	if i, ok := t.own[id]; ok && t.Lines[i].Status == Pending {
		t.Lines[i].Status = Failed
		t.moveToSettled(i)
	}
}

func (t *Transcript) notSent(request protocol.ID) {
	if f, ok := t.Forms[request]; ok {
		f.Answered, f.NotSent = false, true
	}
}

// TypingShown is how long an agent's typing shows without news: a
// not_typing can be lost (a network cut, a console closed mid-word), and
// an agent who goes on typing says so again.
const TypingShown = 15 * time.Second

// TypingOver stops showing a typing party the server has said nothing of
// for TypingShown, by the server's time now, and reports whether it did.
func (t *Transcript) TypingOver(now time.Time) bool {
	if t.Typing == "" || now.Sub(t.TypingAt) < TypingShown {
		return false
	}
	t.typist, t.Typing = "", ""
	return true
}

// ForgetTyping stops showing a typing party, for a connection that broke:
// the stream never replays typing, so a not_typing sent meanwhile is lost.
func (t *Transcript) ForgetTyping() {
	t.typist, t.Typing = "", ""
}

// Apply adds an event of the chat's stream. When that adds a line the
// window did not show before, it returns the line.
func (t *Transcript) Apply(e protocol.Event) (line Line, added bool) {
	meta := e.EventMeta()
	visitor := meta.PartyID == t.ChatID
	lines := len(t.Lines)
	switch e := e.(type) {
	case *protocol.Message:
		added = t.message(e)
	case *protocol.File:
		added = t.file(e)
	case *protocol.PartyJoined:
		if t.parties == nil {
			t.parties = map[string]*protocol.PartyJoined{}
		}
		t.parties[e.PartyID] = e
		if e.Type == protocol.PartyInternal || e.Type == protocol.PartyMSTeams {
			t.AgentID, t.Agent = e.PartyID, e.Name()
		}
		t.system(NoticeJoined, t.name(e.PartyID), meta)
	case *protocol.PartyLeft:
		t.stopTyping(e.PartyID)
		if e.PartyID == t.AgentID {
			t.AgentID, t.Agent = "", ""
		}
		t.system(NoticeLeft, t.name(e.PartyID), meta)
	case *protocol.Typing:
		if !visitor {
			t.typist, t.Typing, t.TypingAt = e.PartyID, t.name(e.PartyID), meta.Timestamp.Time
		}
	case *protocol.NotTyping:
		t.stopTyping(e.PartyID)
	case *protocol.Status:
		t.State, t.EWT, t.EWTAt = e.State, e.EWT, meta.Timestamp.Time
	case *protocol.Ended, *protocol.End:
		t.system(NoticeEnded, "", meta)
	case *protocol.Disconnect:
		t.Left = true
		t.system(NoticeDisconnected, "", meta)
	case *protocol.TimeoutWarning:
		t.settle(Line{From: FromSystem, Notice: NoticeTimeoutWarning, Text: e.Msg, Time: meta.Timestamp.Time, Seq: meta.Seq})
	case *protocol.InactivityTimeout:
		t.settle(Line{From: FromSystem, Notice: NoticeInactivity, Text: e.Msg, Time: meta.Timestamp.Time, Seq: meta.Seq})
	case *protocol.FormShow:
		t.form(&FormRequest{RequestID: e.FormRequestID, Name: e.FormName, Expires: expiry(meta.Timestamp.Time, e.FormTimeout.Duration())}, meta)
	case *protocol.SecureFormShow:
		t.form(&FormRequest{RequestID: e.FormRequestID, Name: e.FormName, ID: e.FormID, Secure: true}, meta)
	case *protocol.FormData:
		t.Answered(e.FormRequestID)
	case *protocol.SecureFormData:
		t.Answered(e.FormRequestID)
	case *protocol.SecureFormCancel:
		t.Answered(e.FormRequestID)
	case *protocol.MessageDelivered:
		t.receipt(e.RefMsgID, Delivered, visitor)
	case *protocol.MessageRead:
		t.receipt(e.RefMsgID, Read, visitor)
	}
	if protocol.EndsChat(e) && !t.State.Over() {
		t.State = protocol.StateCompleted
	}
	if !added && len(t.Lines) == lines {
		return Line{}, false // a receipt, a status, or a pending line confirmed
	}
	return t.Lines[t.settled-1], true
}

func expiry(shown time.Time, timeout time.Duration) time.Time {
	if timeout <= 0 || shown.IsZero() {
		return time.Time{}
	}
	return shown.Add(timeout)
}

func (t *Transcript) message(m *protocol.Message) (added bool) {
	if m.PartyID == t.ChatID {
		return t.confirm(m.MsgID, Line{From: FromVisitor, PartyID: m.PartyID, Text: m.Text(), Time: m.Timestamp.Time, MsgID: m.MsgID, Seq: m.Seq, Status: Sent})
	}
	t.stopTyping(m.PartyID)
	text := m.MsgText
	if text == "" {
		text = lineBreaks.ReplaceAllLiteralString(m.Msg, "\n")
	}
	t.settle(Line{From: t.sender(m.PartyID), Author: t.name(m.PartyID), PartyID: m.PartyID, Text: text, Time: m.Timestamp.Time, MsgID: m.MsgID, Seq: m.Seq})
	return true
}

func (t *Transcript) file(f *protocol.File) (added bool) {
	if f.PartyID == t.ChatID {
		return t.confirm(f.MsgID, Line{From: FromVisitor, PartyID: f.PartyID, Time: f.Timestamp.Time, MsgID: f.MsgID, Seq: f.Seq, Status: Sent, File: f})
	}
	t.settle(Line{From: t.sender(f.PartyID), Author: t.name(f.PartyID), PartyID: f.PartyID, Time: f.Timestamp.Time, MsgID: f.MsgID, Seq: f.Seq, File: f})
	return true
}

// confirm turns the visitor's pending line into the stored one, or adds it
// when the page never had it (a replay after a reload).
func (t *Transcript) confirm(id protocol.ID, stored Line) (added bool) {
	i, ok := t.own[id]
	if !ok {
		t.settle(stored)
		return true
	}
	if progress[t.Lines[i].Status] > progress[Sent] {
		stored.Status = t.Lines[i].Status
	}
	t.Lines[i] = stored
	t.moveToSettled(i)
	return false
}

func (t *Transcript) form(f *FormRequest, meta *protocol.Meta) {
	if t.Forms == nil {
		t.Forms = map[protocol.ID]*FormRequest{}
	}
	if _, ok := t.Forms[f.RequestID]; ok {
		return
	}
	t.Forms[f.RequestID] = f
	t.settle(Line{From: t.sender(meta.PartyID), Time: meta.Timestamp.Time, Seq: meta.Seq, Form: f.RequestID})
}

// Answered notes that a form request was answered, or declined.
func (t *Transcript) Answered(id protocol.ID) {
	if f, ok := t.Forms[id]; ok {
		f.Answered = true
	}
}

// receipt moves a message's mark: the visitor's own messages get the
// contact center's receipts; the contact center's get the visitor's own.
func (t *Transcript) receipt(ref protocol.ID, d Delivery, fromVisitor bool) {
	if fromVisitor {
		if d == Read {
			if t.readByVisitor == nil {
				t.readByVisitor = map[protocol.ID]bool{}
			}
			t.readByVisitor[ref] = true
		}
		return
	}
	if i, ok := t.own[ref]; ok && progress[d] > progress[t.Lines[i].Status] && t.Lines[i].Status != Failed {
		t.Lines[i].Status = d
	}
}

// LastUnread returns the msg_id of the contact center's latest message or
// file when the visitor has not yet sent a read receipt for it or for one
// after it; "" when there is none. A receipt stands for every message
// before the one it names.
func (t *Transcript) LastUnread() protocol.ID {
	for i := len(t.Lines) - 1; i >= 0; i-- {
		l := t.Lines[i]
		if l.From == FromVisitor || l.From == FromSystem || l.MsgID.IsZero() || !l.Form.IsZero() {
			continue
		}
		if t.readByVisitor[l.MsgID] {
			return protocol.ID{}
		}
		return l.MsgID
	}
	return protocol.ID{}
}

// Unread counts the contact center's messages and files after the last one
// the visitor sent a read receipt for.
func (t *Transcript) Unread() int {
	n := 0
	for i := len(t.Lines) - 1; i >= 0; i-- {
		l := t.Lines[i]
		if l.From == FromVisitor || l.From == FromSystem || l.MsgID.IsZero() || !l.Form.IsZero() {
			continue
		}
		if t.readByVisitor[l.MsgID] {
			break
		}
		n++
	}
	return n
}

// MarkRead notes that the visitor sent a read receipt for a message.
func (t *Transcript) MarkRead(id protocol.ID) {
	if t.readByVisitor == nil {
		t.readByVisitor = map[protocol.ID]bool{}
	}
	t.readByVisitor[id] = true
}

// lineBreaks are the only markup servers put in msg without a msg_text; any
// other tag stays visible as text.
var lineBreaks = regexp.MustCompile(`(?i)<br\s*/?>`)

func (t *Transcript) system(n Notice, who string, meta *protocol.Meta) {
	t.settle(Line{From: FromSystem, Notice: n, Author: who, Time: meta.Timestamp.Time, Seq: meta.Seq})
}

func (t *Transcript) stopTyping(party string) {
	if party == t.typist {
		t.typist, t.Typing = "", ""
	}
}

// sender classifies a contact-center party: the scenario's assistant, or
// an agent.
func (t *Transcript) sender(party string) Sender {
	if p := t.parties[party]; p != nil && p.Type == protocol.PartyScenario {
		return FromScenario
	}
	if party == "" {
		return FromScenario
	}
	return FromAgent
}

func (t *Transcript) name(party string) string {
	if p := t.parties[party]; p != nil {
		return p.Name()
	}
	return ""
}
