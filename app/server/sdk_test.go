package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// This file holds what Bright Pattern's mobile SDKs declare of every server
// event and method answer, written from their DTOs, and a decoder that reads
// JSON as each SDK does. The conformance tests run everything the server
// writes through both.
//
// Android: ServicePattern/MobileAPI_Android at fda8cdc (v2.1.0),
// entity/ContactCenterEvent.kt and model/*.kt, decoded by
// kotlinx.serialization-json 1.1.0 with isLenient, ignoreUnknownKeys and
// classDiscriminator "event". A property without a default is required,
// nullable or not. Lenient strings take any JSON scalar; numbers and
// booleans take their text quoted or not; an enum takes only its names. The
// poll, history and case history decode {"events":[...]} as one list: one
// event that does not decode fails the whole answer, and the poll loop
// stops (PollRequest.kt calls runObservation only on success).
//
// iOS: ServicePattern/MobileAPI_IOS at c309b30 (v0.1.7), the *Dto.swift
// files, decoded by Foundation's JSONDecoder: a String takes only a JSON
// string, an optional may be missing or null, and a Date is a string of
// Unix seconds (ContactCenterCommunicator.JSONCoder's strategy).
// ContactCenterEventsContainerDto decodes each event on its own and drops
// one that fails: the app never hears of it.

// kind is the type a DTO declares for a field.
type kind int

const (
	kString kind = iota
	kInt         // Kotlin Int: 32 bits
	kLong        // Kotlin Long
	kFloat       // Kotlin Float
	kBool
	kDate // iOS Date: a string of Unix seconds
	kEnum
	kObject
	kMap // Kotlin Map<String, String>
)

func (k kind) String() string {
	return [...]string{"string", "int", "long", "float", "bool", "date", "enum", "object", "map"}[k]
}

// field is one field of a DTO.
type field struct {
	name string
	kind kind
	// required: the key must be there. Kotlin: no default value; Swift: not
	// an optional.
	required bool
	// nullable: null is a value. Kotlin: a "?" type; Swift: an optional.
	nullable bool
	enum     []string
	fields   []field // of an object
}

func req(name string, k kind) field     { return field{name: name, kind: k, required: true} }
func opt(name string, k kind) field     { return field{name: name, kind: k} }
func optNull(name string, k kind) field { return field{name: name, kind: k, nullable: true} }
func reqNull(name string, k kind) field {
	return field{name: name, kind: k, required: true, nullable: true}
}
func reqEnum(name string, v ...string) field {
	return field{name: name, kind: kEnum, required: true, enum: v}
}

// sdk is one SDK: how it reads JSON, what it declares, how it takes a batch.
type sdk struct {
	name string
	// lenient: kotlinx's isLenient, which the Android SDK sets.
	lenient bool
	// events are the server events the SDK decodes, by name; it skips the
	// others.
	events map[string][]field
	// answers are the method answers it decodes.
	answers map[string][]field
	// failsBatch: one bad event fails all of its answer.
	failsBatch bool
}

var (
	partyTypes = []string{"scenario", "external", "internal"}
	chatStates = []string{"queued", "connecting", "connected", "ivr", "failed", "completed"}
)

var android = sdk{
	name:       "Android SDK",
	lenient:    true,
	failsBatch: true,
	events: map[string][]field{
		"chat_session_message": {
			opt("msg_id", kString), reqNull("party_id", kString), req("msg", kString), opt("timestamp", kLong),
		},
		"chat_session_message_delivered": {req("ref_msg_id", kString), reqNull("party_id", kString), opt("timestamp", kLong)},
		"chat_session_message_read":      {req("ref_msg_id", kString), reqNull("party_id", kString), opt("timestamp", kLong)},
		"chat_session_message_status":    {reqEnum("state", chatStates...), req("ewt", kString)},
		"chat_session_party_joined": {
			opt("party_id", kString), opt("first_name", kString), opt("last_name", kString), opt("display_name", kString),
			reqEnum("type", partyTypes...), opt("timestamp", kLong),
		},
		"chat_session_party_left":         {req("party_id", kString), opt("timestamp", kLong)},
		"chat_session_typing":             {reqNull("party_id", kString), opt("timestamp", kLong)},
		"chat_session_not_typing":         {reqNull("party_id", kString), opt("timestamp", kLong)},
		"chat_session_location":           {reqNull("party_id", kString), reqNull("url", kString), req("latitude", kFloat), req("longitude", kFloat), opt("timestamp", kLong)},
		"chat_session_timeout_warning":    {req("msg", kString), opt("timestamp", kLong)},
		"chat_session_inactivity_timeout": {req("msg", kString), opt("timestamp", kLong)},
		"chat_session_ended":              {opt("empty", kString)},
		"chat_session_disconnect":         {opt("empty", kString)},
		"chat_session_end":                {opt("empty", kString)},
		"chat_session_file": {
			req("file_name", kString), req("file_id", kString), req("file_type", kString), req("party_id", kString),
			optNull("url", kString), opt("timestamp", kLong),
		},
		"chat_session_form_submit": {opt("form_data", kMap), reqNull("party_id", kString), opt("req_id", kInt), opt("timestamp", kLong)},
		"chat_session_case_set":    {req("case_id", kString), opt("timestamp", kLong)},
		"chat_session_status":      {req("ewt", kString)},
		"chat_session_signaling": {
			{name: "data", kind: kObject, required: true, fields: []field{
				optNull("candidate", kString), optNull("sdp", kString), optNull("sdpMLineIndex", kString), optNull("sdpMid", kString),
				{name: "type", kind: kEnum, nullable: true, enum: []string{"REQUEST_CALL", "END_CALL", "CALL_REJECTED", "ANSWER_CALL", "OFFER_CALL", "ICE_CANDIDATE"}},
			}},
			optNull("party_id", kString), opt("msg_id", kString), optNull("destination_party_id", kString), opt("timestamp", kLong),
		},
		"chat_session_form_show": {
			req("channel", kString), req("form_name", kString), req("form_request_id", kInt), req("form_timeout", kInt), req("timestamp", kString),
		},
	},
	answers: map[string][]field{
		"request chat":  {req("chat_id", kString), reqEnum("state", chatStates...), optNull("ewt", kInt), req("is_new_chat", kBool), opt("phone_number", kString)},
		"availability":  {reqEnum("chat", "available", "unavailable"), optNull("ewt", kInt)},
		"version":       {req("server_version", kString)},
		"upload":        {req("file_name", kString), req("file_id", kString)},
		"case session":  {req("chat_id", kString), req("created_time", kLong)},
		"error":         {req("error_code", kString), req("error_message", kString)},
		"events answer": {{name: "events", kind: kObject, required: true}},
	},
}

var ios = sdk{
	name: "iOS SDK",
	events: map[string][]field{
		"chat_session_status":            {reqEnum("state", chatStates...), req("ewt", kString)},
		"chat_session_case_set":          {optNull("case_id", kString), req("timestamp", kDate)},
		"chat_session_message":           {optNull("msg_id", kString), optNull("party_id", kString), req("msg", kString), optNull("msg_text", kString), optNull("timestamp", kDate)},
		"chat_session_message_delivered": {optNull("ref_msg_id", kString), optNull("party_id", kString), optNull("timestamp", kDate)},
		"chat_session_message_read":      {optNull("ref_msg_id", kString), optNull("party_id", kString), optNull("timestamp", kDate)},
		"chat_session_party_joined": {
			req("party_id", kString), optNull("first_name", kString), optNull("last_name", kString), optNull("display_name", kString),
			reqEnum("type", partyTypes...), req("timestamp", kDate),
		},
		"chat_session_party_left":         {req("party_id", kString), req("timestamp", kDate)},
		"chat_session_typing":             {optNull("party_id", kString), optNull("timestamp", kDate)},
		"chat_session_not_typing":         {optNull("party_id", kString), optNull("timestamp", kDate)},
		"chat_session_location":           {optNull("party_id", kString), optNull("url", kString), req("latitude", kString), req("longitude", kString), optNull("timestamp", kDate)},
		"chat_session_timeout_warning":    {req("msg", kString), req("timestamp", kDate)},
		"chat_session_inactivity_timeout": {req("msg", kString), req("timestamp", kDate)},
		"chat_session_ended":              {},
		"chat_session_disconnect":         {},
		"chat_session_end":                {},
	},
	answers: map[string][]field{
		"request chat":  {req("chat_id", kString), reqEnum("state", chatStates...), optNull("ewt", kString), req("is_new_chat", kBool), optNull("phone_number", kString)},
		"availability":  {reqEnum("chat", "available", "notAvailable"), optNull("ewt", kString)},
		"version":       {req("server_version", kString)},
		"case session":  {req("chat_id", kString), req("created_time", kDate)},
		"error":         {req("error_code", kString), req("error_message", kString)},
		"events answer": {{name: "events", kind: kObject, required: true}},
	},
}

// sdks are the SDKs every test holds the server to.
var sdks = []sdk{android, ios}

// decodeObject reads raw as the SDK reads a value of fields, and returns why
// it cannot.
func (s sdk) decodeObject(raw json.RawMessage, fields []field) error {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return fmt.Errorf("not an object: %.60s", raw)
	}
	for _, f := range fields {
		value, present := obj[f.name]
		if !present {
			if f.required {
				return fmt.Errorf("%s is missing, and the SDK requires it", f.name)
			}
			continue
		}
		if err := s.decodeValue(value, f); err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
	}
	return nil
}

// kotlinInt is the text Kotlin's String.toInt and toLong take.
var kotlinInt = regexp.MustCompile(`^[+-]?[0-9]+$`)

// decodeValue reads one value of the field.
func (s sdk) decodeValue(raw json.RawMessage, f field) error {
	raw = bytes.TrimSpace(raw)
	if string(raw) == "null" {
		if f.nullable {
			return nil
		}
		return fmt.Errorf("null, where the SDK declares a %s that cannot be null", f.kind)
	}
	var str string
	isString := json.Unmarshal(raw, &str) == nil
	text := string(raw) // a scalar's text, as kotlinx's JsonPrimitive.content
	if isString {
		text = str
	}
	scalar := isString || (raw[0] != '{' && raw[0] != '[')
	switch f.kind {
	case kString:
		if isString || s.lenient && scalar {
			return nil
		}
		return fmt.Errorf("%s, where the SDK declares a string", raw)
	case kInt, kLong:
		bits := 32
		if f.kind == kLong {
			bits = 64
		}
		if !s.lenient && isString || !scalar || !kotlinInt.MatchString(text) {
			return fmt.Errorf("%s, where the SDK declares an integer", raw)
		}
		if _, err := strconv.ParseInt(strings.TrimPrefix(text, "+"), 10, bits); err != nil {
			return fmt.Errorf("%s does not fit the SDK's %d-bit integer", raw, bits)
		}
		return nil
	case kFloat:
		v, err := strconv.ParseFloat(strings.TrimSpace(text), 32)
		if !scalar || err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
			return fmt.Errorf("%s, where the SDK declares a float", raw)
		}
		return nil
	case kBool:
		if raw[0] == 't' || raw[0] == 'f' || s.lenient && isString && (str == "true" || str == "false") {
			return nil
		}
		return fmt.Errorf("%s, where the SDK declares a boolean", raw)
	case kDate:
		if _, err := strconv.ParseFloat(str, 64); !isString || err != nil || strings.TrimSpace(str) != str {
			return fmt.Errorf("%s, where the SDK reads a date from a string of seconds", raw)
		}
		return nil
	case kEnum:
		if (isString || s.lenient && scalar) && slices.Contains(f.enum, text) {
			return nil
		}
		return fmt.Errorf("%s is not one of the SDK's %v", raw, f.enum)
	case kObject:
		if raw[0] != '{' && !(f.fields == nil && raw[0] == '[') {
			return fmt.Errorf("%s, where the SDK declares an object", raw)
		}
		if f.fields == nil {
			return nil
		}
		return s.decodeObject(raw, f.fields)
	case kMap:
		var m map[string]json.RawMessage
		if json.Unmarshal(raw, &m) != nil {
			return fmt.Errorf("%s, where the SDK declares a map", raw)
		}
		for k, v := range m {
			if err := s.decodeValue(v, req(k, kString)); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("no rule for %s", f.kind)
}

// decodeEvent reads one event as the SDK does. known says whether the SDK
// decodes this event's name at all; it skips the others.
func (s sdk) decodeEvent(raw json.RawMessage) (name string, known bool, err error) {
	var head struct {
		Event string `json:"event"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return "", true, fmt.Errorf("the event has no name: %.80s", raw)
	}
	fields, known := s.events[head.Event]
	if !known {
		return head.Event, false, nil
	}
	if err := s.decodeObject(raw, fields); err != nil {
		return head.Event, true, fmt.Errorf("%s %s: %w", head.Event, raw, err)
	}
	return head.Event, true, nil
}

// batch is the outcome of one events answer as an SDK takes it.
type batch struct {
	// got are the events the app hears of, by name.
	got []string
	// failures are the events the SDK could not decode; with failsBatch,
	// any one of them cost the app the whole answer.
	failures []error
}

// decodeBatch reads {"events":[...]} as the SDK does.
func (s sdk) decodeBatch(body []byte) batch {
	var env struct {
		Events []json.RawMessage `json:"events"`
	}
	if err := json.Unmarshal(body, &env); err != nil || env.Events == nil {
		return batch{failures: []error{fmt.Errorf("not an events answer: %.100s", body)}}
	}
	var b batch
	for _, raw := range env.Events {
		name, known, err := s.decodeEvent(raw)
		switch {
		case err != nil:
			b.failures = append(b.failures, err)
		case known:
			b.got = append(b.got, name)
		}
	}
	if s.failsBatch && len(b.failures) > 0 {
		b.got = nil
	}
	return b
}

// checkBatch fails the test for every event of body either SDK cannot
// decode, saying what the SDK's batch rule then costs the app, and returns
// the names of the events found.
func checkBatch(t *testing.T, what string, body []byte) []string {
	t.Helper()
	var names []string
	for _, s := range sdks {
		b := s.decodeBatch(body)
		for _, err := range b.failures {
			if s.failsBatch {
				t.Errorf("%s: the %s fails the whole answer on %v", what, s.name, err)
			} else {
				t.Errorf("%s: the %s drops %v", what, s.name, err)
			}
		}
	}
	var env struct {
		Events []struct {
			Event string `json:"event"`
		} `json:"events"`
	}
	_ = json.Unmarshal(body, &env)
	for _, e := range env.Events {
		names = append(names, e.Event)
	}
	return names
}

// checkAnswer fails the test if a method's answer does not decode under
// each SDK that declares it.
func checkAnswer(t *testing.T, what, answer string, body []byte) {
	t.Helper()
	for _, s := range sdks {
		fields, ok := s.answers[answer]
		if !ok {
			continue
		}
		if err := s.decodeObject(body, fields); err != nil {
			t.Errorf("%s: the %s cannot decode %s: %v", what, s.name, body, err)
		}
	}
}

// TestSDKDecoders pins the decoders to what the SDKs do, so the conformance
// tests built on them test the server and not the decoders.
func TestSDKDecoders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		event   string
		android bool // whether it decodes under the Android SDK
		ios     bool
	}{
		{"status with ewt as a string", `{"event":"chat_session_status","state":"connected","ewt":"0"}`, true, true},
		{"status without ewt, as Parley wrote it before", `{"event":"chat_session_status","state":"connected"}`, false, false},
		{"status with ewt as a number", `{"event":"chat_session_status","state":"queued","ewt":10}`, true, false},
		{"form show as the Android SDK declares it", `{"event":"chat_session_form_show","form_request_id":17,"form_name":"f","form_timeout":60,"channel":"chat","timestamp":"1"}`, true, true},
		{"form show with a text form_request_id", `{"event":"chat_session_form_show","form_request_id":"a1b2","form_name":"f","form_timeout":60,"channel":"chat","timestamp":"1"}`, false, true},
		{"form show without channel", `{"event":"chat_session_form_show","form_request_id":17,"form_name":"f","form_timeout":60,"timestamp":"1"}`, false, true},
		{"form show with digits in a string", `{"event":"chat_session_form_show","form_request_id":"17","form_name":"f","form_timeout":"60","channel":"chat","timestamp":"1"}`, true, true},
		{"timeout warning without msg", `{"event":"chat_session_timeout_warning","timestamp":"1"}`, false, false},
		{"location with numbers", `{"event":"chat_session_location","party_id":"p","url":null,"latitude":1.5,"longitude":2}`, true, false},
		{"location with strings", `{"event":"chat_session_location","party_id":"p","url":null,"latitude":"1.5","longitude":"2"}`, true, true},
		{"location without url", `{"event":"chat_session_location","party_id":"p","latitude":"1.5","longitude":"2"}`, false, true},
		{"party joined as msteams", `{"event":"chat_session_party_joined","party_id":"p","type":"msteams","timestamp":"1"}`, false, false},
		{"party joined without timestamp", `{"event":"chat_session_party_joined","party_id":"p","type":"internal"}`, true, false},
		{"message with a numeric msg_id", `{"event":"chat_session_message","msg_id":7,"party_id":"p","msg":"hi","timestamp":"1"}`, true, false},
		{"message with a numeric timestamp", `{"event":"chat_session_message","party_id":"p","msg":"hi","timestamp":1}`, true, false},
		{"file without file_type", `{"event":"chat_session_file","file_id":"f","file_name":"a.png","party_id":"p"}`, false, true},
		{"signaling with data as a string", `{"event":"chat_session_signaling","data":"{\"type\":\"END_CALL\"}"}`, false, true},
		{"signaling with a type the Android SDK does not know", `{"event":"chat_session_signaling","data":{"type":"REQUEST_SMS"}}`, false, true},
		{"an event neither knows", `{"event":"chat_session_info","service_name":"Sales"}`, true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, c := range []struct {
				s    sdk
				want bool
			}{{android, tc.android}, {ios, tc.ios}} {
				_, _, err := c.s.decodeEvent(json.RawMessage(tc.event))
				if got := err == nil; got != c.want {
					t.Errorf("%s decodes it: %v (%v), want %v", c.s.name, got, err, c.want)
				}
			}
		})
	}
	t.Run("one bad event costs the Android SDK the whole answer, the iOS SDK that event", func(t *testing.T) {
		body := []byte(`{"events":[{"event":"chat_session_message","party_id":"p","msg":"hi"},{"event":"chat_session_status","state":"connected"}]}`)
		if b := android.decodeBatch(body); len(b.got) != 0 || len(b.failures) != 1 {
			t.Errorf("Android: got %v, failures %v; want nothing and one failure", b.got, b.failures)
		}
		if b := ios.decodeBatch(body); !slices.Equal(b.got, []string{"chat_session_message"}) || len(b.failures) != 1 {
			t.Errorf("iOS: got %v, failures %v; want the message and one failure", b.got, b.failures)
		}
	})
}
