package protocol

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Event is one chat event of either direction.
type Event interface {
	// EventType is the wire name, such as "chat_session_message".
	EventType() string
	// EventMeta is what the server stamps on an event it stores.
	EventMeta() *Meta
}

// Meta holds the fields the server adds to an event: who sent it, when, and
// where it sits in the chat's stream. Client events leave them empty.
type Meta struct {
	// PartyID is the sender. A visitor's own events carry the chat id.
	PartyID   string    `json:"party_id,omitempty"`
	Timestamp Timestamp `json:"timestamp,omitzero"`
	// Seq is a Parley extension: the event's position in its chat's stream,
	// counting from 1. Events that are not stored (typing) have none.
	Seq uint64 `json:"seq,omitempty"`
}

// EventMeta returns m itself, so every event that embeds Meta implements
// that part of [Event].
func (m *Meta) EventMeta() *Meta { return m }

// Wire names of every event the API documents.
const (
	TypeMessage           = "chat_session_message"
	TypeTyping            = "chat_session_typing"
	TypeNotTyping         = "chat_session_not_typing"
	TypeFormData          = "chat_session_form_data"
	TypeEnd               = "chat_session_end"
	TypeDisconnect        = "chat_session_disconnect"
	TypeSignaling         = "chat_session_signaling"
	TypeFile              = "chat_session_file"
	TypeNavigation        = "chat_session_navigation"
	TypeLocation          = "chat_session_location"
	TypeMessageDelivered  = "chat_session_message_delivered"
	TypeMessageRead       = "chat_session_message_read"
	TypeSecureFormData    = "chat_session_secure_form_data"
	TypeSecureFormCancel  = "chat_session_secure_form_cancel"
	TypeStatus            = "chat_session_status"
	TypeEnded             = "chat_session_ended"
	TypePartyJoined       = "chat_session_party_joined"
	TypePartyLeft         = "chat_session_party_left"
	TypeFormShow          = "chat_session_form_show"
	TypeSecureFormShow    = "chat_session_secure_form_show"
	TypeTimeoutWarning    = "chat_session_timeout_warning"
	TypeInactivityTimeout = "chat_session_inactivity_timeout"
	TypeCaseSet           = "chat_session_case_set"
	TypeInfo              = "chat_session_info"
)

// newEvent holds a constructor for each known wire name.
var newEvent = map[string]func() Event{
	TypeMessage:           func() Event { return new(Message) },
	TypeTyping:            func() Event { return new(Typing) },
	TypeNotTyping:         func() Event { return new(NotTyping) },
	TypeFormData:          func() Event { return new(FormData) },
	TypeEnd:               func() Event { return new(End) },
	TypeDisconnect:        func() Event { return new(Disconnect) },
	TypeSignaling:         func() Event { return new(Signaling) },
	TypeFile:              func() Event { return new(File) },
	TypeNavigation:        func() Event { return new(Navigation) },
	TypeLocation:          func() Event { return new(Location) },
	TypeMessageDelivered:  func() Event { return new(MessageDelivered) },
	TypeMessageRead:       func() Event { return new(MessageRead) },
	TypeSecureFormData:    func() Event { return new(SecureFormData) },
	TypeSecureFormCancel:  func() Event { return new(SecureFormCancel) },
	TypeStatus:            func() Event { return new(Status) },
	TypeEnded:             func() Event { return new(Ended) },
	TypePartyJoined:       func() Event { return new(PartyJoined) },
	TypePartyLeft:         func() Event { return new(PartyLeft) },
	TypeFormShow:          func() Event { return new(FormShow) },
	TypeSecureFormShow:    func() Event { return new(SecureFormShow) },
	TypeTimeoutWarning:    func() Event { return new(TimeoutWarning) },
	TypeInactivityTimeout: func() Event { return new(InactivityTimeout) },
	TypeCaseSet:           func() Event { return new(CaseSet) },
	TypeInfo:              func() Event { return new(Info) },
	TypeUpstream:          func() Event { return new(Upstream) },
}

// ClientEvents is the set of event names a client may send.
var ClientEvents = map[string]bool{
	TypeMessage: true, TypeTyping: true, TypeNotTyping: true, TypeFormData: true,
	TypeEnd: true, TypeDisconnect: true, TypeSignaling: true, TypeFile: true,
	TypeNavigation: true, TypeLocation: true, TypeMessageDelivered: true,
	TypeMessageRead: true, TypeSecureFormData: true, TypeSecureFormCancel: true,
}

// ServerEvents is the set of event names a server sends. History also holds
// the chat's client events, stamped with the visitor's party id.
var ServerEvents = map[string]bool{
	TypeStatus: true, TypeEnded: true, TypePartyJoined: true, TypePartyLeft: true,
	TypeMessage: true, TypeTyping: true, TypeNotTyping: true, TypeFormShow: true,
	TypeSecureFormShow: true, TypeFile: true, TypeLocation: true,
	TypeTimeoutWarning: true, TypeInactivityTimeout: true, TypeSignaling: true,
	TypeCaseSet: true, TypeMessageDelivered: true, TypeMessageRead: true, TypeInfo: true,
}

// Unknown is an event whose type the API does not name. It keeps its JSON so
// it can be passed on unchanged; user interfaces skip it.
type Unknown struct {
	Name string
	Raw  json.RawMessage
	Meta
}

// EventType returns the wire name the event arrived with.
func (u *Unknown) EventType() string { return u.Name }

// Malformed is an event of a known type whose fields have the wrong shape,
// such as a number where the API sends an object. It keeps its JSON and the
// reason, so a server can refuse it with a clear error and a client can skip it.
type Malformed struct {
	Name string
	Raw  json.RawMessage
	Err  error
	Meta
}

// EventType returns the wire name the event arrived with.
func (m *Malformed) EventType() string { return m.Name }

// MarshalEvent encodes one event as a JSON object whose "event" key holds its
// type. Unknown and Malformed events are written back as they arrived.
func MarshalEvent(e Event) ([]byte, error) {
	switch e := e.(type) {
	case *Unknown:
		return e.Raw, nil
	case *Malformed:
		return e.Raw, nil
	}
	body, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("encoding %s: %w", e.EventType(), err)
	}
	if len(body) < 2 || body[0] != '{' {
		return nil, fmt.Errorf("encoding %s: the event is %s, not an object", e.EventType(), body)
	}
	name, _ := json.Marshal(e.EventType())
	out := make([]byte, 0, len(body)+len(name)+10)
	out = append(out, `{"event":`...)
	out = append(out, name...)
	if len(body) > 2 {
		out = append(out, ',')
		out = append(out, body[1:]...)
	} else {
		out = append(out, '}')
	}
	return out, nil
}

// errNotObject and errNoType describe events that cannot even be named.
var (
	errNotObject = errors.New("an event must be a JSON object")
	errNoType    = errors.New(`an event must have a string "event" field`)
)

// UnmarshalEvent decodes one event. It fails only when data is not a JSON
// object with an "event" name; see [Unknown] and [Malformed] for the rest.
// An event with a string that is not UTF-8 text (see [CheckText]) is
// Malformed, whatever its type: never repaired.
func UnmarshalEvent(data []byte) (Event, error) {
	var head struct {
		Event *string `json:"event"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		if typeErr, ok := errors.AsType[*json.UnmarshalTypeError](err); ok && typeErr.Field == "event" {
			return nil, errNoType
		}
		return nil, errNotObject
	}
	if head.Event == nil {
		return nil, errNoType
	}
	raw := json.RawMessage(append([]byte(nil), data...))
	if path, problem, found := badText(data, nil); found {
		m := &Malformed{Name: *head.Event, Raw: raw, Err: notText(path, problem)}
		_ = json.Unmarshal(data, &m.Meta)
		return m, nil
	}
	construct, known := newEvent[*head.Event]
	if !known {
		u := &Unknown{Name: *head.Event, Raw: raw}
		_ = json.Unmarshal(data, &u.Meta)
		return u, nil
	}
	e := construct()
	if err := json.Unmarshal(data, e); err != nil {
		m := &Malformed{Name: *head.Event, Raw: raw, Err: err}
		_ = json.Unmarshal(data, &m.Meta)
		return m, nil
	}
	return e, nil
}
