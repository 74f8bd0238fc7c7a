package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/app/scenario"
	"github.com/parleychat/parley/app/server"
	"github.com/parleychat/parley/protocol"
)

// The fuzz targets of this file drive every HTTP and WebSocket handler of
// the server with what the fuzzer makes of their input: the body, the
// query, the path's ids, the Authorization header, socket frames. Whatever
// arrives, the server must answer as the API does (a 2xx, or the error
// envelope with a code whose status it answers, never a 5xx), keep every
// socket that sent nothing over the limit, and lose or repair nothing
// already stored: the chat's history only grows, and holds no U+FFFD that
// was not sent as one.

const fuzzAgentToken = "fuzz-agent-token"

// fuzzServer is a server over a memory store for a fuzz worker, with one
// visitor's chat, a file in it and an agent who took it.
type fuzzServer struct {
	srv    *server.Server
	chats  *chat.Service
	creds  protocol.Credentials
	chat   protocol.ChatSession
	fileID string
	agent  string
	// stored is how many events the chat had when last checked, and their
	// encoding.
	stored [][]byte
}

func newFuzzServer(tb testing.TB) *fuzzServer {
	tb.Helper()
	svc := chat.NewService(chat.NewMemoryStore())
	// The limiter refusing everything would hide the handlers behind it.
	svc.VisitorRate, svc.VisitorBurst = 1e9, 1e9
	svc.Receipts, svc.Typing, svc.Signaling = chat.Limit{Rate: 1e9, Burst: 1e9}, chat.Limit{Rate: 1e9, Burst: 1e9}, chat.Limit{Rate: 1e9, Burst: 1e9}
	svc.MaxFiles = 1e9
	cfg := scenario.Default()
	svc.Forms = cfg.Forms
	srv, err := server.New(server.Config{WebDir: parleytest.WebDir(), Contact: cfg, AgentToken: fuzzAgentToken}, svc)
	if err != nil {
		tb.Fatal(err)
	}
	srv.PollWait = time.Millisecond
	fs := &fuzzServer{srv: srv, chats: svc, agent: "agent-fuzz"}
	fs.newChat(tb)
	return fs
}

// newChat gives the fuzzer a fresh chat: a visitor's, with a file, a form
// asked for, and an agent.
func (fs *fuzzServer) newChat(tb testing.TB) {
	tb.Helper()
	fs.creds = protocol.Credentials{AppID: parleytest.AppID, ClientID: protocol.NewUUID()}
	a := fs.serve(httptest.NewRequest("POST", protocol.PathChats, strings.NewReader("{}")), fs.creds.Authorization(), "")
	if a.Code != http.StatusOK || json.Unmarshal(a.Body.Bytes(), &fs.chat) != nil {
		tb.Fatalf("requesting a chat: %d %s", a.Code, a.Body)
	}
	ctx := context.Background()
	f, err := fs.chats.Upload(ctx, fs.chat.ChatID, fs.chat.ChatID, "note.txt", "text/plain", strings.NewReader("hello"))
	if err != nil {
		tb.Fatal(err)
	}
	fs.fileID = f.ID
	if err := fs.chats.Take(ctx, fs.chat.ChatID, &protocol.PartyJoined{DisplayName: "Fuzz", Meta: protocol.Meta{PartyID: fs.agent}}); err != nil {
		tb.Fatal(err)
	}
	if err := fs.chats.Publish(ctx, fs.chat.ChatID, &protocol.FormShow{FormRequestID: protocol.NumberID(7), FormName: "pre_chat"}); err != nil {
		tb.Fatal(err)
	}
	fs.stored = nil
	fs.checkStored(tb, nil)
}

// serve sends r to the server with the Authorization header auth ("" for
// none) and the Idempotency-Key key, and returns its answer.
func (fs *fuzzServer) serve(r *http.Request, auth, key string) *httptest.ResponseRecorder {
	if auth != "" {
		r.Header["Authorization"] = []string{auth}
	}
	if key != "" {
		r.Header[server.IdempotencyKeyHeader] = []string{key}
	}
	w := httptest.NewRecorder()
	fs.srv.ServeHTTP(w, r)
	return w
}

// checkAPIAnswer fails for an answer the API would not give: a 5xx, an error
// that is not the error envelope with a code of its status, a JSON answer
// that is not JSON.
func checkAPIAnswer(t *testing.T, what string, status int, header http.Header, body []byte) {
	t.Helper()
	if status >= 500 {
		t.Fatalf("%s: %d %.300s", what, status, body)
	}
	if status >= 300 {
		perr := protocol.DecodeError(body)
		if perr == nil || perr.HTTPStatus() != status {
			t.Fatalf("%s: %d with %.300s, not the error envelope of a code with that status", what, status, body)
		}
		return
	}
	if strings.HasPrefix(header.Get("Content-Type"), "application/json") && !json.Valid(body) {
		t.Fatalf("%s: answered %.300s, which is not JSON", what, body)
	}
}

// checkStored fails when the chat lost or changed an event it had stored,
// or stored text that was repaired: a U+FFFD that input did not send.
func (fs *fuzzServer) checkStored(tb testing.TB, input []byte) {
	tb.Helper()
	events, err := fs.chats.History(context.Background(), fs.chat.ChatID, 0, 1<<20)
	if err != nil {
		tb.Fatal(err)
	}
	if len(events) < len(fs.stored) {
		tb.Fatalf("the chat had %d events and has %d", len(fs.stored), len(events))
	}
	sentFFFD := bytes.Contains(input, []byte("\uFFFD")) || bytes.Contains(bytes.ToLower(input), []byte(`\ufffd`))
	for i, e := range events {
		data, err := protocol.MarshalEvent(e)
		if err != nil {
			tb.Fatalf("stored event %d does not encode: %v", i, err)
		}
		if i < len(fs.stored) {
			if !bytes.Equal(data, fs.stored[i]) {
				tb.Fatalf("stored event %d changed from %s to %s", i, fs.stored[i], data)
			}
			continue
		}
		if bytes.Contains(data, []byte("\uFFFD")) && !sentFFFD {
			tb.Fatalf("stored %s, repaired: the input had no U+FFFD", data)
		}
		fs.stored = append(fs.stored, data)
	}
}

// renew starts a new chat once the chat holds many events, so checking
// it stays cheap, or once the fuzzer ended it.
func (fs *fuzzServer) renew(tb testing.TB) {
	if len(fs.stored) > 50 || chatOver(fs) {
		fs.newChat(tb)
	}
}

// fuzzRoute is a method and path of the server; {chatId}, {fileId} and
// {partyId} are filled in.
type fuzzRoute struct{ method, path string }

var visitorRoutes = []fuzzRoute{
	{"GET", protocol.PathAvailability}, {"GET", protocol.PathParameters}, {"GET", protocol.PathConfiguration},
	{"GET", protocol.PathVersion}, {"GET", protocol.PathICEServers}, {"POST", protocol.PathChats},
	{"GET", protocol.PathActiveChat}, {"POST", protocol.PathChatEvents}, {"GET", protocol.PathChatEvents},
	{"GET", protocol.PathChatHistory}, {"POST", protocol.PathNotifications}, {"GET", protocol.PathCaseHistory},
	{"POST", protocol.PathCloseCase}, {"POST", protocol.PathFiles}, {"GET", protocol.PathChatFile},
	{"GET", protocol.PathProfilePhoto}, {"POST", protocol.PathRequestSMS}, {"GET", protocol.PathFileByID},
	{"POST", strings.Replace(protocol.PathChatEvents, protocol.APIPrefix, protocol.APIPrefixV1, 1)},
	{"PUT", protocol.PathChats}, {"GET", "/clientweb/api/v2/nothing/here"},
}

var agentRoutes = []fuzzRoute{
	{"GET", "/agent/api/chats"}, {"GET", "/agent/api/forms"}, {"POST", "/agent/api/chats/{chatId}/take"},
	{"GET", "/agent/api/chats/{chatId}/events"}, {"POST", "/agent/api/chats/{chatId}/events"},
	{"POST", "/agent/api/chats/{chatId}/files"}, {"GET", "/agent/api/chats/{chatId}/files/{fileId}"},
}

// request builds the route's request: ids from the fuzz server unless id
// names one of the fuzzer's own, the query and the body.
func (fs *fuzzServer) request(route fuzzRoute, id, query string, body []byte) *http.Request {
	chatID, fileID := fs.chat.ChatID, fs.fileID
	if id != "" {
		chatID, fileID = id, id
	}
	path := strings.NewReplacer("{chatId}", url.PathEscape(chatID), "{fileId}", url.PathEscape(fileID), "{partyId}", fs.agent).Replace(route.path)
	r := httptest.NewRequest(route.method, "http://parley.test"+path, bytes.NewReader(body))
	r.URL.RawQuery = query
	r.Header.Set("Content-Type", "application/json")
	return r
}

func FuzzVisitorAPI(f *testing.F) {
	fs := newFuzzServer(f)
	for i := range visitorRoutes {
		f.Add(uint8(i), "", "", "", []byte(`{}`))
	}
	for _, body := range fuzzBodies(fs.chat.ChatID) {
		f.Add(uint8(7), "", "", "", body)
		f.Add(uint8(5), "", "", "", body)
	}
	for _, q := range []string{"after=0&epoch=" + fs.chat.Epoch, "after=-1", "after=1e400", "after=18446744073709551616", "token=" + fs.chat.Token,
		"tenantUrl=%zz", "tenantUrl=https://user@evil.example", "tenantUrl=" + strings.Repeat("a", 5000), "a=1&a=2;b"} {
		f.Add(uint8(8), "", q, "", []byte(nil))
		f.Add(uint8(14), "-", q, "", []byte(nil))
	}
	for _, id := range []string{"../../etc/passwd", "..%2f..%2f", protocol.NewUUID(), "%00", "\xff", strings.Repeat("a", 10000)} {
		f.Add(uint8(14), "", "", id, []byte(nil))
		f.Add(uint8(9), "", "", id, []byte(nil))
	}
	for _, auth := range []string{"-", `MOBILE-API-140-327-PLAIN appId="demo", clientId="WebChat"`, `MOBILE-API-140-327-PLAIN appId="x", clientId="y"`, "Bearer " + fuzzAgentToken, "MOBILE-API-140-327-PLAIN appId=\"demo\xff\", clientId=\"\x00\""} {
		f.Add(uint8(10), auth, "", "", []byte(`{"firebase_token":"t"}`))
	}
	f.Fuzz(func(t *testing.T, route uint8, auth, query, id string, body []byte) {
		fs.renew(t)
		rt := visitorRoutes[int(route)%len(visitorRoutes)]
		switch auth {
		case "":
			auth = fs.creds.Authorization()
		case "-":
			auth = ""
		}
		a := fs.serve(fs.request(rt, id, query, body), auth, "")
		checkAPIAnswer(t, rt.method+" "+rt.path, a.Code, a.Header(), a.Body.Bytes())
		fs.checkStored(t, body)
	})
}

func FuzzAgentAPI(f *testing.F) {
	fs := newFuzzServer(f)
	for i := range agentRoutes {
		f.Add(uint8(i), "", "", "", "", []byte(`{}`))
	}
	for _, body := range fuzzBodies(fs.chat.ChatID) {
		f.Add(uint8(4), "", "", "", "", body)
		f.Add(uint8(4), "", "", "", "key-1", body)
		f.Add(uint8(2), "", "", "", "", body)
	}
	agentBodies := []string{
		`{"events":[{"event":"chat_session_message","party_id":"agent-fuzz","msg":"hi","msg_id":"a1"}]}`,
		`{"events":[{"event":"chat_session_form_show","form_request_id":1e99,"form_name":"pre_chat","form_timeout":-5}]}`,
		`{"events":[{"event":"chat_session_signaling","party_id":"agent-fuzz","data":{"type":"OFFER_CALL","sdp":"` + strings.Repeat("v=0 ", 20000) + `"}}]}`,
		`{"events":[{"event":"chat_session_status","state":"connected","ewt":"-1"}]}`,
		`{"events":[{"event":"chat_session_party_joined","party_id":"agent-x","type":"msteams"}]}`,
		`{"events":[{"event":"chat_session_location","latitude":"NaN","longitude":"0x10"}]}`,
		`{"event":"chat_session_party_joined","party_id":"agent-fuzz","display_name":"Grace"}`,
	}
	for _, body := range agentBodies {
		f.Add(uint8(4), "", "", "", "", []byte(body))
		f.Add(uint8(2), "", "", "", "", []byte(body))
	}
	for _, q := range []string{"since=18446744073709551615", "since=-1", "after=1e3&epoch=x&party_id=agent-fuzz", "token=" + fuzzAgentToken, "party_id=" + strings.Repeat("p", 5000)} {
		f.Add(uint8(0), "", q, "", "", []byte(nil))
		f.Add(uint8(3), "", q, "", "", []byte(nil))
		f.Add(uint8(6), "-", q, "", "", []byte(nil))
	}
	for _, auth := range []string{"-", "Bearer wrong", "Bearer " + fuzzAgentToken + "x", "bearer " + fuzzAgentToken, "Bearer  " + fuzzAgentToken} {
		f.Add(uint8(4), auth, "", "", "", []byte(`{"events":[{"event":"chat_session_ended"}]}`))
	}
	f.Add(uint8(6), "", "", "../"+fs.fileID, "", []byte(nil))
	f.Fuzz(func(t *testing.T, route uint8, auth, query, id, key string, body []byte) {
		fs.renew(t)
		rt := agentRoutes[int(route)%len(agentRoutes)]
		switch auth {
		case "":
			auth = "Bearer " + fuzzAgentToken
		case "-":
			auth = ""
		}
		a := fs.serve(fs.request(rt, id, query, body), auth, key)
		checkAPIAnswer(t, rt.method+" "+rt.path, a.Code, a.Header(), a.Body.Bytes())
		fs.checkStored(t, body)
		if c, err := fs.chats.Chat(context.Background(), fs.chat.ChatID); err == nil && c.Agent != fs.agent {
			// Another agent took it: the fuzzer's agent needs a chat of
			// its own.
			fs.newChat(t)
		}
	})
}

func FuzzUpload(f *testing.F) {
	fs := newFuzzServer(f)
	ct, body := multipartFor(f, "file", "note.txt", "text/plain", []byte("hello"))
	f.Add(false, ct, body)
	f.Add(true, ct, body)
	for _, name := range []string{"../../etc/passwd", "r\xe9sum\xe9.txt", `"><img src=x>.png`, "", strings.Repeat("n", 5000) + ".txt", "a\x00b.txt"} {
		ct, body := multipartFor(f, "file-upload-input", name, "image/jpeg", pngImage(f))
		f.Add(false, ct, body)
	}
	f.Add(false, "multipart/form-data; boundary=B", []byte("--B\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x.txt\"\r\n\r\nunterminated"))
	f.Add(false, "multipart/form-data", []byte("--\r\n"))
	f.Add(false, "text/plain", []byte("not multipart"))
	f.Add(true, "multipart/form-data; boundary="+strings.Repeat("b", 100), []byte(""))
	f.Fuzz(func(t *testing.T, agent bool, contentType string, body []byte) {
		fs.renew(t)
		path, auth := protocol.PathFiles, fs.creds.Authorization()
		if agent {
			path, auth = "/agent/api/chats/"+fs.chat.ChatID+"/files?party_id="+fs.agent, "Bearer "+fuzzAgentToken
		}
		r := httptest.NewRequest("POST", "http://parley.test"+path, bytes.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		a := fs.serve(r, auth, "")
		checkAPIAnswer(t, "POST "+path, a.Code, a.Header(), a.Body.Bytes())
		fs.checkStored(t, body)
	})
}

// multipartFor is a multipart body of one file part.
func multipartFor(tb testing.TB, field, name, contentType string, content []byte) (string, []byte) {
	tb.Helper()
	var b bytes.Buffer
	b.WriteString("--B\r\nContent-Disposition: form-data; name=\"" + field + "\"; filename=\"" + name + "\"\r\nContent-Type: " + contentType + "\r\n\r\n")
	b.Write(content)
	b.WriteString("\r\n--B--\r\n")
	return "multipart/form-data; boundary=B", b.Bytes()
}

// fuzzBodies are the seeds of the event bodies: every client event of the
// documents, and the bad input the API meets.
func fuzzBodies(chatID string) [][]byte {
	deep := strings.Repeat(`{"a":[`, 5000) + strings.Repeat(`]}`, 5000)
	out := [][]byte{
		[]byte(`{"events":[{"event":"chat_session_message","msg_id":"` + chatID + `:1","msg":"hello"}]}`),
		[]byte("{\"events\":[{\"event\":\"chat_session_message\",\"msg_id\":\"CHAT:1\xfe\",\"msg\":\"hello\"}]}"),
		[]byte(`{"events":[{"event":"chat_session_message","msg_id":"\ud800","msg":"hello"}]}`),
		[]byte(`{"events":[{"event":"chat_session_form_data","form_request_id":7,"form_name":"pre_chat","data":{"first_name":"Ada","topic":"order"}}]}`),
		[]byte(`{"events":[{"event":"chat_session_form_data","form_request_id":7,"data":{"first_name":{"nested":[1,2]},"topic":1e400}}]}`),
		[]byte(`{"events":[{"event":"chat_session_file","file_id":"../../x","file_name":"a"}]}`),
		[]byte(`{"events":[{"event":"chat_session_location","latitude":91,"longitude":-181.5}]}`),
		[]byte(`{"events":[{"event":"chat_session_location","latitude":1e308,"longitude":"Infinity"}]}`),
		[]byte(`{"events":[{"event":"chat_session_message_read","ref_msg_id":18446744073709551616}]}`),
		[]byte(`{"events":[{"event":"chat_session_signaling","data":"{\"type\":\"REQUEST_CALL\"}"}]}`),
		[]byte(`{"events":[{"event":"chat_session_navigation","page":"javascript:alert(1)","title":123}]}`),
		[]byte(`{"events":[{"event":"chat_session_typing","unknown":{"field":[true,null]},"seq":-4,"party_id":"agent-x","timestamp":"9999999999999999"}]}`),
		[]byte(`{"events":[{"event":"chat_session_end"}],"ref":"r","epoch":"e","extra":1}`),
		[]byte(`{"events":[{"event":"chat_session_message","msg_id":"x","msg":"` + strings.Repeat("é", protocol.MaxTextBytes) + `"}]}`),
		[]byte(`{"events":[` + strings.Repeat(`{"event":"chat_session_typing"},`, 2000) + `{"event":"chat_session_not_typing"}]}`),
		[]byte(`{"events":[{"event":"chat_session_message","msg_id":"d","msg":"x","data":` + deep + `}]}`),
		[]byte(deep),
		[]byte(`{"events":{"event":"chat_session_message"}}`),
		[]byte(`{"events":[null,1,"x",[]]}`),
		[]byte(`{"events":[{"event":"chat_session_message","msg_id":"x","msg":"a","msg_id":"y"}]}`),
		[]byte(`{"phone_number":12,"from":["x"],"parameters":{"a":{"b":1}},"initial_message":{"event":"chat_session_typing"}}`),
		[]byte(`{"initial_message":{"event":"chat_session_message","msg_id":"1","msg":"hi"},"parameters":{"email":"\ufffd"}}`),
		[]byte(`{"events":[],"error_code":"5003"}`),
		[]byte(`null`), []byte(`[]`), []byte(`"events"`), []byte(``), []byte(`{`), []byte("\xef\xbb\xbf{\"events\":[]}"),
		bytes.Repeat([]byte("a"), protocol.MaxEnvelopeBytes+1),
	}
	return out
}

// fuzzSocket is a socket of a fuzz server's chat, opened again whenever
// the server closed it.
type fuzzSocket struct {
	fs   *fuzzServer
	base string
	path func() string
	conn *websocket.Conn
	n    int
}

func (s *fuzzSocket) open(tb testing.TB) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.base, "http")+s.path(), nil)
	if err != nil {
		tb.Fatalf("dialing: %v", err)
	}
	conn.SetReadLimit(64 << 20)
	s.conn = conn
}

// send writes frame, then a frame of its own that the server answers, and
// checks every frame that comes before that answer. It fails when the
// socket closes, unless the frame was over the limit.
func (s *fuzzSocket) send(t *testing.T, frame []byte) {
	if s.conn == nil {
		s.open(t)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s.n++
	mark := "fuzz-" + strconv.Itoa(s.n)
	err := s.conn.Write(ctx, websocket.MessageText, frame)
	if err == nil {
		err = s.conn.Write(ctx, websocket.MessageText, []byte(`{"ref":"`+mark+`"}`))
	}
	for err == nil {
		var data []byte
		_, data, err = s.conn.Read(ctx)
		if err != nil {
			break
		}
		env, derr := protocol.DecodeEnvelope(data)
		if derr != nil {
			t.Fatalf("the server wrote %.300s, which is not an envelope: %v", data, derr)
		}
		if env.Error != nil && (env.Error.Code.HTTPStatus() >= 500 || env.Error.Message == "") {
			t.Fatalf("the server answered %.300q with %+v", frame, env.Error)
		}
		if env.Ref == mark {
			return
		}
	}
	s.conn.CloseNow()
	s.conn = nil
	var closed websocket.CloseError
	switch {
	case len(frame) > protocol.MaxEnvelopeBytes && (!errors.As(err, &closed) || closed.Code == websocket.StatusMessageTooBig):
		// Over the limit: closed, as it should be.
	case chatOver(s.fs):
		// The frame ended the chat.
	default:
		t.Fatalf("the socket failed after %.300q (%d bytes): %v", frame, len(frame), err)
	}
}

// fuzz has f send each input on the socket (in a new chat once the inputs
// filled the chat or ended it), and closes the socket when the run ends.
func (s *fuzzSocket) fuzz(f *testing.F) {
	f.Cleanup(func() {
		if s.conn != nil {
			s.conn.CloseNow()
		}
	})
	f.Fuzz(func(t *testing.T, frame []byte) {
		if len(s.fs.stored) > 50 || chatOver(s.fs) {
			s.fs.newChat(t)
			if s.conn != nil {
				s.conn.CloseNow()
				s.conn = nil
			}
		}
		s.send(t, frame)
		s.fs.checkStored(t, frame)
	})
}

// startFuzzServer serves fs on a loopback port for the sockets.
func startFuzzServer(tb testing.TB, fs *fuzzServer) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = fs.srv.Serve(ctx, ln)
	}()
	tb.Cleanup(func() {
		cancel()
		<-done
	})
	return "http://" + ln.Addr().String()
}

func FuzzVisitorSocket(f *testing.F) {
	fs := newFuzzServer(f)
	s := &fuzzSocket{fs: fs, base: startFuzzServer(f, fs), path: func() string {
		return protocol.Path(protocol.PathChatSocket, fs.chat.ChatID) + "?token=" + url.QueryEscape(fs.chat.Token) + "&epoch=" + url.QueryEscape(fs.chat.Epoch) + "&after=1000000"
	}}
	for _, body := range fuzzBodies(fs.chat.ChatID) {
		f.Add(body)
	}
	f.Add([]byte(`{"ref":"x","events":[{"event":"chat_session_typing"}]}`))
	f.Add(bytes.Repeat([]byte(" "), protocol.MaxEnvelopeBytes))
	s.fuzz(f)
}

func FuzzAgentSocket(f *testing.F) {
	fs := newFuzzServer(f)
	s := &fuzzSocket{fs: fs, base: startFuzzServer(f, fs), path: func() string {
		return "/agent/api/chats/" + fs.chat.ChatID + "/socket?token=" + fuzzAgentToken + "&party_id=" + fs.agent + "&after=1000000&epoch=" + url.QueryEscape(fs.chat.Epoch)
	}}
	for _, body := range fuzzBodies(fs.chat.ChatID) {
		f.Add(body)
	}
	f.Add([]byte(`{"ref":"a","events":[{"event":"chat_session_message","party_id":"agent-fuzz","msg":"hi"}]}`))
	f.Add([]byte(`{"ref":"b","events":[{"event":"chat_session_message","party_id":"agent-other","msg":"hi"}]}`))
	f.Add([]byte(`{"ref":"c","events":[{"event":"chat_session_file","party_id":"agent-fuzz","file_id":"nope"}]}`))
	s.fuzz(f)
}

// chatOver says whether the fuzzer ended the chat (an agent may).
func chatOver(fs *fuzzServer) bool {
	c, err := fs.chats.Chat(context.Background(), fs.chat.ChatID)
	return err != nil || c.State.Over()
}
