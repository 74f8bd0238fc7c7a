package upstream

import (
	"encoding/json"
	"hash/fnv"
	"html"
	"math"
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
