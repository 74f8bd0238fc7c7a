package parleytest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/protocol"
)

// testContext bounds a test.
func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// visitor is a client of the fake that sends what Bright Pattern's mobile
// SDKs send: the Authorization values unquoted, tenantUrl as a bare host, a
// cache-busting nonce, UserAgent and Cache-Control.
type visitor struct {
	t     *testing.T
	bp    *parleytest.BrightPattern
	creds protocol.Credentials
}

func newVisitor(t *testing.T, bp *parleytest.BrightPattern) *visitor {
	return &visitor{t: t, bp: bp, creds: protocol.Credentials{AppID: bp.AppID, ClientID: protocol.NewUUID()}}
}

// startChat starts the fake with cfg and has a new visitor request a chat
// there, for a test bounded by testContext.
func startChat(t *testing.T, cfg parleytest.BrightPatternConfig) (context.Context, *parleytest.BrightPattern, *visitor, string) {
	t.Helper()
	ctx := testContext(t)
	bp := parleytest.StartBrightPattern(t, cfg)
	v := newVisitor(t, bp)
	return ctx, bp, v, v.requestChat(ctx)
}

// answer is what the fake answered.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// code is the error_code of an error envelope answer, "" for another.
func (a answer) code() protocol.Code {
	if e := protocol.DecodeError(a.body); e != nil {
		return e.Code
	}
	return ""
}

// request builds an API request; path is relative to the API's base.
func (v *visitor) request(ctx context.Context, method, path string, body []byte) *http.Request {
	v.t.Helper()
	u := v.bp.APIURL() + "/" + path
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	u += sep + "tenantUrl=" + url.QueryEscape(v.bp.TenantURL) + "&nonce=1700000000000"
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		v.t.Fatal(err)
	}
	req.Header.Set("Authorization", protocol.AuthScheme+" appId="+v.creds.AppID+", clientId="+v.creds.ClientID)
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("UserAgent", "MobileClient")
	req.Header.Set("Cache-Control", "no-cache")
	return req
}

// send sends a request and reads the whole answer.
func (v *visitor) send(req *http.Request) (answer, error) {
	resp, err := v.bp.Client().Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, header: resp.Header, body: body}, err
}

// do sends an API request that must get an answer.
func (v *visitor) do(ctx context.Context, method, path string, body []byte) answer {
	v.t.Helper()
	a, err := v.send(v.request(ctx, method, path, body))
	if err != nil {
		v.t.Fatalf("%s %s: %v", method, path, err)
	}
	return a
}

// requestChat asks for a chat and returns the answer's chat_id.
func (v *visitor) requestChat(ctx context.Context) string {
	v.t.Helper()
	a := v.do(ctx, http.MethodPost, "chats", []byte(`{"from":"Ada","parameters":{"first_name":"Ada"}}`))
	var s protocol.ChatSession
	if a.status != http.StatusOK || json.Unmarshal(a.body, &s) != nil || s.ChatID == "" {
		v.t.Fatalf("Request Chat: %d %s", a.status, a.body)
	}
	return s.ChatID
}

// events polls the chat once and returns the raw events, each as a map of
// its fields.
func (v *visitor) events(ctx context.Context, chatID string) []map[string]json.RawMessage {
	v.t.Helper()
	a := v.do(ctx, http.MethodGet, "chats/"+chatID+"/events", nil)
	if a.status != http.StatusOK {
		v.t.Fatalf("Get New Chat Events: %d %s", a.status, a.body)
	}
	return rawEvents(v.t, a.body)
}

// sendEvents posts {"events":[...]} built from raw events.
func (v *visitor) sendEvents(ctx context.Context, chatID string, events ...string) answer {
	v.t.Helper()
	return v.do(ctx, http.MethodPost, "chats/"+chatID+"/events", []byte(`{"events":[`+strings.Join(events, ",")+`]}`))
}

// upload posts a multipart body of formType to Upload File.
func (v *visitor) upload(ctx context.Context, body []byte, formType string) (answer, error) {
	v.t.Helper()
	req := v.request(ctx, http.MethodPost, "files", body)
	req.Header.Set("Content-Type", formType)
	return v.send(req)
}

func rawEvents(t *testing.T, body []byte) []map[string]json.RawMessage {
	t.Helper()
	var env struct {
		Events []map[string]json.RawMessage `json:"events"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatalf("not an events envelope: %v: %s", err, body)
	}
	return env.Events
}

// names lists the "event" of each raw event.
func names(events []map[string]json.RawMessage) []string {
	var out []string
	for _, e := range events {
		var name string
		_ = json.Unmarshal(e["event"], &name)
		out = append(out, name)
	}
	return out
}

// text is a raw field that must be a JSON string.
func text(t *testing.T, e map[string]json.RawMessage, field string) string {
	t.Helper()
	var s string
	if err := json.Unmarshal(e[field], &s); err != nil {
		t.Fatalf("%s is %s, not a string", field, e[field])
	}
	return s
}

// isSeconds reports whether a raw value is a string of Unix seconds of the
// last hour.
func isSeconds(raw json.RawMessage) bool {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return false
	}
	var n int64
	if json.Unmarshal([]byte(s), &n) != nil {
		return false
	}
	return time.Since(time.Unix(n, 0)).Abs() < time.Hour
}

// fastPolls makes held polls end soon, for tests that poll an idle chat.
var fastPolls = parleytest.BrightPatternConfig{PollWait: 50 * time.Millisecond}

func TestBrightPatternPreInteraction(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		path  string
		close bool
		check func(t *testing.T, body []byte)
	}{
		{"availability", "availability", false, func(t *testing.T, body []byte) {
			if got, want := string(body), `{"chat":"available","ewt":"30"}`; got != want {
				t.Errorf("answer %s, want %s", got, want)
			}
		}},
		{"availability closed", "availability", true, func(t *testing.T, body []byte) {
			if got, want := string(body), `{"chat":"notAvailable"}`; got != want {
				t.Errorf("answer %s, want %s", got, want)
			}
		}},
		{"expected parameters", "parameters", false, func(t *testing.T, body []byte) {
			var p struct {
				Parameters []struct{ Name, Type string }
			}
			if err := json.Unmarshal(body, &p); err != nil || len(p.Parameters) != 4 || p.Parameters[0].Name != "first_name" || p.Parameters[0].Type != "FIRST_NAME" {
				t.Errorf("answer %s (%v)", body, err)
			}
		}},
		{"widget configuration", "configuration", false, func(t *testing.T, body []byte) {
			var c protocol.WidgetConfiguration
			if err := json.Unmarshal(body, &c); err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{"pre_chat", "survey_form"} {
				if _, found, err := c.Form(name); !found || err != nil {
					t.Errorf("form %s: found %v, %v", name, found, err)
				}
			}
		}},
		{"version", "version", false, func(t *testing.T, body []byte) {
			if got, want := string(body), `{"server_version":"5.19.3"}`; got != want {
				t.Errorf("answer %s, want %s", got, want)
			}
		}},
		{"ice servers", "iceservers", false, func(t *testing.T, body []byte) {
			if got, want := string(body), `{"iceServers":[]}`; got != want {
				t.Errorf("answer %s, want %s", got, want)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			bp := parleytest.StartBrightPattern(t, parleytest.BrightPatternConfig{})
			bp.SetAvailable(!tc.close)
			a := newVisitor(t, bp).do(testContext(t), http.MethodGet, tc.path, nil)
			if a.status != http.StatusOK {
				t.Fatalf("status %d: %s", a.status, a.body)
			}
			tc.check(t, a.body)
		})
	}
}

func TestBrightPatternChecksRequests(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		change func(r *http.Request)
		status int
		code   protocol.Code
	}{
		{"as the SDKs send it", func(r *http.Request) {}, http.StatusOK, ""},
		{"quoted values, as the web client sends them", func(r *http.Request) {
			r.Header.Set("Authorization", `MOBILE-API-140-327-PLAIN appId="`+parleytest.BrightPatternAppID+`", clientId="WebChat"`)
		}, http.StatusOK, ""},
		{"tenantUrl as a URL", func(r *http.Request) {
			setQuery(r, "tenantUrl", "https://"+parleytest.BrightPatternTenant+"/")
		}, http.StatusOK, ""},
		{"cache-busting timestamp", func(r *http.Request) { setQuery(r, "timestamp", "1700000000000") }, http.StatusOK, ""},
		{"no Authorization", func(r *http.Request) { r.Header.Del("Authorization") }, http.StatusUnauthorized, protocol.CodeAuthMissing},
		{"Authorization parameter without value", func(r *http.Request) {
			r.Header.Set("Authorization", "MOBILE-API-140-327-PLAIN appId")
		}, http.StatusUnauthorized, protocol.CodeAuthFormat},
		{"another scheme", func(r *http.Request) { r.Header.Set("Authorization", "Bearer x") }, http.StatusUnauthorized, protocol.CodeAuthScheme},
		{"no appId", func(r *http.Request) {
			r.Header.Set("Authorization", "MOBILE-API-140-327-PLAIN clientId=abc")
		}, http.StatusUnauthorized, protocol.CodeAuthAppID},
		{"no clientId", func(r *http.Request) {
			r.Header.Set("Authorization", "MOBILE-API-140-327-PLAIN appId="+parleytest.BrightPatternAppID)
		}, http.StatusUnauthorized, protocol.CodeAuthClientID},
		{"unknown appId", func(r *http.Request) {
			r.Header.Set("Authorization", "MOBILE-API-140-327-PLAIN appId=other, clientId=abc")
		}, http.StatusUnauthorized, protocol.CodeAppID},
		{"no tenantUrl", func(r *http.Request) { setQuery(r, "tenantUrl", "") }, http.StatusBadRequest, protocol.CodeTenantURL},
		{"another tenant", func(r *http.Request) { setQuery(r, "tenantUrl", "other.example.com") }, http.StatusBadRequest, protocol.CodeTenantURL},
		{"a body without Content-Type", func(r *http.Request) { r.Header.Del("Content-Type") }, http.StatusBadRequest, protocol.CodeBadRequest},
		{"a body as text", func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") }, http.StatusBadRequest, protocol.CodeBadRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t)
			bp := parleytest.StartBrightPattern(t, parleytest.BrightPatternConfig{})
			v := newVisitor(t, bp)
			req := v.request(ctx, http.MethodPost, "chats", []byte(`{"from":"Ada"}`))
			tc.change(req)
			a, err := v.send(req)
			if err != nil {
				t.Fatal(err)
			}
			if a.status != tc.status || a.code() != tc.code {
				t.Fatalf("answer %d %s, want %d with code %q", a.status, a.body, tc.status, tc.code)
			}
			if got, want := len(bp.Chats()), map[bool]int{true: 1, false: 0}[tc.status == http.StatusOK]; got != want {
				t.Errorf("%d chats, want %d", got, want)
			}
		})
	}
}

// setQuery sets (or, with "", removes) a query parameter of r.
func setQuery(r *http.Request, name, value string) {
	q := r.URL.Query()
	q.Del(name)
	if value != "" {
		q.Set(name, value)
	}
	r.URL.RawQuery = q.Encode()
}

func TestBrightPatternRecordsRequests(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	bp := parleytest.StartBrightPattern(t, parleytest.BrightPatternConfig{})
	v := newVisitor(t, bp)
	body := `{"phone_number":"+15550100","from":"Ada","parameters":{"email":"ada@example.com"}}`
	v.do(ctx, http.MethodPost, "chats", []byte(body))
	v.do(ctx, http.MethodGet, "no/such/method", nil)

	got := bp.Requests()
	if len(got) != 2 {
		t.Fatalf("%d requests recorded, want 2", len(got))
	}
	first := got[0]
	if first.Method != http.MethodPost || first.Path != "/clientweb/api/v2/chats" || first.API != parleytest.MethodRequestChat {
		t.Errorf("recorded %s %s as %q", first.Method, first.Path, first.API)
	}
	if first.Query.Get("tenantUrl") != parleytest.BrightPatternTenant || first.Query.Get("nonce") == "" {
		t.Errorf("query %v", first.Query)
	}
	if first.Header.Get("UserAgent") != "MobileClient" || !strings.HasPrefix(first.Header.Get("Authorization"), protocol.AuthScheme) {
		t.Errorf("headers %v", first.Header)
	}
	if string(first.Body) != body || first.Status != http.StatusOK {
		t.Errorf("body %s, status %d", first.Body, first.Status)
	}
	if second := got[1]; second.API != "" || second.Status != http.StatusNotFound {
		t.Errorf("unknown method recorded as %q with status %d", second.API, second.Status)
	}
	if c := bp.Chats()[0]; c.Request.PhoneNumber != "+15550100" || c.Request.Parameters["email"] != "ada@example.com" || c.ClientID() != v.creds.ClientID {
		t.Errorf("chat made from %+v for %s", c.Request, c.ClientID())
	}
}

func TestBrightPatternRequestChat(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	bp := parleytest.StartBrightPattern(t, fastPolls)
	ada, grace := newVisitor(t, bp), newVisitor(t, bp)

	if a := ada.do(ctx, http.MethodGet, "chats/active", nil); a.status != http.StatusNotFound || a.code() != protocol.CodeChatNotFound {
		t.Errorf("active chat before any: %d %s", a.status, a.body)
	}
	first := ada.do(ctx, http.MethodPost, "chats", []byte(`{"from":"Ada"}`))
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(first.body, &fields); err != nil {
		t.Fatal(err)
	}
	if string(fields["is_new_chat"]) != "true" || string(fields["state"]) != `"queued"` || string(fields["ewt"]) != `"30"` {
		t.Errorf("new chat answered %s", first.body)
	}
	chatID := text(t, fields, "chat_id")

	again := ada.do(ctx, http.MethodPost, "chats", []byte(`{"from":"Ada"}`))
	var s protocol.ChatSession
	if err := json.Unmarshal(again.body, &s); err != nil || s.ChatID != chatID || s.IsNewChat {
		t.Errorf("the same client asking again got %s, want chat %s with is_new_chat false", again.body, chatID)
	}
	if a := ada.do(ctx, http.MethodGet, "chats/active", nil); !bytes.Contains(a.body, []byte(chatID)) {
		t.Errorf("active chat: %s", a.body)
	}
	if other := grace.requestChat(ctx); other == chatID {
		t.Error("another client got the same chat")
	}

	bp.Chat(chatID).End()
	if got := names(ada.events(ctx, chatID)); !slices.Equal(got, []string{protocol.TypeStatus, protocol.TypeEnded}) {
		t.Errorf("events %v", got)
	}
	if next := ada.requestChat(ctx); next == chatID {
		t.Error("a client whose chat ended got it again")
	}

	bp.SetAvailable(false)
	if a := newVisitor(t, bp).do(ctx, http.MethodPost, "chats", []byte(`{}`)); a.code() != protocol.CodeNoServer {
		t.Errorf("closed tenant answered %d %s, want 5001", a.status, a.body)
	}
}

func TestBrightPatternPoll(t *testing.T) {
	t.Parallel()
	ctx, bp, v, chatID := startChat(t, fastPolls)
	chat := bp.Chat(chatID)

	queued := v.events(ctx, chatID)
	if len(queued) != 1 || text(t, queued[0], "event") != protocol.TypeStatus || text(t, queued[0], "state") != "queued" || text(t, queued[0], "ewt") != "30" {
		t.Fatalf("first poll: %v", queued)
	}
	if got := v.events(ctx, chatID); len(got) != 0 {
		t.Errorf("an idle poll answered %v, want no events", got)
	}

	v.sendEvents(ctx, chatID, `{"event":"chat_session_message","msg_id":"1","msg":"hello"}`)
	if got := v.events(ctx, chatID); len(got) != 0 {
		t.Errorf("the visitor's own message came back: %v", got)
	}

	held := make(chan []map[string]json.RawMessage, 1)
	slow := parleytest.StartBrightPattern(t, parleytest.BrightPatternConfig{PollWait: time.Hour})
	sv := newVisitor(t, slow)
	slowChat := sv.requestChat(ctx)
	sv.events(ctx, slowChat)
	go func() { held <- sv.events(ctx, slowChat) }()
	if err := slow.WaitFor(ctx, slow.Chat(slowChat).Polling); err != nil {
		t.Fatal(err)
	}
	slow.Chat(slowChat).Join("Grace Hopper")
	if got := names(<-held); !slices.Equal(got, []string{protocol.TypeStatus, protocol.TypePartyJoined}) {
		t.Errorf("a held poll woke with %v", got)
	}

	chat.Join("Grace Hopper")
	v.events(ctx, chatID)
	for i := range 50 {
		want := chat.Say(strings.Repeat("x", i))
		if got := v.events(ctx, chatID); len(got) != 1 || text(t, got[0], "msg_id") != want {
			t.Fatalf("poll %d right after the last got %v, want message %s", i, got, want)
		}
	}
	chat.Say("bye")
	chat.End()
	if got := names(v.events(ctx, chatID)); !slices.Equal(got, []string{protocol.TypeMessage, protocol.TypeEnded}) {
		t.Errorf("events %v", got)
	}
	if a := v.do(ctx, http.MethodGet, "chats/"+chatID+"/events", nil); a.status != http.StatusNotFound || a.code() != protocol.CodeChatNotFound {
		t.Errorf("a poll after the end answered %d %s, want 404 with 5005", a.status, a.body)
	}
	if a := v.sendEvents(ctx, chatID, `{"event":"chat_session_typing"}`); a.code() != protocol.CodeChatNotFound {
		t.Errorf("Send Events after the end answered %d %s, want 5005", a.status, a.body)
	}
}

func TestBrightPatternOnePollAtATime(t *testing.T) {
	t.Parallel()
	cases := []struct {
		version int
		status  int
	}{
		{1, http.StatusBadRequest},
		{2, http.StatusTooManyRequests},
	}
	for _, tc := range cases {
		t.Run("v"+string(rune('0'+tc.version)), func(t *testing.T) {
			t.Parallel()
			ctx, bp, v, chatID := startChat(t, parleytest.BrightPatternConfig{Version: tc.version, PollWait: time.Hour})
			v.events(ctx, chatID)
			first := make(chan answer, 1)
			go func() { first <- v.do(ctx, http.MethodGet, "chats/"+chatID+"/events", nil) }()
			if err := bp.WaitFor(ctx, bp.Chat(chatID).Polling); err != nil {
				t.Fatal(err)
			}
			second := v.do(ctx, http.MethodGet, "chats/"+chatID+"/events", nil)
			if second.status != tc.status || second.code() != protocol.CodeConcurrentPoll {
				t.Errorf("a second poll answered %d %s, want %d with 5509", second.status, second.body, tc.status)
			}
			bp.Chat(chatID).Say("for the first poll")
			if a := <-first; a.status != http.StatusOK || !bytes.Contains(a.body, []byte("for the first poll")) {
				t.Errorf("the first poll answered %d %s", a.status, a.body)
			}
		})
	}
}

func TestBrightPatternIDs(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		numeric bool
	}{
		{"strings", false},
		{"numbers", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, bp, v, chatID := startChat(t, parleytest.BrightPatternConfig{NumericIDs: tc.numeric})
			chat := bp.Chat(chatID)
			chat.Join("Grace Hopper")
			msgID := chat.Say("hello")
			formID := chat.ShowForm("survey_form", 60)
			fileID := chat.SendFile("notes.txt", "text/plain", []byte("notes"))
			events := v.events(ctx, chatID)[3:]
			ids := []struct {
				field, id string
			}{{"msg_id", msgID}, {"form_request_id", formID}, {"msg_id", ""}}
			for i, e := range events {
				raw := e[ids[i].field]
				if len(raw) == 0 || (raw[0] == '"') == tc.numeric {
					t.Errorf("%s: %s is %s", names(events)[i], ids[i].field, raw)
				}
				if ids[i].id != "" && strings.Trim(string(raw), `"`) != ids[i].id {
					t.Errorf("%s: %s is %s, the agent was told %s", names(events)[i], ids[i].field, raw, ids[i].id)
				}
				if !isSeconds(e["timestamp"]) {
					t.Errorf("%s: timestamp %s is not a string of seconds", names(events)[i], e["timestamp"])
				}
			}
			if text(t, events[2], "file_id") != fileID {
				t.Errorf("file event %v, want file %s", events[2], fileID)
			}
		})
	}
}

func TestBrightPatternAgent(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		act   func(c *parleytest.BrightPatternChat)
		want  []string
		state protocol.ChatState
		check func(t *testing.T, party string, events []map[string]json.RawMessage)
	}{
		{"join", func(c *parleytest.BrightPatternChat) {}, nil, protocol.StateConnected,
			func(t *testing.T, party string, events []map[string]json.RawMessage) {}},
		{"say", func(c *parleytest.BrightPatternChat) { c.Say("a < b\nc") }, []string{protocol.TypeMessage}, protocol.StateConnected,
			func(t *testing.T, party string, events []map[string]json.RawMessage) {
				if text(t, events[0], "msg") != "a &lt; b<br>c" || text(t, events[0], "msg_text") != "a < b\nc" || text(t, events[0], "party_id") != party {
					t.Errorf("message %v", events[0])
				}
			}},
		{"type", func(c *parleytest.BrightPatternChat) { c.Typing(); c.NotTyping() }, []string{protocol.TypeTyping, protocol.TypeNotTyping}, protocol.StateConnected,
			func(t *testing.T, party string, events []map[string]json.RawMessage) {
				if text(t, events[0], "party_id") != party || text(t, events[1], "party_id") != party {
					t.Errorf("typing %v", events)
				}
			}},
		{"push a form", func(c *parleytest.BrightPatternChat) { c.ShowForm("survey_form", 60) }, []string{protocol.TypeFormShow}, protocol.StateConnected,
			func(t *testing.T, party string, events []map[string]json.RawMessage) {
				// form_timeout is an integer, as the Android SDK and the old
				// Java library read it.
				if text(t, events[0], "form_name") != "survey_form" || string(events[0]["form_timeout"]) != "60" {
					t.Errorf("form %v", events[0])
				}
			}},
		{"send an image", func(c *parleytest.BrightPatternChat) { c.SendFile("a.png", "image/png", []byte("png")) }, []string{protocol.TypeFile}, protocol.StateConnected,
			func(t *testing.T, party string, events []map[string]json.RawMessage) {
				if text(t, events[0], "file_type") != protocol.FileImage || text(t, events[0], "file_name") != "a.png" || text(t, events[0], "party_id") != party {
					t.Errorf("file %v", events[0])
				}
			}},
		{"send a document", func(c *parleytest.BrightPatternChat) { c.SendFile("a.pdf", "application/pdf", []byte("pdf")) }, []string{protocol.TypeFile}, protocol.StateConnected,
			func(t *testing.T, party string, events []map[string]json.RawMessage) {
				if text(t, events[0], "file_type") != protocol.FileAttachment {
					t.Errorf("file %v", events[0])
				}
			}},
		{"leave", func(c *parleytest.BrightPatternChat) { c.Leave() }, []string{protocol.TypePartyLeft}, protocol.StateConnected,
			func(t *testing.T, party string, events []map[string]json.RawMessage) {
				if text(t, events[0], "party_id") != party {
					t.Errorf("left %v", events[0])
				}
			}},
		{"end", func(c *parleytest.BrightPatternChat) { c.End(); c.Say("too late") }, []string{protocol.TypeEnded}, protocol.StateCompleted,
			func(t *testing.T, party string, events []map[string]json.RawMessage) {
				if len(events[0]) != 1 {
					t.Errorf("chat_session_ended has fields: %v", events[0])
				}
			}},
		{"time out", func(c *parleytest.BrightPatternChat) {
			c.WarnInactivity("Still there?")
			c.TimeOut("Closed for inactivity")
		},
			[]string{protocol.TypeTimeoutWarning, protocol.TypeInactivityTimeout}, protocol.StateFailed,
			func(t *testing.T, party string, events []map[string]json.RawMessage) {
				if text(t, events[0], "msg") != "Still there?" || text(t, events[1], "msg") != "Closed for inactivity" {
					t.Errorf("timeout %v", events)
				}
			}},
		{"set a case", func(c *parleytest.BrightPatternChat) { c.SetCase("case-7") }, []string{protocol.TypeCaseSet}, protocol.StateConnected,
			func(t *testing.T, party string, events []map[string]json.RawMessage) {
				if text(t, events[0], "case_id") != "case-7" {
					t.Errorf("case %v", events[0])
				}
			}},
		{"any event", func(c *parleytest.BrightPatternChat) {
			c.Send(&protocol.Location{Latitude: "52.52", Longitude: "13.40"}, &protocol.Status{State: protocol.StateConnecting})
		}, []string{protocol.TypeLocation, protocol.TypeStatus}, protocol.StateConnecting,
			func(t *testing.T, party string, events []map[string]json.RawMessage) {
				if text(t, events[0], "party_id") != party || text(t, events[0], "latitude") != "52.52" {
					t.Errorf("location %v", events[0])
				}
			}},
		{"raw event", func(c *parleytest.BrightPatternChat) {
			c.SendRaw(json.RawMessage(`{"event":"chat_session_cobrowsing_started","x":1}`))
		},
			[]string{"chat_session_cobrowsing_started"}, protocol.StateConnected,
			func(t *testing.T, party string, events []map[string]json.RawMessage) {
				if string(events[0]["x"]) != "1" {
					t.Errorf("raw %v", events[0])
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, bp, v, chatID := startChat(t, parleytest.BrightPatternConfig{})
			chat := bp.Chat(chatID)
			party := chat.Join("Grace Hopper")
			tc.act(chat)
			events := v.events(ctx, chatID)
			joined := events[2]
			if got := names(events[:3]); !slices.Equal(got, []string{protocol.TypeStatus, protocol.TypeStatus, protocol.TypePartyJoined}) ||
				text(t, events[1], "state") != "connected" || text(t, joined, "party_id") != party ||
				text(t, joined, "display_name") != "Grace Hopper" || text(t, joined, "first_name") != "Grace" ||
				text(t, joined, "type") != "internal" || !isSeconds(joined["timestamp"]) {
				t.Fatalf("joining sent %v", events[:3])
			}
			events = events[3:]
			if got := names(events); !slices.Equal(got, tc.want) {
				t.Fatalf("events %v, want %v", got, tc.want)
			}
			tc.check(t, party, events)
			if got := chat.State(); got != tc.state {
				t.Errorf("state %s, want %s", got, tc.state)
			}
		})
	}
}

func TestBrightPatternVisitorEvents(t *testing.T) {
	t.Parallel()
	ctx, bp, v, chatID := startChat(t, fastPolls)
	chat := bp.Chat(chatID)
	chat.Join("Grace Hopper")
	formID := chat.ShowForm("pre_chat", 0)

	sent := [][]string{
		{
			`{"event":"chat_session_typing"}`,
			`{"event":"chat_session_message","msg_id":"` + chatID + `:1","msg":"hello"}`,
		},
		{
			`{"event": "chat_session_form_data", "form_request_id": ` + formID + `, "form_name": "pre_chat", "data": {"first_name": "Ada"}}`,
			`{"event":"chat_session_message","msg_id":"3","party_id":null,"msg":"hi","timestamp":1700000000}`,
			`{"event":"chat_session_disconnect"}`,
		},
	}
	waited := make(chan parleytest.VisitorEvent, 1)
	go func() {
		e, err := chat.WaitForVisitorEvent(ctx, func(e parleytest.VisitorEvent) bool { return e.Event.EventType() == protocol.TypeDisconnect })
		if err != nil {
			t.Error(err)
		}
		waited <- e
	}()
	for _, events := range sent {
		if a := v.sendEvents(ctx, chatID, events...); a.status != http.StatusOK || string(a.body) != `{"events":[]}` {
			t.Fatalf("Send Events answered %d %s", a.status, a.body)
		}
	}
	if e := <-waited; string(e.Raw) != sent[1][2] {
		t.Errorf("waited for %s", e.Raw)
	}

	got := chat.VisitorEvents()
	want := slices.Concat(sent...)
	if len(got) != len(want) {
		t.Fatalf("%d visitor events, want %d", len(got), len(want))
	}
	requests := bp.Requests()
	for i, e := range got {
		if string(e.Raw) != want[i] {
			t.Errorf("event %d arrived as %s, recorded as %s", i, want[i], e.Raw)
		}
		if r := requests[e.Request]; r.API != parleytest.MethodSendEvents || !bytes.Contains(r.Body, e.Raw) {
			t.Errorf("event %d names request %d, %s %s", i, e.Request, r.API, r.Body)
		}
	}
	if form, ok := got[2].Event.(*protocol.FormData); !ok || form.Data.Fields["first_name"] != "Ada" {
		t.Errorf("form data decoded as %#v", got[2].Event)
	}
	if msgs := chat.VisitorMessages(); len(msgs) != 2 || msgs[0].Msg != "hello" || msgs[1].Msg != "hi" {
		t.Errorf("visitor messages %v", msgs)
	}

	a := v.do(ctx, http.MethodGet, "chats/"+chatID+"/history", nil)
	history := rawEvents(t, a.body)
	wantNames := []string{protocol.TypeStatus, protocol.TypeStatus, protocol.TypePartyJoined, protocol.TypeFormShow,
		protocol.TypeMessage, protocol.TypeFormData, protocol.TypeMessage, protocol.TypeDisconnect}
	if got := names(history); !slices.Equal(got, wantNames) {
		t.Fatalf("history %v, want %v", got, wantNames)
	}
	for _, e := range history[4:] {
		if text(t, e, "party_id") != chatID || !isSeconds(e["timestamp"]) {
			t.Errorf("a visitor event in history lacks the visitor's party or a timestamp: %v", e)
		}
	}

	v.sendEvents(ctx, chatID, `{"event":"chat_session_end"}`)
	if chat.State() != protocol.StateCompleted {
		t.Errorf("state %s after the visitor ended the chat", chat.State())
	}
	if a := v.do(ctx, http.MethodGet, "chats/"+chatID+"/events", nil); a.code() != protocol.CodeChatNotFound {
		t.Errorf("a poll after the visitor's end answered %d %s", a.status, a.body)
	}
	if a := v.do(ctx, http.MethodGet, "chats/"+chatID+"/history", nil); a.status != http.StatusOK {
		t.Errorf("history after the end answered %d %s", a.status, a.body)
	}
}

func TestBrightPatternRefusesEvents(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		body string
	}{
		{"not JSON", `{"events":[`},
		{"no events", `{}`},
		{"not an object", `{"events":[1]}`},
		{"no event name", `{"events":[{"msg":"hi"}]}`},
		{"a server event", `{"events":[{"event":"chat_session_ended"}]}`},
		{"an unknown event", `{"events":[{"event":"chat_session_form_submit","req_id":1}]}`},
		{"a message without msg_id", `{"events":[{"event":"chat_session_message","msg":"hi"}]}`},
		{"one bad event among good ones", `{"events":[{"event":"chat_session_typing"},{"event":"chat_session_file"}]}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, bp, v, chatID := startChat(t, parleytest.BrightPatternConfig{})
			a := v.do(ctx, http.MethodPost, "chats/"+chatID+"/events", []byte(tc.body))
			if a.status != http.StatusBadRequest || a.code() != protocol.CodeBadRequest {
				t.Errorf("answer %d %s, want 400 with 5003", a.status, a.body)
			}
			if got := bp.Chat(chatID).VisitorEvents(); len(got) != 0 {
				t.Errorf("kept %d events of a refused request", len(got))
			}
		})
	}
	t.Run("another client's chat", func(t *testing.T) {
		t.Parallel()
		ctx := testContext(t)
		bp := parleytest.StartBrightPattern(t, parleytest.BrightPatternConfig{})
		chatID := newVisitor(t, bp).requestChat(ctx)
		stranger := newVisitor(t, bp)
		for _, path := range []string{"events", "history", "casehistory"} {
			if a := stranger.do(ctx, http.MethodGet, "chats/"+chatID+"/"+path, nil); a.status != http.StatusNotFound || a.code() != protocol.CodeChatNotFound {
				t.Errorf("%s of another client's chat answered %d %s", path, a.status, a.body)
			}
		}
		if a := stranger.sendEvents(ctx, chatID, `{"event":"chat_session_typing"}`); a.code() != protocol.CodeChatNotFound {
			t.Errorf("Send Events to another client's chat answered %d %s", a.status, a.body)
		}
	})
}

// multipartBody writes one form part named field, a file when filename is
// not "".
func multipartBody(t *testing.T, field, filename, contentType string, content []byte) (body []byte, formType string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	h := textproto.MIMEHeader{}
	disposition := `form-data; name="` + field + `"`
	if filename != "" {
		disposition += `; filename="` + filename + `"`
	}
	h.Set("Content-Disposition", disposition)
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	part, err := mw.CreatePart(h)
	if err == nil {
		_, err = part.Write(content)
	}
	if err == nil {
		err = mw.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), mw.FormDataContentType()
}

func TestBrightPatternUploadFile(t *testing.T) {
	t.Parallel()
	png := []byte("\x89PNG\r\n\x1a\nfake")
	android := func(t *testing.T) ([]byte, string) {
		// The Android SDK's body: a line break before the first boundary,
		// its own part name, no name for the disposition's type.
		body := "\r\n--b0undary\r\nContent-Disposition: form-data;name=\"file-upload-input\"; filename=\"photo.jpg\"\r\n" +
			"Content-Type: image/jpeg\r\n\r\n" + string(png) + "\r\n--b0undary--\r\n"
		return []byte(body), "multipart/form-data; boundary=b0undary"
	}
	cases := []struct {
		name    string
		body    func(t *testing.T) ([]byte, string)
		status  int
		code    protocol.Code
		file    string
		content []byte
	}{
		{"a part named file", func(t *testing.T) ([]byte, string) {
			return multipartBody(t, "file", "notes.txt", "text/plain", []byte("notes"))
		}, http.StatusOK, "", "notes.txt", []byte("notes")},
		{"the web client's part", func(t *testing.T) ([]byte, string) {
			return multipartBody(t, "file-upload-input", "a.png", "image/png", png)
		}, http.StatusOK, "", "a.png", png},
		{"the Android SDK's body", android, http.StatusOK, "", "photo.jpg", png},
		{"25 MB", func(t *testing.T) ([]byte, string) {
			return multipartBody(t, "file", "big.bin", "", make([]byte, protocol.MaxFileBytes))
		}, http.StatusOK, "", "big.bin", make([]byte, protocol.MaxFileBytes)},
		{"over 25 MB", func(t *testing.T) ([]byte, string) {
			return multipartBody(t, "file", "big.bin", "", make([]byte, protocol.MaxFileBytes+1))
		}, http.StatusRequestEntityTooLarge, protocol.CodeUploadTooLarge, "", nil},
		{"no file part", func(t *testing.T) ([]byte, string) {
			return multipartBody(t, "file", "", "", []byte("just a field"))
		}, http.StatusBadRequest, protocol.CodeBadRequest, "", nil},
		{"not multipart", func(t *testing.T) ([]byte, string) {
			return []byte(`{"file":"x"}`), "application/json"
		}, http.StatusBadRequest, protocol.CodeBadRequest, "", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, _, v, chatID := startChat(t, parleytest.BrightPatternConfig{})
			body, formType := tc.body(t)
			a, err := v.upload(ctx, body, formType)
			if err != nil {
				t.Fatal(err)
			}
			if a.status != tc.status || a.code() != tc.code {
				t.Fatalf("answer %d %s, want %d with %q", a.status, a.body, tc.status, tc.code)
			}
			if tc.status != http.StatusOK {
				return
			}
			var up protocol.UploadedFile
			if err := json.Unmarshal(a.body, &up); err != nil || up.FileID == "" || up.FileName != tc.file {
				t.Fatalf("answer %s", a.body)
			}
			got := v.do(ctx, http.MethodGet, "chats/"+chatID+"/files/"+up.FileID, nil)
			if got.status != http.StatusOK || !bytes.Equal(got.body, tc.content) {
				t.Errorf("Get File answered %d with %d bytes, want the %d uploaded", got.status, len(got.body), len(tc.content))
			}
		})
	}
}

func TestBrightPatternGetFile(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	bp := parleytest.StartBrightPattern(t, parleytest.BrightPatternConfig{MaxFiles: 3})
	ada, grace := newVisitor(t, bp), newVisitor(t, bp)
	adaChat, graceChat := ada.requestChat(ctx), grace.requestChat(ctx)
	upload := func(v *visitor, name string) string {
		body, formType := multipartBody(t, "file", name, "text/plain", []byte(name))
		a, err := v.upload(ctx, body, formType)
		var up protocol.UploadedFile
		if err != nil || json.Unmarshal(a.body, &up) != nil {
			t.Fatalf("upload: %v %s", err, a.body)
		}
		return up.FileID
	}
	adas := upload(ada, "ada.txt")
	agents := bp.Chat(adaChat).SendFile("agent.txt", "text/plain", []byte("agent.txt"))

	cases := []struct {
		name    string
		v       *visitor
		path    string
		status  int
		code    protocol.Code
		content string
	}{
		{"own upload", ada, "chats/" + adaChat + "/files/" + adas, http.StatusOK, "", "ada.txt"},
		{"the agent's file in the chat", ada, "chats/" + adaChat + "/files/" + agents, http.StatusOK, "", "agent.txt"},
		{"another client's upload", grace, "chats/" + graceChat + "/files/" + adas, http.StatusNotFound, protocol.CodeFileNotFound, ""},
		{"an agent's file of another chat", grace, "chats/" + graceChat + "/files/" + agents, http.StatusNotFound, protocol.CodeFileNotFound, ""},
		{"through another client's chat", grace, "chats/" + adaChat + "/files/" + adas, http.StatusNotFound, protocol.CodeChatNotFound, ""},
		{"no such file", ada, "chats/" + adaChat + "/files/nothing", http.StatusNotFound, protocol.CodeFileNotFound, ""},
	}
	for _, tc := range cases {
		a := tc.v.do(ctx, http.MethodGet, tc.path, nil)
		if a.status != tc.status || a.code() != tc.code || (tc.content != "" && string(a.body) != tc.content) {
			t.Errorf("%s: %d %s, want %d %q %s", tc.name, a.status, a.body, tc.status, tc.code, tc.content)
		}
		if tc.content != "" && a.header.Get("Content-Type") != "text/plain" {
			t.Errorf("%s: Content-Type %s", tc.name, a.header.Get("Content-Type"))
		}
	}

	req := ada.request(ctx, http.MethodGet, "chats/"+adaChat+"/files/"+adas, nil)
	setQuery(req, "tenantUrl", "")
	if a, err := ada.send(req); err != nil || a.status != http.StatusOK {
		t.Errorf("Get File without tenantUrl: %v %d %s", err, a.status, a.body)
	}

	upload(ada, "two.txt")
	upload(ada, "three.txt")
	if a := ada.do(ctx, http.MethodGet, "chats/"+adaChat+"/files/"+adas, nil); a.code() != protocol.CodeFileNotFound {
		t.Errorf("the oldest of 4 files with room for 3 answered %d %s", a.status, a.body)
	}
	if _, ok := bp.File(agents); !ok {
		t.Error("a newer file was forgotten")
	}
}

func TestBrightPatternProfilePhoto(t *testing.T) {
	t.Parallel()
	ctx, bp, v, chatID := startChat(t, parleytest.BrightPatternConfig{})
	agent := bp.Chat(chatID).Join("Grace Hopper")
	a := v.do(ctx, http.MethodGet, "chats/"+chatID+"/profilephotos/"+agent, nil)
	if a.status != http.StatusOK || a.header.Get("Content-Type") != "image/png" || !bytes.HasPrefix(a.body, []byte("\x89PNG")) {
		t.Errorf("photo: %d %s, %d bytes", a.status, a.header.Get("Content-Type"), len(a.body))
	}
	if a := v.do(ctx, http.MethodGet, "chats/"+chatID+"/profilephotos/"+chatID, nil); a.status != http.StatusNotFound {
		t.Errorf("the visitor's photo answered %d", a.status)
	}
}

func TestBrightPatternCase(t *testing.T) {
	t.Parallel()
	ctx, bp, v, chatID := startChat(t, parleytest.BrightPatternConfig{})
	chat := bp.Chat(chatID)
	for _, call := range []struct{ method, path string }{{http.MethodGet, "casehistory"}, {http.MethodPost, "closecase"}} {
		if a := v.do(ctx, call.method, "chats/"+chatID+"/"+call.path, nil); a.status != http.StatusBadRequest || a.code() != protocol.CodeCaseNotSet {
			t.Errorf("%s before a case: %d %s", call.path, a.status, a.body)
		}
	}
	chat.SetCase("case-7")
	a := v.do(ctx, http.MethodGet, "chats/"+chatID+"/casehistory", nil)
	var got struct {
		Sessions []struct {
			ChatID      string          `json:"chat_id"`
			CreatedTime json.RawMessage `json:"created_time"`
			Events      []json.RawMessage
		}
	}
	if err := json.Unmarshal(a.body, &got); err != nil || len(got.Sessions) != 1 || got.Sessions[0].ChatID != chatID ||
		!isSeconds(got.Sessions[0].CreatedTime) || len(got.Sessions[0].Events) != 2 {
		t.Errorf("case history %s (%v)", a.body, err)
	}
	if a := v.do(ctx, http.MethodPost, "chats/"+chatID+"/closecase", nil); a.status != http.StatusOK || !chat.CaseClosed() {
		t.Errorf("Close Case: %d %s, closed %v", a.status, a.body, chat.CaseClosed())
	}
}

func TestBrightPatternNotifications(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		body   string
		status int
		code   protocol.Code
	}{
		{"APNs", `{"ios_apns_device_token":"ab12","ios_app_bundle_id":"com.example"}`, http.StatusOK, ""},
		{"Firebase", `{"android_firebase_device_token":"tok"}`, http.StatusOK, ""},
		{"two kinds", `{"ios_apns_device_token":"ab12","ios_firebase_device_token":"tok"}`, http.StatusBadRequest, protocol.CodeTooManyParameters},
		{"none", `{"token":"x"}`, http.StatusBadRequest, protocol.CodeBadRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, bp, v, chatID := startChat(t, parleytest.BrightPatternConfig{})
			a := v.do(ctx, http.MethodPost, "chats/"+chatID+"/notifications", []byte(tc.body))
			if a.status != tc.status || a.code() != tc.code {
				t.Errorf("answer %d %s, want %d %q", a.status, a.body, tc.status, tc.code)
			}
			if subs := bp.Chat(chatID).Subscriptions(); (tc.status == http.StatusOK) != (len(subs) == 1 && string(subs[0]) == tc.body) {
				t.Errorf("subscriptions %q", subs)
			}
		})
	}
}

func TestBrightPatternVersion1(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	bp := parleytest.StartBrightPattern(t, parleytest.BrightPatternConfig{Version: 1})
	if !strings.HasSuffix(bp.APIURL(), "/clientweb/api/v1") {
		t.Fatalf("API at %s", bp.APIURL())
	}
	v := newVisitor(t, bp)
	chatID := v.requestChat(ctx)
	if got := names(v.events(ctx, chatID)); !slices.Equal(got, []string{protocol.TypeStatus}) {
		t.Errorf("events %v", got)
	}
	for _, path := range []string{"configuration", "version", "iceservers", "chats/" + chatID + "/casehistory"} {
		if a := v.do(ctx, http.MethodGet, path, nil); a.status != http.StatusNotFound {
			t.Errorf("v1 %s answered %d", path, a.status)
		}
	}
}

func TestBrightPatternTLS(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	bp := parleytest.StartBrightPattern(t, parleytest.BrightPatternConfig{TLS: true})
	if !strings.HasPrefix(bp.URL, "https://") {
		t.Fatalf("URL %s", bp.URL)
	}
	newVisitor(t, bp).requestChat(ctx)
}

func TestBrightPatternWrongHTTPMethod(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	bp := parleytest.StartBrightPattern(t, parleytest.BrightPatternConfig{})
	if a := newVisitor(t, bp).do(ctx, http.MethodDelete, "chats", nil); a.status != http.StatusMethodNotAllowed {
		t.Errorf("DELETE chats answered %d", a.status)
	}
	if r := bp.Requests(); len(r) != 1 || r[0].Status != http.StatusMethodNotAllowed {
		t.Errorf("recorded %+v", r)
	}
}
