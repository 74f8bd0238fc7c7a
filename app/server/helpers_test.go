package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/parleychat/parley/app/instance"
	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/protocol"
)

// httpClient bounds every request of these tests, so a server that never
// answers fails the test instead of hanging it.
var httpClient = &http.Client{Timeout: 60 * time.Second}

// answer is what the server said to one request.
type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) String() string { return fmt.Sprintf("%d %.300s", a.status, a.body) }

// fetch sends one request. It does not touch t, so goroutines may use it.
func fetch(method, url string, header http.Header, body io.Reader) (answer, error) {
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		return answer{}, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, fmt.Errorf("%s %s: reading the answer: %w", method, url, err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: data}, nil
}

func mustFetch(t *testing.T, method, url string, header http.Header, body io.Reader) answer {
	t.Helper()
	a, err := fetch(method, url, header, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return a
}

// wantError checks that a is the API's error envelope with the status and
// code.
func wantError(t *testing.T, what string, a answer, status int, code protocol.Code) {
	t.Helper()
	perr := protocol.DecodeError(a.body)
	if a.status != status || perr == nil || perr.Code != code {
		t.Errorf("%s: got %s, want %d with error_code %s", what, a, status, code)
	}
}

func wantOK(t *testing.T, what string, a answer) {
	t.Helper()
	if a.status != http.StatusOK {
		t.Fatalf("%s: got %s, want 200", what, a)
	}
}

// emptyEnvelope is the answer of Send Events and of a poll that found
// nothing.
const emptyEnvelope = `{"events":[]}`

// apiClient is one visitor's client of the REST API, with a clientId of its
// own. Like every SDK, it sends a tenantUrl with each call.
type apiClient struct {
	t     *testing.T
	base  string
	creds protocol.Credentials
}

func newAPIClient(t *testing.T, baseURL string) *apiClient {
	return &apiClient{t: t, base: baseURL, creds: protocol.Credentials{AppID: parleytest.AppID, ClientID: protocol.NewUUID()}}
}

func (c *apiClient) auth() string { return c.creds.Authorization() }

func (c *apiClient) url(path string) string {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return c.base + path + sep + "tenantUrl=tenant.example.com"
}

func (c *apiClient) header(contentType string) http.Header {
	h := http.Header{"Authorization": {c.auth()}}
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	return h
}

func (c *apiClient) get(path string) answer {
	c.t.Helper()
	return mustFetch(c.t, http.MethodGet, c.url(path), c.header(""), nil)
}

func (c *apiClient) post(path, contentType string, body io.Reader) answer {
	c.t.Helper()
	return mustFetch(c.t, http.MethodPost, c.url(path), c.header(contentType), body)
}

// open is Request Chat for this client.
func (c *apiClient) open() protocol.ChatSession {
	c.t.Helper()
	status, body := requestChat(c.t, c.base, c.auth(), "")
	var s protocol.ChatSession
	if status != http.StatusOK || json.Unmarshal(body, &s) != nil || s.ChatID == "" {
		c.t.Fatalf("requesting a chat: %d %s", status, body)
	}
	return s
}

func (c *apiClient) sendEvents(chatID, body string) answer {
	c.t.Helper()
	return c.post(protocol.Path(protocol.PathChatEvents, chatID), "application/json; charset=UTF-8", strings.NewReader(body))
}

// history is Get Chat History; anything but 200 fails the test.
func (c *apiClient) history(chatID string) []protocol.Event {
	c.t.Helper()
	a := c.get(protocol.Path(protocol.PathChatHistory, chatID))
	wantOK(c.t, "history", a)
	return decodeEvents(c.t, a.body)
}

// upload posts a multipart body to Upload File.
func (c *apiClient) upload(contentType string, body []byte) answer {
	c.t.Helper()
	return c.post(protocol.PathFiles, contentType, bytes.NewReader(body))
}

// uploadFile shares content under the part name "file" and returns its id.
func (c *apiClient) uploadFile(name string, content []byte) protocol.UploadedFile {
	c.t.Helper()
	ct, body := multipartBody(c.t, nil, filePart{field: "file", name: name, content: content})
	a := c.upload(ct, body)
	wantOK(c.t, "uploading "+name, a)
	var up protocol.UploadedFile
	if err := json.Unmarshal(a.body, &up); err != nil || up.FileID == "" {
		c.t.Fatalf("uploading %s: answer %s", name, a)
	}
	return up
}

func decodeEvents(t *testing.T, body []byte) []protocol.Event {
	t.Helper()
	env, err := protocol.DecodeEnvelope(body)
	if err != nil {
		t.Fatalf("decoding %.300s: %v", body, err)
	}
	return env.Events
}

func envelope(t *testing.T, events ...protocol.Event) string {
	t.Helper()
	body, err := protocol.EncodeEnvelope(events...)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

// visitorMessage is the visitor's n-th message, as a client sends it.
func visitorMessage(chatID string, n int, text string) *protocol.Message {
	return &protocol.Message{MsgID: protocol.MessageID(chatID, n), Msg: text}
}

// texts returns the msg of every message among events.
func texts(events []protocol.Event) []string {
	var out []string
	for _, e := range events {
		if m, ok := e.(*protocol.Message); ok {
			out = append(out, m.Msg)
		}
	}
	return out
}

func seqs(events []protocol.Event) []uint64 {
	var out []uint64
	for _, e := range events {
		out = append(out, e.EventMeta().Seq)
	}
	return out
}

func eventTypes(events []protocol.Event) []string {
	var out []string
	for _, e := range events {
		out = append(out, e.EventType())
	}
	return out
}

// filePart is one part of a multipart body; an empty name makes a plain
// form field.
type filePart struct {
	field, name, contentType string
	content                  []byte
}

func multipartBody(t *testing.T, fields map[string]string, parts ...filePart) (contentType string, body []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		disposition := fmt.Sprintf(`form-data; name=%q`, p.field)
		if p.name != "" {
			disposition += fmt.Sprintf(`; filename=%q`, p.name)
		}
		h.Set("Content-Disposition", disposition)
		ct := p.contentType
		if ct == "" && p.name != "" {
			ct = "application/octet-stream"
		}
		if ct != "" {
			h.Set("Content-Type", ct)
		}
		w, err := mw.CreatePart(h)
		if err == nil {
			_, err = w.Write(p.content)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return mw.FormDataContentType(), buf.Bytes()
}

func pngImage(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 3, 2))
	img.Set(1, 1, color.RGBA{R: 200, A: 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func pollWait(d time.Duration) parleytest.Option {
	return parleytest.Tune(func(i *instance.Instance) { i.Server.PollWait = d })
}

// startChat starts a quiet server with opts and has a new visitor's client
// request a chat there.
func startChat(t *testing.T, opts ...parleytest.Option) (*parleytest.Server, *apiClient, protocol.ChatSession) {
	t.Helper()
	srv := parleytest.Start(t, append([]parleytest.Option{parleytest.Quiet()}, opts...)...)
	c := newAPIClient(t, srv.URL)
	return srv, c, c.open()
}

// takeChat has a new agent called name take chatID, as the console does.
func takeChat(ctx context.Context, t *testing.T, srv *parleytest.Server, name, chatID string) *parleytest.Agent {
	t.Helper()
	agent := srv.Agent(name)
	if err := agent.Take(ctx, chatID); err != nil {
		t.Fatal(err)
	}
	return agent
}

// apiMethod is one method of the visitor's API: an HTTP method and a path.
type apiMethod struct{ method, path string }

// credentialedMethods are the visitor API's methods that a client calls with
// its credentials, those of a chat on chatID.
func credentialedMethods(chatID string) []apiMethod {
	return []apiMethod{
		{http.MethodGet, protocol.PathAvailability},
		{http.MethodGet, protocol.PathParameters},
		{http.MethodGet, protocol.PathConfiguration},
		{http.MethodGet, protocol.PathActiveChat},
		{http.MethodPost, protocol.Path(protocol.PathChatEvents, chatID)},
		{http.MethodGet, protocol.Path(protocol.PathChatEvents, chatID)},
		{http.MethodGet, protocol.Path(protocol.PathChatHistory, chatID)},
		{http.MethodPost, protocol.PathFiles},
	}
}
