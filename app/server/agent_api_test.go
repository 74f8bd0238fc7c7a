package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/parleychat/parley/app/instance"
	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/app/scenario"
	"github.com/parleychat/parley/app/server"
	"github.com/parleychat/parley/protocol"
)

// agentAuth is the agent API's Authorization header with the right token.
var agentAuth = http.Header{"Authorization": {"Bearer " + parleytest.AgentToken}}

// agentRequest calls the agent API with header, for what parleytest's Agent
// cannot show: statuses and error codes.
func agentRequest(t *testing.T, srv *parleytest.Server, method, path string, header http.Header, body string) answer {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	return mustFetch(t, method, srv.URL+path, header, r)
}

func agentChatPath(chatID, rest string) string {
	return "/agent/api/chats/" + url.PathEscape(chatID) + rest
}

// joined is the body with which agent takes a chat.
func joined(t *testing.T, agent *parleytest.Agent) string {
	t.Helper()
	body, err := protocol.MarshalEvent(&protocol.PartyJoined{DisplayName: agent.Name, Type: protocol.PartyInternal, Meta: protocol.Meta{PartyID: agent.PartyID}})
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

func findChat(list server.AgentChats, chatID string) (server.AgentChat, bool) {
	for _, c := range list.Chats {
		if c.ChatID == chatID {
			return c, true
		}
	}
	return server.AgentChat{}, false
}

func TestAgentAPIRequiresTheToken(t *testing.T) {
	t.Parallel()
	srv := parleytest.Start(t, parleytest.Quiet())
	s := openChat(t, srv.URL)
	routes := []struct{ method, path, body string }{
		{"GET", "/agent/api/chats", ""},
		{"GET", "/agent/api/chats?since=1", ""},
		{"GET", "/agent/api/forms", ""},
		{"POST", agentChatPath(s.ChatID, "/take"), `{"party_id":"agent-mallory","type":"internal"}`},
		{"GET", agentChatPath(s.ChatID, "/events?after=0"), ""},
		{"POST", agentChatPath(s.ChatID, "/events"), `{"events":[{"event":"chat_session_ended"}]}`},
		{"POST", agentChatPath(s.ChatID, "/files?party_id=agent-mallory"), ""},
		{"GET", agentChatPath(s.ChatID, "/files/AAAAAAAAAAAAAAAAAAAAAA"), ""},
	}
	creds := []struct {
		name   string
		header http.Header
		query  string
	}{
		{"no token", http.Header{}, ""},
		{"a wrong bearer token", http.Header{"Authorization": {"Bearer wrong"}}, ""},
		{"a wrong token in the query", http.Header{}, "token=wrong"},
		{"the token under another scheme", http.Header{"Authorization": {"Basic " + parleytest.AgentToken}}, ""},
		{"the token's prefix", http.Header{"Authorization": {"Bearer " + parleytest.AgentToken[:len(parleytest.AgentToken)-1]}}, ""},
		{"a visitor's credentials", http.Header{"Authorization": {protocol.Credentials{AppID: parleytest.AppID, ClientID: protocol.NewUUID()}.Authorization()}}, ""},
		{"the chat's own token", http.Header{}, "token=" + s.Token},
	}
	for _, r := range routes {
		for _, cr := range creds {
			t.Run(r.method+" "+r.path+"/"+cr.name, func(t *testing.T) {
				t.Parallel()
				path := r.path
				if cr.query != "" {
					sep := "?"
					if strings.Contains(path, "?") {
						sep = "&"
					}
					path += sep + cr.query
				}
				a := agentRequest(t, srv, r.method, path, cr.header, r.body)
				wantError(t, cr.name, a, http.StatusForbidden, protocol.CodeForbidden)
			})
		}
	}

	for name, query := range map[string]url.Values{"no token": nil, "a wrong token": {"token": {"wrong"}}, "the chat's token": {"token": {s.Token}}} {
		t.Run("socket/"+name, func(t *testing.T) {
			t.Parallel()
			// Its own deadline: a parallel subtest may wait long for its turn.
			ctx := testContext(t)
			u := agentSocketURL(srv.URL, s.ChatID, query)
			conn := dial(ctx, t, u, nil)
			_, _, err := conn.Read(ctx)
			if got := protocol.CloseCode(websocket.CloseStatus(err)); got != protocol.CloseForbidden {
				t.Errorf("closed with %d (%v), want %d", got, err, protocol.CloseForbidden)
			}
		})
	}

	t.Run("socket/a chat that does not exist", func(t *testing.T) {
		t.Parallel()
		ctx := testContext(t)
		u := agentSocketURL(srv.URL, protocol.NewUUID(), url.Values{"token": {parleytest.AgentToken}})
		conn := dial(ctx, t, u, nil)
		_, _, err := conn.Read(ctx)
		if got := protocol.CloseCode(websocket.CloseStatus(err)); got != protocol.CloseChatNotFound {
			t.Errorf("closed with %d (%v), want %d", got, err, protocol.CloseChatNotFound)
		}
	})

	// The right token passes in the header; in the URL only where a
	// browser cannot send a header (the socket and downloads), so it stays
	// out of the logs of every other call.
	wantOK(t, "the chat list with the token", agentRequest(t, srv, "GET", "/agent/api/chats", agentAuth, ""))
	for _, r := range routes {
		if strings.Contains(r.path, "/files/") {
			continue
		}
		sep := "?"
		if strings.Contains(r.path, "?") {
			sep = "&"
		}
		a := agentRequest(t, srv, r.method, r.path+sep+"token="+parleytest.AgentToken, http.Header{}, r.body)
		wantError(t, "the right token in the URL of "+r.method+" "+r.path, a, http.StatusForbidden, protocol.CodeForbidden)
	}
	// A download with the token in its URL gets past the token: the file
	// does not exist.
	a := agentRequest(t, srv, "GET", agentChatPath(s.ChatID, "/files/AAAAAAAAAAAAAAAAAAAAAA?token="+parleytest.AgentToken), http.Header{}, "")
	wantError(t, "a download with the token in its URL", a, http.StatusNotFound, protocol.CodeFileNotFound)
	t.Cleanup(func() {
		c, err := srv.Chats.Chat(context.Background(), s.ChatID)
		if err != nil || c.State != protocol.StateQueued || c.Agent != "" || c.LastSeq != 0 {
			t.Errorf("after the refused requests the chat is %+v (%v); want it untouched", c, err)
		}
	})
}

func TestAgentListsOpenChats(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	const wait = 300 * time.Millisecond
	srv := parleytest.Start(t, parleytest.Quiet(), pollWait(wait))
	agent := srv.Agent("Grace Hopper")

	empty, err := agent.Chats(ctx, 0)
	if err != nil || len(empty.Chats) != 0 {
		t.Fatalf("before any chat: %+v, %v", empty, err)
	}
	c := newAPIClient(t, srv.URL)
	status, body := requestChat(t, srv.URL, c.auth(), `{"from":"ada@example.com","parameters":{"first_name":"Ada","last_name":"Lovelace"}}`)
	var s protocol.ChatSession
	if status != http.StatusOK || json.Unmarshal(body, &s) != nil {
		t.Fatalf("requesting a chat: %d %s", status, body)
	}
	wantOK(t, "sending", c.sendEvents(s.ChatID, envelope(t, visitorMessage(s.ChatID, 1, "hi"), &protocol.Navigation{Page: "https://shop.example/"}, visitorMessage(s.ChatID, 2, "anyone?"))))
	if err := srv.Chats.Publish(ctx, s.ChatID, &protocol.Message{Msg: "hello", Meta: protocol.Meta{PartyID: "scenario"}}); err != nil {
		t.Fatal(err)
	}

	list, err := agent.Chats(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := findChat(list, s.ChatID)
	if !ok || len(list.Chats) != 1 {
		t.Fatalf("the list %+v, want the one chat", list)
	}
	if got.State != protocol.StateQueued || got.VisitorMessages != 2 || got.LastSeq != 4 || got.Agent != "" ||
		got.Visitor != "Ada Lovelace" || got.Created.IsZero() || got.LastVisitorEvent.IsZero() {
		t.Errorf("the chat is listed as %+v; want queued, 2 visitor messages, last_seq 4, visitor Ada Lovelace", got)
	}
	if list.Version <= empty.Version {
		t.Errorf("the version went from %d to %d over a new chat", empty.Version, list.Version)
	}

	start := time.Now()
	idle, err := agent.Chats(ctx, list.Version)
	if err != nil || idle.Version != list.Version {
		t.Errorf("a wait with nothing happening: %+v, %v; want version %d again", idle, err, list.Version)
	}
	if elapsed := time.Since(start); elapsed < wait {
		t.Errorf("a wait with nothing happening answered after %v, before the poll wait of %v", elapsed, wait)
	}

	// The wait starts before or after the new chat: either way it must
	// come back with it. A wait that ran out first (a loaded machine may
	// take longer than the poll wait to open a chat) is followed by the
	// next, as the console does.
	waited := make(chan server.AgentChats, 1)
	go func() {
		for {
			next, err := agent.Chats(ctx, list.Version)
			if err != nil {
				next.Version = 0
			}
			if err != nil || next.Version != list.Version {
				waited <- next
				return
			}
		}
	}()
	second := openChat(t, srv.URL)
	select {
	case next := <-waited:
		if _, ok := findChat(next, second.ChatID); !ok || next.Version <= list.Version {
			t.Errorf("the wait returned %+v; want a version above %d with chat %s", next, list.Version, second.ChatID)
		}
	case <-ctx.Done():
		t.Fatal("the wait never returned")
	}

	if err := srv.Chats.Publish(ctx, s.ChatID, &protocol.Ended{}); err != nil {
		t.Fatal(err)
	}
	list, err = agent.Chats(ctx, 0)
	if _, ok := findChat(list, s.ChatID); err != nil || ok || len(list.Chats) != 1 {
		t.Errorf("after the first chat ended the list is %+v (%v); want only the second", list, err)
	}
}

func TestAgentTake(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	srv := parleytest.Start(t)
	c := newAPIClient(t, srv.URL)
	s := c.open()
	grace, alan := srv.Agent("Grace Hopper"), srv.Agent("Alan Turing")
	take := agentChatPath(s.ChatID, "/take")

	wantOK(t, "the first agent", agentRequest(t, srv, "POST", take, agentAuth, joined(t, grace)))
	list, err := grace.Chats(ctx, 0)
	if got, ok := findChat(list, s.ChatID); err != nil || !ok || got.Agent != grace.PartyID || got.State != protocol.StateConnected {
		t.Errorf("after the take the chat is listed as %+v (%v); want agent %s, connected", got, err, grace.PartyID)
	}
	if a := agentRequest(t, srv, "POST", take, agentAuth, joined(t, alan)); a.status != http.StatusConflict || protocol.DecodeError(a.body) == nil {
		t.Errorf("a second agent: got %s, want 409 with an error envelope", a)
	}
	wantOK(t, "the first agent again", agentRequest(t, srv, "POST", take, agentAuth, joined(t, grace)))
	wantError(t, "a take without party_id", agentRequest(t, srv, "POST", take, agentAuth, `{"type":"internal"}`), http.StatusBadRequest, protocol.CodeBadRequest)
	wantError(t, "a take of a chat that does not exist", agentRequest(t, srv, "POST", agentChatPath(protocol.NewUUID(), "/take"), agentAuth, joined(t, grace)),
		http.StatusNotFound, protocol.CodeChatNotFound)

	history := c.history(s.ChatID)
	var order []string
	for _, e := range history {
		switch e := e.(type) {
		case *protocol.PartyJoined:
			if e.PartyID == grace.PartyID {
				order = append(order, "grace joined")
				if e.Type != protocol.PartyInternal || e.DisplayName != grace.Name {
					t.Errorf("the agent joined as %+v", e)
				}
			} else if e.PartyID == alan.PartyID {
				order = append(order, "alan joined")
			}
		case *protocol.Status:
			if e.State == protocol.StateConnected {
				order = append(order, "connected")
			}
		case *protocol.PartyLeft:
			if e.PartyID == scenario.AssistantID {
				order = append(order, "assistant left")
			}
		}
	}
	if want := []string{"grace joined", "connected", "assistant left"}; !slices.Equal(order, want) {
		t.Errorf("the visitor's history has %v (all: %v), want %v", order, eventTypes(history), want)
	}
	a := c.get(protocol.PathActiveChat)
	var active protocol.ActiveChat
	if json.Unmarshal(a.body, &active) != nil || active.State != protocol.StateConnected {
		t.Errorf("the visitor's active chat: %s, want state connected", a)
	}

	if err := srv.Chats.Publish(ctx, s.ChatID, &protocol.Ended{}); err != nil {
		t.Fatal(err)
	}
	wantError(t, "a take of an ended chat", agentRequest(t, srv, "POST", take, agentAuth, joined(t, grace)), http.StatusNotFound, protocol.CodeChatNotFound)
}

func TestAgentPostsEvents(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	srv, c, s := startChat(t)
	grace, alan := takeChat(ctx, t, srv, "Grace Hopper", s.ChatID), srv.Agent("Alan Turing")
	events := agentChatPath(s.ChatID, "/events")
	say := func(party, text string) string {
		return envelope(t, &protocol.Message{Msg: text, Meta: protocol.Meta{PartyID: party}})
	}

	a := agentRequest(t, srv, "POST", events, agentAuth, say(grace.PartyID, "Hello, how can I help?"))
	if a.status != http.StatusOK || string(a.body) != emptyEnvelope {
		t.Errorf("the agent's message: got %s, want 200 %s", a, emptyEnvelope)
	}
	refused := []struct {
		name   string
		body   string
		status int
		code   protocol.Code
	}{
		{"an agent who did not take the chat", say(alan.PartyID, "I'll take it from here"), 403, protocol.CodeForbidden},
		{"a message, then the typing of an agent who did not take the chat", envelope(t,
			&protocol.Message{Msg: "One moment", Meta: protocol.Meta{PartyID: grace.PartyID}},
			&protocol.Typing{Meta: protocol.Meta{PartyID: alan.PartyID}}), 403, protocol.CodeForbidden},
		{"the agent speaking as the visitor", say(s.ChatID, "I agree to everything"), 403, protocol.CodeForbidden},
		{"the agent speaking as the assistant", say(scenario.AssistantID, "Your account is closed"), 403, protocol.CodeForbidden},
		{"a client-only event", `{"events":[{"event":"chat_session_end"}]}`, 400, protocol.CodeBadRequest},
		{"malformed JSON", `{"events":[`, 400, protocol.CodeBadRequest},
		{"a message without text", `{"events":[{"event":"chat_session_message","party_id":"` + grace.PartyID + `"}]}`, 400, protocol.CodeBadRequest},
	}
	for _, r := range refused {
		wantError(t, r.name, agentRequest(t, srv, "POST", events, agentAuth, r.body), r.status, r.code)
	}
	wantError(t, "posting to a chat that does not exist", agentRequest(t, srv, "POST", agentChatPath(protocol.NewUUID(), "/events"), agentAuth, say(grace.PartyID, "hi")),
		http.StatusNotFound, protocol.CodeChatNotFound)
	wantError(t, "polling a chat that does not exist", agentRequest(t, srv, "GET", agentChatPath(protocol.NewUUID(), "/events?after=0"), agentAuth, ""),
		http.StatusNotFound, protocol.CodeChatNotFound)

	history := c.history(s.ChatID)
	if got := texts(history); !slices.Equal(got, []string{"Hello, how can I help?"}) {
		t.Errorf("the visitor's history has messages %q, want only the agent's", got)
	}
	for _, e := range history {
		if m, ok := e.(*protocol.Message); ok && (m.PartyID != grace.PartyID || m.MsgID.IsZero() || m.Timestamp.IsZero()) {
			t.Errorf("the agent's message reached the visitor as %+v; want the agent's party, a msg_id and a timestamp", m)
		}
	}

	// Events of no party are the contact center's own, such as the end.
	wantOK(t, "ending the chat", agentRequest(t, srv, "POST", events, agentAuth, `{"events":[{"event":"chat_session_ended"}]}`))
	wantError(t, "the visitor's event after the end", c.sendEvents(s.ChatID, envelope(t, visitorMessage(s.ChatID, 1, "wait!"))), http.StatusNotFound, protocol.CodeChatNotFound)
	wantError(t, "the visitor's active chat after the end", c.get(protocol.PathActiveChat), http.StatusNotFound, protocol.CodeChatNotFound)
	if got := eventTypes(c.history(s.ChatID)); len(got) == 0 || got[len(got)-1] != protocol.TypeEnded {
		t.Errorf("history after the end %v, want it to end with %s", got, protocol.TypeEnded)
	}
}

// TestAgentSocketRefusesFramesOfAnotherAgent: over the agent socket too, an
// event of an agent who did not take the chat is refused, with the rest of
// its frame, and the frames after it are taken.
func TestAgentSocketRefusesFramesOfAnotherAgent(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	srv, c, s := startChat(t)
	grace, alan := takeChat(ctx, t, srv, "Grace Hopper", s.ChatID), srv.Agent("Alan Turing")
	conn := dial(ctx, t, agentSocketURL(srv.URL, s.ChatID, url.Values{"token": {parleytest.AgentToken}, "party_id": {alan.PartyID}}), nil)
	say := func(party, text string) protocol.Event {
		return &protocol.Message{Msg: text, Meta: protocol.Meta{PartyID: party}}
	}
	frames := []struct {
		name   string
		events []protocol.Event
		want   protocol.Code
	}{
		{"a message of an agent who did not take the chat", []protocol.Event{say(alan.PartyID, "I'll take it from here")}, protocol.CodeForbidden},
		{"a message, then the typing of an agent who did not take the chat",
			[]protocol.Event{say(grace.PartyID, "One moment"), &protocol.Typing{Meta: protocol.Meta{PartyID: alan.PartyID}}}, protocol.CodeForbidden},
		{"the message of the agent who took it", []protocol.Event{say(grace.PartyID, "Back to you")}, ""},
	}
	for i, f := range frames {
		ref := strconv.Itoa(i)
		data, err := json.Marshal(protocol.Envelope{Ref: ref, Events: f.events})
		if err != nil {
			t.Fatal(err)
		}
		if err := conn.Write(ctx, websocket.MessageText, data); err != nil {
			t.Fatal(err)
		}
		answer := readEnvelope(ctx, t, conn)
		for answer.Ref != ref {
			answer = readEnvelope(ctx, t, conn)
		}
		var got protocol.Code
		if answer.Error != nil {
			got = answer.Error.Code
		}
		if got != f.want {
			t.Errorf("%s: answered %v, want code %q", f.name, answer.Error, f.want)
		}
	}
	if got := texts(c.history(s.ChatID)); !slices.Equal(got, []string{"Back to you"}) {
		t.Errorf("the visitor's history has messages %q, want only the last frame's", got)
	}
}

func TestAgentMessageReachesTheWidget(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	srv := parleytest.Start(t, parleytest.Quiet())
	v := parleytest.StartVisitor(ctx, t, parleytest.VisitorConfig(srv.URL))
	agent := takeChat(ctx, t, srv, "Grace Hopper", v.ChatID())
	if err := agent.Say(ctx, v.ChatID(), "Hello from the console"); err != nil {
		t.Fatal(err)
	}
	v.WaitFor(ctx, "the agent's message", func() bool {
		got, _, _ := v.Messages(agent.PartyID)
		return slices.Contains(got, "Hello from the console")
	})
}

func TestAgentFiles(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	srv, c, s := startChat(t)
	grace, alan := takeChat(ctx, t, srv, "Grace Hopper", s.ChatID), srv.Agent("Alan Turing")
	content := pngImage(t)
	up, err := grace.SendFile(ctx, s.ChatID, "diagram.png", content)
	if err != nil {
		t.Fatal(err)
	}
	if len(up.FileID) < 20 || up.FileName != "diagram.png" {
		t.Errorf("the agent's upload answered %+v", up)
	}

	a := c.get(protocol.Path(protocol.PathChatFile, s.ChatID, up.FileID))
	if a.status != http.StatusOK || !bytes.Equal(a.body, content) || a.header.Get("Content-Type") != "image/png" {
		t.Errorf("the visitor's download: %d %s with %d bytes, want 200 image/png with the %d bytes", a.status, a.header.Get("Content-Type"), len(a.body), len(content))
	}
	a = agentRequest(t, srv, "GET", agentChatPath(s.ChatID, "/files/"+up.FileID), agentAuth, "")
	if a.status != http.StatusOK || !bytes.Equal(a.body, content) {
		t.Errorf("the agent's download: %d with %d bytes, want 200 with the %d bytes", a.status, len(a.body), len(content))
	}
	var shared []*protocol.File
	for _, e := range c.history(s.ChatID) {
		if f, ok := e.(*protocol.File); ok {
			shared = append(shared, f)
		}
	}
	if len(shared) != 1 || shared[0].FileID != up.FileID || shared[0].PartyID != grace.PartyID || shared[0].FileName != "diagram.png" || shared[0].FileType != protocol.FileImage {
		t.Errorf("the visitor's history has files %+v, want the agent's diagram", shared)
	}

	ct, body := multipartBody(t, nil, filePart{field: "file", name: "x.txt", content: []byte("x")})
	header := agentAuth.Clone()
	header.Set("Content-Type", ct)
	for name, party := range map[string]string{"an agent who did not take the chat": alan.PartyID, "no party": "", "the visitor's party": s.ChatID} {
		a := mustFetch(t, "POST", srv.URL+agentChatPath(s.ChatID, "/files?party_id="+url.QueryEscape(party)), header, bytes.NewReader(body))
		wantError(t, name, a, http.StatusForbidden, protocol.CodeForbidden)
	}
	other := openChat(t, srv.URL)
	wantError(t, "the agent downloading the file from another chat", agentRequest(t, srv, "GET", agentChatPath(other.ChatID, "/files/"+up.FileID), agentAuth, ""),
		http.StatusNotFound, protocol.CodeFileNotFound)
	wantError(t, "sharing a file that is not in the chat", agentRequest(t, srv, "POST", agentChatPath(s.ChatID, "/events"), agentAuth,
		envelope(t, &protocol.File{FileID: "AAAAAAAAAAAAAAAAAAAAAA", Meta: protocol.Meta{PartyID: grace.PartyID}})), http.StatusNotFound, protocol.CodeFileNotFound)
}

// agentPoll is the agent's long poll of a chat after a position. It does not
// touch t, so goroutines may use it.
func agentPoll(srv *parleytest.Server, chatID, party string, after uint64, epoch string) (protocol.Envelope, error) {
	path := agentChatPath(chatID, fmt.Sprintf("/events?after=%d&epoch=%s&party_id=%s", after, url.QueryEscape(epoch), url.QueryEscape(party)))
	a, err := fetch(http.MethodGet, srv.URL+path, agentAuth, nil)
	if err != nil {
		return protocol.Envelope{}, err
	}
	if a.status != http.StatusOK {
		return protocol.Envelope{}, fmt.Errorf("GET %s: %s", path, a)
	}
	return protocol.DecodeEnvelope(a.body)
}

// TestAgentEventsAfterN polls with ?after=N and no epoch, as
// parleytest's Agent.Events does and as the agent API's doc comment
// ("after ?after=N (&epoch=E)") allows: only the events after N come back.
func TestAgentEventsAfterN(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	srv, c, s := startChat(t)
	wantOK(t, "sending", c.sendEvents(s.ChatID, envelope(t, visitorMessage(s.ChatID, 1, "m1"), visitorMessage(s.ChatID, 2, "m2"), visitorMessage(s.ChatID, 3, "m3"))))
	agent := srv.Agent("Grace Hopper")

	withEpoch, err := agentPoll(srv, s.ChatID, agent.PartyID, 2, s.Epoch)
	if err != nil || !slices.Equal(texts(withEpoch.Events), []string{"m3"}) {
		t.Errorf("?after=2&epoch=E returned %q (%v), want only m3", texts(withEpoch.Events), err)
	}
	env, err := agent.Events(ctx, s.ChatID, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got := seqs(env.Events); !slices.Equal(got, []uint64{3}) {
		t.Errorf("Agent.Events after 2 (GET ?after=2 without epoch) returned seqs %v, want [3]", got)
	}
}

// checkFollowed checks the events an agent saw of a chat with the default
// scenario once the visitor has typed, written and answered the pre-chat
// form, in order.
func checkFollowed(t *testing.T, chatID string, events []protocol.Event) {
	t.Helper()
	type want struct {
		event, party string
		stored       bool
	}
	wants := []want{
		{protocol.TypeStatus, "", true},
		{protocol.TypePartyJoined, scenario.AssistantID, true},
		{protocol.TypeMessage, scenario.AssistantID, true},
		{protocol.TypeFormShow, "", true},
		{protocol.TypeTyping, chatID, false},
		{protocol.TypeMessage, chatID, true},
		{protocol.TypeFormData, chatID, true},
		{protocol.TypeMessage, scenario.AssistantID, true},
	}
	var got []want
	for _, e := range events {
		got = append(got, want{e.EventType(), e.EventMeta().PartyID, e.EventMeta().Seq != 0})
	}
	if !reflect.DeepEqual(got, wants) {
		t.Errorf("the agent followed\n%v\nwant\n%v", got, wants)
	}
	var last uint64
	for _, e := range events {
		if seq := e.EventMeta().Seq; seq != 0 {
			if seq != last+1 {
				t.Errorf("seq %d follows %d", seq, last)
			}
			last = seq
		}
	}
	if m, ok := events[len(events)-1].(*protocol.Message); !ok || !strings.Contains(m.Msg, "Ada") {
		t.Errorf("the last event is %+v, want the assistant thanking Ada", events[len(events)-1])
	}
}

// answerPreChat is the visitor's message and its answer to the pre-chat form.
func answerPreChat(t *testing.T, chatID string, show *protocol.FormShow) string {
	return envelope(t, visitorMessage(chatID, 1, "I have a question"), &protocol.FormData{
		FormRequestID: show.FormRequestID, FormName: show.FormName,
		Data: protocol.FormValues{Fields: map[string]string{"first_name": "Ada", "topic": "order"}},
	})
}

func TestAgentFollowsTheChat(t *testing.T) {
	t.Parallel()
	// Typing is re-sent until a waiting poll gets it; the default limit
	// would refuse the repeats.
	noLimit := parleytest.Tune(func(i *instance.Instance) { i.Chats.VisitorRate, i.Chats.VisitorBurst = 1000, 1000 })

	t.Run("long poll", func(t *testing.T) {
		t.Parallel()
		ctx := testContext(t)
		srv := parleytest.Start(t, noLimit)
		c := newAPIClient(t, srv.URL)
		s := c.open()
		agent := srv.Agent("Grace Hopper")

		env, err := agentPoll(srv, s.ChatID, agent.PartyID, 0, "")
		if err != nil {
			t.Fatal(err)
		}
		followed := env.Events
		if len(followed) != 4 || env.Epoch != s.Epoch {
			t.Fatalf("the first poll returned %v in epoch %q, want the scenario's 4 events in %q", eventTypes(followed), env.Epoch, s.Epoch)
		}
		show, ok := followed[3].(*protocol.FormShow)
		if !ok {
			t.Fatalf("the fourth event is %s, want the pre-chat form", followed[3].EventType())
		}

		env = pollWhile(ctx, t, func() (protocol.Envelope, error) { return agentPoll(srv, s.ChatID, agent.PartyID, 4, s.Epoch) }, func() {
			if a, err := fetch(http.MethodPost, c.url(protocol.Path(protocol.PathChatEvents, s.ChatID)), c.header("application/json"),
				strings.NewReader(`{"events":[{"event":"chat_session_typing"}]}`)); err != nil || a.status != http.StatusOK {
				t.Errorf("typing: %v %v", a, err)
			}
		})
		followed = append(followed, env.Events...)

		wantOK(t, "writing", c.sendEvents(s.ChatID, answerPreChat(t, s.ChatID, show)))
		for after := uint64(4); after < 7; {
			env, err := agentPoll(srv, s.ChatID, agent.PartyID, after, s.Epoch)
			if err != nil {
				t.Fatal(err)
			}
			if len(env.Events) == 0 {
				t.Fatalf("a poll after %d returned nothing", after)
			}
			followed = append(followed, env.Events...)
			after = env.Events[len(env.Events)-1].EventMeta().Seq
		}
		checkFollowed(t, s.ChatID, followed)
	})

	t.Run("socket", func(t *testing.T) {
		t.Parallel()
		ctx := testContext(t)
		srv := parleytest.Start(t, noLimit)
		c := newAPIClient(t, srv.URL)
		s := c.open()
		f, err := srv.Agent("Grace Hopper").Follow(ctx, s.ChatID)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		var followed []protocol.Event
		next := func() {
			t.Helper()
			e, err := f.Next(ctx)
			if err != nil {
				t.Fatalf("after %v: %v", eventTypes(followed), err)
			}
			followed = append(followed, e)
		}
		for len(followed) < 4 {
			next()
		}
		show, ok := followed[3].(*protocol.FormShow)
		if !ok {
			t.Fatalf("the fourth event is %s, want the pre-chat form", followed[3].EventType())
		}
		// The socket has caught up, so it is subscribed: typing reaches it.
		wantOK(t, "typing", c.sendEvents(s.ChatID, `{"events":[{"event":"chat_session_typing"}]}`))
		next()
		wantOK(t, "writing", c.sendEvents(s.ChatID, answerPreChat(t, s.ChatID, show)))
		for len(followed) < 8 {
			next()
		}
		checkFollowed(t, s.ChatID, followed)
	})
}

func TestAgentForms(t *testing.T) {
	t.Parallel()
	srv := parleytest.Start(t, parleytest.Quiet())
	a := agentRequest(t, srv, "GET", "/agent/api/forms", agentAuth, "")
	var got map[string][]string
	if a.status != http.StatusOK || json.Unmarshal(a.body, &got) != nil || !reflect.DeepEqual(got, map[string][]string{"forms": {"pre_chat", "survey"}}) {
		t.Errorf("forms: got %s, want pre_chat and survey", a)
	}
}

// TestAgentRequestsSentAgainAreStoredOnce: a POST of events sent again with
// its Idempotency-Key is stored once; the key with another body is another
// request; without a key, each event with a msg_id is stored once, and an
// event without one is stored each time, the reason the console and the
// test harness always send a key.
func TestAgentRequestsSentAgainAreStoredOnce(t *testing.T) {
	t.Parallel()
	srv := parleytest.Start(t, parleytest.Quiet())
	agent := srv.Agent("Grace Hopper")
	say := func(text, msgID string) string {
		return envelope(t, &protocol.Message{MsgID: protocol.TextID(msgID), Msg: text, Meta: protocol.Meta{PartyID: agent.PartyID}})
	}
	cases := []struct {
		name       string
		keys       []string
		bodies     []string
		wantStored int
	}{
		{"the same key and body twice", []string{"k1", "k1"}, []string{say("once", ""), say("once", "")}, 1},
		{"the same key and body five times", []string{"k2", "k2", "k2", "k2", "k2"}, []string{say("five", ""), say("five", ""), say("five", ""), say("five", ""), say("five", "")}, 1},
		{"the same key with another body", []string{"k3", "k3"}, []string{say("first", ""), say("second", "")}, 2},
		{"two keys with the same body", []string{"k4", "k5"}, []string{say("twice", ""), say("twice", "")}, 2},
		{"no key, the same msg_id and body", []string{"", ""}, []string{say("by id", "a-1"), say("by id", "a-1")}, 1},
		{"no key and no msg_id", []string{"", ""}, []string{say("unkeyed", ""), say("unkeyed", "")}, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := openChat(t, srv.URL)
			if err := agent.Take(testContext(t), s.ChatID); err != nil {
				t.Fatal(err)
			}
			for i, body := range tc.bodies {
				header := http.Header{"Authorization": agentAuth["Authorization"]}
				if tc.keys[i] != "" {
					header.Set(server.IdempotencyKeyHeader, tc.keys[i])
				}
				wantOK(t, "posting", agentRequest(t, srv, "POST", agentChatPath(s.ChatID, "/events"), header, body))
			}
			if got := len(agentTexts(t, srv, s.ChatID)); got != tc.wantStored {
				t.Errorf("%d messages stored, want %d", got, tc.wantStored)
			}
		})
	}

	s := openChat(t, srv.URL)
	header := http.Header{"Authorization": agentAuth["Authorization"], server.IdempotencyKeyHeader: {strings.Repeat("k", protocol.MaxIDBytes+1)}}
	wantError(t, "a key over the limit", agentRequest(t, srv, "POST", agentChatPath(s.ChatID, "/events"), header, `{"events":[]}`), http.StatusBadRequest, protocol.CodeBadRequest)
}

// agentTexts is the text of every agent message stored in the chat, in
// order. It may run in a goroutine of the test's.
func agentTexts(t *testing.T, srv *parleytest.Server, chatID string) []string {
	t.Helper()
	events, err := srv.Chats.History(context.Background(), chatID, 0, 100000)
	if err != nil {
		t.Errorf("reading the history of chat %s: %v", chatID, err)
	}
	var out []string
	for _, e := range events {
		if m, ok := e.(*protocol.Message); ok && m.PartyID != chatID {
			out = append(out, m.Msg)
		}
	}
	return out
}

// losingTransport loses the answers of some requests after the server
// handled them: the request arrives, the answer does not.
type losingTransport struct {
	mu   sync.Mutex
	rand *rand.Rand
	// share of the answers lost.
	share float64
	lost  int
}

func (l *losingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	lose := l.rand.Float64() < l.share
	if lose {
		l.lost++
	}
	l.mu.Unlock()
	if !lose {
		return resp, nil
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return nil, errors.New("the answer was lost on the way")
}

// TestAgentMessagesThroughLostAnswersAreStoredOnce: 1,000 agent messages
// over 10 chats whose answers are lost one time in ten, each sent again by
// the harness with its key, are stored once each and in order (31 of 1,000
// were stored twice under random cuts without a key).
func TestAgentMessagesThroughLostAnswersAreStoredOnce(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	srv := parleytest.Start(t, parleytest.Quiet())
	lossy := &losingTransport{rand: rand.New(rand.NewPCG(uint64(seed), 0)), share: 0.1}
	const chats, perChat = 10, 100
	var wg sync.WaitGroup
	stored := make([]int, chats)
	for c := range chats {
		agent := srv.Agent(fmt.Sprintf("Agent %d", c))
		s := openChat(t, srv.URL)
		if err := agent.Take(ctx, s.ChatID); err != nil {
			t.Fatal(err)
		}
		agent.HTTP = &http.Client{Transport: lossy}
		wg.Go(func() {
			var want []string
			for i := range perChat {
				text := fmt.Sprintf("message %d", i)
				want = append(want, text)
				if err := agent.Say(ctx, s.ChatID, text); err != nil {
					t.Errorf("chat %d, %s (seed %d): %v", c, text, seed, err)
					return
				}
			}
			got := agentTexts(t, srv, s.ChatID)
			stored[c] = len(got)
			if !slices.Equal(got, want) {
				t.Errorf("chat %d, seed %d: %d messages stored for %d sent; want each once, in order", c, seed, len(got), perChat)
			}
		})
	}
	wg.Wait()
	total := 0
	for _, n := range stored {
		total += n
	}
	t.Logf("%d agent messages, %d answers lost and sent again, %d stored", chats*perChat, lossy.lost, total)
}
