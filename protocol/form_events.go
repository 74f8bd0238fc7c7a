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
type FormShow struct {
	FormRequestID ID     `json:"form_request_id"`
	FormName      string `json:"form_name"`
	// FormTimeout is how long the form stays open, in seconds; zero means
	// no limit.
	FormTimeout Seconds `json:"form_timeout,omitzero"`
	Channel     string  `json:"channel,omitempty"`
	Meta
}

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
type FormValues struct {
	Fields map[string]string
	Note   string
}

// MarshalJSON writes the note as a string when there is one, else the fields
// as an object.
func (v FormValues) MarshalJSON() ([]byte, error) {
	if v.Note != "" {
		return json.Marshal(v.Note)
	}
	if v.Fields == nil {
		return []byte("{}"), nil
	}
	return json.Marshal(v.Fields)
}

var errFormValues = errors.New("form data must be an object of strings or a string")

// UnmarshalJSON reads an object of values (numbers and booleans kept as
// their text) or a note string.
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
	}
	return nil
}
