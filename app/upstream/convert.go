package upstream

import (
	"bytes"
	"encoding/json"
	"errors"
	"hash/fnv"
	"html"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/parleychat/parley/protocol"
)

// decode reads an event the tenant sent, forgiving what a Bright Pattern
// server may write in another JSON type than the protocol package reads: a
// number where a string belongs (a message of digits written as a number,
// say) is read as its digits. Ids keep the type they came in, since they go
// back in it.
func decode(raw json.RawMessage) (protocol.Event, error) {
	e, err := protocol.UnmarshalEvent(raw)
	if _, malformed := e.(*protocol.Malformed); err != nil || !malformed {
		return e, err
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(raw, &fields) != nil {
		return e, nil
	}
	for name, value := range fields {
		if keepsType[name] || len(value) == 0 || !isNumber(value) {
			continue
		}
		fields[name], _ = json.Marshal(string(value))
	}
	fixed, err := json.Marshal(fields)
	if err != nil {
		return e, nil
	}
	return protocol.UnmarshalEvent(fixed)
}

// unmarshalLenient decodes an answer of the tenant into v as json.Unmarshal
// does, but reads a number where v has a string as its digits, and a string
// that holds a number where v has a number as that number: a Bright Pattern
// server writes scalars in either type (a chat_id, a file name of digits, a
// form's id in the widget configuration). Anything else that does not fit
// fails as json.Unmarshal fails.
func unmarshalLenient(data []byte, v any) error {
	err := json.Unmarshal(data, v)
	var tree any
	for range maxRetypes {
		var typeErr *json.UnmarshalTypeError
		if !errors.As(err, &typeErr) || typeErr.Field == "" || typeErr.Type == nil {
			return err
		}
		if tree == nil {
			dec := json.NewDecoder(bytes.NewReader(data))
			dec.UseNumber()
			if dec.Decode(&tree) != nil {
				return err
			}
		}
		kind := typeErr.Type.Kind()
		if kind == reflect.Pointer {
			kind = typeErr.Type.Elem().Kind()
		}
		if !retype(tree, strings.Split(typeErr.Field, "."), kind) {
			return err
		}
		fixed, merr := json.Marshal(tree)
		if merr != nil {
			return err
		}
		reflect.ValueOf(v).Elem().SetZero()
		err = json.Unmarshal(fixed, v)
	}
	return err
}

// maxRetypes bounds how many fields unmarshalLenient fixes in one answer.
const maxRetypes = 64

// retype converts, in a decoded JSON tree, the scalars at the field path
// (encoding/json's, which names no array index: every element of an array
// on the way counts) to what a Go value of kind reads, and reports whether
// it converted any.
func retype(node any, path []string, kind reflect.Kind) bool {
	switch n := node.(type) {
	case []any:
		changed := false
		for i := range n {
			changed = retype(n[i], path, kind) || changed
		}
		return changed
	case map[string]any:
		if len(path) == 0 {
			return false
		}
		child, ok := n[path[0]]
		if !ok {
			return false
		}
		if len(path) > 1 {
			return retype(child, path[1:], kind)
		}
		if list, ok := child.([]any); ok {
			changed := false
			for i, v := range list {
				if c, ok := scalarAs(v, kind); ok {
					list[i], changed = c, true
				}
			}
			return changed
		}
		if c, ok := scalarAs(child, kind); ok {
			n[path[0]] = c
			return true
		}
	}
	return false
}

// scalarAs is v, a number or a string of a decoded tree, as what a Go
// value of kind reads: a string of its digits, or the number a string
// holds.
func scalarAs(v any, kind reflect.Kind) (any, bool) {
	switch kind {
	case reflect.String:
		if n, ok := v.(json.Number); ok {
			return n.String(), true
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		if s, ok := v.(string); ok {
			if _, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil {
				return json.Number(strings.TrimSpace(s)), true
			}
		}
	}
	return nil, false
}

// keepsType names the fields whose JSON type is part of their value.
var keepsType = map[string]bool{"msg_id": true, "form_request_id": true, "ref_msg_id": true, "seq": true}

func isNumber(v json.RawMessage) bool {
	c := v[0]
	return c == '-' || c >= '0' && c <= '9'
}

// naturalKey names what makes an event of the tenant the same event when it
// comes again, in a repeated poll answer or in the history: its id, or its
// sender and time. "" for an event that has neither (chat_session_status),
// which only its place in the stream names.
func naturalKey(e protocol.Event) string {
	meta := e.EventMeta()
	party, at := meta.PartyID, ""
	if !meta.Timestamp.IsZero() {
		at = strconv.FormatInt(meta.Timestamp.Unix(), 10)
	}
	switch e := e.(type) {
	case *protocol.Message:
		if !e.MsgID.IsZero() {
			return "msg\x00" + party + "\x00" + e.MsgID.String()
		}
	case *protocol.File:
		return "file\x00" + party + "\x00" + e.FileID
	case *protocol.Location:
		if !e.MsgID.IsZero() {
			return "location\x00" + party + "\x00" + e.MsgID.String()
		}
	case *protocol.FormShow:
		return "form\x00" + e.FormRequestID.String()
	case *protocol.SecureFormShow:
		return "secureform\x00" + e.FormRequestID.String()
	case *protocol.PartyJoined:
		return "joined\x00" + party + "\x00" + at
	case *protocol.PartyLeft:
		return "left\x00" + party + "\x00" + at
	case *protocol.Ended:
		return "ended"
	case *protocol.InactivityTimeout:
		return "inactivity"
	case *protocol.TimeoutWarning:
		if at != "" {
			return "warning\x00" + at
		}
	case *protocol.CaseSet:
		if at != "" {
			return "case\x00" + e.CaseID + "\x00" + at
		}
	case *protocol.MessageDelivered:
		return "delivered\x00" + party + "\x00" + e.RefMsgID.String()
	case *protocol.MessageRead:
		return "read\x00" + party + "\x00" + e.RefMsgID.String()
	}
	return ""
}

// localFormID is the form_request_id a form request of the tenant gets here:
// Parley's clients (the Android SDK) read it as a 32-bit integer. An id of
// the tenant that is one keeps its digits; another is hashed to one.
func localFormID(upstream protocol.ID) protocol.ID {
	if n, err := strconv.ParseUint(upstream.String(), 10, 31); err == nil && n > 0 {
		return protocol.NumberID(n)
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(upstream.String()))
	return protocol.NumberID(1 + uint64(h.Sum32())%math.MaxInt32)
}

// htmlMessage is a visitor's text as Bright Pattern's newer clients send a
// message: msg as HTML, the text escaped and its line breaks as <br>, and
// msg_text as the text.
func htmlMessage(text string) (msg, msgText string) {
	return strings.ReplaceAll(html.EscapeString(text), "\n", "<br>"), text
}

var (
	lineBreak = regexp.MustCompile(`(?i)<br\s*/?>|</p\s*>|</div\s*>`)
	tag       = regexp.MustCompile(`<[^>]*>`)
)

// plainText is what a person should read of a message the tenant wrote in
// HTML without its msg_text: the line breaks kept, the tags dropped, the
// entities read. The widget shows it as text, whatever it holds.
func plainText(msg string) string {
	if !strings.ContainsAny(msg, "<&") {
		return msg
	}
	return html.UnescapeString(tag.ReplaceAllString(lineBreak.ReplaceAllString(msg, "\n"), ""))
}
