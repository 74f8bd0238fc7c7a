package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
)

// FormShow asks the client to show the form named FormName (defined in the
// widget configuration, see [WidgetForm]) and answer with a [FormData] that
// carries the same FormRequestID and FormName. An empty FormName asks for
// the visitor's next free-text message as the answer.
//
// The Android SDK requires every field of it: form_request_id and
// form_timeout as integers, channel and timestamp as strings. A server
// numbers its form requests ([NumberID]) for it.
type FormShow struct {
	FormRequestID ID     `json:"form_request_id"`
	FormName      string `json:"form_name"`
	// FormTimeout is how long the form stays open, in seconds; zero means
	// no limit.
	FormTimeout Timeout `json:"form_timeout"`
	// Channel is the chat's channel; [ChannelChat] for Parley's chats.
	Channel string `json:"channel"`
	Meta
}

// ChannelChat is the channel of a chat that came through this API.
const ChannelChat = "chat"

// EventType returns "chat_session_form_show".
func (*FormShow) EventType() string { return TypeFormShow }

// FormData answers a [FormShow].
type FormData struct {
	FormRequestID ID         `json:"form_request_id"`
	FormName      string     `json:"form_name"`
	Data          FormValues `json:"data"`
	Meta
}

// EventType returns "chat_session_form_data".
func (*FormData) EventType() string { return TypeFormData }

// SecureFormShow asks for the secure form whose id in the widget
// configuration is FormID.
type SecureFormShow struct {
	FormRequestID ID     `json:"form_request_id"`
	FormID        string `json:"form_id"`
	FormName      string `json:"form_name,omitempty"`
	Meta
}

// EventType returns "chat_session_secure_form_show".
func (*SecureFormShow) EventType() string { return TypeSecureFormShow }

// SecureFormData answers a [SecureFormShow].
type SecureFormData struct {
	FormRequestID ID         `json:"form_request_id"`
	FormName      string     `json:"form_name"`
	Data          FormValues `json:"data"`
	Meta
}

// EventType returns "chat_session_secure_form_data".
func (*SecureFormData) EventType() string { return TypeSecureFormData }

// SecureFormCancel declines a [SecureFormShow].
type SecureFormCancel struct {
	FormRequestID ID     `json:"form_request_id"`
	FormName      string `json:"form_name"`
	Meta
}

// EventType returns "chat_session_secure_form_cancel".
func (*SecureFormCancel) EventType() string { return TypeSecureFormCancel }

// FormNotFound is the data Bright Pattern's web client sends when it does not
// know the form a server asked for.
const FormNotFound = "Form not found"

// FormValues is the data of a form answer: a flat map from field name to
// value. Instead of values a client may send a note, a bare string such as
// [FormNotFound].
//
// Values that arrived as numbers, booleans or null read as their text in
// Fields, and a FormValues remembers their JSON, so it encodes each back as
// it came unless Fields changed it: a client gets its answer back in the
// types it sent.
type FormValues struct {
	Fields map[string]string
	Note   string
	// literals holds the JSON of the values that were not strings.
	literals map[string]json.RawMessage
}

// MarshalJSON writes the note as a string when there is one, else the fields
// as an object.
func (v FormValues) MarshalJSON() ([]byte, error) {
	if v.Note != "" {
		return json.Marshal(v.Note)
	}
	out := make(map[string]json.RawMessage, len(v.Fields))
	for name, value := range v.Fields {
		if raw, ok := v.literals[name]; ok {
			if text, _ := scalarText(raw); text == value {
				out[name] = raw
				continue
			}
		}
		out[name], _ = json.Marshal(value)
	}
	return json.Marshal(out)
}

var errFormValues = errors.New("form data must be an object of strings, numbers or booleans, or a string")

// UnmarshalJSON reads an object of values (numbers, booleans and null kept
// as their text) or a note string.
func (v *FormValues) UnmarshalJSON(data []byte) error {
	*v = FormValues{}
	data = bytes.TrimSpace(data)
	switch {
	case bytes.Equal(data, []byte("null")):
		return nil
	case len(data) > 0 && data[0] == '"':
		return json.Unmarshal(data, &v.Note)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return errFormValues
	}
	v.Fields = make(map[string]string, len(raw))
	for name, value := range raw {
		text, ok := scalarText(value)
		if !ok {
			return errFormValues
		}
		v.Fields[name] = text
		if value = bytes.TrimSpace(value); value[0] != '"' {
			if v.literals == nil {
				v.literals = map[string]json.RawMessage{}
			}
			v.literals[name] = append(json.RawMessage(nil), value...)
		}
	}
	return nil
}
