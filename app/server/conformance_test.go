package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/app/server"
	"github.com/parleychat/parley/protocol"
	"github.com/parleychat/parley/widget/client"
)

// sdkClient calls the API as one of Bright Pattern's SDKs does: its headers,
// its query, its JSON for each client event, its upload.
type sdkClient struct {
	t      *testing.T
	name   string
	base   string // the server and the API prefix, v1 or v2
	creds  protocol.Credentials
	tenant func() string // the query every call carries
	// events encodes the SDK's client events, as its serializer writes them.
	events sdkEvents
}

// sdkEvents are the client events of one SDK, as it encodes them.
type sdkEvents struct {
	message      func(text string) string
	typing       string
	notTyping    string
	delivered    func(ref string) string
	read         func(ref string) string
	location     string
	end          string
	subscription string
	// closeCase is the body of Close Case; "" for none.
	closeCase string
	// upload is the multipart body of Upload File, and its content type.
	upload func(name string, content []byte) (contentType string, body []byte)
	// file shares an uploaded file.
	file func(fileID, name string) string
}

// androidClient is ServicePattern/MobileAPI_Android: kotlinx.serialization
// writes no default values and writes null for a nullable without one.
func androidClient(t *testing.T, base string) *sdkClient {
	return &sdkClient{
		t: t, name: "Android SDK", base: base,
		creds: protocol.Credentials{AppID: parleytest.AppID, ClientID: protocol.NewUUID()},
		// URLProvider.generateFullUrl: a bare host, and a nonce.
		tenant: func() string {
			return "?tenantUrl=tenant.example.com&nonce=" + strconv.FormatInt(time.Now().UnixMilli(), 10)
		},
		events: sdkEvents{
			// sendChatMessage: msg_id is the app's UUID.toString(), "null"
			// when the app gave none, and party_id a random UUID.
			message: func(text string) string {
				return fmt.Sprintf(`{"events":[{"event":"chat_session_message","msg_id":"null","party_id":%q,"msg":%q}]}`, protocol.NewUUID(), text)
			},
			typing:    `{"events":[{"event":"chat_session_typing","party_id":null}]}`,
			notTyping: `{"events":[{"event":"chat_session_not_typing","party_id":null}]}`,
			delivered: func(ref string) string {
				return fmt.Sprintf(`{"events":[{"event":"chat_session_message_delivered","ref_msg_id":%q,"party_id":null}]}`, ref)
			},
			read: func(ref string) string {
				return fmt.Sprintf(`{"events":[{"event":"chat_session_message_read","ref_msg_id":%q,"party_id":null}]}`, ref)
			},
			location:     `{"events":[{"event":"chat_session_location","party_id":null,"url":null,"latitude":48.8584,"longitude":2.2945}]}`,
			end:          `{"events":[{"event":"chat_session_end"}]}`,
			subscription: `{"android_firebase_device_token":"fcm-token-1"}`,
			closeCase:    `{"events":[{"event":"chat_session_end"}]}`,
			// uploadFile and ByteArray.toBodyEncoded, byte for byte.
			upload: func(name string, content []byte) (string, []byte) {
				boundary := protocol.NewUUID()
				var b bytes.Buffer
				fmt.Fprintf(&b, "\r\n--%s\r\nContent-Disposition: form-data;name=\"file-upload-input\"; filename=\"%s\"\r\nContent-Type: image/jpeg\r\n\r\n", boundary, name)
				b.Write(content)
				fmt.Fprintf(&b, "\r\n--%s--\r\n", boundary)
				return "multipart/form-data; boundary=" + boundary, b.Bytes()
			},
			file: func(fileID, name string) string {
				return fmt.Sprintf(`{"events":[{"event":"chat_session_file","file_name":%q,"file_id":%q,"file_type":"image","party_id":%q}]}`, name, fileID, protocol.NewUUID())
			},
		},
	}
}

// iosClient is ServicePattern/MobileAPI_IOS: JSONEncoder leaves nil
// optionals out.
func iosClient(t *testing.T, base string) *sdkClient {
	n := 0
	uuid := protocol.NewUUID()
	return &sdkClient{
		t: t, name: "iOS SDK", base: base,
		creds: protocol.Credentials{AppID: parleytest.AppID, ClientID: protocol.NewUUID()},
		// HttpRequestDefaultParameters: the tenant URL's absoluteString.
		tenant: func() string { return "?tenantUrl=" + url.QueryEscape("https://tenant.example.com") },
		events: sdkEvents{
			// sendChatMessage: "<UUID>:<n>", msg as HTML, msg_text as text.
			message: func(text string) string {
				id := fmt.Sprintf("%s:%d", uuid, n)
				n++
				return fmt.Sprintf(`{"events":[{"event":"chat_session_message","msg_id":%q,"msg":%q,"msg_text":%q}]}`, id, strings.ReplaceAll(text, "\n", "<br>"), text)
			},
			typing:    `{"events":[{"event":"chat_session_typing"}]}`,
			notTyping: `{"events":[{"event":"chat_session_not_typing"}]}`,
			delivered: func(ref string) string {
				return fmt.Sprintf(`{"events":[{"event":"chat_session_message_delivered","ref_msg_id":%q}]}`, ref)
			},
			read: func(ref string) string {
				return fmt.Sprintf(`{"events":[{"event":"chat_session_message_read","ref_msg_id":%q}]}`, ref)
			},
			// ChatSessionLocationDto writes String(latitude).
			location:     `{"events":[{"event":"chat_session_location","latitude":"48.8584","longitude":"2.2945"}]}`,
			end:          `{"events":[{"event":"chat_session_end"}]}`,
			subscription: `{"ios_apns_device_token":"a1b2c3","ios_app_bundle_id":"com.example.shop"}`,
			// The iOS SDK has no upload; the tests share the Android one's.
			upload: androidClient(t, base).events.upload,
			file: func(fileID, name string) string {
				return fmt.Sprintf(`{"events":[{"event":"chat_session_file","file_id":%q,"file_name":%q}]}`, fileID, name)
			},
		},
	}
}

// header is what both SDKs send with every call (HttpHeaderFields).
func (c *sdkClient) header(contentType string) http.Header {
	return http.Header{
		"Authorization": {"MOBILE-API-140-327-PLAIN appId=" + c.creds.AppID + ", clientId=" + c.creds.ClientID},
		"Content-Type":  {contentType},
		"Useragent":     {"MobileClient"},
		"Cache-Control": {"no-cache"},
	}
}

func (c *sdkClient) call(method, path, contentType string, body []byte) answer {
	c.t.Helper()
	if contentType == "" {
		contentType = "application/json; charset=utf-8"
	}
	return mustFetch(c.t, method, c.base+path+c.tenant(), c.header(contentType), bytes.NewReader(body))
}

func (c *sdkClient) get(path string) answer { return c.call(http.MethodGet, path, "", nil) }

func (c *sdkClient) send(chatID, body string) {
	c.t.Helper()
	wantOK(c.t, c.name+" sending "+body, c.call(http.MethodPost, "chats/"+chatID+"/events", "", []byte(body)))
}

// requestChat is Request Chat with the SDK's body, user_platform and all.
func (c *sdkClient) requestChat() protocol.ChatSession {
	c.t.Helper()
	body := `{"phone_number":"+15550100","from":"Ada","parameters":{"first_name":"Ada","user_platform":{"os":"14","sdk":33,"manufacturer":"Google","model":"Pixel"}}}`
	a := c.call(http.MethodPost, "chats", "", []byte(body))
	wantOK(c.t, c.name+" requesting a chat", a)
	checkAnswer(c.t, c.name+" Request Chat", "request chat", a.body)
	var s protocol.ChatSession
	if err := json.Unmarshal(a.body, &s); err != nil || s.ChatID == "" {
		c.t.Fatalf("Request Chat answered %s", a)
	}
	return s
}

// poller polls a chat as the SDKs do: no position, the next poll as soon as
// an answer comes, until the chat is over. It checks every answer against
// both SDKs.
type poller struct {
	mu    sync.Mutex
	names []string
	// refs are the msg_ids of the contact center's messages, to answer
	// with receipts as the apps do.
	refs []string
	done chan struct{}
}

func (c *sdkClient) poll(chatID string) *poller {
	p := &poller{done: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	c.t.Cleanup(func() { cancel(); <-p.done })
	go func() {
		defer close(p.done)
		for {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"chats/"+chatID+"/events"+c.tenant(), nil)
			req.Header = c.header("application/json; charset=utf-8")
			resp, err := httpClient.Do(req)
			if ctx.Err() != nil {
				return // the test is over
			}
			if err != nil {
				c.t.Errorf("%s polling: %v", c.name, err)
				return
			}
			data, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				c.t.Errorf("%s polling: %v", c.name, err)
				return
			}
			a := answer{status: resp.StatusCode, header: resp.Header, body: data}
			if a.status != http.StatusOK {
				// 404 with 5005: the chat is over, and both SDKs stop.
				checkAnswer(c.t, c.name+" poll at the end", "error", a.body)
				if perr := protocol.DecodeError(a.body); a.status != http.StatusNotFound || perr == nil || perr.Code != protocol.CodeChatNotFound {
					c.t.Errorf("%s polling: %s, want 404 with 5005 once the chat is over", c.name, a)
				}
				return
			}
			names := checkBatch(c.t, c.name+" poll", a.body)
			var env struct {
				Events []struct {
					Event   string `json:"event"`
					PartyID string `json:"party_id"`
					MsgID   string `json:"msg_id"`
				} `json:"events"`
			}
			_ = json.Unmarshal(a.body, &env)
			p.mu.Lock()
			p.names = append(p.names, names...)
			for _, e := range env.Events {
				if e.Event == protocol.TypeMessage && e.PartyID != chatID {
					p.refs = append(p.refs, e.MsgID)
				}
			}
			p.mu.Unlock()
		}
	}()
	return p
}

// count is how many events named name the poller has seen.
func count(p *poller, name string) int {
	names, _ := p.seen()
	n := 0
	for _, got := range names {
		if got == name {
			n++
		}
	}
	return n
}

func (p *poller) seen() ([]string, []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.names), slices.Clone(p.refs)
}

// waitSeen waits until the poller has seen an event named name, count times.
func (p *poller) waitSeen(ctx context.Context, t *testing.T, name string, want int) {
	t.Helper()
	for count(p, name) < want {
		select {
		case <-ctx.Done():
			t.Fatalf("the poll never brought %d × %s", want, name)
		case <-p.done:
			t.Fatalf("the poll stopped before %d × %s", want, name)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// TestSDKsDecodeEveryServerEvent is the conformance suite: each SDK, over v1
// and v2, with its exact headers, bodies and upload, chats with an agent who
// makes the server write every server event there is, and everything the
// server answers (polls, history, case history, the methods' answers) is
// decoded as both SDKs decode it, batch rule and all.
func TestSDKsDecodeEveryServerEvent(t *testing.T) {
	t.Parallel()
	for _, prefix := range []string{protocol.APIPrefixV1, protocol.APIPrefix} {
		for _, client := range []func(*testing.T, string) *sdkClient{androidClient, iosClient} {
			srv := parleytest.Start(t, pollWait(time.Second))
			c := client(t, srv.URL+prefix)
			t.Run(c.name+" "+prefix, func(t *testing.T) {
				t.Parallel()
				c.t = t
				scriptedChat(t, srv, c)
			})
		}
	}
}

func scriptedChat(t *testing.T, srv *parleytest.Server, c *sdkClient) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var seen []string
	note := func(names []string) { seen = append(seen, names...) }

	a := c.get("availability")
	wantOK(t, "availability", a)
	checkAnswer(t, "availability", "availability", a.body)
	checkAnswer(t, "version", "version", c.get("version").body)

	// The first chat: the scenario greets, the agent takes it, and both
	// sides say everything they can.
	first := c.requestChat()
	if first.EWT == 0 {
		t.Errorf("Request Chat answered ewt %d, want the wait of the queue", first.EWT)
	}
	p := c.poll(first.ChatID)
	agent := srv.Agent("Grace Hopper")
	if _, err := agent.WaitForChat(ctx, func(ac server.AgentChat) bool { return ac.ChatID == first.ChatID }); err != nil {
		t.Fatal(err)
	}
	p.waitSeen(ctx, t, protocol.TypeFormShow, 1)
	if err := agent.Take(ctx, first.ChatID); err != nil {
		t.Fatal(err)
	}
	c.send(first.ChatID, c.events.typing)
	c.send(first.ChatID, c.events.message("Hello, do you ship to Norway?"))
	c.send(first.ChatID, c.events.notTyping)
	c.send(first.ChatID, c.events.location)
	ct, body := c.events.upload("photo.jpg", pngImage(t))
	up := c.call(http.MethodPost, "files", ct, body)
	wantOK(t, c.name+" upload", up)
	checkAnswer(t, "Upload File", "upload", up.body)
	var uploaded protocol.UploadedFile
	_ = json.Unmarshal(up.body, &uploaded)
	c.send(first.ChatID, c.events.file(uploaded.FileID, "photo.jpg"))
	sub := c.call(http.MethodPost, "chats/"+first.ChatID+"/notifications", "", []byte(c.events.subscription))
	wantOK(t, "Mobile Notification Subscription", sub)

	agentFile := publish(ctx, t, agent, first.ChatID, p)
	p.waitSeen(ctx, t, protocol.TypeMessage, 2)
	_, refs := p.seen()
	for _, ref := range refs {
		c.send(first.ChatID, c.events.delivered(ref))
		c.send(first.ChatID, c.events.read(ref))
	}
	// Android's file URL, as its app loads it: no header at all.
	if a := mustFetch(t, http.MethodGet, strings.TrimSuffix(srv.URL, "/")+protocol.Path(protocol.PathFileByID, agentFile), nil, nil); a.status != http.StatusOK {
		t.Errorf("the Android file URL of the agent's file: %s", a)
	}
	if err := agent.Publish(ctx, first.ChatID, &protocol.CaseSet{CaseID: "case-42"}, &protocol.Ended{}); err != nil {
		t.Fatal(err)
	}
	<-p.done
	names, _ := p.seen()
	note(names)
	h := c.get("chats/" + first.ChatID + "/history")
	wantOK(t, "history", h)
	note(checkBatch(t, c.name+" history", h.body))
	// The agent API writes the same events.
	agentAnswer := mustFetch(t, http.MethodGet, srv.URL+"/agent/api/chats/"+first.ChatID+"/events?after=0",
		http.Header{"Authorization": {"Bearer " + parleytest.AgentToken}}, nil)
	wantOK(t, "the agent API's events", agentAnswer)
	note(checkBatch(t, "the agent API", agentAnswer.body))

	// The second chat: linked to the first by a CRM case, closed, timed
	// out.
	second := c.requestChat()
	p = c.poll(second.ChatID)
	if _, err := agent.WaitForChat(ctx, func(ac server.AgentChat) bool { return ac.ChatID == second.ChatID }); err != nil {
		t.Fatal(err)
	}
	if err := agent.Take(ctx, second.ChatID); err != nil {
		t.Fatal(err)
	}
	wantCaseNotSet := c.get("chats/" + second.ChatID + "/casehistory")
	wantError(t, "case history before a case", wantCaseNotSet, http.StatusBadRequest, protocol.CodeCaseNotSet)
	checkAnswer(t, "case history before a case", "error", wantCaseNotSet.body)
	if err := agent.Publish(ctx, second.ChatID, &protocol.CaseSet{CaseID: "case-42"}); err != nil {
		t.Fatal(err)
	}
	ch := c.get("chats/" + second.ChatID + "/casehistory")
	wantOK(t, "case history", ch)
	var history struct {
		Sessions []json.RawMessage `json:"sessions"`
	}
	if err := json.Unmarshal(ch.body, &history); err != nil || len(history.Sessions) != 2 {
		t.Fatalf("case history: %s, want both chats", ch)
	}
	for _, s := range history.Sessions {
		checkAnswer(t, "case history session", "case session", s)
		note(checkBatch(t, c.name+" case history", s))
	}
	wantOK(t, "close case", c.call(http.MethodPost, "chats/"+second.ChatID+"/closecase", "", []byte(c.events.closeCase)))
	wantError(t, "case history after close case", c.get("chats/"+second.ChatID+"/casehistory"), http.StatusBadRequest, protocol.CodeCaseNotSet)
	if err := agent.Publish(ctx, second.ChatID,
		&protocol.TimeoutWarning{Msg: "Are you still there?"},
		&protocol.PartyLeft{Meta: protocol.Meta{PartyID: agent.PartyID}},
		&protocol.InactivityTimeout{Msg: "Closed for inactivity."},
	); err != nil {
		t.Fatal(err)
	}
	<-p.done
	names, _ = p.seen()
	note(names)
	h = c.get("chats/" + second.ChatID + "/history")
	note(checkBatch(t, c.name+" history", h.body))
	wantError(t, "Send Events to an ended chat", c.call(http.MethodPost, "chats/"+second.ChatID+"/events", "", []byte(c.events.end)), http.StatusNotFound, protocol.CodeChatNotFound)

	for name := range protocol.ServerEvents {
		if !slices.Contains(seen, name) {
			t.Errorf("the chats never made the server write %s", name)
		}
	}
}

// publish makes the agent say everything an agent can say, and returns the
// id of the file it shared. Typing is not stored, so a poll gets it only
// while it waits: it is said again until one did. Call signals go the same
// way, though the server holds them for the visitor's next poll.
func publish(ctx context.Context, t *testing.T, agent *parleytest.Agent, chatID string, p *poller) string {
	t.Helper()
	me := protocol.Meta{PartyID: agent.PartyID}
	for _, e := range []protocol.Event{
		&protocol.Typing{Meta: me},
		&protocol.NotTyping{Meta: me},
		&protocol.Signaling{DestinationPartyID: chatID, Data: protocol.SignalData{Type: protocol.SignalOfferCall, SDP: "v=0\r\n", OfferVideo: true}, Meta: me},
		&protocol.Signaling{DestinationPartyID: chatID, Data: protocol.SignalData{Type: protocol.SignalICECandidate, Candidate: "candidate:1 1 udp 1 127.0.0.1 5000 typ host", SDPMid: "0", SDPMLineIndex: new(0)}, Meta: me},
	} {
		before := count(p, e.EventType())
		for count(p, e.EventType()) == before {
			if err := agent.Publish(ctx, chatID, e); err != nil {
				t.Fatal(err)
			}
			select {
			case <-ctx.Done():
				t.Fatalf("no poll ever brought %s", e.EventType())
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	if err := agent.Say(ctx, chatID, "Yes, in 3 to 5 days."); err != nil {
		t.Fatal(err)
	}
	up, err := agent.SendFile(ctx, chatID, "rates.png", pngImage(t))
	if err != nil {
		t.Fatal(err)
	}
	events := []protocol.Event{
		&protocol.Location{URL: "https://maps.example/?q=oslo", Latitude: "59.9139", Longitude: "10.7522", Meta: me},
		// The console's own text id: the server numbers it for the
		// Android SDK.
		&protocol.FormShow{FormRequestID: protocol.TextID("agent-1700000000000"), FormName: "survey", Meta: me},
		&protocol.SecureFormShow{FormRequestID: protocol.TextID("pay-1"), FormID: "card", FormName: "payment", Meta: me},
		&protocol.MessageDelivered{RefMsgID: protocol.TextID("null"), Meta: me},
		&protocol.MessageRead{RefMsgID: protocol.TextID("null"), Meta: me},
		&protocol.Info{ServiceName: "Sales"},
		&protocol.Status{State: protocol.StateConnected},
	}
	if err := agent.Publish(ctx, chatID, events...); err != nil {
		t.Fatal(err)
	}
	if err := agent.Say(ctx, chatID, "Anything else?"); err != nil {
		t.Fatal(err)
	}
	return up.FileID
}

// recorder stands between a client and the server and keeps everything the
// server sent on each connection, to read it afterwards as a client would.
type recorder struct {
	ln     net.Listener
	target string
	// refuseSockets closes every connection that asks for a chat socket,
	// as a proxy that blocks WebSockets does.
	refuseSockets bool

	mu      sync.Mutex
	streams []*stream
	// clients are the connections open to the recorder, closed with it
	// so that no forward outlives the test (a client may keep one alive).
	clients  map[net.Conn]bool
	closed   bool
	forwards sync.WaitGroup
}

// stream is what the server sent on one connection so far.
type stream struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *stream) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *stream) bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.buf.Bytes())
}

func startRecorder(t *testing.T, target string, refuseSockets bool) *recorder {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &recorder{ln: ln, target: strings.TrimPrefix(target, "http://"), refuseSockets: refuseSockets, clients: map[net.Conn]bool{}}
	t.Cleanup(r.close)
	go r.serve()
	return r
}

// close stops taking connections, closes those open and waits for their
// forwards to end.
func (r *recorder) close() {
	r.ln.Close()
	r.mu.Lock()
	r.closed = true
	for c := range r.clients {
		c.Close()
	}
	r.mu.Unlock()
	r.forwards.Wait()
}

func (r *recorder) url() string { return "http://" + r.ln.Addr().String() }

func (r *recorder) serve() {
	for {
		client, err := r.ln.Accept()
		if err != nil {
			return
		}
		r.mu.Lock()
		if r.closed {
			r.mu.Unlock()
			client.Close()
			return
		}
		r.clients[client] = true
		r.forwards.Add(1)
		r.mu.Unlock()
		go r.forward(client)
	}
}

func (r *recorder) forward(client net.Conn) {
	defer r.forwards.Done()
	defer client.Close()
	first := make([]byte, 4096)
	n, err := client.Read(first)
	if err != nil || r.refuseSockets && bytes.Contains(first[:n], []byte("/socket?")) {
		return
	}
	srv, err := net.Dial("tcp", r.target)
	if err != nil {
		return
	}
	defer srv.Close()
	if _, err := srv.Write(first[:n]); err != nil {
		return
	}
	st := new(stream)
	r.mu.Lock()
	r.streams = append(r.streams, st)
	r.mu.Unlock()
	go func() {
		_, _ = io.Copy(srv, client)
		srv.Close()
	}()
	_, _ = io.Copy(io.MultiWriter(client, st), srv)
}

// bodies returns every answer and WebSocket message the server sent, in
// order on each connection.
func (r *recorder) bodies(t *testing.T) [][]byte {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	var out [][]byte
	for _, st := range r.streams {
		br := bufio.NewReader(bytes.NewReader(st.bytes()))
		for {
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				break
			}
			if resp.StatusCode == http.StatusSwitchingProtocols {
				out = append(out, wsMessages(t, br)...)
				break
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				break
			}
			out = append(out, body)
		}
	}
	return out
}

// wsMessages reads the text messages of a server's WebSocket stream (RFC
// 6455 §5.2; a server's frames are not masked, and Parley's are not
// compressed).
func wsMessages(t *testing.T, br *bufio.Reader) [][]byte {
	var out [][]byte
	var message []byte
	for {
		var head [2]byte
		if _, err := io.ReadFull(br, head[:]); err != nil {
			return out
		}
		fin, opcode := head[0]&0x80 != 0, head[0]&0x0f
		size := uint64(head[1] & 0x7f)
		switch size {
		case 126:
			var ext [2]byte
			if _, err := io.ReadFull(br, ext[:]); err != nil {
				return out
			}
			size = uint64(binary.BigEndian.Uint16(ext[:]))
		case 127:
			var ext [8]byte
			if _, err := io.ReadFull(br, ext[:]); err != nil {
				return out
			}
			size = binary.BigEndian.Uint64(ext[:])
		}
		payload := make([]byte, size)
		if _, err := io.ReadFull(br, payload); err != nil {
			return out
		}
		if opcode == 1 || opcode == 0 {
			message = append(message, payload...)
			if fin {
				out = append(out, message)
				message = nil
			}
		}
	}
}

// TestWidgetSessionDecodesUnderBothSDKs holds what Parley's own widget gets
// to the same standard: every frame of its socket, and every answer of its
// long poll where WebSockets are blocked, decodes as both SDKs decode.
func TestWidgetSessionDecodesUnderBothSDKs(t *testing.T) {
	t.Parallel()
	for _, blocked := range []bool{false, true} {
		t.Run(map[bool]string{false: "socket", true: "long poll"}[blocked], func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t)
			srv := parleytest.Start(t, pollWait(time.Second))
			rec := startRecorder(t, srv.URL, blocked)
			cfg := parleytest.VisitorConfig(rec.url())
			cfg.SocketTries = 1
			v := parleytest.StartVisitor(ctx, t, cfg)
			if got := v.Polling(); got != blocked {
				t.Fatalf("polling = %v, want %v", got, blocked)
			}
			agent := srv.Agent("Grace Hopper")
			if err := agent.Take(ctx, v.ChatID()); err != nil {
				t.Fatal(err)
			}
			if _, err := v.Session.SendMessage("Hello"); err != nil {
				t.Fatal(err)
			}
			if err := v.Session.Send(&protocol.Location{Latitude: "48.8584", Longitude: "2.2945"}); err != nil {
				t.Fatal(err)
			}
			// The session sends when its link is ready: the chat must not
			// end before what it sent is stored.
			v.WaitFor(ctx, "the location stored", func() bool {
				stored, err := agent.Stored(ctx, v.ChatID())
				return err == nil && slices.ContainsFunc(stored, func(e protocol.Event) bool { return e.EventType() == protocol.TypeLocation })
			})
			me := protocol.Meta{PartyID: agent.PartyID}
			if err := agent.Say(ctx, v.ChatID(), "Hi, I'm Grace."); err != nil {
				t.Fatal(err)
			}
			if _, err := agent.SendFile(ctx, v.ChatID(), "rates.png", pngImage(t)); err != nil {
				t.Fatal(err)
			}
			if err := agent.Publish(ctx, v.ChatID(),
				&protocol.FormShow{FormName: "survey", Meta: me},
				&protocol.CaseSet{CaseID: "case-1"},
				&protocol.TimeoutWarning{Msg: "Still there?"},
				&protocol.PartyLeft{Meta: me},
				&protocol.Ended{},
			); err != nil {
				t.Fatal(err)
			}
			v.WaitFor(ctx, "the end", func() bool { return v.State() == client.ConnEnded })
			v.Stop()
			// The recorder may still be reading the last frames.
			var names []string
			for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
				names = nil
				for _, body := range rec.bodies(t) {
					if bytes.Contains(body, []byte(`"events"`)) {
						names = append(names, checkBatch(t, "the widget's session", body)...)
					}
				}
				if slices.Contains(names, protocol.TypeEnded) || time.Now().After(deadline) {
					break
				}
			}
			for _, want := range []string{protocol.TypeStatus, protocol.TypePartyJoined, protocol.TypeMessage, protocol.TypeFile, protocol.TypeFormShow, protocol.TypeLocation, protocol.TypeCaseSet, protocol.TypeTimeoutWarning, protocol.TypePartyLeft, protocol.TypeEnded} {
				if !slices.Contains(names, want) {
					t.Errorf("the session never got %s; it got %v", want, names)
				}
			}
		})
	}
}
