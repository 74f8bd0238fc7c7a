package protocol_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/parleychat/parley/protocol"
)

// The wire's scalars differ between the documents, the SDKs and servers
// (API notes §3, §4.2, §9); these tables pin down every form Parley accepts.

func TestTimestampDecodes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		json string
		want time.Time // zero when the timestamp should stay unset
	}{
		{"seconds string, as every implementation sends", `"1613472342"`, time.Unix(1613472342, 0)},
		{"seconds number", `1613472342`, time.Unix(1613472342, 0)},
		{"milliseconds string, as the documents say", `"1613472342000"`, time.Unix(1613472342, 0)},
		{"milliseconds number", `1613472342000`, time.Unix(1613472342, 0)},
		{"milliseconds keep their fraction of a second", `1613472342250`, time.Unix(1613472342, 250e6)},
		{"seconds with a fraction", `1613472342.5`, time.Unix(1613472342, 5e8)},
		{"padded string", `" 1613472342 "`, time.Unix(1613472342, 0)},
		{"epoch", `"0"`, time.Unix(0, 0)},
		{"before the epoch, so whatever a Timestamp writes reads back", `-5`, time.Unix(-5, 0)},
		{"empty string", `""`, time.Time{}},
		{"null", `null`, time.Time{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got protocol.Timestamp
			if err := json.Unmarshal([]byte(tc.json), &got); err != nil {
				t.Fatalf("Unmarshal(%s): %v", tc.json, err)
			}
			if tc.want.IsZero() {
				if !got.IsZero() {
					t.Errorf("Unmarshal(%s) = %v, want the zero timestamp", tc.json, got.Time)
				}
				return
			}
			if got, want := got.Time, tc.want; !got.Equal(want) {
				t.Errorf("Unmarshal(%s) = %v, want %v", tc.json, got, want)
			}
			if got, want := got.Location(), time.UTC; got != want {
				t.Errorf("Unmarshal(%s) is in %v, want UTC", tc.json, got)
			}
		})
	}
}

func TestTimestampRejects(t *testing.T) {
	t.Parallel()
	testRejects[protocol.Timestamp](t, []rejectCase{
		{"words", `"abc"`},
		{"boolean", `true`},
		{"object", `{}`},
		{"array", `[1613472342]`},
		{"beyond milliseconds", `"1e16"`},
		{"not a number", `"NaN"`},
		{"infinite", `"Inf"`},
	})
}

func TestTimestampEncodesUnixSecondsAsAString(t *testing.T) {
	t.Parallel()
	testEncodes(t, []encodeCase[protocol.Timestamp]{
		{"whole second", protocol.Timestamp{Time: time.Unix(1613472342, 0)}, `"1613472342"`},
		{"fraction is dropped", protocol.Timestamp{Time: time.Unix(1613472342, 999e6)}, `"1613472342"`},
		{"time zone does not matter", protocol.Timestamp{Time: time.Unix(1613472342, 0).In(time.FixedZone("X", 5*3600))}, `"1613472342"`},
		{"At truncates", protocol.At(time.Unix(1613472342, 7e8)), `"1613472342"`},
		{"epoch", protocol.Timestamp{Time: time.Unix(0, 0)}, `"0"`},
	})
}

// TestTimestampRoundTrips holds Timestamp to its own promise: what it writes,
// it reads back to the same second. A zero timestamp (what "" and null
// decode to) and one past the seconds/milliseconds threshold must survive
// too, since a server re-encodes whatever it decoded.
func TestTimestampRoundTrips(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		ts   protocol.Timestamp
	}{
		{"fixture", ts},
		{"epoch", protocol.Timestamp{Time: time.Unix(0, 0).UTC()}},
		{"zero", protocol.Timestamp{}},
		{"the last millisecond the decoder takes", protocol.Timestamp{Time: time.UnixMilli(1e14 - 1).UTC()}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			data, err := json.Marshal(tc.ts)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			var back protocol.Timestamp
			if err := json.Unmarshal(data, &back); err != nil {
				t.Fatalf("Unmarshal(%s) of its own encoding: %v", data, err)
			}
			if got, want := back.IsZero(), tc.ts.IsZero(); got != want {
				t.Errorf("after %s IsZero = %v, want %v", data, got, want)
			}
			if !tc.ts.IsZero() {
				if got, want := back.Unix(), tc.ts.Unix(); got != want {
					t.Errorf("after %s Unix = %d, want %d", data, got, want)
				}
			}
		})
	}
}

func TestSecondsDecodes(t *testing.T) {
	t.Parallel()
	// Decoding starts from 99, so that a form read as unknown shows it
	// wrote the 0.
	testDecodes(t, protocol.Seconds(99), []decodeCase[protocol.Seconds]{
		{"string, as the SDK fixture sends", `"10"`, 10},
		{"number, as Request Chat documents", `10`, 10},
		{"fraction rounds down", `10.4`, 10},
		{"fraction rounds up", `10.6`, 11},
		{"numeric string with a fraction", `"10.4"`, 10},
		{"words mean unknown", `"about 2 minutes"`, 0},
		{"negative means unknown", `-3`, 0},
		{"null", `null`, 0},
		{"empty string", `""`, 0},
	})
}

func TestSecondsRejects(t *testing.T) {
	t.Parallel()
	testRejects[protocol.Seconds](t, []rejectCase{
		{"object", `{}`},
		{"array", `[]`},
		{"array of a number", `[10]`},
	})
}

func TestSecondsEncodesAsAString(t *testing.T) {
	t.Parallel()
	tests := []encodeCase[protocol.Seconds]{
		{"ten", 10, `"10"`},
		{"zero", 0, `"0"`},
		{"two minutes", 120, `"120"`},
	}
	testEncodes(t, tests)
	for _, tc := range tests {
		if got, want := tc.value.Duration(), time.Duration(tc.value)*time.Second; got != want {
			t.Errorf("%s: Duration() = %v, want %v", tc.name, got, want)
		}
	}
}

func TestIDDecodes(t *testing.T) {
	t.Parallel()
	testDecodes(t, protocol.ID{}, []decodeCase[protocol.ID]{
		{"string", `"17"`, protocol.TextID("17")},
		{"number, as the Android SDK sends form_request_id", `17`, protocol.NumberID(17)},
		{"msg_id form", `"c1:3"`, protocol.TextID("c1:3")},
		{"null", `null`, protocol.ID{}},
	})
}

func TestIDRejects(t *testing.T) {
	t.Parallel()
	testRejects[protocol.ID](t, []rejectCase{
		{"true", `true`},
		{"false", `false`},
		{"object", `{}`},
		{"array", `["17"]`},
	})
}

func TestIDEncodesAsAString(t *testing.T) {
	t.Parallel()
	testEncodes(t, []encodeCase[protocol.ID]{
		{"numeric", protocol.TextID("17"), `"17"`},
		{"msg_id", protocol.MessageID("c1", 2), `"c1:2"`},
		{"empty", protocol.ID{}, `""`},
	})
}

// null is a value a test wants present in JSON as null; nil wants it left
// out.
type null struct{}

// TestQuirksThroughEvents checks the same scalars where they really arrive:
// inside events, where a wrong shape would turn the event into a Malformed.
func TestQuirksThroughEvents(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		json string
		want protocol.Event
		// field and encoded are one key of the re-encoded event and the
		// value it must have there.
		field   string
		encoded any
	}{
		{"ewt as a number",
			`{"event":"chat_session_status","state":"queued","ewt":10}`,
			&protocol.Status{State: protocol.StateQueued, EWT: 10},
			"ewt", "10"},
		{"ewt as a string",
			`{"event":"chat_session_status","state":"queued","ewt":"10"}`,
			&protocol.Status{State: protocol.StateQueued, EWT: 10},
			"ewt", "10"},
		{"ewt in words",
			`{"event":"chat_session_status","state":"queued","ewt":"a few minutes"}`,
			&protocol.Status{State: protocol.StateQueued},
			"ewt", "0"},
		{"form_request_id as a number stays one",
			`{"event":"chat_session_form_show","form_request_id":17,"form_name":"MobileChatCustomerData"}`,
			&protocol.FormShow{FormRequestID: protocol.NumberID(17), FormName: "MobileChatCustomerData"},
			"form_request_id", float64(17)},
		{"form_request_id as a string stays one",
			`{"event":"chat_session_form_show","form_request_id":"17","form_name":"MobileChatCustomerData"}`,
			&protocol.FormShow{FormRequestID: protocol.TextID("17"), FormName: "MobileChatCustomerData"},
			"form_request_id", "17"},
		{"form_timeout as a number, as the old Java library reads it",
			`{"event":"chat_session_form_show","form_request_id":"17","form_name":"F","form_timeout":120}`,
			&protocol.FormShow{FormRequestID: protocol.TextID("17"), FormName: "F", FormTimeout: 120},
			"form_timeout", float64(120)},
		{"form_timeout as a string encodes as the Android SDK's integer",
			`{"event":"chat_session_form_show","form_request_id":"17","form_name":"F","form_timeout":"120"}`,
			&protocol.FormShow{FormRequestID: protocol.TextID("17"), FormName: "F", FormTimeout: 120},
			"form_timeout", float64(120)},
		{"coordinates as numbers, as the Android SDK and the web client send them",
			`{"event":"chat_session_location","latitude":48.8584,"longitude":2.2945}`,
			&protocol.Location{Latitude: "48.8584", Longitude: "2.2945"},
			"latitude", "48.8584"},
		{"coordinates as strings, as the iOS SDK sends them",
			`{"event":"chat_session_location","latitude":"48.8584","longitude":"2.2945"}`,
			&protocol.Location{Latitude: "48.8584", Longitude: "2.2945"},
			"longitude", "2.2945"},
		{"location without a url writes it as null, for the Android SDK",
			`{"event":"chat_session_location","latitude":"1","longitude":"2"}`,
			&protocol.Location{Latitude: "1", Longitude: "2"},
			"url", null{}},
		{"timestamp in milliseconds, as the documents say",
			`{"event":"chat_session_party_left","party_id":"agent-7","timestamp":"1613472342000"}`,
			&protocol.PartyLeft{Meta: protocol.Meta{PartyID: "agent-7", Timestamp: ts}},
			"timestamp", "1613472342"},
		{"timestamp as a number",
			`{"event":"chat_session_party_left","party_id":"agent-7","timestamp":1613472342}`,
			&protocol.PartyLeft{Meta: protocol.Meta{PartyID: "agent-7", Timestamp: ts}},
			"timestamp", "1613472342"},
		{"null timestamp, as SDK receipts send",
			`{"event":"chat_session_message_read","ref_msg_id":"a-3","timestamp":null}`,
			&protocol.MessageRead{RefMsgID: protocol.TextID("a-3")},
			"timestamp", nil},
		{"ref_msg_id as a number stays one",
			`{"event":"chat_session_message_delivered","ref_msg_id":42}`,
			&protocol.MessageDelivered{RefMsgID: protocol.NumberID(42)},
			"ref_msg_id", float64(42)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := mustDecodeEvent(t, []byte(tc.json))
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("decoded\n got %#v\nwant %#v", got, tc.want)
			}
			data, err := protocol.MarshalEvent(got)
			if err != nil {
				t.Fatalf("MarshalEvent: %v", err)
			}
			value, present := asMap(t, data)[tc.field]
			if tc.encoded == (null{}) {
				if !present || value != nil {
					t.Errorf("%s encodes %s = %v, want it present as null", data, tc.field, value)
				}
				return
			}
			if tc.encoded == nil {
				if present {
					t.Errorf("%s encodes %s = %v, want it left out", data, tc.field, value)
				}
				return
			}
			if got, want := value, tc.encoded; !reflect.DeepEqual(got, want) {
				t.Errorf("%s encodes %s = %#v, want %#v", data, tc.field, got, want)
			}
		})
	}
}

// TestWrongShapedScalarMakesTheEventMalformed shows the quirks stop where the
// API never goes: such a field costs only its own event.
func TestWrongShapedScalarMakesTheEventMalformed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		json string
	}{
		{"ewt object", `{"event":"chat_session_status","state":"queued","ewt":{}}`},
		{"timestamp words", `{"event":"chat_session_party_left","party_id":"a","timestamp":"yesterday"}`},
		{"msg_id boolean", `{"event":"chat_session_message","msg_id":true,"msg":"hi"}`},
		{"form_request_id object", `{"event":"chat_session_form_show","form_request_id":{},"form_name":"F"}`},
		{"form data value object", `{"event":"chat_session_form_data","form_request_id":"1","form_name":"F","data":{"a":{}}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := mustDecodeEvent(t, []byte(tc.json))
			m, ok := got.(*protocol.Malformed)
			if !ok {
				t.Fatalf("decoded %#v, want a *protocol.Malformed", got)
			}
			if m.Err == nil {
				t.Errorf("Malformed.Err is nil, want the reason")
			}
		})
	}
}

// TestIDKeepsItsJSONType: an id comes back in the JSON type it came in, so a
// client that sent numbers gets numbers (issue 10).
func TestIDKeepsItsJSONType(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		json string
		want string // what it encodes as
	}{
		{"string", `"17"`, `"17"`},
		{"number", `17`, `17`},
		{"number in exponent notation keeps its literal", `1e3`, `1e3`},
		{"negative number", `-4`, `-4`},
		{"msg_id form", `"c1:3"`, `"c1:3"`},
		{"null is no id", `null`, `""`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var id protocol.ID
			if err := json.Unmarshal([]byte(tc.json), &id); err != nil {
				t.Fatalf("Unmarshal(%s): %v", tc.json, err)
			}
			got, err := json.Marshal(id)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("%s encodes back as %s, want %s", tc.json, got, tc.want)
			}
		})
	}
}

// TestFormValuesKeepTheirTypes: a form answer's values come back in the JSON
// types the client sent them in, and read as text meanwhile.
func TestFormValuesKeepTheirTypes(t *testing.T) {
	t.Parallel()
	const in = `{"event":"chat_session_form_data","form_request_id":17,"form_name":"F","data":{"age":42,"agree":true,"none":null,"name":"Ada"}}`
	fd := mustDecodeEvent(t, []byte(in)).(*protocol.FormData)
	if want := map[string]string{"age": "42", "agree": "true", "none": "", "name": "Ada"}; !reflect.DeepEqual(fd.Data.Fields, want) {
		t.Errorf("Fields = %v, want %v", fd.Data.Fields, want)
	}
	out, err := protocol.MarshalEvent(fd)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := asMap(t, out), asMap(t, []byte(in)); !reflect.DeepEqual(got, want) {
		t.Errorf("encodes back as %s, want %s", out, in)
	}
	// A value changed in Fields is written as the new text.
	fd.Data.Fields["age"] = "43"
	out, _ = protocol.MarshalEvent(fd)
	if got := asMap(t, out)["data"].(map[string]any)["age"]; got != "43" {
		t.Errorf("a changed value encodes as %#v, want \"43\"", got)
	}
}

// decodeCase is a JSON text and the value it must decode to.
type decodeCase[T any] struct {
	name, json string
	want       T
}

// testDecodes decodes each case's JSON into a T that holds start, in a
// subtest, and checks it holds the case's want.
func testDecodes[T comparable](t *testing.T, start T, tests []decodeCase[T]) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := start
			if err := json.Unmarshal([]byte(tc.json), &got); err != nil {
				t.Fatalf("Unmarshal(%s): %v", tc.json, err)
			}
			if got != tc.want {
				t.Errorf("Unmarshal(%s) = %v, want %v", tc.json, got, tc.want)
			}
		})
	}
}

// rejectCase is a JSON text that must not decode.
type rejectCase struct{ name, json string }

// testRejects checks, in a subtest each, that no case's JSON decodes into a
// T.
func testRejects[T any](t *testing.T, tests []rejectCase) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got T
			if err := json.Unmarshal([]byte(tc.json), &got); err == nil {
				t.Errorf("Unmarshal(%s) = %v, want an error", tc.json, got)
			}
		})
	}
}

// encodeCase is a value and the JSON it must encode to.
type encodeCase[T any] struct {
	name  string
	value T
	want  string
}

// testEncodes checks, in a subtest each, that each case's value encodes to
// its want.
func testEncodes[T any](t *testing.T, tests []encodeCase[T]) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			data, err := json.Marshal(tc.value)
			if err != nil {
				t.Fatalf("Marshal(%v): %v", tc.value, err)
			}
			if got := string(data); got != tc.want {
				t.Errorf("Marshal(%v) = %s, want %s", tc.value, got, tc.want)
			}
		})
	}
}
