package upstream

import (
	"encoding/json"
	"testing"

	"github.com/parleychat/parley/protocol"
)

func TestDecodeForgivesNumbersForStrings(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, raw string
		check     func(*testing.T, protocol.Event)
	}{
		{"a message of digits written as a number", `{"event":"chat_session_message","msg_id":7,"msg":42,"msg_text":42,"party_id":"p","timestamp":1700000000}`,
			func(t *testing.T, e protocol.Event) {
				m := e.(*protocol.Message)
				if m.Msg != "42" || m.MsgText != "42" || !m.MsgID.IsNumber() || m.MsgID.String() != "7" || m.Timestamp.Unix() != 1700000000 {
					t.Errorf("got %+v", m)
				}
			}},
		{"a string id stays a string", `{"event":"chat_session_form_show","form_request_id":"12","form_name":"survey","form_timeout":"60"}`,
			func(t *testing.T, e protocol.Event) {
				f := e.(*protocol.FormShow)
				if f.FormRequestID.IsNumber() || f.FormRequestID.String() != "12" || f.FormTimeout != 60 {
					t.Errorf("got %+v", f)
				}
			}},
		{"a party id written as a number", `{"event":"chat_session_party_joined","party_id":123,"type":"internal","first_name":"Ada"}`,
			func(t *testing.T, e protocol.Event) {
				if p := e.(*protocol.PartyJoined); p.PartyID != "123" {
					t.Errorf("got %+v", p)
				}
			}},
		{"an event of a name the API does not have", `{"event":"chat_session_cobrowsing_started","x":1}`,
			func(t *testing.T, e protocol.Event) {
				if _, ok := e.(*protocol.Unknown); !ok {
					t.Errorf("got %T", e)
				}
			}},
		{"an object where a string belongs stays malformed", `{"event":"chat_session_message","msg":{"a":1}}`,
			func(t *testing.T, e protocol.Event) {
				if _, ok := e.(*protocol.Malformed); !ok {
					t.Errorf("got %T", e)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e, err := decode(json.RawMessage(tc.raw))
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, e)
		})
	}
	if _, err := decode(json.RawMessage(`[1,2]`)); err == nil {
		t.Error("an array decoded as an event")
	}
}

func TestNaturalKeys(t *testing.T) {
	t.Parallel()
	at := protocol.Timestamp{}
	_ = json.Unmarshal([]byte(`"1700000000"`), &at)
	cases := []struct {
		name string
		a, b protocol.Event
		same bool
	}{
		{"a message again", &protocol.Message{MsgID: protocol.TextID("7"), Msg: "hi", Meta: protocol.Meta{PartyID: "p"}},
			&protocol.Message{MsgID: protocol.NumberID(7), Msg: "hi", Meta: protocol.Meta{PartyID: "p"}}, true},
		{"two messages", &protocol.Message{MsgID: protocol.TextID("7"), Meta: protocol.Meta{PartyID: "p"}},
			&protocol.Message{MsgID: protocol.TextID("8"), Meta: protocol.Meta{PartyID: "p"}}, false},
		{"a party joining again", &protocol.PartyJoined{Meta: protocol.Meta{PartyID: "p", Timestamp: at}},
			&protocol.PartyJoined{Meta: protocol.Meta{PartyID: "p", Timestamp: at}}, true},
		{"a form request again", &protocol.FormShow{FormRequestID: protocol.TextID("3")}, &protocol.FormShow{FormRequestID: protocol.NumberID(3)}, true},
	}
	for _, tc := range cases {
		if ka, kb := naturalKey(tc.a), naturalKey(tc.b); ka == "" || (ka == kb) != tc.same {
			t.Errorf("%s: keys %q and %q, want the same: %v", tc.name, ka, kb, tc.same)
		}
	}
	if k := naturalKey(&protocol.Status{State: protocol.StateConnected}); k != "" {
		t.Errorf("a status has the natural key %q; only its place names it", k)
	}
}

func TestLocalFormIDs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		upstream protocol.ID
		digits   string
	}{
		{protocol.TextID("7"), "7"},
		{protocol.NumberID(7), "7"},
		{protocol.TextID("2147483647"), "2147483647"},
	} {
		if got := localFormID(tc.upstream); !got.IsNumber() || got.String() != tc.digits {
			t.Errorf("localFormID(%v) = %v, want the number %s", tc.upstream, got, tc.digits)
		}
	}
	for _, id := range []protocol.ID{protocol.TextID("abc"), protocol.TextID("0"), protocol.TextID("2147483648"), protocol.TextID("-1")} {
		got := localFormID(id)
		if !got.IsNumber() || got.String() == "0" || len(got.String()) > 10 || got != localFormID(id) {
			t.Errorf("localFormID(%v) = %v, want a stable number from 1 to 2^31-1", id, got)
		}
	}
}

func TestMessageText(t *testing.T) {
	t.Parallel()
	if msg, text := htmlMessage("a < b & \"c\"\nd"); msg != "a &lt; b &amp; &#34;c&#34;<br>d" || text != "a < b & \"c\"\nd" {
		t.Errorf("htmlMessage = %q, %q", msg, text)
	}
	for in, want := range map[string]string{
		"plain":                            "plain",
		"line<br>two<BR/>three":            "line\ntwo\nthree",
		"<p>para</p><p>two &amp; more</p>": "para\ntwo & more\n",
		"<b>bold</b> &lt;tag&gt;":          "bold <tag>",
	} {
		if got := plainText(in); got != want {
			t.Errorf("plainText(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzDecode: whatever a tenant sends, decode neither panics nor gives an
// event that cannot be written back or named.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		`{"event":"chat_session_message","msg_id":7,"msg":42,"party_id":"p","timestamp":"1700000000"}`,
		`{"event":"chat_session_form_show","form_request_id":"12","form_name":"survey","form_timeout":60}`,
		`{"event":"chat_session_file","file_id":9,"file_name":1,"file_type":"image"}`,
		`{"event":"chat_session_location","latitude":1.5,"longitude":"2","url":null}`,
		`{"event":"chat_session_status","state":"queued","ewt":30}`,
		`{"event":42}`, `[]`, `{}`, `null`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		e, err := decode(raw)
		if err != nil {
			return
		}
		_ = naturalKey(e)
		if _, err := protocol.MarshalEvent(e); err != nil {
			t.Errorf("decode(%s) gave %T that does not encode: %v", raw, e, err)
		}
	})
}

func TestAnswersWithScalarsOfTheOtherType(t *testing.T) {
	t.Parallel()
	var session protocol.ChatSession
	if err := unmarshalLenient([]byte(`{"chat_id":12345,"state":"queued","ewt":30,"is_new_chat":true}`), &session); err != nil {
		t.Fatal(err)
	}
	if session.ChatID != "12345" || session.EWT != 30 || !session.IsNewChat {
		t.Errorf("Request Chat's answer read as %+v", session)
	}
	var up protocol.UploadedFile
	if err := unmarshalLenient([]byte(`{"file_id":"f-1","file_name":2024}`), &up); err != nil || up.FileName != "2024" {
		t.Errorf("Upload File's answer read as %+v, %v", up, err)
	}
	var cfg protocol.WidgetConfiguration
	err := unmarshalLenient([]byte(`{"definition":{"chatWidgetStyling":{"title":2024},"forms":[
		{"id":1,"name":"a","fields":[{"formFieldType":"numerical_range_slider","name":"n","minValue":"1","maxValue":5,"options":[1,"two"]}]},
		{"id":"2","name":"b","fields":[]}]}}`), &cfg)
	if err != nil {
		t.Fatal(err)
	}
	forms := cfg.Definition.Forms
	if cfg.Definition.ChatWidgetStyling.Title != "2024" || len(forms) != 2 || forms[0].ID != "1" || forms[1].ID != "2" ||
		*forms[0].Fields[0].MinValue != 1 || *forms[0].Fields[0].MaxValue != 5 || forms[0].Fields[0].Options[0].Value != "1" {
		t.Errorf("the widget configuration read as %+v", cfg.Definition)
	}
	if err := unmarshalLenient([]byte(`{"chat_id":{"a":1}}`), &session); err == nil {
		t.Error("an object where a string belongs was read")
	}
	if err := unmarshalLenient([]byte(`{"ewt":"soon","chat_id":"x"}`), &session); err != nil || session.ChatID != "x" {
		t.Errorf("a wait in words: %+v, %v", session, err)
	}
}
