package parleytest

import (
	"net/http"
	"net/http/httptest"
	"net/url"
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
