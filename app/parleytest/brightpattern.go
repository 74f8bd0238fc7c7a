package parleytest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/parleychat/parley/protocol"
)

// The launch point and tenant a fake Bright Pattern server knows unless its
// configuration says otherwise.
const (
	BrightPatternAppID  = "parley-upstream"
	BrightPatternTenant = "tenant.parley.test"
)

// BrightPatternConfig tunes a fake Bright Pattern server. Its zero value is
// an API v2 tenant at [BrightPatternTenant] that takes chats for
// [BrightPatternAppID].
type BrightPatternConfig struct {
	// Version is the API version served: 2 (the default) under
	// /clientweb/api/v2/, or 1 under /clientweb/api/v1/. Version 1 has no Get
	// Chat Widget Configuration, Get Version, Get ICE Servers, Mobile
	// Notification Subscription, Get Case History or Close Case, and answers a
	// second concurrent poll with 400 where version 2 answers 429.
	Version int
	// TenantURL is the tenant's domain. Every request's tenantUrl must name
	// it, as a bare host (as the mobile SDKs send it) or as a URL (as the web
	// client sends it).
	TenantURL string
	// AppIDs are the launch points (scenario entries) the tenant knows; a
	// request with another appId is refused with 3000.
	AppIDs []string
	// PollWait is how long Get New Chat Events holds a poll that has nothing
	// to deliver before it answers {"events":[]}. The documents say "about
	// 5 to 15 seconds"; the default, 10 s, stays below the 13 s after which
	// Bright Pattern's web client gives up on a poll. Tests shorten it.
	PollWait time.Duration
	// NumericIDs makes the msg_id and form_request_id of the tenant's own
	// events JSON numbers (7); by default they are strings of digits ("7").
	// A client must send them back with the type they came with.
	NumericIDs bool
	// EWT is the estimated wait, in seconds, that availability, Request Chat
	// and a new chat's queued status report; default 30.
	EWT protocol.Seconds
	// Parameters are the launch point's Expected Parameters; default
	// first_name, last_name, email and phone.
	Parameters []BrightPatternParameter
	// Widget is the answer of Get Chat Widget Configuration; default
	// [DefaultBrightPatternWidget].
	Widget *protocol.WidgetConfiguration
	// ServerVersion is the answer of Get Version; default "5.19.3".
	ServerVersion string
	// MaxFiles is how many uploaded files the tenant keeps; a newer file
	// replaces the oldest, as the documents say. Default 1000.
	MaxFiles int
	// TLS serves HTTPS with httptest's certificate, which
	// [BrightPattern.Client] trusts.
	TLS bool
}

// BrightPatternParameter is one Expected Parameter of a launch point: its
// name and its type (PHONE, TEXT, EMAIL, FIRST_NAME, LAST_NAME, ACCOUNT,
// COMPANY). The documents show each entry as {"<name>":"<type>"}; Bright
// Pattern's web client reads the entries as {"name":...,"type":...}, and so
// the fake writes them.
type BrightPatternParameter struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// DefaultBrightPatternWidget is the widget configuration a fake tenant
// answers by default: a title, a pre-chat form ("pre_chat") and a survey
// ("survey_form"), in the shape Bright Pattern's web client reads.
func DefaultBrightPatternWidget() protocol.WidgetConfiguration {
	return protocol.WidgetConfiguration{Definition: protocol.WidgetDefinition{
		ChatWidgetStyling: protocol.WidgetStyling{Title: "Chat with us", ShowAgentPic: "show"},
		PreChat:           protocol.WidgetPreChat{Title: "Before we start"},
		Forms: []protocol.WidgetForm{
			{ID: "1", Name: "pre_chat", Title: "Before we start", Fields: []protocol.WidgetField{
				{FormFieldType: "name", Name: "first_name", Label: "Your name", Required: true},
				{FormFieldType: "email", Name: "email", Label: "Email"},
			}},
			{ID: "2", Name: "survey_form", Title: "How did we do?", Fields: []protocol.WidgetField{
				{FormFieldType: "radio_buttons", Name: "rating", Label: "Your rating", Required: true,
					Options: []protocol.WidgetOption{{Value: "good", Label: "good"}, {Value: "bad", Label: "bad"}}},
				{FormFieldType: "multiline_text", Name: "comment", Label: "Anything else?"},
			}},
		},
	}}
}

// APIMethod names a method of the Mobile/Web API as the documents name it.
type APIMethod string

// The methods a fake Bright Pattern server serves.
const (
	MethodCheckAvailability  APIMethod = "Check Availability"               // GET availability
	MethodExpectedParameters APIMethod = "Expected Parameters"              // GET parameters
	MethodWidgetConfig       APIMethod = "Get Chat Widget Configuration"    // GET configuration (v2)
	MethodVersion            APIMethod = "Get Version"                      // GET version (v2)
	MethodICEServers         APIMethod = "Get ICE Servers"                  // GET iceservers (v2)
	MethodRequestChat        APIMethod = "Request Chat"                     // POST chats
	MethodActiveChat         APIMethod = "Get Active Chat"                  // GET chats/active
	MethodSendEvents         APIMethod = "Send Events"                      // POST chats/{chatId}/events
	MethodGetNewChatEvents   APIMethod = "Get New Chat Events"              // GET chats/{chatId}/events
	MethodChatHistory        APIMethod = "Get Chat History"                 // GET chats/{chatId}/history
	MethodUploadFile         APIMethod = "Upload File"                      // POST files
	MethodGetFile            APIMethod = "Get File"                         // GET chats/{chatId}/files/{fileId}
	MethodProfilePhoto       APIMethod = "Get Agent Profile Photo"          // GET chats/{chatId}/profilephotos/{partyId}
	MethodNotifications      APIMethod = "Mobile Notification Subscription" // POST chats/{chatId}/notifications (v2)
	MethodCaseHistory        APIMethod = "Get Case History"                 // GET chats/{chatId}/casehistory (v2)
	MethodCloseCase          APIMethod = "Close Case"                       // POST chats/{chatId}/closecase (v2)
)

// BrightPatternRequest is one request a fake Bright Pattern server received,
// recorded as it arrived.
type BrightPatternRequest struct {
	Method string // the HTTP method
	Path   string
	Query  url.Values
	Header http.Header
	Body   []byte
	// API is the API method the HTTP method and path name; "" for none
	// (the fake answered 404 or 405).
	API APIMethod
	// ChatID is the {chatId} of the path, if it has one.
	ChatID string
	// Status is the HTTP status of the fake's answer, recorded before the
	// client can have it; 0 while the request is held (a long poll, a
	// delay), or when no answer came (the client left first, or FaultDrop
	// cut the connection before the answer's head).
	Status int
	// Dropped says the fake cut the connection during its answer, as
	// FaultDrop makes it.
	Dropped bool
	// Faults are the faults that changed how the fake answered.
	Faults []Fault
}

// BrightPatternFile is a file on the tenant: uploaded by a client, or shared
// by an agent.
type BrightPatternFile struct {
	ID          string
	Name        string
	ContentType string
	Content     []byte
	// Owner is the client (appId and clientId) that uploaded it; zero for
	// an agent's file.
	Owner protocol.Credentials
	// ChatID is the chat an agent shared it in; "" for a client's upload.
	ChatID string
}

// BrightPattern is a fake Bright Pattern Contact Center tenant: the
// Mobile/Web chat API on loopback, written from the API's documents and from
// what Bright Pattern's Android, iOS and web clients send and decode. Tests
// point a client (Parley's upstream bridge) at URL, TenantURL and AppID,
// script the agent side of each chat ([BrightPatternChat]), read every
// request the client made (Requests), and make the tenant misbehave
// (Misbehave, Disappear):
//
//	bp := parleytest.StartBrightPattern(t, parleytest.BrightPatternConfig{PollWait: time.Second})
//	// ... point the client at bp.URL, bp.TenantURL and bp.AppID ...
//	chat, err := bp.WaitForChat(ctx, nil)
//	chat.Join("Grace Hopper")
//	chat.Say("Hello! How can I help?")
//	got, err := chat.WaitForVisitorEvent(ctx, func(e parleytest.VisitorEvent) bool {
//		return e.Event.EventType() == protocol.TypeMessage
//	})
//	bp.Misbehave(parleytest.Fault{Method: parleytest.MethodGetNewChatEvents, Kind: parleytest.FaultDrop, Times: 1})
//	bp.DisappearFor(3 * time.Second)
//
// It behaves as a Bright Pattern server does where Parley's own server does
// not: Get New Chat Events never echoes the client's own events; ids of the
// tenant's events are strings or numbers ([BrightPatternConfig.NumericIDs]);
// ewt and timestamps are strings of seconds; a chat that ended answers 5005.
// Every request must carry the Authorization header (values quoted or not),
// a tenantUrl naming the tenant (Get File and profile photos may leave it
// out, as the documents' examples do) and a JSON or multipart Content-Type
// on a body; a request without them is refused with the documented error
// envelope, 1000, 2000 to 2004, 3000 or 5003. A chat of another client is
// "not found" (5005). Statuses follow [protocol.Code.HTTPStatus].
//
// What the documents leave open, the fake decides and says so: a poll's
// events count as delivered unless its answer could not be written whole,
// so the poll after one whose answer was cut (FaultDrop) gets them again;
// history holds every
// event but typing, and still answers after the chat ended; a client's
// chat_session_end ends the chat at once, with nothing more to deliver.
// Clients that say clientId=WebChat (identified by cookies on a real
// tenant) are one client here.
type BrightPattern struct {
	// URL is the server's root, http://127.0.0.1:PORT (https with TLS);
	// the API is under URL + "/clientweb/api/v2/" (or v1).
	URL string
	// TenantURL is the tenant's domain, for tenantUrl.
	TenantURL string
	// AppID is the first launch point the tenant knows.
	AppID string
	// Version is the API version served, 1 or 2.
	Version int

	tb     TB
	cfg    BrightPatternConfig
	srv    *httptest.Server
	ln     *switchListener
	mux    *http.ServeMux
	prefix string
	quit   chan struct{}
	photo  []byte

	mu        sync.Mutex
	changed   chan struct{} // closed and replaced on every change of state
	requests  []*BrightPatternRequest
	chats     []*BrightPatternChat
	files     []*BrightPatternFile // oldest first
	faults    []*activeFault
	available bool
}

// TB is what a fake Bright Pattern server needs of whoever runs it: a test
// (testing.TB is one), or a program such as the benchmark, which reports
// Errorf's complaints and runs the cleanups when it is done with the fake.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// StartBrightPattern starts a fake Bright Pattern server on a loopback port
// until the test ends.
func StartBrightPattern(tb TB, cfg BrightPatternConfig) *BrightPattern {
	tb.Helper()
	if cfg.Version == 0 {
		cfg.Version = 2
	}
	if cfg.Version != 1 && cfg.Version != 2 {
		tb.Fatalf("Bright Pattern API version %d: only 1 and 2 exist", cfg.Version)
	}
	if cfg.TenantURL == "" {
		cfg.TenantURL = BrightPatternTenant
	}
	if len(cfg.AppIDs) == 0 {
		cfg.AppIDs = []string{BrightPatternAppID}
	}
	if cfg.PollWait == 0 {
		cfg.PollWait = 10 * time.Second
	}
	if cfg.EWT == 0 {
		cfg.EWT = 30
	}
	if cfg.Parameters == nil {
		cfg.Parameters = []BrightPatternParameter{
			{Name: "first_name", Type: "FIRST_NAME"}, {Name: "last_name", Type: "LAST_NAME"},
			{Name: "email", Type: "EMAIL"}, {Name: "phone", Type: "PHONE"},
		}
	}
	if cfg.Widget == nil {
		w := DefaultBrightPatternWidget()
		cfg.Widget = &w
	}
	if cfg.ServerVersion == "" {
		cfg.ServerVersion = "5.19.3"
	}
	if cfg.MaxFiles == 0 {
		cfg.MaxFiles = 1000
	}
	bp := &BrightPattern{
		TenantURL: cfg.TenantURL,
		AppID:     cfg.AppIDs[0],
		Version:   cfg.Version,
		tb:        tb,
		cfg:       cfg,
		prefix:    "/clientweb/api/v" + strconv.Itoa(cfg.Version) + "/",
		quit:      make(chan struct{}),
		photo:     drawProfilePhoto(),
		changed:   make(chan struct{}),
		available: true,
	}
	bp.routes()
	bp.srv = httptest.NewUnstartedServer(http.HandlerFunc(bp.serve))
	bp.ln = newSwitchListener(bp.srv.Listener)
	bp.srv.Listener = bp.ln
	if cfg.TLS {
		bp.srv.StartTLS()
	} else {
		bp.srv.Start()
	}
	bp.URL = bp.srv.URL
	tb.Cleanup(func() {
		close(bp.quit)
		bp.srv.CloseClientConnections()
		bp.srv.Close()
	})
	return bp
}

// APIURL is the base of every API method, URL + "/clientweb/api/v2" (or v1),
// without the final slash.
func (bp *BrightPattern) APIURL() string { return bp.URL + strings.TrimSuffix(bp.prefix, "/") }

// Client returns an HTTP client that trusts the server's certificate (with
// TLS) and reaches it.
func (bp *BrightPattern) Client() *http.Client { return bp.srv.Client() }

// SetAvailable opens or closes the tenant's chat service. Closed, Check
// Availability says notAvailable and Request Chat answers 5001.
func (bp *BrightPattern) SetAvailable(open bool) {
	bp.mu.Lock()
	defer bp.mu.Unlock()
	bp.available = open
	bp.touch()
}

// Requests returns copies of every request received so far, in order of
// arrival. A copy shares its Body with the fake's record: read it, do not
// change it.
func (bp *BrightPattern) Requests() []BrightPatternRequest {
	bp.mu.Lock()
	defer bp.mu.Unlock()
	out := make([]BrightPatternRequest, len(bp.requests))
	for i, r := range bp.requests {
		out[i] = *r
		out[i].Faults = slices.Clone(r.Faults)
	}
	return out
}

// RequestsTo returns the requests received so far for one API method.
func (bp *BrightPattern) RequestsTo(m APIMethod) []BrightPatternRequest {
	var out []BrightPatternRequest
	for _, r := range bp.Requests() {
		if r.API == m {
			out = append(out, r)
		}
	}
	return out
}

// WaitForRequest waits until a request satisfies match, and returns the
// first that does. Status and Dropped change as the fake answers, so a match
// may wait for them too.
func (bp *BrightPattern) WaitForRequest(ctx context.Context, match func(BrightPatternRequest) bool) (BrightPatternRequest, error) {
	var found BrightPatternRequest
	err := bp.WaitFor(ctx, func() bool {
		for _, r := range bp.Requests() {
			if match(r) {
				found = r
				return true
			}
		}
		return false
	})
	return found, err
}

// Chats returns the chats in order of creation, ended ones too.
func (bp *BrightPattern) Chats() []*BrightPatternChat {
	bp.mu.Lock()
	defer bp.mu.Unlock()
	return slices.Clone(bp.chats)
}

// Chat returns the chat with the id, or nil.
func (bp *BrightPattern) Chat(id string) *BrightPatternChat {
	bp.mu.Lock()
	defer bp.mu.Unlock()
	return bp.chatLocked(id)
}

// WaitForChat waits until a chat satisfies match (nil matches any), and
// returns the first in order of creation that does.
func (bp *BrightPattern) WaitForChat(ctx context.Context, match func(*BrightPatternChat) bool) (*BrightPatternChat, error) {
	var found *BrightPatternChat
	err := bp.WaitFor(ctx, func() bool {
		for _, c := range bp.Chats() {
			if match == nil || match(c) {
				found = c
				return true
			}
		}
		return false
	})
	return found, err
}

// File returns the file with the id, as the tenant keeps it.
func (bp *BrightPattern) File(id string) (BrightPatternFile, bool) {
	bp.mu.Lock()
	defer bp.mu.Unlock()
	if f := bp.fileLocked(id); f != nil {
		return *f, true
	}
	return BrightPatternFile{}, false
}

// WaitFor waits until cond holds, checking it again after every change of
// the fake's state: a request, an answer, an event, a poll starting or
// ending. cond may call the fake's methods.
func (bp *BrightPattern) WaitFor(ctx context.Context, cond func() bool) error {
	for {
		bp.mu.Lock()
		changed := bp.changed
		bp.mu.Unlock()
		if cond() {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// touch wakes everything that waits for a change. The caller holds mu.
func (bp *BrightPattern) touch() {
	close(bp.changed)
	bp.changed = make(chan struct{})
}

// route is one API method: the fake calls handle after the checks every
// method shares.
type route struct {
	api    APIMethod
	handle func(http.ResponseWriter, *http.Request, *call)
	// noTenant says tenantUrl may be left out, as the documents' examples
	// of Get File and Get Agent Profile Photo do.
	noTenant bool
}

// ServeHTTP runs the route with the call serve put in the context.
func (rt route) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt.handle(w, r, r.Context().Value(callKey{}).(*call))
}

type callKey struct{}

// call is what serve learned about a request before its method handles it.
type call struct {
	rec   *BrightPatternRequest
	creds protocol.Credentials
	// faults are the faults that spoil the request (FaultDuplicate aside).
	faults []Fault
}

func (bp *BrightPattern) routes() {
	bp.mux = http.NewServeMux()
	add := func(pattern string, rt route) { bp.mux.Handle(strings.Replace(pattern, " ", " "+bp.prefix, 1), rt) }
	add("GET availability", route{api: MethodCheckAvailability, handle: bp.availability})
	add("GET parameters", route{api: MethodExpectedParameters, handle: bp.parameters})
	add("POST chats", route{api: MethodRequestChat, handle: bp.requestChat})
	add("GET chats/active", route{api: MethodActiveChat, handle: bp.activeChat})
	add("POST chats/{chatId}/events", route{api: MethodSendEvents, handle: bp.sendEvents})
	add("GET chats/{chatId}/events", route{api: MethodGetNewChatEvents, handle: bp.getNewChatEvents})
	add("GET chats/{chatId}/history", route{api: MethodChatHistory, handle: bp.history})
	add("POST files", route{api: MethodUploadFile, handle: bp.uploadFile})
	add("GET chats/{chatId}/files/{fileId}", route{api: MethodGetFile, handle: bp.getFile, noTenant: true})
	add("GET chats/{chatId}/profilephotos/{partyId}", route{api: MethodProfilePhoto, handle: bp.profilePhoto, noTenant: true})
	if bp.cfg.Version == 2 {
		add("GET configuration", route{api: MethodWidgetConfig, handle: bp.configuration})
		add("GET version", route{api: MethodVersion, handle: bp.version})
		add("GET iceservers", route{api: MethodICEServers, handle: bp.iceServers})
		add("POST chats/{chatId}/notifications", route{api: MethodNotifications, handle: bp.notifications})
		add("GET chats/{chatId}/casehistory", route{api: MethodCaseHistory, handle: bp.caseHistory})
		add("POST chats/{chatId}/closecase", route{api: MethodCloseCase, handle: bp.closeCase})
	}
}

// maxBody bounds what the fake reads of a request: a whole upload and its
// multipart framing.
const maxBody = protocol.MaxFileBytes + 1<<20

// serve records the request, applies the faults that come before an answer
// and the checks every method shares, then hands it to its method.
func (bp *BrightPattern) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return // the client left while sending
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	handler, _ := bp.mux.Handler(r)
	rt, isAPI := handler.(route)
	rec := &BrightPatternRequest{
		Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(),
		Body: body, API: rt.api, ChatID: bp.chatIDOf(r.URL.Path),
	}
	bp.mu.Lock()
	bp.requests = append(bp.requests, rec)
	var faults []Fault
	if isAPI {
		faults = bp.takeFaults(rec)
	}
	bp.touch()
	bp.mu.Unlock()

	sw := &statusWriter{ResponseWriter: w, bp: bp, rec: rec}
	if !isAPI {
		handler.ServeHTTP(sw, r)
		return
	}
	c := &call{rec: rec, faults: faults}
	if !bp.misbehaveBefore(sw, r, c) {
		return
	}
	if len(body) > maxBody {
		if rt.api == MethodUploadFile {
			bp.fail(sw, c, protocol.CodeUploadTooLarge, "the file is over %d bytes", protocol.MaxFileBytes)
		} else {
			bp.fail(sw, c, protocol.CodeBadRequest, "the request body is too large")
		}
		return
	}
	if err := bp.check(r, rt, c); err != nil {
		bp.fail(sw, c, err.Code, "%s", err.Message)
		return
	}
	bp.mux.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), callKey{}, c)))
}

// chatIDOf is the {chatId} segment of an API path, or "".
func (bp *BrightPattern) chatIDOf(path string) string {
	rest, ok := strings.CutPrefix(path, bp.prefix+"chats/")
	if !ok {
		return ""
	}
	id, _, found := strings.Cut(rest, "/")
	if !found {
		return ""
	}
	return id
}

// check applies what the documents ask of every request: a tenantUrl that
// names the tenant, the Authorization header with a known appId, and a
// Content-Type that says what a body is.
func (bp *BrightPattern) check(r *http.Request, rt route, c *call) *protocol.Error {
	tenant, given := r.URL.Query()["tenantUrl"]
	switch {
	case !given && rt.noTenant:
	case !given:
		return protocol.Errorf(protocol.CodeTenantURL, "tenantUrl is missing")
	case !bp.isTenant(tenant[0]):
		return protocol.Errorf(protocol.CodeTenantURL, "tenantUrl %q is not this tenant", tenant[0])
	}
	creds, err := protocol.ParseAuthorization(r.Header.Get("Authorization"))
	if err != nil {
		var perr *protocol.Error
		if !errors.As(err, &perr) {
			perr = protocol.Errorf(protocol.CodeAuthFormat, "%v", err)
		}
		return perr
	}
	if !slices.Contains(bp.cfg.AppIDs, creds.AppID) {
		return protocol.Errorf(protocol.CodeAppID, "appId %q is not a launch point of this tenant", creds.AppID)
	}
	c.creds = creds
	if len(c.rec.Body) == 0 {
		return nil
	}
	want := "application/json"
	if rt.api == MethodUploadFile {
		want = "multipart/form-data"
	}
	if media, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || media != want {
		return protocol.Errorf(protocol.CodeBadRequest, "the body must be %s, not %q", want, r.Header.Get("Content-Type"))
	}
	return nil
}

// isTenant reports whether a tenantUrl names the tenant: its bare host, or a
// URL of it.
func (bp *BrightPattern) isTenant(value string) bool {
	if strings.EqualFold(value, bp.cfg.TenantURL) {
		return true
	}
	u, err := url.Parse(value)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && strings.EqualFold(u.Host, bp.cfg.TenantURL)
}

// statusWriter records the status of an answer as its head is written,
// before the client can have it.
type statusWriter struct {
	http.ResponseWriter
	bp    *BrightPattern
	rec   *BrightPatternRequest
	wrote bool
}

func (w *statusWriter) WriteHeader(status int) {
	if !w.wrote {
		w.wrote = true
		w.bp.mu.Lock()
		w.rec.Status = status
		w.bp.touch()
		w.bp.mu.Unlock()
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// reply writes an answer, changed by the faults of the answer, and reports
// whether the client was given all of it.
func (bp *BrightPattern) reply(w http.ResponseWriter, c *call, status int, contentType string, body []byte) bool {
	drop := false
	for _, f := range c.faults {
		switch f.Kind {
		case FaultEmptyBody:
			if status == http.StatusOK {
				body = nil
			}
		case FaultSwapTypes:
			if strings.HasPrefix(contentType, "application/json") {
				body = swapTypes(body)
			}
		case FaultDrop:
			drop = true
		}
	}
	if drop {
		bp.mu.Lock()
		c.rec.Dropped = true
		bp.touch()
		bp.mu.Unlock()
		if len(body) >= 2 {
			w.Header().Set("Content-Type", contentType)
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.WriteHeader(status)
			_, _ = w.Write(body[:len(body)/2])
			_ = http.NewResponseController(w).Flush()
		}
		panic(http.ErrAbortHandler) // net/http closes the connection, and says nothing
	}
	if len(body) > 0 {
		w.Header().Set("Content-Type", contentType)
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, err := w.Write(body)
	if err == nil {
		err = http.NewResponseController(w).Flush()
	}
	return err == nil
}

// replyJSON answers 200 with v encoded as JSON.
func (bp *BrightPattern) replyJSON(w http.ResponseWriter, c *call, v any) bool {
	body, err := json.Marshal(v)
	if err != nil {
		bp.tb.Errorf("fake Bright Pattern: encoding an answer: %v", err)
		bp.fail(w, c, protocol.CodeInternal, "encoding the answer failed")
		return false
	}
	return bp.reply(w, c, http.StatusOK, "application/json", body)
}

// fail answers with the error envelope, with the code's status.
func (bp *BrightPattern) fail(w http.ResponseWriter, c *call, code protocol.Code, format string, args ...any) {
	status := code.HTTPStatus()
	if code == protocol.CodeConcurrentPoll && bp.cfg.Version == 1 {
		status = http.StatusBadRequest // the v1 documents' answer to a second poll
	}
	body, _ := json.Marshal(protocol.Errorf(code, format, args...))
	bp.reply(w, c, status, "application/json", body)
}

// ownChat returns the chat if it belongs to the caller; a chat of another
// client is as unknown as one that never existed. The caller holds mu.
func (bp *BrightPattern) ownChat(c *call, id string) *BrightPatternChat {
	chat := bp.chatLocked(id)
	if chat == nil || chat.owner != c.creds {
		return nil
	}
	return chat
}

func (bp *BrightPattern) chatLocked(id string) *BrightPatternChat {
	for _, c := range bp.chats {
		if c.ID == id {
			return c
		}
	}
	return nil
}

func (bp *BrightPattern) fileLocked(id string) *BrightPatternFile {
	for _, f := range bp.files {
		if f.ID == id {
			return f
		}
	}
	return nil
}

// keepFile stores a file, forgetting the oldest beyond MaxFiles. The caller
// holds mu.
func (bp *BrightPattern) keepFile(f *BrightPatternFile) {
	bp.files = append(bp.files, f)
	if extra := len(bp.files) - bp.cfg.MaxFiles; extra > 0 {
		bp.files = slices.Delete(bp.files, 0, extra)
	}
}
