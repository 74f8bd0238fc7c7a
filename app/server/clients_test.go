package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/app/scenario"
	"github.com/parleychat/parley/protocol"
)

// webChat is Bright Pattern's web client: clientId WebChat, told apart by
// the cookie the server sets, which it sends back like a browser.
type webChat struct {
	t      *testing.T
	base   string
	origin string
	cookie *http.Cookie
}

func (w *webChat) call(method, path string, body []byte) answer {
	w.t.Helper()
	h := http.Header{
		"Authorization": {`MOBILE-API-140-327-PLAIN appId="` + parleytest.AppID + `", clientId="WebChat"`},
		"Content-Type":  {"application/json; charset=utf-8"},
	}
	if w.origin != "" {
		h.Set("Origin", w.origin)
	}
	if w.cookie != nil {
		h.Set("Cookie", w.cookie.String())
	}
	a := mustFetch(w.t, method, w.base+path, h, bytes.NewReader(body))
	for _, c := range (&http.Response{Header: a.header}).Cookies() {
		if c.Name == "parley_visitor" {
			w.cookie = &http.Cookie{Name: c.Name, Value: c.Value}
		}
	}
	return a
}

func (w *webChat) requestChat() protocol.ChatSession {
	w.t.Helper()
	a := w.call(http.MethodPost, "chats?tenantUrl=https%3A%2F%2Ftenant.example.com%2F", []byte(`{"parameters":{}}`))
	wantOK(w.t, "WebChat Request Chat", a)
	var s protocol.ChatSession
	_ = json.Unmarshal(a.body, &s)
	return s
}

func TestWebChatVisitorsAreToldApartByTheirCookie(t *testing.T) {
	t.Parallel()
	srv := parleytest.Start(t, parleytest.Quiet())
	base := srv.URL + protocol.APIPrefixV1
	ada := &webChat{t: t, base: base}
	first := ada.requestChat()
	if ada.cookie == nil {
		t.Fatal("Request Chat with clientId WebChat set no visitor cookie")
	}
	a := ada.call(http.MethodPost, "chats", nil)
	setCookie := a.header.Get("Set-Cookie")
	for _, attr := range []string{"HttpOnly", "Secure", "SameSite=None", "Partitioned", "Path=/clientweb/"} {
		if !strings.Contains(setCookie, attr) {
			t.Errorf("the visitor cookie %q lacks %s", setCookie, attr)
		}
	}
	var again protocol.ChatSession
	_ = json.Unmarshal(a.body, &again)
	if again.ChatID != first.ChatID || again.IsNewChat {
		t.Errorf("the same cookie got chat %s (new %v), want %s again", again.ChatID, again.IsNewChat, first.ChatID)
	}
	grace := &webChat{t: t, base: base}
	other := grace.requestChat()
	if other.ChatID == first.ChatID || !other.IsNewChat {
		t.Errorf("a second WebChat visitor got chat %s (new %v), want a chat of its own", other.ChatID, other.IsNewChat)
	}
	wantOK(t, "the visitor's own history", ada.call(http.MethodGet, "chats/"+first.ChatID+"/history", nil))
	wantError(t, "another WebChat visitor's history", grace.call(http.MethodGet, "chats/"+first.ChatID+"/history", nil), http.StatusNotFound, protocol.CodeChatNotFound)
	nobody := &webChat{t: t, base: base}
	wantError(t, "WebChat without a cookie", nobody.call(http.MethodGet, "chats/"+first.ChatID+"/events", nil), http.StatusNotFound, protocol.CodeChatNotFound)
	forged := &webChat{t: t, base: base, cookie: &http.Cookie{Name: "parley_visitor", Value: "not-a-cookie-this-server-set"}}
	wantError(t, "WebChat with a forged cookie", forged.call(http.MethodGet, "chats/"+first.ChatID+"/history", nil), http.StatusNotFound, protocol.CodeChatNotFound)

	// The web client loads files by URL, with its cookie and no header.
	f, err := srv.Chats.Upload(t.Context(), first.ChatID, first.ChatID, "note.txt", "", strings.NewReader("hello"))
	if err != nil {
		t.Fatal(err)
	}
	fileURL := base + "chats/" + first.ChatID + "/files/" + f.ID
	if a := mustFetch(t, http.MethodGet, fileURL, http.Header{"Cookie": {ada.cookie.String()}}, nil); a.status != http.StatusOK || string(a.body) != "hello" {
		t.Errorf("the file by the visitor's cookie: %s", a)
	}
	if a := mustFetch(t, http.MethodGet, fileURL, http.Header{"Cookie": {grace.cookie.String()}}, nil); a.status != http.StatusNotFound {
		t.Errorf("the file by another visitor's cookie: %s, want 404", a)
	}
}

func TestCrossOriginCalls(t *testing.T) {
	t.Parallel()
	srv := parleytest.Start(t, parleytest.Quiet(), parleytest.AllowOrigins("http://shop.example:*", "partner.example"))
	base := srv.URL + protocol.APIPrefix
	call := func(method, origin string, header http.Header) answer {
		h := http.Header{"Authorization": {protocol.Credentials{AppID: parleytest.AppID, ClientID: protocol.NewUUID()}.Authorization()}}
		for k, v := range header {
			h[k] = v
		}
		if origin != "" {
			h.Set("Origin", origin)
		}
		return mustFetch(t, method, base+"availability", h, nil)
	}
	tests := []struct {
		name, method, origin string
		header               http.Header
		status               int
		allow                string // Access-Control-Allow-Origin
	}{
		{"no origin: the mobile SDKs", "GET", "", nil, http.StatusOK, ""},
		{"the server's own origin: the widget", "GET", srv.URL, nil, http.StatusOK, ""},
		{"an allowed origin, by scheme and host", "GET", "http://shop.example:8080", nil, http.StatusOK, "http://shop.example:8080"},
		{"an allowed origin, by host", "GET", "https://partner.example", nil, http.StatusOK, "https://partner.example"},
		{"the preflight of an allowed origin", "OPTIONS", "http://shop.example:8080",
			http.Header{"Access-Control-Request-Method": {"POST"}, "Access-Control-Request-Headers": {"authorization,content-type"}},
			http.StatusNoContent, "http://shop.example:8080"},
		{"another origin", "GET", "https://evil.example", nil, http.StatusForbidden, ""},
		{"another origin's preflight", "OPTIONS", "https://evil.example", http.Header{"Access-Control-Request-Method": {"POST"}}, http.StatusForbidden, ""},
		{"another scheme than the pattern's", "GET", "https://shop.example:8080", nil, http.StatusForbidden, ""},
		{"a sandboxed page", "GET", "null", nil, http.StatusForbidden, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := call(tc.method, tc.origin, tc.header)
			if a.status != tc.status {
				t.Fatalf("got %s, want %d", a, tc.status)
			}
			if got := a.header.Get("Access-Control-Allow-Origin"); got != tc.allow {
				t.Errorf("Access-Control-Allow-Origin = %q, want %q", got, tc.allow)
			}
			if tc.allow != "" && a.header.Get("Access-Control-Allow-Credentials") != "true" {
				t.Error("no Access-Control-Allow-Credentials: true, which withCredentials needs")
			}
			if tc.method == "OPTIONS" && tc.status == http.StatusNoContent {
				for _, h := range []string{"Authorization", "Content-Type"} {
					if !strings.Contains(a.header.Get("Access-Control-Allow-Headers"), h) {
						t.Errorf("the preflight does not allow %s: %q", h, a.header.Get("Access-Control-Allow-Headers"))
					}
				}
			}
			if tc.status == http.StatusForbidden {
				if perr := protocol.DecodeError(a.body); perr == nil || perr.Code != protocol.CodeForbidden || !strings.Contains(perr.Message, "allowed origins") {
					t.Errorf("the refusal %s does not say why in the error envelope", a)
				}
			}
		})
	}
}

func TestMobileNotificationSubscription(t *testing.T) {
	t.Parallel()
	srv := parleytest.Start(t, parleytest.Quiet())
	c := newAPIClient(t, srv.URL)
	chatID := c.open().ChatID
	path := protocol.Path(protocol.PathNotifications, chatID)
	tests := []struct {
		name   string
		body   string
		status int
		code   protocol.Code
		want   protocol.NotificationSubscription
	}{
		{"APNs, as the iOS SDK sends it", `{"ios_apns_device_token":"a1b2","ios_app_bundle_id":"com.example.shop"}`, 200, "",
			protocol.NotificationSubscription{APNsToken: "a1b2", AppBundleID: "com.example.shop"}},
		{"Firebase from iOS", `{"ios_firebase_device_token":"fcm-1"}`, 200, "", protocol.NotificationSubscription{IOSFirebaseToken: "fcm-1"}},
		{"Firebase from Android", `{"android_firebase_device_token":"fcm-2"}`, 200, "", protocol.NotificationSubscription{AndroidFirebaseToken: "fcm-2"}},
		{"two tokens", `{"ios_apns_device_token":"a","android_firebase_device_token":"b"}`, 400, protocol.CodeTooManyParameters,
			protocol.NotificationSubscription{AndroidFirebaseToken: "fcm-2"}},
		{"not JSON", `{"ios_apns`, 400, protocol.CodeBadRequest, protocol.NotificationSubscription{AndroidFirebaseToken: "fcm-2"}},
		{"no token cancels", `{}`, 200, "", protocol.NotificationSubscription{}},
	}
	for _, tc := range tests {
		a := c.post(path, "application/json", strings.NewReader(tc.body))
		if tc.status == 200 {
			wantOK(t, tc.name, a)
		} else {
			wantError(t, tc.name, a, tc.status, tc.code)
		}
		stored, err := srv.Chats.Chat(t.Context(), chatID)
		if err != nil {
			t.Fatal(err)
		}
		if stored.Notifications != tc.want {
			t.Errorf("%s: stored %+v, want %+v", tc.name, stored.Notifications, tc.want)
		}
	}
	wantError(t, "another client's chat", newAPIClient(t, srv.URL).post(path, "application/json", strings.NewReader(`{}`)), http.StatusNotFound, protocol.CodeChatNotFound)
}

func TestICEServersComeFromTheConfiguration(t *testing.T) {
	t.Parallel()
	contact := scenario.Default()
	contact.AppIDs = []string{parleytest.AppID}
	contact.ICEServers = []protocol.ICEServer{
		{URLs: []string{"stun:stun.example.com:3478"}},
		{URLs: []string{"turn:turn.example.com:3478?transport=tcp"}, Username: "u", Credential: "p"},
	}
	for _, tc := range []struct {
		name string
		opt  parleytest.Option
		want string
	}{
		{"configured", parleytest.Contact(contact), `{"iceServers":[{"urls":["stun:stun.example.com:3478"]},{"urls":["turn:turn.example.com:3478?transport=tcp"],"username":"u","credential":"p"}]}`},
		{"none", parleytest.Quiet(), `{"iceServers":[]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := parleytest.Start(t, tc.opt)
			c := newAPIClient(t, srv.URL)
			a := c.get(protocol.PathICEServers)
			if a.status != http.StatusOK || string(a.body) != tc.want {
				t.Errorf("got %s, want %s", a, tc.want)
			}
			wantError(t, "without credentials", mustFetch(t, http.MethodGet, srv.URL+protocol.PathICEServers, nil, nil), http.StatusUnauthorized, protocol.CodeAuthMissing)
			if a.header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control %q: TURN credentials must not be cached", a.header.Get("Cache-Control"))
			}
			// The agent's side of a call uses the same servers.
			if a := agentRequest(t, srv, http.MethodGet, "/agent/api/iceservers", agentAuth, ""); a.status != http.StatusOK || string(a.body) != tc.want {
				t.Errorf("the agent API's ICE servers: got %s, want %s", a, tc.want)
			}
			wantError(t, "the agent's ICE servers without the token", agentRequest(t, srv, http.MethodGet, "/agent/api/iceservers", nil, ""), http.StatusForbidden, protocol.CodeForbidden)
		})
	}
}

func TestRequestSMSChat(t *testing.T) {
	t.Parallel()
	srv := parleytest.Start(t, parleytest.Quiet())
	c := newAPIClient(t, srv.URL)
	a := c.post(protocol.PathRequestSMS, "application/json", strings.NewReader(`{"phone_number":"+15550100","from":"Ada"}`))
	if a.status != http.StatusOK || string(a.body) != `{"sms_error_code":5,"error_message":"this server has no SMS gateway; SMS chats cannot start here"}` {
		t.Errorf("Request SMS Chat: %s, want the documented answer of a server without an SMS gateway", a)
	}
	wantError(t, "without a number", c.post(protocol.PathRequestSMS, "application/json", strings.NewReader(`{}`)), http.StatusBadRequest, protocol.CodeBadRequest)
	wantError(t, "under v2, which does not document it", c.post(protocol.APIPrefix+"requestsms", "application/json", strings.NewReader(`{"phone_number":"+15550100"}`)), http.StatusNotFound, protocol.CodeNoMethod)
}

func TestAndroidFileURL(t *testing.T) {
	t.Parallel()
	srv := parleytest.Start(t, parleytest.Quiet())
	c := newAPIClient(t, srv.URL)
	c.open()
	up := c.uploadFile("cat.png", pngImage(t))
	url := srv.URL + protocol.Path(protocol.PathFileByID, up.FileID)
	if a := mustFetch(t, http.MethodGet, url, nil, nil); a.status != http.StatusOK || !bytes.Equal(a.body, pngImage(t)) || a.header.Get("Content-Type") != "image/png" {
		t.Errorf("the file by its URL alone, as the Android app loads it: %d %s", a.status, a.header.Get("Content-Type"))
	}
	if a := mustFetch(t, http.MethodGet, url, c.header(""), nil); a.status != http.StatusOK {
		t.Errorf("the file with its chat's credentials: %s", a)
	}
	other := newAPIClient(t, srv.URL)
	other.open()
	wantError(t, "the file with another client's credentials", mustFetch(t, http.MethodGet, url, other.header(""), nil), http.StatusNotFound, protocol.CodeFileNotFound)
	wantError(t, "an unknown file", mustFetch(t, http.MethodGet, srv.URL+protocol.Path(protocol.PathFileByID, "no-such-file"), nil, nil), http.StatusNotFound, protocol.CodeFileNotFound)
}

func TestRequestChatAnswersTheWaitAndTakesTheInitialMessage(t *testing.T) {
	t.Parallel()
	srv := parleytest.Start(t)
	c := newAPIClient(t, srv.URL)
	body := `{"from":"Ada","initial_message":{"event":"chat_session_message","msg":"Where is my order?","msg_id":"1"}}`
	a := c.post(protocol.PathChats, "application/json", strings.NewReader(body))
	wantOK(t, "Request Chat", a)
	var raw map[string]any
	_ = json.Unmarshal(a.body, &raw)
	// The scenario stamped its wait to the second; a second may be gone.
	if ewt := raw["ewt"]; ewt != "120" && ewt != "119" {
		t.Errorf("a new chat's ewt = %#v, want the queue's \"120\"", ewt)
	}
	var s protocol.ChatSession
	_ = json.Unmarshal(a.body, &s)
	history := c.history(s.ChatID)
	var mine []string
	for _, e := range history {
		if m, ok := e.(*protocol.Message); ok && m.PartyID == s.ChatID {
			mine = append(mine, m.Msg)
		}
	}
	if !slices.Equal(mine, []string{"Where is my order?"}) {
		t.Errorf("the visitor's messages are %q, want the initial message", mine)
	}
	agent := srv.Agent("Grace Hopper")
	if err := agent.Take(t.Context(), s.ChatID); err != nil {
		t.Fatal(err)
	}
	a = c.post(protocol.PathChats, "application/json", strings.NewReader(`{}`))
	_ = json.Unmarshal(a.body, &raw)
	if raw["ewt"] != "0" || raw["is_new_chat"] != false {
		t.Errorf("the connected chat again: %s, want ewt \"0\"", a.body)
	}

	bad := newAPIClient(t, srv.URL)
	wantError(t, "an initial message without msg", bad.post(protocol.PathChats, "application/json",
		strings.NewReader(`{"initial_message":{"event":"chat_session_message","msg_id":"1"}}`)), http.StatusBadRequest, protocol.CodeBadRequest)
	wantError(t, "no chat was opened for it", bad.get(protocol.PathActiveChat), http.StatusNotFound, protocol.CodeChatNotFound)
}

// TestClientValuesComeBackInTheirJSONType: what a client sent as numbers
// comes back as numbers (msg_id, form_request_id, form values), and
// coordinates sent as numbers come back as the strings both SDKs read.
func TestClientValuesComeBackInTheirJSONType(t *testing.T) {
	t.Parallel()
	cfg := scenario.Default()
	cfg.Forms = append(cfg.Forms, protocol.WidgetForm{Name: "details", Fields: []protocol.WidgetField{
		{FormFieldType: "numerical_range_slider", Name: "age", Label: "Age"},
		{FormFieldType: "checkbox", Name: "vip", Label: "VIP"},
		{FormFieldType: "name", Name: "name", Label: "Name"},
	}})
	srv := parleytest.Start(t, parleytest.Quiet(), parleytest.Contact(cfg))
	c := newAPIClient(t, srv.URL)
	chatID := c.open().ChatID
	if err := srv.Chats.Publish(t.Context(), chatID, &protocol.FormShow{FormRequestID: protocol.NumberID(7), FormName: "details"}); err != nil {
		t.Fatal(err)
	}
	wantOK(t, "sending", c.sendEvents(chatID, `{"events":[`+
		`{"event":"chat_session_message","msg_id":41,"msg":"numbered"},`+
		`{"event":"chat_session_form_data","form_request_id":7,"form_name":"details","data":{"age":42,"vip":true,"name":"Ada"}},`+
		`{"event":"chat_session_location","msg_id":"43","latitude":59.9139,"longitude":10.7522}]}`))
	a := c.get(protocol.Path(protocol.PathChatHistory, chatID))
	var history struct {
		Events []map[string]any `json:"events"`
	}
	if err := json.Unmarshal(a.body, &history); err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]any{
		protocol.TypeMessage:  {"msg_id": float64(41)},
		protocol.TypeFormData: {"form_request_id": float64(7), "data": map[string]any{"age": float64(42), "vip": true, "name": "Ada"}},
		protocol.TypeLocation: {"msg_id": "43", "latitude": "59.9139", "longitude": "10.7522", "url": nil},
	}
	for _, e := range history.Events {
		name, _ := e["event"].(string)
		for key, value := range want[name] {
			if got, ok := e[key]; !ok || !reflect.DeepEqual(got, value) {
				t.Errorf("%s: %s = %#v, want %#v", name, key, got, value)
			}
		}
		delete(want, name)
	}
	for name := range want {
		t.Errorf("the history has no %s", name)
	}
}

// TestARepeatedMsgIDIsNeverDroppedSilently, through the API: a true resend
// is stored once, another message under the same msg_id is stored, and a
// burst of receipts leaves the messages' budget alone.
func TestARepeatedMsgIDIsNeverDroppedSilently(t *testing.T) {
	t.Parallel()
	srv := parleytest.Start(t, parleytest.Quiet())
	c := newAPIClient(t, srv.URL)
	chatID := c.open().ChatID
	for _, body := range []string{
		`{"events":[{"event":"chat_session_message","msg_id":"1","msg":"hello"}]}`,
		`{"events":[{"event":"chat_session_message","msg_id":"1","msg":"hello"}]}`,
		`{"events":[{"event":"chat_session_message","msg_id":"1","msg":"after a reload, my counter starts again"}]}`,
	} {
		wantOK(t, "sending", c.sendEvents(chatID, body))
	}
	for i := range 200 {
		ref := protocol.TextID(fmt.Sprint("a-", i))
		wantOK(t, "a receipt", c.sendEvents(chatID, envelope(t, &protocol.MessageDelivered{RefMsgID: ref}, &protocol.MessageRead{RefMsgID: ref})))
	}
	wantOK(t, "the message after 400 receipts", c.sendEvents(chatID, `{"events":[{"event":"chat_session_message","msg_id":"3","msg":"still here"}]}`))
	if got, want := texts(c.history(chatID)), []string{"hello", "after a reload, my counter starts again", "still here"}; !slices.Equal(got, want) {
		t.Errorf("stored %q, want %q", got, want)
	}
}
