package parleytest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/coder/websocket"
	"github.com/parleychat/parley/app/server"
	"github.com/parleychat/parley/protocol"
)

// Agent scripts an agent through the agent API, as the console does: the
// one agent client of the tests, the benchmark and test authors. Errors the
// API answers are *protocol.Error.
type Agent struct {
	// PartyID is the agent's party in the chats it takes.
	PartyID string
	Name    string
	// URL is the chat server's, Token its agent token.
	URL, Token string
	// HTTP sends the requests and opens the sockets; nil is
	// http.DefaultClient.
	HTTP *http.Client
}

// NewAgent returns an agent with the name, of the chat server at serverURL
// whose agent token is token; its party id is derived from the name.
func NewAgent(serverURL, token, name string) *Agent {
	slug := strings.ToLower(strings.Join(strings.Fields(name), "-"))
	return &Agent{PartyID: "agent-" + slug, Name: name, URL: serverURL, Token: token}
}

// Agent returns an agent of the test server with the name.
func (s *Server) Agent(name string) *Agent { return NewAgent(s.URL, AgentToken, name) }

// Chats lists the open chats; with since > 0 it waits for a change after
// that version first.
func (a *Agent) Chats(ctx context.Context, since uint64) (server.AgentChats, error) {
	var list server.AgentChats
	err := a.call(ctx, http.MethodGet, server.PathAgentChats+"?"+url.Values{"since": {strconv.FormatUint(since, 10)}}.Encode(), nil, &list)
	return list, err
}

// WaitForChat waits until an open chat satisfies match, and returns it.
func (a *Agent) WaitForChat(ctx context.Context, match func(server.AgentChat) bool) (server.AgentChat, error) {
	var since uint64
	for {
		list, err := a.Chats(ctx, since)
		if err != nil {
			return server.AgentChat{}, err
		}
		for _, c := range list.Chats {
			if match(c) {
				return c, nil
			}
		}
		since = list.Version
	}
}

// Take gives the chat to the agent.
func (a *Agent) Take(ctx context.Context, chatID string) error {
	first, last, _ := strings.Cut(a.Name, " ")
	joined := protocol.PartyJoined{FirstName: first, LastName: last, DisplayName: a.Name, Type: protocol.PartyInternal, Meta: protocol.Meta{PartyID: a.PartyID}}
	body, err := protocol.MarshalEvent(&joined)
	if err != nil {
		return err
	}
	return a.call(ctx, http.MethodPost, protocol.Path(server.PathAgentTake, chatID), body, nil)
}

// Say sends a message as the agent.
func (a *Agent) Say(ctx context.Context, chatID, text string) error {
	return a.Publish(ctx, chatID, &protocol.Message{Msg: text, Meta: protocol.Meta{PartyID: a.PartyID}})
}

// Publish posts server events to the chat.
func (a *Agent) Publish(ctx context.Context, chatID string, events ...protocol.Event) error {
	body, err := protocol.EncodeEnvelope(events...)
	if err != nil {
		return err
	}
	return a.call(ctx, http.MethodPost, protocol.Path(server.PathAgentEvents, chatID), body, nil)
}

// Events waits for the chat's events after the sequence number after, as one
// long poll: the stored ones at once, or else the next live ones.
func (a *Agent) Events(ctx context.Context, chatID string, after uint64) (protocol.Envelope, error) {
	var env protocol.Envelope
	q := url.Values{"after": {strconv.FormatUint(after, 10)}, "party_id": {a.PartyID}}
	err := a.call(ctx, http.MethodGet, protocol.Path(server.PathAgentEvents, chatID)+"?"+q.Encode(), nil, &env)
	return env, err
}

// Stored reads every stored event of an open chat, a page at a time, up to
// the last sequence number the chat list gives, so it never waits out a
// long poll.
func (a *Agent) Stored(ctx context.Context, chatID string) ([]protocol.Event, error) {
	list, err := a.Chats(ctx, 0)
	if err != nil {
		return nil, err
	}
	var last uint64
	for _, c := range list.Chats {
		if c.ChatID == chatID {
			last = c.LastSeq
		}
	}
	var events []protocol.Event
	for after := uint64(0); after < last; {
		page, err := a.Events(ctx, chatID, after)
		if err != nil {
			return nil, err
		}
		if len(page.Events) == 0 {
			break
		}
		for _, e := range page.Events {
			after = max(after, e.EventMeta().Seq)
		}
		events = append(events, page.Events...)
	}
	return events, nil
}

// SendFile uploads a file and shares it in the chat.
func (a *Agent) SendFile(ctx context.Context, chatID, name string, content []byte) (protocol.UploadedFile, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	part, err := mw.CreateFormFile("file", name)
	if err == nil {
		_, err = part.Write(content)
	}
	if err == nil {
		err = mw.Close()
	}
	if err != nil {
		return protocol.UploadedFile{}, err
	}
	path := protocol.Path(server.PathAgentFiles, chatID) + "?" + url.Values{"party_id": {a.PartyID}}.Encode()
	req, err := a.request(ctx, http.MethodPost, path, body.Bytes())
	if err != nil {
		return protocol.UploadedFile{}, err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	var up protocol.UploadedFile
	if err := a.do(req, &up); err != nil {
		return up, err
	}
	return up, a.Publish(ctx, chatID, &protocol.File{FileID: up.FileID, Meta: protocol.Meta{PartyID: a.PartyID}})
}

// Socket opens the agent's WebSocket to the chat, from its first event:
// envelopes of server events in, the chat's stream out, 16 MB a frame.
func (a *Agent) Socket(ctx context.Context, chatID string) (*websocket.Conn, error) {
	u, err := protocol.SocketURL(a.URL, protocol.Path(server.PathAgentSocket, chatID), url.Values{"token": {a.Token}, "party_id": {a.PartyID}})
	if err != nil {
		return nil, err
	}
	conn, _, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPClient: a.HTTP})
	if err != nil {
		return nil, err
	}
	conn.SetReadLimit(16 << 20)
	return conn, nil
}

// Follower reads a chat's stream over the agent socket.
type Follower struct {
	conn    *websocket.Conn
	pending []protocol.Event
}

// Follow opens the agent socket to the chat, from its first event.
func (a *Agent) Follow(ctx context.Context, chatID string) (*Follower, error) {
	conn, err := a.Socket(ctx, chatID)
	if err != nil {
		return nil, err
	}
	return &Follower{conn: conn}, nil
}

// Next returns the next event of the stream, waiting for it.
func (f *Follower) Next(ctx context.Context) (protocol.Event, error) {
	for len(f.pending) == 0 {
		_, data, err := f.conn.Read(ctx)
		if err != nil {
			return nil, err
		}
		env, err := protocol.DecodeEnvelope(data)
		if err != nil {
			return nil, err
		}
		f.pending = env.Events
	}
	e := f.pending[0]
	f.pending = f.pending[1:]
	return e, nil
}

// Close closes the socket.
func (f *Follower) Close() error { return f.conn.Close(websocket.StatusNormalClosure, "") }

func (a *Agent) call(ctx context.Context, method, path string, body []byte, out any) error {
	req, err := a.request(ctx, method, path, body)
	if err != nil {
		return err
	}
	return a.do(req, out)
}

func (a *Agent) request(ctx context.Context, method, path string, body []byte) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, a.URL+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+a.Token)
	req.Header.Set("Content-Type", "application/json")
	return req, nil
}

// do sends the request with the agent's HTTP client.
func (a *Agent) do(req *http.Request, out any) error {
	client := a.HTTP
	if client == nil {
		client = http.DefaultClient
	}
	return Do(client, req, out)
}

// Do sends a request of Parley's API with client and decodes a 200 answer's
// JSON into out (nil: the answer is read and dropped); any other answer is
// an error, the API's *protocol.Error when it sent one.
func Do(client *http.Client, req *http.Request, out any) error {
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		if perr := protocol.DecodeError(data); perr != nil {
			return fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, perr)
		}
		return fmt.Errorf("%s %s: %s", req.Method, req.URL.Path, resp.Status)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(data, out)
}
