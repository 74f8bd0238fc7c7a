package server

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/app/scenario"
	"github.com/parleychat/parley/protocol"
)

// TestV1AndV2AnswerTheSame ranges over the one route table: every method
// answers the same under /clientweb/api/v1/ as under /clientweb/api/v2/.
func TestV1AndV2AnswerTheSame(t *testing.T) {
	t.Parallel()
	contact := scenario.Default()
	contact.ICEServers = []protocol.ICEServer{{URLs: []string{"stun:stun.example.com:3478"}}}
	svc := chat.NewService(chat.NewMemoryStore())
	s, err := New(Config{WebDir: t.TempDir(), Contact: contact}, svc)
	if err != nil {
		t.Fatal(err)
	}
	s.PollWait = 10 * time.Millisecond
	creds := protocol.Credentials{AppID: contact.AppIDs[0], ClientID: protocol.NewUUID()}
	do := func(method, path, contentType string, body []byte) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, path, bytes.NewReader(body))
		r.Header.Set("Authorization", creds.Authorization())
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		return w
	}
	open := do("POST", protocol.PathChats, "", nil)
	var session protocol.ChatSession
	if err := json.Unmarshal(open.Body.Bytes(), &session); err != nil || session.ChatID == "" {
		t.Fatalf("Request Chat: %d %s", open.Code, open.Body)
	}
	c, _ := svc.Chat(t.Context(), session.ChatID)
	if err := svc.Publish(t.Context(), c.ID, &protocol.PartyJoined{Type: protocol.PartyInternal, DisplayName: "Grace", Meta: protocol.Meta{PartyID: "agent-1"}}); err != nil {
		t.Fatal(err)
	}
	f, err := svc.Upload(t.Context(), c.ID, c.ID, "note.txt", "", strings.NewReader("hello"))
	if err != nil {
		t.Fatal(err)
	}
	var upload bytes.Buffer
	mw := multipart.NewWriter(&upload)
	part, _ := mw.CreateFormFile("file", "note.txt")
	_, _ = part.Write([]byte("hello"))
	mw.Close()

	// What each route is asked, in a state where asking twice answers the
	// same: a true resend, the chat that exists, a positioned poll.
	ask := map[string]struct {
		query, contentType string
		body               []byte
	}{
		protocol.PathChats:               {body: []byte(`{"from":"Ada"}`)},
		protocol.PathChatEvents:          {body: []byte(`{"events":[{"event":"chat_session_message","msg_id":"1","msg":"hi"}]}`)},
		protocol.PathNotifications:       {body: []byte(`{"android_firebase_device_token":"t"}`)},
		protocol.PathFiles:               {contentType: mw.FormDataContentType(), body: upload.Bytes()},
		"GET " + protocol.PathChatEvents: {query: "?after=0&epoch=" + c.Epoch},
	}
	fill := strings.NewReplacer("{chatId}", c.ID, "{fileId}", f.ID, "{partyId}", "agent-1")
	ids := regexp.MustCompile(`"file_id":"[^"]+"`)
	for _, route := range s.apiRoutes() {
		t.Run(route.method+" "+route.path, func(t *testing.T) {
			a, ok := ask[route.method+" "+route.path]
			if !ok {
				a = ask[route.path]
			}
			var answers [2]*httptest.ResponseRecorder
			for i, path := range []string{protocol.V1(route.path), route.path} {
				answers[i] = do(route.method, fill.Replace(path)+a.query, a.contentType, a.body)
			}
			v1, v2 := answers[0], answers[1]
			b1, b2 := ids.ReplaceAll(v1.Body.Bytes(), nil), ids.ReplaceAll(v2.Body.Bytes(), nil)
			if v1.Code != v2.Code || !bytes.Equal(b1, b2) || v1.Header().Get("Content-Type") != v2.Header().Get("Content-Type") {
				t.Errorf("v1 answered %d %.200s\nv2 answered %d %.200s", v1.Code, v1.Body, v2.Code, v2.Body)
			}
			if v1.Code >= 500 {
				t.Errorf("both answered %d %s", v1.Code, v1.Body)
			}
		})
	}
}

// TestUnknownRoutesAnswerTheErrorEnvelope: under /clientweb/ a path the API
// does not have, or a method a path does not take, answers the API's error
// envelope, never net/http's text/plain 404 or 405.
func TestUnknownRoutesAnswerTheErrorEnvelope(t *testing.T) {
	t.Parallel()
	s, err := New(Config{WebDir: t.TempDir(), Contact: scenario.Default()}, chat.NewService(chat.NewMemoryStore()))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, method, path string
		status             int
		code               protocol.Code
	}{
		{"no such method", "GET", protocol.APIPrefix + "nothing-here", http.StatusNotFound, protocol.CodeNoMethod},
		{"no such method in v1", "GET", protocol.APIPrefixV1 + "chats/x/nothing", http.StatusNotFound, protocol.CodeNoMethod},
		{"no such version", "GET", "/clientweb/api/v3/availability", http.StatusNotFound, protocol.CodeNoMethod},
		{"under /clientweb/ but outside the API", "GET", "/clientweb/", http.StatusNotFound, protocol.CodeNoMethod},
		{"Request SMS, which only v1 documents", "POST", protocol.APIPrefix + "requestsms", http.StatusNotFound, protocol.CodeNoMethod},
		{"POST to a GET method", "POST", protocol.APIPrefix + "availability", http.StatusMethodNotAllowed, protocol.CodeWrongMethod},
		{"GET to a POST method", "GET", protocol.APIPrefixV1 + "chats", http.StatusMethodNotAllowed, protocol.CodeWrongMethod},
		{"DELETE a chat's events", "DELETE", protocol.APIPrefix + "chats/x/events", http.StatusMethodNotAllowed, protocol.CodeWrongMethod},
		{"POST to Android's file URL", "POST", "/clientweb/file/abc", http.StatusMethodNotAllowed, protocol.CodeWrongMethod},
		{"POST to the chat socket", "POST", protocol.APIPrefix + "chats/x/socket", http.StatusMethodNotAllowed, protocol.CodeWrongMethod},
		// ServeMux would redirect these to a clean path (the handler
		// fuzzer found a 307).
		{"a chat id of .", "POST", protocol.APIPrefix + "chats/./events", http.StatusNotFound, protocol.CodeNoMethod},
		{"a doubled slash", "GET", protocol.APIPrefix + "chats//history", http.StatusNotFound, protocol.CodeNoMethod},
		{"the agent API, a chat id of .", "POST", "/agent/api/chats/./events", http.StatusNotFound, protocol.CodeNoMethod},
		{"the agent API, a path that climbs", "POST", "/agent/api/chats/../chats/x/events", http.StatusNotFound, protocol.CodeNoMethod},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := httptest.NewRecorder()
			s.ServeHTTP(w, httptest.NewRequest(tc.method, tc.path, nil))
			perr := protocol.DecodeError(w.Body.Bytes())
			if w.Code != tc.status || perr == nil || perr.Code != tc.code || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
				t.Errorf("%s %s = %d %s %q, want %d with error_code %s", tc.method, tc.path, w.Code, w.Header().Get("Content-Type"), w.Body, tc.status, tc.code)
			}
		})
	}
}

// TestTheConsoleSpellsTheAgentPathsAsTheServer holds the agent console's
// one table of paths (PATHS in web/agent/console.js) to the server's
// constants, so that a path renamed on one side cannot leave the other
// calling a route that is gone.
func TestTheConsoleSpellsTheAgentPathsAsTheServer(t *testing.T) {
	t.Parallel()
	source, err := os.ReadFile(filepath.Join("..", "..", "web", "agent", "console.js"))
	if err != nil {
		t.Fatal(err)
	}
	table := regexp.MustCompile(`(?s)var PATHS = \{(.*?)\};`).FindSubmatch(source)
	if table == nil {
		t.Fatal("console.js has no PATHS table")
	}
	var inConsole []string
	for _, m := range regexp.MustCompile(`"(/agent/api[^"]*)"`).FindAllSubmatch(table[1], -1) {
		inConsole = append(inConsole, string(m[1]))
	}
	inServer := []string{
		PathAgentChats, PathAgentForms, PathAgentICEServers, PathAgentTake,
		PathAgentEvents, PathAgentSocket, PathAgentFiles, PathAgentFile,
	}
	slices.Sort(inConsole)
	slices.Sort(inServer)
	if !slices.Equal(inConsole, inServer) {
		t.Errorf("the console's paths %q, the server's %q", inConsole, inServer)
	}
}
