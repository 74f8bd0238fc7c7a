package protocol_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode"

	"github.com/parleychat/parley/protocol"
)

// oddEvents are inputs the documented rows do not reach: quirky scalars,
// wrong shapes, unknown names and things that are not events at all.
var oddEvents = []string{
	`{"event":"chat_session_status","state":"queued","ewt":10.6}`,
	`{"event":"chat_session_status","state":"queued","ewt":"about 2 minutes"}`,
	`{"event":"chat_session_form_show","form_request_id":17,"form_name":"","form_timeout":120}`,
	`{"event":"chat_session_party_left","party_id":"a","timestamp":1613472342000}`,
	`{"event":"chat_session_party_left","party_id":"a","timestamp":"1613472342.5"}`,
	`{"event":"chat_session_message","msg_id":5,"msg":{}}`,
	`{"event":"chat_session_message","msg_id":true,"msg":"x"}`,
	`{"event":"chat_session_form_data","form_request_id":"1","data":"Form not found"}`,
	`{"event":"chat_session_form_data","form_request_id":"1","data":{"n":1,"b":false,"z":null}}`,
	`{"event":"chat_session_form_data","form_request_id":"1","data":[1]}`,
	`{"event":"chat_session_signaling","data":"{\"type\":\"END_CALL\"}"}`,
	`{"event":"chat_session_signaling","data":null}`,
	`{"event":"chat_session_cobrowsing_started","party_id":"a","timestamp":"1613472342","x":[1,{"y":null}]}`,
	`{"event":"","party_id":{}}`,
	`{"EVENT":"chat_session_typing"}`,
	`{"event":1,"event":"chat_session_typing"}`,
	`{"event":"chat_session_typing","event":"x"}`,
	`{"msg":"no name"}`,
	`{"event":null}`,
	`5`,
	`"chat_session_typing"`,
	`[]`,
	`null`,
	``,
	"{\"event\":\"chat_session_message\",\"msg_id\":\"1\",\"msg\":\"\xff<b>\u2028\"}",
}

func FuzzDecodeEnvelope(f *testing.F) {
	for _, tc := range eventCases {
		f.Add([]byte(`{"events":[` + tc.json + `]}`))
	}
	all := make([]string, 0, len(eventCases))
	for _, tc := range eventCases {
		all = append(all, tc.json)
	}
	f.Add([]byte(`{"events":[` + strings.Join(all, ",") + `]}`))
	for _, odd := range oddEvents {
		f.Add([]byte(`{"events":[` + odd + `]}`))
	}
	for _, body := range []string{
		mixedBody, ``, ` `, `null`, `{}`, `[]`, `{"events":null}`, `{"events":{}}`, `{"events":[5]}`, `not json`,
		`{"events":[],"ref":"r","epoch":"e","error_code":5003,"error_message":"x"}`,
		`{"events":[{"event":"chat_session_typing"}],"error_code":{}}`,
	} {
		f.Add([]byte(body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		env, err := protocol.DecodeEnvelope(body)
		if err != nil {
			if codeOf(err) != protocol.CodeBadRequest {
				t.Fatalf("DecodeEnvelope failed with %v, want an error with code %s", err, protocol.CodeBadRequest)
			}
			return
		}
		data, err := json.Marshal(env)
		if err != nil {
			t.Fatalf("re-encoding %q: %v", body, err)
		}
		back, err := protocol.DecodeEnvelope(data)
		if err != nil {
			t.Fatalf("decoding our own encoding %s: %v", data, err)
		}
		if got, want := eventTypes(back.Events), eventTypes(env.Events); !reflect.DeepEqual(got, want) {
			t.Fatalf("events %q became %q after re-encoding %s", want, got, data)
		}
		if got, want := back.Ref, env.Ref; got != want {
			t.Errorf("ref %q became %q", want, got)
		}
		if got, want := back.Epoch, env.Epoch; got != want {
			t.Errorf("epoch %q became %q", want, got)
		}
		if got, want := back.Error, env.Error; !reflect.DeepEqual(got, want) {
			t.Errorf("error %+v became %+v", want, got)
		}
		if _, err := protocol.EncodeEnvelope(env.Events...); err != nil {
			t.Errorf("EncodeEnvelope of decoded events: %v", err)
		}
	})
}

func FuzzUnmarshalEvent(f *testing.F) {
	for _, tc := range eventCases {
		f.Add([]byte(tc.json))
	}
	for _, odd := range oddEvents {
		f.Add([]byte(odd))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := protocol.UnmarshalEvent(data)
		if err != nil {
			if e != nil {
				t.Errorf("UnmarshalEvent returned %#v with its error %v", e, err)
			}
			return
		}
		// Neither may panic, whatever arrived; their verdict is not the
		// point here.
		_ = protocol.ValidateClientEvent(e)
		_ = protocol.ValidateServerEvent(e)

		encoded, err := protocol.MarshalEvent(e)
		if err != nil {
			t.Fatalf("MarshalEvent(%#v): %v", e, err)
		}
		again, err := protocol.UnmarshalEvent(encoded)
		if err != nil {
			t.Fatalf("decoding our own encoding %s: %v", encoded, err)
		}
		if got, want := again.EventType(), e.EventType(); got != want {
			t.Fatalf("type %q became %q after re-encoding %s", want, got, encoded)
		}
		if got, want := reflect.TypeOf(again), reflect.TypeOf(e); got != want {
			t.Fatalf("%v became %v after re-encoding %s", want, got, encoded)
		}
		// Encoding is lossy once (fractions of seconds, compacted data),
		// never twice: a second trip must change nothing.
		encodedAgain, err := protocol.MarshalEvent(again)
		if err != nil {
			t.Fatalf("MarshalEvent(%#v): %v", again, err)
		}
		third, err := protocol.UnmarshalEvent(encodedAgain)
		if err != nil {
			t.Fatalf("decoding %s: %v", encodedAgain, err)
		}
		if _, malformed := again.(*protocol.Malformed); !malformed && !reflect.DeepEqual(third, again) {
			t.Fatalf("second round trip changed the event:\n got %#v\nwant %#v", third, again)
		}
	})
}

func hasControl(s string) bool {
	return strings.ContainsFunc(s, unicode.IsControl)
}

func FuzzParseAuthorization(f *testing.F) {
	for _, header := range []string{
		`MOBILE-API-140-327-PLAIN appId="a1", clientId="c1"`,
		`MOBILE-API-140-327-PLAIN appId=a1, clientId=c1`,
		`  mobile-api-140-327-plain   appId = "a1" ,clientId=c1, realm="x"`,
		`MOBILE-API-140-327-PLAIN appId="my \"shop\"", clientId="c\\1"`,
		`MOBILE-API-140-327-PLAIN appId="a1, clientId="c1"`,
		`MOBILE-API-140-327-PLAIN appId`,
		`MOBILE-API-140-327-PLAIN clientId=c1`,
		`MOBILE-API-140-327-PLAIN appId=a1`,
		`Bearer x`,
		``,
	} {
		f.Add(header)
	}
	f.Fuzz(func(t *testing.T, header string) {
		c, err := protocol.ParseAuthorization(header)
		if err != nil {
			switch code := codeOf(err); code {
			case protocol.CodeAuthMissing, protocol.CodeAuthFormat, protocol.CodeAuthScheme, protocol.CodeAuthAppID, protocol.CodeAuthClientID:
			default:
				t.Fatalf("ParseAuthorization(%q) failed with code %q, want 2000 to 2004", header, code)
			}
			return
		}
		if c.AppID == "" || c.ClientID == "" {
			t.Fatalf("ParseAuthorization(%q) = %+v without an error", header, c)
		}
		if hasControl(c.AppID) || hasControl(c.ClientID) {
			return
		}
		again, err := protocol.ParseAuthorization(c.Authorization())
		if err != nil {
			t.Fatalf("ParseAuthorization(%q) of %+v from %q: %v", c.Authorization(), c, header, err)
		}
		if got, want := again, c; got != want {
			t.Fatalf("%+v became %+v through %q", want, got, c.Authorization())
		}
	})
}

func FuzzTimestamp(f *testing.F) {
	for _, input := range []string{
		`"1613472342"`, `1613472342`, `"1613472342000"`, `1613472342000`, `1613472342.5`,
		`""`, `null`, `"abc"`, `true`, `{}`, `"0"`, `99999999999`, `-1`, `"1e15"`, `" 1613472342 "`,
	} {
		f.Add([]byte(input))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var ts protocol.Timestamp
		if err := json.Unmarshal(data, &ts); err != nil {
			return
		}
		encoded, err := json.Marshal(ts)
		if err != nil {
			t.Fatalf("Marshal(%v) decoded from %q: %v", ts.Time, data, err)
		}
		var back protocol.Timestamp
		if err := json.Unmarshal(encoded, &back); err != nil {
			t.Fatalf("%q decoded to %v, which encodes as %s, which does not decode: %v", data, ts.Time, encoded, err)
		}
		if got, want := back.Unix(), ts.Unix(); got != want {
			t.Fatalf("%q decoded to Unix %d, encoded as %s, decoded again to Unix %d", data, want, encoded, got)
		}
	})
}

func FuzzWidgetConfiguration(f *testing.F) {
	f.Add([]byte(brightPatternConfiguration), []byte(`{"email":"ada@example.com","rating":"NaN","size":"M"}`))
	f.Add([]byte(brightPatternConfiguration), []byte(`x`))
	f.Add([]byte(`{"definition":{"forms":[{"name":"f","fields":[{"formFieldType":"text","name":"a","pattern":"[a-z]+","minValue":2}]}]}}`), []byte(`abc`))
	f.Add([]byte(`{"definition":{"forms":[{"name":"f","fields":[{"formFieldType":"email","name":"e"},{"formFieldType":"phone","name":"p"}]}]}}`), []byte(`"<@>"`))
	f.Add([]byte(`{"definition":{"forms":[{"name":"f","fields":[{"formFieldType":"multiline_text","name":"m","options":[{"value":"x"}]}]}]}}`), []byte(``))
	f.Add([]byte(`{"definition":{"forms":[{"name":"f","fields":[{"formFieldType":"selection_list","name":"s","options":[1,"b",{"value":"c","label":"C"}]}]}]}}`), []byte(`{"s":"1"}`))
	f.Add([]byte(`{"definition":{"forms":null}}`), []byte(`{}`))
	f.Add([]byte(`{}`), []byte(`{}`))
	f.Fuzz(func(t *testing.T, config, values []byte) {
		var c protocol.WidgetConfiguration
		if err := json.Unmarshal(config, &c); err != nil {
			return
		}
		var answer map[string]string
		_ = json.Unmarshal(values, &answer)
		for _, wf := range c.Definition.Forms {
			if _, found, _ := c.Form(wf.Name); !found {
				t.Errorf("Form(%q) not found in a configuration that lists it", wf.Name)
			}
			form, err := wf.Form()
			if err != nil {
				continue
			}
			// Every field gets the fuzzed text as well, so each checker
			// sees it and not only those the JSON answer happens to name.
			each := make(map[string]string, len(form.Fields))
			for _, field := range form.Fields {
				each[field.Name] = string(values)
			}
			for _, m := range []map[string]string{answer, each} {
				for _, p := range form.Validate(m) {
					if p.Problem == "" {
						t.Errorf("Validate(%q) reported field %q without a problem", m, p.Field)
					}
				}
			}
		}
	})
}

func FuzzDecodeError(f *testing.F) {
	for _, body := range []string{
		`{"error_code":5003,"error_message":"x"}`,
		`{"error_code":"5005","error_message":"Chat session not found"}`,
		`{"error_code":null}`,
		`{"error_code":1e3}`,
		`{}`, `[]`, `null`, `not json`, `<html></html>`, ``,
	} {
		f.Add([]byte(body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		e := protocol.DecodeError(body)
		if e == nil {
			return
		}
		if e.Code == "" {
			t.Fatalf("DecodeError(%q) = %+v, an error without a code", body, e)
		}
		_ = e.Error()
		_ = e.HTTPStatus()
		data, err := json.Marshal(e)
		if err != nil {
			t.Fatalf("Marshal(%+v): %v", e, err)
		}
		if got, want := protocol.DecodeError(data), e; !reflect.DeepEqual(got, want) {
			t.Fatalf("%+v became %+v through %s", want, got, data)
		}
	})
}
