package protocol_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/parleychat/parley/protocol"
)

func TestEncodeEnvelopeWithoutEvents(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		events []protocol.Event
	}{
		{"no arguments", nil},
		{"empty slice", []protocol.Event{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			data, err := protocol.EncodeEnvelope(tc.events...)
			if err != nil {
				t.Fatalf("EncodeEnvelope: %v", err)
			}
			// SDKs iterate over events without a null check.
			if got, want := string(data), `{"events":[]}`; got != want {
				t.Errorf("EncodeEnvelope() = %s, want %s", got, want)
			}
		})
	}
}

// TestEncodeEncodedEventsIsTheEnvelope: a frame assembled from events
// encoded one by one reads exactly as the envelope of those events.
func TestEncodeEncodedEventsIsTheEnvelope(t *testing.T) {
	t.Parallel()
	mixed, err := protocol.DecodeEnvelope([]byte(mixedBody))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		events []protocol.Event
		epoch  string
	}{
		{"no events, naming the epoch", nil, "e1"},
		{"no events, no epoch", nil, ""},
		{"a bit of everything", mixed.Events, "e2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var raws []json.RawMessage
			for _, e := range tc.events {
				raw, err := protocol.MarshalEvent(e)
				if err != nil {
					t.Fatal(err)
				}
				raws = append(raws, raw)
			}
			got, err := protocol.EncodeEncodedEvents(raws, tc.epoch)
			if err != nil {
				t.Fatal(err)
			}
			want, err := json.Marshal(protocol.Envelope{Events: tc.events, Epoch: tc.epoch})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("EncodeEncodedEvents = %s\nthe envelope is    %s", got, want)
			}
		})
	}
}

// mixedBody is a poll answer with a bit of everything a client meets: known
// events of both directions, quirky scalars and an event the API never named.
const mixedBody = `{"events":[
	{"event":"chat_session_status","state":"queued","ewt":10},
	{"event":"chat_session_party_joined","party_id":"agent-7","first_name":"Grace","type":"internal","timestamp":"1613472342000"},
	{"event":"chat_session_message","msg_id":"a-3","party_id":"agent-7","msg":"Hi<br>there","msg_text":"Hi\nthere","timestamp":1613472342,"seq":4},
	{"event":"chat_session_form_show","form_request_id":17,"form_name":"","form_timeout":"60"},
	{"event":"chat_session_signaling","party_id":"agent-7","data":"{\"type\":\"END_CALL\"}"},
	{"event":"chat_session_cobrowsing_requested","party_id":"agent-7","timestamp":"1613472342","session":{"id":1}},
	{"event":"chat_session_form_data","form_request_id":"17","form_name":"","data":{"text":"my order 42"}}
]}`

func TestEnvelopeRoundTrip(t *testing.T) {
	t.Parallel()
	first, err := protocol.DecodeEnvelope([]byte(mixedBody))
	if err != nil {
		t.Fatalf("DecodeEnvelope: %v", err)
	}
	if got, want := len(first.Events), 7; got != want {
		t.Fatalf("decoded %d events, want %d", got, want)
	}
	data, err := protocol.EncodeEnvelope(first.Events...)
	if err != nil {
		t.Fatalf("EncodeEnvelope: %v", err)
	}
	second, err := protocol.DecodeEnvelope(data)
	if err != nil {
		t.Fatalf("DecodeEnvelope of %s: %v", data, err)
	}
	for i := range first.Events {
		// Unknown keeps its raw bytes, which EncodeEnvelope compacts, so
		// compare those by meaning.
		if u, ok := first.Events[i].(*protocol.Unknown); ok {
			u2, ok := second.Events[i].(*protocol.Unknown)
			if !ok {
				t.Errorf("event %d: %T after re-encoding, want *protocol.Unknown", i, second.Events[i])
				continue
			}
			if got, want := asMap(t, u2.Raw), asMap(t, u.Raw); !reflect.DeepEqual(got, want) {
				t.Errorf("event %d: raw %s after re-encoding, want %s", i, u2.Raw, u.Raw)
			}
			if got, want := u2.Meta, u.Meta; got != want {
				t.Errorf("event %d: meta %+v after re-encoding, want %+v", i, got, want)
			}
			continue
		}
		if got, want := second.Events[i], first.Events[i]; !reflect.DeepEqual(got, want) {
			t.Errorf("event %d after re-encoding\n got %#v\nwant %#v", i, got, want)
		}
	}
}

func TestUnknownEventIsKeptVerbatim(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		event string
		want  protocol.Meta
	}{
		{"cobrowsing with meta", `{"event":"chat_session_cobrowsing_started","party_id":"agent-7","timestamp":"1613472342","session":{"id":1,"tags":["a",null]}}`,
			protocol.Meta{PartyID: "agent-7", Timestamp: ts}},
		{"android's submit event", `{"event":"chat_session_form_submit","form_data":{"a":"b"},"req_id":3,"party_id":"c1","timestamp":1613472342000}`,
			protocol.Meta{PartyID: "c1", Timestamp: ts}},
		{"meta of the wrong shape is dropped, the event kept", `{"event":"x_custom","party_id":{"id":1},"timestamp":"soon"}`,
			protocol.Meta{}},
		{"empty name", `{"event":""}`, protocol.Meta{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env, err := protocol.DecodeEnvelope([]byte(`{"events":[` + tc.event + `]}`))
			if err != nil {
				t.Fatalf("DecodeEnvelope: %v", err)
			}
			if got, want := len(env.Events), 1; got != want {
				t.Fatalf("decoded %d events, want %d", got, want)
			}
			u, ok := env.Events[0].(*protocol.Unknown)
			if !ok {
				t.Fatalf("decoded %T, want *protocol.Unknown", env.Events[0])
			}
			if got, want := u.EventType(), asMap(t, []byte(tc.event))["event"]; got != want {
				t.Errorf("EventType() = %q, want %q", got, want)
			}
			if got, want := string(u.Raw), tc.event; got != want {
				t.Errorf("Raw = %s, want %s", got, want)
			}
			if got, want := *u.EventMeta(), tc.want; got != want {
				t.Errorf("Meta = %+v, want %+v", got, want)
			}
			raw, err := protocol.MarshalEvent(u)
			if err != nil {
				t.Fatalf("MarshalEvent: %v", err)
			}
			if got, want := string(raw), tc.event; got != want {
				t.Errorf("MarshalEvent = %s, want %s", got, want)
			}
			data, err := protocol.EncodeEnvelope(u)
			if err != nil {
				t.Fatalf("EncodeEnvelope: %v", err)
			}
			if got, want := string(data), `{"events":[`+tc.event+`]}`; got != want {
				t.Errorf("EncodeEnvelope = %s, want %s", got, want)
			}
		})
	}
}

func TestMalformedEventDoesNotCostTheOthers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		malformed string
		meta      protocol.Meta
	}{
		{"msg is an object", `{"event":"chat_session_message","msg_id":"a-1","msg":{},"party_id":"agent-7","timestamp":"1613472342"}`,
			protocol.Meta{PartyID: "agent-7", Timestamp: ts}},
		{"state is a number", `{"event":"chat_session_status","state":3}`, protocol.Meta{}},
		{"data is a list", `{"event":"chat_session_form_data","form_request_id":"1","data":[1]}`, protocol.Meta{}},
		{"party type is a number", `{"event":"chat_session_party_left","party_id":"agent-7","type":7,"timestamp":"1613472342"}`,
			protocol.Meta{PartyID: "agent-7", Timestamp: ts}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			body := `{"events":[{"event":"chat_session_typing","party_id":"agent-7"},` + tc.malformed + `,{"event":"chat_session_ended"}]}`
			env, err := protocol.DecodeEnvelope([]byte(body))
			if err != nil {
				t.Fatalf("DecodeEnvelope: %v", err)
			}
			want := []string{protocol.TypeTyping, asMap(t, []byte(tc.malformed))["event"].(string), protocol.TypeEnded}
			if got, want := eventTypes(env.Events), want; !reflect.DeepEqual(got, want) {
				t.Fatalf("decoded %v, want %v", got, want)
			}
			if _, ok := env.Events[0].(*protocol.Typing); !ok {
				t.Errorf("event 0 is %T, want *protocol.Typing", env.Events[0])
			}
			if _, ok := env.Events[2].(*protocol.Ended); !ok {
				t.Errorf("event 2 is %T, want *protocol.Ended", env.Events[2])
			}
			m, ok := env.Events[1].(*protocol.Malformed)
			if !ok {
				t.Fatalf("event 1 is %T, want *protocol.Malformed", env.Events[1])
			}
			if m.Err == nil {
				t.Errorf("Malformed.Err is nil, want the reason")
			}
			if got, want := string(m.Raw), tc.malformed; got != want {
				t.Errorf("Raw = %s, want %s", got, want)
			}
			if got, want := m.Meta, tc.meta; got != want {
				t.Errorf("Meta = %+v, want %+v", got, want)
			}
			raw, err := protocol.MarshalEvent(m)
			if err != nil {
				t.Fatalf("MarshalEvent: %v", err)
			}
			if got, want := string(raw), tc.malformed; got != want {
				t.Errorf("MarshalEvent = %s, want %s", got, want)
			}
		})
	}
}

func TestDecodeEnvelopeOfNothing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
	}{
		// Servers answer Send Events with an empty 200.
		{"empty", ""},
		{"whitespace", " \r\n\t "},
		{"null", "null"},
		{"no events key", `{}`},
		{"null events", `{"events":null}`},
		{"empty events", `{"events":[]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env, err := protocol.DecodeEnvelope([]byte(tc.body))
			if err != nil {
				t.Fatalf("DecodeEnvelope(%q): %v", tc.body, err)
			}
			if got, want := len(env.Events), 0; got != want {
				t.Errorf("decoded %d events, want %d", got, want)
			}
			if env.Error != nil {
				t.Errorf("Error = %+v, want nil", env.Error)
			}
		})
	}
}

func TestDecodeEnvelopeRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
	}{
		{"event that is a number", `{"events":[5]}`},
		{"bare array", `[]`},
		{"events is an object", `{"events":{}}`},
		{"not json", `not json`},
		{"event without a name", `{"events":[{"msg":"hi"}]}`},
		{"event name that is a number", `{"events":[{"event":5}]}`},
		{"event name that is null", `{"events":[{"event":null}]}`},
		{"good event then a bad one", `{"events":[{"event":"chat_session_typing"},"x"]}`},
		{"truncated", `{"events":[{"event":"chat_session_typing"}`},
		{"trailing garbage", `{"events":[]} x`},
		{"error code of the wrong shape", `{"events":[],"error_code":{}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := protocol.DecodeEnvelope([]byte(tc.body))
			if got, want := codeOf(err), protocol.CodeBadRequest; got != want {
				t.Errorf("DecodeEnvelope(%s) = %v (code %q), want code %q", tc.body, err, got, want)
			}
		})
	}
}

func TestUnmarshalEventRefusesWhatCannotBeNamed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		json string
	}{
		{"number", `5`},
		{"string", `"chat_session_typing"`},
		{"no event key", `{"msg":"hi"}`},
		{"event is not a string", `{"event":["chat_session_typing"]}`},
		{"empty", ``},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if e, err := protocol.UnmarshalEvent([]byte(tc.json)); err == nil {
				t.Errorf("UnmarshalEvent(%s) = %#v, want an error", tc.json, e)
			}
		})
	}
}

// TestEnvelopeSocketFields covers Parley's WebSocket frames, which reuse the
// envelope with ref, epoch and an inline error.
func TestEnvelopeSocketFields(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  protocol.Envelope
		keys map[string]any
	}{
		{"refusal of a client frame",
			protocol.Envelope{Events: []protocol.Event{}, Ref: "r-1", Error: protocol.Errorf(protocol.CodeTooLarge, "too big")},
			map[string]any{"events": []any{}, "ref": "r-1", "error_code": "7001", "error_message": "too big"}},
		{"server frame with an epoch",
			protocol.Envelope{Events: []protocol.Event{&protocol.Typing{Meta: protocol.Meta{PartyID: "agent-7"}}}, Epoch: "e-9"},
			map[string]any{"events": []any{map[string]any{"event": "chat_session_typing", "party_id": "agent-7"}}, "epoch": "e-9"}},
		{"all of them",
			protocol.Envelope{Events: []protocol.Event{}, Ref: "r-2", Epoch: "e-9", Error: &protocol.Error{Code: protocol.CodeRateLimited, Message: "slow down"}},
			map[string]any{"events": []any{}, "ref": "r-2", "epoch": "e-9", "error_code": "7002", "error_message": "slow down"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			data, err := json.Marshal(tc.env)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if got, want := asMap(t, data), tc.keys; !reflect.DeepEqual(got, want) {
				t.Errorf("Marshal = %s, want %v", data, want)
			}
			back, err := protocol.DecodeEnvelope(data)
			if err != nil {
				t.Fatalf("DecodeEnvelope(%s): %v", data, err)
			}
			if got, want := back, tc.env; !reflect.DeepEqual(got, want) {
				t.Errorf("decoded %+v, want %+v", got, want)
			}
		})
	}
}

// TestEnvelopeUnmarshalsInsideOtherJSON matters because a frame may arrive
// nested, and json.Unmarshal must reach Envelope.UnmarshalJSON.
func TestEnvelopeUnmarshalsInsideOtherJSON(t *testing.T) {
	t.Parallel()
	var frame struct {
		Envelope protocol.Envelope `json:"envelope"`
	}
	if err := json.Unmarshal([]byte(`{"envelope":{"events":[{"event":"chat_session_ended"}],"ref":"r"}}`), &frame); err != nil {
		t.Fatalf("Unmarshal: %v", err)
	}
	if got, want := eventTypes(frame.Envelope.Events), []string{protocol.TypeEnded}; !reflect.DeepEqual(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}
	if got, want := frame.Envelope.Ref, "r"; got != want {
		t.Errorf("Ref = %q, want %q", got, want)
	}
}

func TestDecodeError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want *protocol.Error
	}{
		{"number code, as the documents' placeholder", `{"error_code":5003,"error_message":"x"}`, &protocol.Error{Code: protocol.CodeBadRequest, Message: "x"}},
		{"string code, as the SDKs expect", `{"error_code":"5005","error_message":"Chat session not found"}`, &protocol.Error{Code: protocol.CodeChatNotFound, Message: "Chat session not found"}},
		{"code without a message", `{"error_code":"5500"}`, &protocol.Error{Code: protocol.CodeInternal}},
		{"empty object", `{}`, nil},
		{"message without a code", `{"error_message":"x"}`, nil},
		{"null code", `{"error_code":null,"error_message":"x"}`, nil},
		{"events envelope", `{"events":[]}`, nil},
		{"not json", `<html>502 Bad Gateway</html>`, nil},
		{"empty body", ``, nil},
		{"code of the wrong shape", `{"error_code":{"n":1}}`, nil},
		// Code.UnmarshalJSON documents a string or a number, nothing else.
		{"boolean code", `{"error_code":true,"error_message":"x"}`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got, want := protocol.DecodeError([]byte(tc.body)), tc.want; !reflect.DeepEqual(got, want) {
				t.Errorf("DecodeError(%s) = %+v, want %+v", tc.body, got, want)
			}
		})
	}
}

func TestErrorEncodesItsCodeAsAString(t *testing.T) {
	t.Parallel()
	data, err := json.Marshal(protocol.Errorf(protocol.CodeChatNotFound, "gone"))
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	// The web client compares error_code === "5005".
	if got, want := string(data), `{"error_code":"5005","error_message":"gone"}`; got != want {
		t.Errorf("Marshal = %s, want %s", got, want)
	}
}

// TestMarshalEventOfANilPointer holds MarshalEvent to its doc comment: what
// it returns without an error is a JSON object.
func TestMarshalEventOfANilPointer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		event protocol.Event
	}{
		{"message", (*protocol.Message)(nil)},
		{"status", (*protocol.Status)(nil)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			data, err := protocol.MarshalEvent(tc.event)
			if err == nil && !json.Valid(data) {
				t.Errorf("MarshalEvent = %s with no error, not JSON", data)
			}
		})
	}
}

func eventTypes(events []protocol.Event) []string {
	names := make([]string, len(events))
	for i, e := range events {
		names[i] = e.EventType()
	}
	return names
}

// TestEncodeEnvelopeKeepsOrder matters because the stream's order is the
// chat's order.
func TestEncodeEnvelopeKeepsOrder(t *testing.T) {
	t.Parallel()
	events := make([]protocol.Event, 0, len(eventCases))
	for _, tc := range eventCases {
		events = append(events, tc.want)
	}
	data, err := protocol.EncodeEnvelope(events...)
	if err != nil {
		t.Fatalf("EncodeEnvelope: %v", err)
	}
	if !bytes.HasPrefix(data, []byte(`{"events":[{"event":"chat_session_message"`)) {
		t.Errorf("EncodeEnvelope = %.60s..., want the events first", data)
	}
	env, err := protocol.DecodeEnvelope(data)
	if err != nil {
		t.Fatalf("DecodeEnvelope: %v", err)
	}
	if got, want := env.Events, events; !reflect.DeepEqual(got, want) {
		t.Errorf("round trip of every documented event changed them:\n got %v\nwant %v", eventTypes(got), eventTypes(want))
	}
}
