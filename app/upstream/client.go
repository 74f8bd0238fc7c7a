package upstream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/parleychat/parley/protocol"
)

// Config says how to reach the tenant.
type Config struct {
	// URL is the tenant's server, https://TENANT-HOST; the API is under
	// URL/clientweb/api/v2/ (or v1).
	URL string
	// TenantURL is the tenant's domain, sent as tenantUrl with every call,
	// as a bare host (as the mobile SDKs send it) or a URL; default URL's
	// host.
	TenantURL string
	// AppID is the launch point (scenario entry) whose chats these are.
	AppID string
	// Version is the API version spoken: 2 (the default) or 1.
	Version int
	// HTTPClient makes the calls; nil uses one of its own.
	HTTPClient *http.Client
}

// Client calls the Mobile/Web API of a Bright Pattern tenant as the mobile
// SDKs do: the Authorization header with the launch point and the visitor's
// clientId, tenantUrl on every call, JSON bodies.
//
// A call fails with the tenant's *protocol.Error when it answered the
// API's error envelope, and with a *Fault when it could not be reached or
// answered something else (a 5xx of a proxy, an answer cut short, an empty
// answer where the method has one).
type Client struct {
	// PollTimeout bounds a Get New Chat Events: the tenant holds a poll
	// for 5 to 15 s when it has nothing to say; Bright Pattern's Android
	// SDK waits 20 s for it.
	PollTimeout time.Duration
	// CallTimeout bounds every other call but files; FileTimeout an upload
	// or download.
	CallTimeout, FileTimeout time.Duration

	cfg  Config
	base string
	http *http.Client
}

// NewClient returns a client for the tenant, or an error for a Config that
// cannot work.
func NewClient(cfg Config) (*Client, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("the upstream %q is not an http(s) URL", cfg.URL)
	}
	if cfg.AppID == "" {
		return nil, errors.New("the upstream needs the launch point's app id")
	}
	switch cfg.Version {
	case 0:
		cfg.Version = 2
	case 1, 2:
	default:
		return nil, fmt.Errorf("the upstream API version %d: only 1 and 2 exist", cfg.Version)
	}
	if cfg.TenantURL == "" {
		cfg.TenantURL = u.Host
	}
	client := cfg.HTTPClient
	if client == nil {
		// Every open chat holds a poll, and polls again the moment it is
		// answered: keep a connection per chat rather than dial (and
		// shake hands) for each poll.
		transport := http.DefaultTransport.(*http.Transport).Clone()
		transport.MaxIdleConnsPerHost = maxIdlePerTenant
		client = &http.Client{Transport: transport}
	}
	return &Client{
		PollTimeout: 20 * time.Second,
		CallTimeout: 15 * time.Second,
		FileTimeout: 2 * time.Minute,
		cfg:         cfg,
		base:        strings.TrimRight(u.String(), "/") + "/clientweb/api/v" + strconv.Itoa(cfg.Version) + "/",
		http:        client,
	}, nil
}

// Version is the API version the client speaks.
func (c *Client) Version() int { return c.cfg.Version }

// Fault is a call that failed for a reason that may pass: the tenant could
// not be reached, took too long, or answered what is not the API's (a 5xx
// page of a proxy, an answer cut short, an empty answer where the method
// has one).
type Fault struct {
	// Call names the call, such as "Send Events".
	Call string
	// Status is the HTTP status of the answer, 0 when none came.
	Status int
	// Unsure says the tenant may have done what was asked: the request
	// left, and no answer said whether it worked.
	Unsure bool
	Err    error
}

func (f *Fault) Error() string {
	if f.Status != 0 {
		return fmt.Sprintf("upstream %s: HTTP status %d: %v", f.Call, f.Status, f.Err)
	}
	return fmt.Sprintf("upstream %s: %v", f.Call, f.Err)
}

func (f *Fault) Unwrap() error { return f.Err }

// maxIdlePerTenant is how many idle connections to the tenant are kept for
// the next call: about one per chat open at once.
const maxIdlePerTenant = 4096

// errEmpty is an answer without a body where the method has one.
var errEmpty = errors.New("the answer is empty")

// maxAnswerBytes bounds an answer that is not a file: a long chat's
// history.
const maxAnswerBytes = 32 << 20

// answer is what the tenant said: its status, its Content-Type, its body.
type answer struct {
	status      int
	contentType string
	body        []byte
}

// call sends one request for the visitor clientID (the launch point's own
// calls, such as the configuration, use any) and reads the answer. A body's
// contentType says what it is. Answers that are not 200 are errors: the
// tenant's *protocol.Error, or a *Fault.
func (c *Client) call(ctx context.Context, name, method, path, clientID, contentType string, body []byte, timeout time.Duration, limit int64) (answer, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	u := c.base + path
	if strings.Contains(path, "?") {
		u += "&"
	} else {
		u += "?"
	}
	u += "tenantUrl=" + url.QueryEscape(c.cfg.TenantURL)
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return answer{}, &Fault{Call: name, Err: err}
	}
	req.Header.Set("Authorization", protocol.Credentials{AppID: c.cfg.AppID, ClientID: clientID}.Authorization())
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	// What the SDKs send, so that no proxy caches a poll.
	req.Header.Set("User-Agent", "MobileClient")
	req.Header.Set("Cache-Control", "no-cache")
	resp, err := c.http.Do(req)
	if err != nil {
		return answer{}, &Fault{Call: name, Unsure: !neverSent(err), Err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	a := answer{status: resp.StatusCode, contentType: resp.Header.Get("Content-Type"), body: data}
	if err == nil && int64(len(data)) > limit {
		err = fmt.Errorf("the answer is over %d bytes", limit)
	}
	if resp.StatusCode != http.StatusOK {
		if perr := protocol.DecodeError(data); perr != nil && err == nil {
			return a, perr
		}
		if err == nil {
			err = fmt.Errorf("%.200s", bytes.TrimSpace(data))
		}
		return a, &Fault{Call: name, Status: resp.StatusCode, Unsure: true, Err: err}
	}
	if err != nil {
		// The head said 200: the work is done, the answer was lost.
		return a, &Fault{Call: name, Status: resp.StatusCode, Err: fmt.Errorf("the answer was cut short: %w", err)}
	}
	return a, nil
}

// neverSent reports whether a failed request never reached the tenant: no
// connection could be made.
func neverSent(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// callJSON is call with a JSON body (nil for none) and a JSON answer
// decoded into out.
func (c *Client) callJSON(ctx context.Context, name, method, path, clientID string, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return fmt.Errorf("upstream %s: encoding the request: %w", name, err)
		}
	}
	a, err := c.call(ctx, name, method, path, clientID, "application/json; charset=UTF-8", body, c.CallTimeout, maxAnswerBytes)
	if err != nil {
		return err
	}
	return decodeAnswer(name, a, out)
}

func decodeAnswer(name string, a answer, out any) error {
	if len(bytes.TrimSpace(a.body)) == 0 {
		return &Fault{Call: name, Status: a.status, Unsure: true, Err: errEmpty}
	}
	if err := unmarshalLenient(a.body, out); err != nil {
		return &Fault{Call: name, Status: a.status, Unsure: true, Err: fmt.Errorf("the answer is not what the API answers: %w", err)}
	}
	return nil
}

// RequestChat is Request Chat for the visitor clientID: the client's active
// chat upstream, or a new one. Asked again with the same clientID, it
// answers the same chat.
func (c *Client) RequestChat(ctx context.Context, clientID string, req protocol.ChatRequest) (protocol.ChatSession, error) {
	var session protocol.ChatSession
	if err := c.callJSON(ctx, "Request Chat", http.MethodPost, "chats", clientID, req, &session); err != nil {
		return protocol.ChatSession{}, err
	}
	if session.ChatID == "" {
		return protocol.ChatSession{}, &Fault{Call: "Request Chat", Status: http.StatusOK, Unsure: true, Err: errors.New("the answer has no chat_id")}
	}
	return session, nil
}

// rawEvents is an events envelope whose events stay as they came.
type rawEvents struct {
	Events []json.RawMessage `json:"events"`
}

// Poll is Get New Chat Events, the long poll: the events the chat has not
// delivered yet, each as it came. No events is nil; an empty answer is a
// *Fault, since a poll that answers at once with nothing is not one.
func (c *Client) Poll(ctx context.Context, clientID, chatID string) ([]json.RawMessage, error) {
	a, err := c.call(ctx, "Get New Chat Events", http.MethodGet, "chats/"+url.PathEscape(chatID)+"/events", clientID, "", nil, c.PollTimeout, maxAnswerBytes)
	if err != nil {
		return nil, err
	}
	var env rawEvents
	if err := decodeAnswer("Get New Chat Events", a, &env); err != nil {
		return nil, err
	}
	return env.Events, nil
}

// History is Get Chat History: every event of the chat, the client's own
// in their server form, each as it came.
func (c *Client) History(ctx context.Context, clientID, chatID string) ([]json.RawMessage, error) {
	var env rawEvents
	if err := c.callJSON(ctx, "Get Chat History", http.MethodGet, "chats/"+url.PathEscape(chatID)+"/history", clientID, nil, &env); err != nil {
		return nil, err
	}
	return env.Events, nil
}

// Send is Send Events. The tenant took the events once it answered 200,
// with any body or none (the Android SDK takes an empty one for success).
func (c *Client) Send(ctx context.Context, clientID, chatID string, events ...protocol.Event) error {
	body, err := protocol.EncodeEnvelope(events...)
	if err != nil {
		return fmt.Errorf("upstream Send Events: encoding the events: %w", err)
	}
	_, err = c.call(ctx, "Send Events", http.MethodPost, "chats/"+url.PathEscape(chatID)+"/events", clientID, "application/json; charset=UTF-8", body, c.CallTimeout, maxAnswerBytes)
	var fault *Fault
	if errors.As(err, &fault) && fault.Status == http.StatusOK {
		return nil // 200, with its body cut short: taken
	}
	return err
}

// Upload is Upload File: the file, as the multipart part "file" the
// documents show, and the tenant's file_id for it.
func (c *Client) Upload(ctx context.Context, clientID, name, contentType string, content []byte) (protocol.UploadedFile, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	head := textproto.MIMEHeader{}
	head.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, name))
	head.Set("Content-Type", contentType)
	part, err := mw.CreatePart(head)
	if err == nil {
		_, err = part.Write(content)
	}
	if err == nil {
		err = mw.Close()
	}
	if err != nil {
		return protocol.UploadedFile{}, fmt.Errorf("upstream Upload File: %w", err)
	}
	a, err := c.call(ctx, "Upload File", http.MethodPost, "files", clientID, mw.FormDataContentType(), body.Bytes(), c.FileTimeout, maxAnswerBytes)
	if err != nil {
		return protocol.UploadedFile{}, err
	}
	var up protocol.UploadedFile
	if err := decodeAnswer("Upload File", a, &up); err != nil {
		return protocol.UploadedFile{}, err
	}
	if up.FileID == "" {
		return protocol.UploadedFile{}, &Fault{Call: "Upload File", Status: http.StatusOK, Unsure: true, Err: errors.New("the answer has no file_id")}
	}
	return up, nil
}

// File is Get File: a file of the chat, its bytes and their Content-Type.
func (c *Client) File(ctx context.Context, clientID, chatID, fileID string) (contentType string, content []byte, err error) {
	return c.fetch(ctx, "Get File", "chats/"+url.PathEscape(chatID)+"/files/"+url.PathEscape(fileID), clientID)
}

// ProfilePhoto is Get Agent Profile Photo: the photo of an agent of the
// chat, and its Content-Type.
func (c *Client) ProfilePhoto(ctx context.Context, clientID, chatID, partyID string) (contentType string, photo []byte, err error) {
	return c.fetch(ctx, "Get Agent Profile Photo", "chats/"+url.PathEscape(chatID)+"/profilephotos/"+url.PathEscape(partyID), clientID)
}

func (c *Client) fetch(ctx context.Context, name, path, clientID string) (string, []byte, error) {
	a, err := c.call(ctx, name, http.MethodGet, path, clientID, "", nil, c.FileTimeout, protocol.MaxFileBytes)
	if err != nil {
		return "", nil, err
	}
	contentType := a.contentType
	if contentType == "" {
		contentType = http.DetectContentType(a.body)
	}
	return contentType, a.body, nil
}

// Configuration is Get Chat Widget Configuration (API v2 only), asked as
// the launch point's client clientID.
func (c *Client) Configuration(ctx context.Context, clientID string) (protocol.WidgetConfiguration, error) {
	var cfg protocol.WidgetConfiguration
	err := c.callJSON(ctx, "Get Chat Widget Configuration", http.MethodGet, "configuration", clientID, nil, &cfg)
	return cfg, err
}

// Availability is Check Availability, asked as the launch point's client
// clientID.
func (c *Client) Availability(ctx context.Context, clientID string) (protocol.Availability, error) {
	var av protocol.Availability
	err := c.callJSON(ctx, "Check Availability", http.MethodGet, "availability", clientID, nil, &av)
	return av, err
}
