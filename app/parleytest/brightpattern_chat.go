package parleytest

import (
	"context"
	"encoding/json"
	"html"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/parleychat/parley/protocol"
)

// BrightPatternChat is one chat on a fake Bright Pattern tenant, made by a
// client's Request Chat. A test plays the contact center's side of it: an
// agent joins, says, types, pushes forms and files, leaves; the system ends
// the chat or times it out. Each of those puts the events a Bright Pattern
// server sends in the chat's queue for Get New Chat Events, and in its
// history. The test reads what the client sent with VisitorEvents and
// WaitForVisitorEvent.
//
// The agent's methods do nothing once the chat is over (ended, timed out,
// or ended by the client) and then return "" (or false).
type BrightPatternChat struct {
	// ID is the chat_id.
	ID string
	// Request is the Request Chat body that made the chat.
	Request protocol.ChatRequest
	// Created is when the chat was made.
	Created time.Time

	bp    *BrightPattern
	owner protocol.Credentials

	// Guarded by bp.mu.
	state         protocol.ChatState
	events        []json.RawMessage // what Get New Chat Events delivers, in order
	delivered     int               // how many of events the client was given
	history       []json.RawMessage // what Get Chat History answers
	visitor       []VisitorEvent
	poller        *call  // the Get New Chat Events held now, or nil
	speaker       string // the party that Say and the others speak as
	parties       map[string]protocol.PartyType
	caseID        string
	caseClosed    bool
	subscriptions [][]byte
	ids           int // the last msg_id or form_request_id the tenant gave
}

// VisitorEvent is one event the client sent with Send Events.
type VisitorEvent struct {
	// Raw is the event exactly as it arrived: one element of the events
	// array, byte for byte.
	Raw json.RawMessage
	// Event is Raw as the protocol package decodes it.
	Event protocol.Event
	// Request is the index, in [BrightPattern.Requests], of the Send Events
	// request that carried it.
	Request int
}

// newChat makes a queued chat for the client. The caller holds bp.mu.
func (bp *BrightPattern) newChat(owner protocol.Credentials, req protocol.ChatRequest) *BrightPatternChat {
	c := &BrightPatternChat{
		ID: protocol.NewUUID(), Request: req, Created: time.Now(),
		bp: bp, owner: owner, state: protocol.StateQueued,
		parties: map[string]protocol.PartyType{},
	}
	bp.chats = append(bp.chats, c)
	c.addLocked(&protocol.Status{State: protocol.StateQueued, EWT: bp.cfg.EWT}, nil)
	return c
}

// ClientID is the clientId of the client that asked for the chat.
func (c *BrightPatternChat) ClientID() string { return c.owner.ClientID }

// State is the chat's state: queued, connected, completed, failed...
func (c *BrightPatternChat) State() protocol.ChatState {
	c.bp.mu.Lock()
	defer c.bp.mu.Unlock()
	return c.state
}

// Polling reports whether a Get New Chat Events of the chat is held now.
func (c *BrightPatternChat) Polling() bool {
	c.bp.mu.Lock()
	defer c.bp.mu.Unlock()
	return c.poller != nil
}

// Undelivered counts the events in the queue the client has not been given.
func (c *BrightPatternChat) Undelivered() int {
	c.bp.mu.Lock()
	defer c.bp.mu.Unlock()
	return len(c.events) - c.delivered
}

// Subscriptions are the bodies of the Mobile Notification Subscriptions
// the chat took.
func (c *BrightPatternChat) Subscriptions() [][]byte {
	c.bp.mu.Lock()
	defer c.bp.mu.Unlock()
	return slices.Clone(c.subscriptions)
}

// CaseClosed reports whether the client closed the chat's case.
func (c *BrightPatternChat) CaseClosed() bool {
	c.bp.mu.Lock()
	defer c.bp.mu.Unlock()
	return c.caseClosed
}

// VisitorEvents returns every event the client sent, in order of arrival.
func (c *BrightPatternChat) VisitorEvents() []VisitorEvent {
	c.bp.mu.Lock()
	defer c.bp.mu.Unlock()
	return slices.Clone(c.visitor)
}

// VisitorMessages returns the client's chat_session_message events, in
// order of arrival, repeats included.
func (c *BrightPatternChat) VisitorMessages() []*protocol.Message {
	var out []*protocol.Message
	for _, e := range c.VisitorEvents() {
		if m, ok := e.Event.(*protocol.Message); ok {
			out = append(out, m)
		}
	}
	return out
}

// WaitForVisitorEvent waits until the client has sent an event that
// satisfies match, and returns the first that does.
func (c *BrightPatternChat) WaitForVisitorEvent(ctx context.Context, match func(VisitorEvent) bool) (VisitorEvent, error) {
	var found VisitorEvent
	err := c.bp.WaitFor(ctx, func() bool {
		for _, e := range c.VisitorEvents() {
			if match(e) {
				found = e
				return true
			}
		}
		return false
	})
	return found, err
}

// receive keeps an event the client sent and does what it asks: a
// chat_session_end ends the chat, and the server stops talking to the client
// (what it had not delivered, it never will). History gets the event in the
// server's form, with the client's party id (the chat id) and a timestamp;
// what is ephemeral (typing, call signals) is not kept there. The caller
// holds bp.mu.
func (c *BrightPatternChat) receive(e VisitorEvent) {
	c.visitor = append(c.visitor, e)
	if _, ok := e.Event.(*protocol.End); ok {
		c.state = protocol.StateCompleted
		c.delivered = len(c.events)
	}
	if protocol.Ephemeral(e.Event) {
		return
	}
	c.history = append(c.history, setFields(e.Raw, map[string]any{
		"party_id": c.ID, "timestamp": strconv.FormatInt(time.Now().Unix(), 10),
	}))
}

// Join brings an agent (an internal party) named name into the chat: a
// chat_session_status connected, then a chat_session_party_joined with a new
// party id, which it returns. The agent then speaks for Say and the rest.
func (c *BrightPatternChat) Join(name string) string {
	first, last, _ := strings.Cut(name, " ")
	party := protocol.NewUUID()
	ok := c.add(
		&protocol.Status{State: protocol.StateConnected},
		&protocol.PartyJoined{FirstName: first, LastName: last, DisplayName: name, Type: protocol.PartyInternal, Meta: protocol.Meta{PartyID: party}},
	)
	if !ok {
		return ""
	}
	return party
}

// Say sends a chat_session_message from the party that joined last, as a
// Bright Pattern server writes it: msg is HTML (the text escaped, line
// breaks as <br>), msg_text the text. It returns the msg_id.
func (c *BrightPatternChat) Say(text string) string {
	msg := strings.ReplaceAll(html.EscapeString(text), "\n", "<br>")
	return c.addWithID("msg_id", &protocol.Message{Msg: msg, MsgText: text})
}

// Typing sends chat_session_typing from the party that joined last.
func (c *BrightPatternChat) Typing() bool { return c.add(&protocol.Typing{}) }

// NotTyping sends chat_session_not_typing from the party that joined last.
func (c *BrightPatternChat) NotTyping() bool { return c.add(&protocol.NotTyping{}) }

// ShowForm asks the client to show the form named name (a form of the
// widget configuration; "" asks for the visitor's next message), open for
// timeout (zero: no limit). It returns the form_request_id.
func (c *BrightPatternChat) ShowForm(name string, timeout protocol.Seconds) string {
	return c.addWithID("form_request_id", &protocol.FormShow{FormName: name, FormTimeout: protocol.Timeout(timeout)})
}

// SendFile shares a file from the party that joined last: the tenant keeps
// it for Get File, and the chat gets a chat_session_file whose file_type is
// image for an image/* contentType and attachment otherwise. It returns the
// file_id.
func (c *BrightPatternChat) SendFile(name, contentType string, content []byte) string {
	f := &BrightPatternFile{ID: protocol.NewUUID(), Name: name, ContentType: contentType, Content: content, ChatID: c.ID}
	fileType := protocol.FileAttachment
	if strings.HasPrefix(contentType, "image/") {
		fileType = protocol.FileImage
	}
	c.bp.mu.Lock()
	defer c.bp.mu.Unlock()
	if c.state.Over() {
		return ""
	}
	c.bp.keepFile(f)
	c.addWithIDLocked("msg_id", &protocol.File{FileID: f.ID, FileType: fileType, FileName: name})
	return f.ID
}

// Leave sends chat_session_party_left for the party that joined last; no
// party speaks after it until another joins. It returns false when no party
// is there to leave.
func (c *BrightPatternChat) Leave() bool {
	c.bp.mu.Lock()
	defer c.bp.mu.Unlock()
	if c.speaker == "" {
		return false
	}
	return c.addLocked(&protocol.PartyLeft{Meta: protocol.Meta{PartyID: c.speaker}}, nil)
}

// End sends chat_session_ended, the normal end of a chat (an agent closed
// it): the chat is completed, and once the client had every event, a poll
// answers 5005.
func (c *BrightPatternChat) End() bool { return c.add(&protocol.Ended{}) }

// WarnInactivity sends chat_session_timeout_warning with the text to show.
func (c *BrightPatternChat) WarnInactivity(msg string) bool {
	return c.add(&protocol.TimeoutWarning{Msg: msg})
}

// TimeOut sends chat_session_inactivity_timeout with the text to show: the
// system ended the chat because the visitor was idle, and it has failed.
func (c *BrightPatternChat) TimeOut(msg string) bool {
	return c.add(&protocol.InactivityTimeout{Msg: msg})
}

// SetCase sends chat_session_case_set: the chat is linked to the CRM case
// caseID, which Get Case History and Close Case then work on.
func (c *BrightPatternChat) SetCase(caseID string) bool {
	return c.add(&protocol.CaseSet{CaseID: caseID})
}

// Send sends server events as given, stamped with a timestamp where they
// have none (chat_session_status and chat_session_ended carry none). Parties
// joining and leaving, states, the end and a case change the chat as they
// say. Events without a party id speak as the party that joined last where
// the API gives them a sender.
func (c *BrightPatternChat) Send(events ...protocol.Event) bool { return c.add(events...) }

// SendRaw puts events in the queue and the history exactly as given, each a
// JSON object or anything else a test wants a client to meet; they do not
// change the chat.
func (c *BrightPatternChat) SendRaw(events ...json.RawMessage) bool {
	c.bp.mu.Lock()
	defer c.bp.mu.Unlock()
	if c.state.Over() {
		return false
	}
	for _, e := range events {
		c.events = append(c.events, e)
		c.history = append(c.history, e)
	}
	c.bp.touch()
	return true
}

func (c *BrightPatternChat) add(events ...protocol.Event) bool {
	c.bp.mu.Lock()
	defer c.bp.mu.Unlock()
	for _, e := range events {
		if !c.addLocked(e, nil) {
			return false
		}
	}
	return true
}

// addWithID sends e with a new id of the tenant in the field named field,
// and returns the id as text.
func (c *BrightPatternChat) addWithID(field string, e protocol.Event) string {
	c.bp.mu.Lock()
	defer c.bp.mu.Unlock()
	return c.addWithIDLocked(field, e)
}

// addWithIDLocked is addWithID for a caller that holds bp.mu. The id is a
// number or a string of digits, as the configuration says: the protocol
// package writes every id as a string, so the field is set on its JSON.
func (c *BrightPatternChat) addWithIDLocked(field string, e protocol.Event) string {
	if c.state.Over() {
		return ""
	}
	c.ids++
	var id any = strconv.Itoa(c.ids)
	if c.bp.cfg.NumericIDs {
		id = c.ids
	}
	c.addLocked(e, map[string]any{field: id})
	return strconv.Itoa(c.ids)
}

// senders are the events the API gives a party_id, the party that sends
// them.
var senders = map[string]bool{
	protocol.TypeMessage: true, protocol.TypeTyping: true, protocol.TypeNotTyping: true,
	protocol.TypeFile: true, protocol.TypeLocation: true, protocol.TypeSignaling: true,
}

// addLocked stamps a server event, applies it to the chat, and puts its JSON
// (with fields set over it) in the queue and, unless it is ephemeral
// (typing, call signals), the history. The caller holds bp.mu.
func (c *BrightPatternChat) addLocked(e protocol.Event, fields map[string]any) bool {
	if c.state.Over() {
		return false
	}
	meta := e.EventMeta()
	switch e.(type) {
	case *protocol.Status, *protocol.Ended:
	default:
		if meta.Timestamp.IsZero() {
			meta.Timestamp = protocol.At(time.Now())
		}
	}
	if meta.PartyID == "" && senders[e.EventType()] {
		meta.PartyID = c.speaker
	}
	raw, err := protocol.MarshalEvent(e)
	if err != nil {
		c.bp.tb.Errorf("fake Bright Pattern: encoding %s: %v", e.EventType(), err)
		return false
	}
	if fields != nil {
		raw = setFields(raw, fields)
	}
	switch e := e.(type) {
	case *protocol.Status:
		c.state = e.State
	case *protocol.PartyJoined:
		c.parties[e.PartyID] = e.Type
		c.speaker = e.PartyID
	case *protocol.PartyLeft:
		delete(c.parties, e.PartyID)
		if c.speaker == e.PartyID {
			c.speaker = ""
		}
	case *protocol.Ended:
		c.state = protocol.StateCompleted
	case *protocol.InactivityTimeout:
		c.state = protocol.StateFailed
	case *protocol.CaseSet:
		c.caseID = e.CaseID
	}
	c.events = append(c.events, raw)
	if !protocol.Ephemeral(e) {
		c.history = append(c.history, raw)
	}
	c.bp.touch()
	return true
}

// setFields sets top-level fields of a JSON object, where the protocol
// package cannot write what a Bright Pattern server does. raw must be an
// object; what is not comes back unchanged.
func setFields(raw json.RawMessage, fields map[string]any) json.RawMessage {
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil || obj == nil {
		return raw
	}
	for name, value := range fields {
		v, err := json.Marshal(value)
		if err != nil {
			return raw
		}
		obj[name] = v
	}
	out, err := json.Marshal(obj)
	if err != nil {
		return raw
	}
	return out
}
