package protocol_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/parleychat/parley/protocol"
)

func TestCheckText(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		data string
		// path is what the error names; "" when the data is text.
		path string
	}{
		{"plain text", `{"msg":"hello"}`, ""},
		{"other scripts and emoji", `{"msg":"grüße, مرحبا, 😀"}`, ""},
		{"an escaped surrogate pair", `{"msg":"\ud83d\ude00"}`, ""},
		{"an escaped backslash before u", `{"msg":"C:\\ud800"}`, ""},
		{"a replacement character sent as such", "{\"msg\":\"\uFFFD \\ufffd\"}", ""},
		{"not JSON at all", "not json \xfe", ""},
		{"byte 0xfe", "{\"msg_id\":\"CHAT:1\xfe\"}", "msg_id"},
		{"byte 0xfc", "{\"msg_id\":\"CHAT:1\xfc\"}", "msg_id"},
		{"an overlong encoding", "{\"msg\":\"\xc0\xaf\"}", "msg"},
		{"a surrogate encoded in UTF-8", "{\"msg\":\"\xed\xa0\x80\"}", "msg"},
		{"a truncated sequence", "{\"msg\":\"caf\xc3\"}", "msg"},
		{"a lone high surrogate escape", `{"msg":"a\ud800b"}`, "msg"},
		{"a lone low surrogate escape", `{"msg":"\udc00"}`, "msg"},
		{"a high surrogate before another escape", `{"msg":"\ud800\u0041"}`, "msg"},
		{"a high surrogate at the end", `{"msg":"\uD800"}`, "msg"},
		{"inside an array of objects", "{\"events\":[{\"msg\":\"ok\"},{\"event\":\"x\",\"data\":{\"a\":\"\xff\"}}]}", "events[1].data.a"},
		{"after nested values", "{\"a\":[1,{\"b\":[true,null]}],\"c\":\"\xff\"}", "c"},
		{"in a field name", "{\"data\":{\"na\xffme\":\"x\"}}", "a field name in data"},
		{"in a top-level field name", "{\"\xff\":1}", "a field name"},
		{"a lone string", "\"\xff\"", "the body"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := protocol.CheckText([]byte(tc.data))
			if tc.path == "" {
				if err != nil {
					t.Fatalf("CheckText(%q) = %v, want nil", tc.data, err)
				}
				return
			}
			var perr *protocol.Error
			if !errors.As(err, &perr) || perr.Code != protocol.CodeBadRequest {
				t.Fatalf("CheckText(%q) = %v, want an error with code %s", tc.data, err, protocol.CodeBadRequest)
			}
			if !strings.HasPrefix(perr.Message, tc.path+" is not valid UTF-8 text") {
				t.Errorf("CheckText(%q) says %q, want it to name %s", tc.data, perr.Message, tc.path)
			}
		})
	}
}

// TestEveryTextFieldRefusesInvalidUTF8 spoils each string of each client
// event of the documents in turn, names and values alike: the event is
// refused with 5003 naming that string, where encoding/json would have
// stored it with U+FFFD.
func TestEveryTextFieldRefusesInvalidUTF8(t *testing.T) {
	t.Parallel()
	for _, tc := range clientEventCases {
		for _, spoiled := range spoilEachString(tc.json) {
			t.Run(tc.name+"/"+spoiled.path, func(t *testing.T) {
				t.Parallel()
				err := protocol.ValidateClientEvent(mustDecodeEvent(t, spoiled.data))
				var perr *protocol.Error
				if !errors.As(err, &perr) || perr.Code != protocol.CodeBadRequest {
					t.Fatalf("ValidateClientEvent of %q = %v, want code %s", spoiled.data, err, protocol.CodeBadRequest)
				}
				if !strings.Contains(perr.Message, spoiled.path+" is not valid UTF-8 text") {
					t.Errorf("the refusal %q does not name %s", perr.Message, spoiled.path)
				}
				env, err := protocol.DecodeEnvelope([]byte(`{"events":[` + string(spoiled.data) + `]}`))
				if err != nil {
					t.Fatalf("DecodeEnvelope: %v; one event's text is that event's to refuse", err)
				}
				if _, ok := env.Events[0].(*protocol.Malformed); !ok {
					t.Errorf("in an envelope the event is %T, want *protocol.Malformed", env.Events[0])
				}
			})
		}
	}
}

// TestTheIssuesMsgIDs is the input that was stored once for two messages:
// msg_ids "CHAT:1" and a byte 0xfe, then 0xfc, each read as "CHAT:1\uFFFD".
func TestTheIssuesMsgIDs(t *testing.T) {
	t.Parallel()
	for _, b := range []byte{0xfe, 0xfc} {
		data := []byte("{\"event\":\"chat_session_message\",\"msg_id\":\"CHAT:1" + string([]byte{b}) + "\",\"msg\":\"hello\"}")
		if err := protocol.ValidateClientEvent(mustDecodeEvent(t, data)); !strings.Contains(errorText(err), "msg_id is not valid UTF-8 text") {
			t.Errorf("msg_id CHAT:1 and byte %#x: %v, want a refusal naming msg_id", b, err)
		}
	}
}

func TestEnvelopeRefusesInvalidTextOutsideItsEvents(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		"{\"events\":[],\"ref\":\"r\xfe\"}",
		`{"events":[{"event":"chat_session_typing"}],"ref":"\udfff"}`,
		"{\"events\":[],\"epoch\":\"e\xff\"}",
	} {
		if _, err := protocol.DecodeEnvelope([]byte(body)); codeOf(err) != protocol.CodeBadRequest {
			t.Errorf("DecodeEnvelope(%q) = %v, want code %s", body, err, protocol.CodeBadRequest)
		}
	}
}

func errorText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

type spoiledJSON struct {
	path string
	data []byte
}

// spoilEachString returns the JSON object doc once for each of its string
// values and keys, that one string given a byte 0xfe, with its path as
// CheckText names it.
func spoilEachString(doc string) []spoiledJSON {
	var out []spoiledJSON
	data := []byte(doc)
	dec := json.NewDecoder(bytes.NewReader(data))
	var stack []string // keys of the objects we are in
	wantKey := false
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch tok := tok.(type) {
		case json.Delim:
			switch tok {
			case '{':
				wantKey = true
			case '}':
				if len(stack) > 0 {
					stack = stack[:len(stack)-1]
				}
				wantKey = true
			}
		case string:
			end := int(dec.InputOffset())
			// The byte goes before the closing quote.
			spoiled := append(append(append([]byte(nil), data[:end-1]...), 0xfe), data[end-1:]...)
			if wantKey {
				path := "a field name"
				if len(stack) > 0 {
					path += " in " + strings.Join(stack, ".")
				}
				if tok != "event" { // the name has a test of its own
					out = append(out, spoiledJSON{path, spoiled})
				}
				stack = append(stack, tok)
				wantKey = false
				continue
			}
			out = append(out, spoiledJSON{strings.Join(stack, "."), spoiled})
			stack = stack[:len(stack)-1]
			wantKey = true
		default:
			stack = stack[:len(stack)-1]
			wantKey = true
		}
	}
	return out
}

func FuzzCheckText(f *testing.F) {
	for _, seed := range []string{
		`{"msg":"hello"}`, `{"msg":"\ud83d\ude00"}`, `{"msg":"C:\\ud800"}`, `{"msg":"\ud800"}`,
		"{\"msg_id\":\"CHAT:1\xfe\"}", "{\"a\":[{\"\xff\":1}]}", `"\udc00x"`, `[1,"a",{"b":null}]`, ``, `{`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		err := protocol.CheckText(data)
		var v any
		if json.Unmarshal(data, &v) != nil {
			return
		}
		if err != nil {
			if codeOf(err) != protocol.CodeBadRequest {
				t.Fatalf("CheckText(%q) = %v, want code %s", data, err, protocol.CodeBadRequest)
			}
			// A refusal points at something encoding/json repairs.
			if utf8.Valid(data) && !bytes.Contains(bytes.ToLower(data), []byte(`\ud`)) {
				t.Fatalf("CheckText(%q) refused UTF-8 without a surrogate escape: %v", data, err)
			}
			return
		}
		// Accepted: decoding replaced nothing, so every U+FFFD decoded
		// was sent as one.
		sent := bytes.Count(data, []byte("\uFFFD")) + bytes.Count(bytes.ToLower(data), []byte(`\ufffd`))
		if got := countReplacements(v); got > sent {
			t.Fatalf("CheckText accepted %q, which decodes with %d U+FFFD, %d of them sent", data, got, sent)
		}
	})
}

// countReplacements counts U+FFFD in every string of a decoded JSON value,
// keys included.
func countReplacements(v any) int {
	switch v := v.(type) {
	case string:
		return strings.Count(v, "\uFFFD")
	case []any:
		n := 0
		for _, x := range v {
			n += countReplacements(x)
		}
		return n
	case map[string]any:
		n := 0
		for k, x := range v {
			n += strings.Count(k, "\uFFFD") + countReplacements(x)
		}
		return n
	}
	return 0
}
