package protocol

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Message is a chat message: the visitor's (chat_session_message sent with
// msg_id and msg) or, from the server, an agent's or the scenario's, with the
// sender in PartyID.
type Message struct {
	MsgID ID     `json:"msg_id"`
	Msg   string `json:"msg"`
	// MsgText is the plain text of Msg. Newer servers add it; newer iOS
	// clients send Msg as HTML and MsgText as text.
	MsgText string `json:"msg_text,omitempty"`
	// Channel names where the message came from (web, WhatsApp...), when a
	// server says so.
	Channel string `json:"channel,omitempty"`
	Meta
}

// EventType returns "chat_session_message".
func (*Message) EventType() string { return TypeMessage }

// Text is what a person should read: MsgText when present, else Msg.
func (m *Message) Text() string {
	if m.MsgText != "" {
		return m.MsgText
	}
	return m.Msg
}

// Typing says the sender started typing.
type Typing struct {
	Meta
}

// EventType returns "chat_session_typing".
func (*Typing) EventType() string { return TypeTyping }

// NotTyping says the sender stopped typing.
type NotTyping struct {
	Meta
}

// EventType returns "chat_session_not_typing".
func (*NotTyping) EventType() string { return TypeNotTyping }

// File types of a [File] event.
const (
	FileImage      = "image"
	FileAttachment = "attachment"
)

// File shares a file that was uploaded with the Upload File method. The
// client sends it only after the upload answered with a file_id.
//
// The Android SDK requires file_name and file_type in every file event; a
// server fills them in from the upload when the sender left them out.
type File struct {
	MsgID  ID     `json:"msg_id,omitzero"`
	FileID string `json:"file_id"`
	// FileType is FileImage or FileAttachment; some SDKs send a MIME type.
	FileType string `json:"file_type"`
	FileName string `json:"file_name"`
	Meta
}

// EventType returns "chat_session_file".
func (*File) EventType() string { return TypeFile }

// Location is a geographic position shared by the visitor or an agent.
//
// Coordinates decode from numbers (the Android SDK and the web client send
// them so) or strings (the iOS SDK), and encode as decimal strings, the one
// form both SDKs read: the iOS SDK declares them strings, the Android SDK
// floats that it also reads from strings. Both SDKs require them, and the
// Android SDK requires the url key too: it encodes as null when there is no
// URL.
type Location struct {
	MsgID     ID     `json:"msg_id,omitzero"`
	URL       string `json:"url"`
	Latitude  string `json:"latitude"`
	Longitude string `json:"longitude"`
	Meta
}

// EventType returns "chat_session_location".
func (*Location) EventType() string { return TypeLocation }

// locationJSON is a Location as it travels.
type locationJSON struct {
	MsgID     ID              `json:"msg_id,omitzero"`
	URL       *string         `json:"url"`
	Latitude  json.RawMessage `json:"latitude,omitempty"`
	Longitude json.RawMessage `json:"longitude,omitempty"`
	Meta
}

// MarshalJSON writes the coordinates as strings and a missing URL as null.
func (l Location) MarshalJSON() ([]byte, error) {
	out := locationJSON{MsgID: l.MsgID, Meta: l.Meta}
	if l.URL != "" {
		out.URL = &l.URL
	}
	out.Latitude, _ = json.Marshal(l.Latitude)
	out.Longitude, _ = json.Marshal(l.Longitude)
	return json.Marshal(out)
}

// UnmarshalJSON reads coordinates given as numbers or strings.
func (l *Location) UnmarshalJSON(data []byte) error {
	var in locationJSON
	if err := json.Unmarshal(data, &in); err != nil {
		return err
	}
	*l = Location{MsgID: in.MsgID, Meta: in.Meta}
	if in.URL != nil {
		l.URL = *in.URL
	}
	for _, c := range []struct {
		name string
		raw  json.RawMessage
		to   *string
	}{{"latitude", in.Latitude, &l.Latitude}, {"longitude", in.Longitude, &l.Longitude}} {
		if len(c.raw) == 0 {
			continue
		}
		text, ok := idText(c.raw)
		if !ok {
			return fmt.Errorf("%s must be a number or a string, not %.20s", c.name, c.raw)
		}
		*c.to = strings.TrimSpace(text)
	}
	return nil
}

// Navigation tells the contact center which page the visitor is on.
type Navigation struct {
	MsgID ID     `json:"msg_id,omitzero"`
	Title string `json:"title,omitempty"`
	Page  string `json:"page"`
	Meta
}

// EventType returns "chat_session_navigation".
func (*Navigation) EventType() string { return TypeNavigation }

// MessageDelivered is a receipt: the message RefMsgID reached PartyID.
type MessageDelivered struct {
	RefMsgID ID `json:"ref_msg_id"`
	Meta
}

// EventType returns "chat_session_message_delivered".
func (*MessageDelivered) EventType() string { return TypeMessageDelivered }

// MessageRead is a receipt: PartyID read the message RefMsgID.
type MessageRead struct {
	RefMsgID ID `json:"ref_msg_id"`
	Meta
}

// EventType returns "chat_session_message_read".
func (*MessageRead) EventType() string { return TypeMessageRead }
