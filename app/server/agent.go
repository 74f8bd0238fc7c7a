package server

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/protocol"
)

// Paths of the agent API, Parley's own, which the agent console is built on
// and test authors script. Placeholders in braces are ServeMux wildcards;
// protocol.Path fills them in. The console (web/agent/console.js) keeps
// them in one table, PATHS, which a test holds to these.
const (
	// PathAgentChats lists the open chats (AgentChats); ?since=N waits for
	// a change after version N.
	PathAgentChats = "/agent/api/chats"
	// PathAgentForms lists the names of the forms an agent can push.
	PathAgentForms = "/agent/api/forms"
	// PathAgentICEServers answers as Get ICE Servers does, for the
	// agent's side of a call.
	PathAgentICEServers = "/agent/api/iceservers"
	// PathAgentTake gives the chat to the agent a chat_session_party_joined
	// body names.
	PathAgentTake = "/agent/api/chats/{chatId}/take"
	// PathAgentEvents posts server events as an envelope, and is a long
	// poll of the chat's stream with ?after=N&epoch=E&signal=S&party_id=P.
	PathAgentEvents = "/agent/api/chats/{chatId}/events"
	// PathAgentSocket is the agent's WebSocket to a chat, with
	// ?token=T&party_id=P.
	PathAgentSocket = "/agent/api/chats/{chatId}/socket"
	// PathAgentFiles uploads a file the agent ?party_id=P shares.
	PathAgentFiles = "/agent/api/chats/{chatId}/files"
	// PathAgentFile downloads a file of the chat.
	PathAgentFile = "/agent/api/chats/{chatId}/files/{fileId}"
)

// agentRoutes adds the agent console (/agent) and the agent API it is built
// on (/agent/api/...), which test authors script too. Every API call carries
// the agent token as "Authorization: Bearer TOKEN"; only what a browser
// opens without headers, the socket and file downloads, takes ?token=TOKEN
// instead, so the token stays out of the logs of every other call.
func (s *Server) agentRoutes(mux *http.ServeMux) {
	page := withCSP(consoleCSP, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.assets.serve(w, r, "agent/index.html", cacheRevalidate)
	}))
	mux.Handle("GET /agent", page)
	mux.Handle("GET /agent/{$}", page)
	mux.Handle("GET /agent/{file}", withCSP(consoleCSP, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.assets.serve(w, r, "agent/"+r.PathValue("file"), cacheRevalidate)
	})))
	api := func(method, path string, h http.HandlerFunc) { mux.Handle(method+" "+path, s.agentOnly(h, false)) }
	opened := func(method, path string, h http.HandlerFunc) { mux.Handle(method+" "+path, s.agentOnly(h, true)) }
	api("GET", PathAgentChats, s.agentChats)
	api("GET", PathAgentForms, s.agentForms)
	api("GET", PathAgentICEServers, s.agentICEServers)
	api("POST", PathAgentTake, s.agentTake)
	api("GET", PathAgentEvents, s.agentEvents)
	api("POST", PathAgentEvents, s.agentPost)
	opened("GET", PathAgentSocket, s.agentSocket)
	api("POST", PathAgentFiles, s.agentUpload)
	opened("GET", PathAgentFile, s.agentDownload)
	// Any other path under the agent API answers the API's envelope, not
	// net/http's text.
	mux.HandleFunc("/agent/api/", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, protocol.Errorf(protocol.CodeNoMethod, "the agent API has no method at %s", r.URL.Path))
	})
}

// agentOnly refuses requests without the agent token, compared in constant
// time. inURL lets the token come as ?token=, for what a browser opens
// without headers.
func (s *Server) agentOnly(next http.HandlerFunc, inURL bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, bearer := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !bearer && inURL {
			token = r.URL.Query().Get("token")
		}
		if subtle.ConstantTimeCompare([]byte(token), []byte(s.cfg.AgentToken)) != 1 {
			if strings.HasSuffix(r.URL.Path, "/socket") {
				s.serveSocket(w, r, s.consoleOrigins(), func(*http.Request) (socketSide, error) {
					return socketSide{}, socketRefusal{protocol.CloseForbidden, "agent token required"}
				})
				return
			}
			message := "the agent API needs the agent token: Authorization: Bearer TOKEN"
			if !inURL && r.URL.Query().Has("token") {
				message += "; ?token= is taken only by the socket and file downloads, so the token stays out of logs"
			}
			s.writeError(w, r, protocol.Errorf(protocol.CodeForbidden, "%s", message))
			return
		}
		next(w, r)
	})
}

// AgentChat is a chat as the agent API lists it.
type AgentChat struct {
	ChatID string             `json:"chat_id"`
	State  protocol.ChatState `json:"state"`
	// Agent is the party id of the agent who took the chat.
	Agent   string             `json:"agent,omitempty"`
	Created protocol.Timestamp `json:"created"`
	// Visitor is what the visitor said about themselves when asking for
	// the chat (from, parameters).
	Visitor          string             `json:"visitor,omitempty"`
	LastSeq          uint64             `json:"last_seq"`
	VisitorMessages  int                `json:"visitor_messages"`
	LastVisitorEvent protocol.Timestamp `json:"last_visitor_event"`
}

// AgentChats is the answer of GET /agent/api/chats.
type AgentChats struct {
	// Version counts changes; pass it back as ?since= to wait for the next.
	Version uint64      `json:"version"`
	Chats   []AgentChat `json:"chats"`
}

// agentChats lists the open chats. With ?since=N it waits (up to the poll
// wait) until something changed after version N.
func (s *Server) agentChats(w http.ResponseWriter, r *http.Request) {
	since, _ := strconv.ParseUint(r.URL.Query().Get("since"), 10, 64)
	ctx, cancel := context.WithTimeout(r.Context(), s.PollWait)
	defer cancel()
	version, err := s.chats.Changed(ctx, since)
	if err != nil && r.Context().Err() != nil {
		return // the agent went away
	}
	open, err := s.chats.OpenChats(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	answer := AgentChats{Version: version, Chats: make([]AgentChat, 0, len(open))}
	for _, c := range open {
		answer.Chats = append(answer.Chats, AgentChat{
			ChatID: c.ID, State: c.State, Agent: c.Agent, Created: protocol.At(c.Created),
			Visitor: visitorLabel(c.Request), LastSeq: c.LastSeq, VisitorMessages: c.VisitorMessages,
			LastVisitorEvent: protocol.At(c.LastVisitorEvent),
		})
	}
	writeJSON(w, http.StatusOK, answer)
}

// visitorLabel is how the console names a visitor before the pre-chat form.
func visitorLabel(req protocol.ChatRequest) string {
	var parts []string
	for _, v := range []any{req.Parameters["first_name"], req.Parameters["last_name"], req.From, req.Parameters["email"]} {
		if s, ok := v.(string); ok && s != "" && len(parts) < 2 {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, " ")
}

// agentForms lists the names of the forms an agent can push.
func (s *Server) agentForms(w http.ResponseWriter, r *http.Request) {
	names := []string{}
	for _, f := range s.cfg.Contact.Forms {
		names = append(names, f.Name)
	}
	writeJSON(w, http.StatusOK, map[string][]string{"forms": names})
}

// agentICEServers answers as Get ICE Servers does, for the agent's side of
// a call.
func (s *Server) agentICEServers(w http.ResponseWriter, r *http.Request) {
	s.writeICEServers(w)
}

// agentTake gives the chat to the agent the body describes: a
// chat_session_party_joined event (party_id and names). 409 when another
// agent has it.
func (s *Server) agentTake(w http.ResponseWriter, r *http.Request) {
	var agent protocol.PartyJoined
	if err := readJSON(r, &agent); err != nil {
		s.writeError(w, r, err)
		return
	}
	if agent.PartyID == "" {
		s.writeError(w, r, protocol.Errorf(protocol.CodeBadRequest, "party_id is required"))
		return
	}
	if err := s.chats.Take(r.Context(), r.PathValue("chatId"), &agent); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, protocol.Envelope{})
}

// IdempotencyKeyHeader names the agent API's idempotency key: a POST of
// events that carries one is stored once, however often it is sent again
// with the same key and the same body (a client that lost the answer sends
// it again). The same key with another body is another request.
const IdempotencyKeyHeader = "Idempotency-Key"

// allKeyed reports whether every event has a dedupe key of its own.
func allKeyed(events []protocol.Event) bool {
	for _, e := range events {
		if chat.DedupeKey(e) == "" {
			return false
		}
	}
	return len(events) > 0
}

// agentPost publishes server events as the agent: an envelope of them,
// each that names a party only from the agent who took the chat (403
// otherwise, and nothing of the envelope is published). With an
// Idempotency-Key header, a request sent again is stored once; without
// one, each event with a msg_id is (see chat.Service).
func (s *Server) agentPost(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	key := r.Header.Get(IdempotencyKeyHeader)
	if len(key) > protocol.MaxIDBytes || !utf8.ValidString(key) {
		s.writeError(w, r, protocol.Errorf(protocol.CodeBadRequest, "the %s header must be UTF-8 text of at most %d bytes", IdempotencyKeyHeader, protocol.MaxIDBytes))
		return
	}
	env, err := protocol.DecodeEnvelope(body)
	if err == nil {
		once := ""
		// Events that each carry a msg_id are stored once by it already,
		// whatever key a request sent again has: a client that sends the
		// same message in a new request, under a new key, stores it once.
		if key != "" && !allKeyed(env.Events) {
			// The body in the key: a key sent again with other events
			// is another request, never dropped silently.
			sum := sha256.Sum256(body)
			once = key + "\x00" + base64.RawURLEncoding.EncodeToString(sum[:16])
		}
		err = s.chats.PublishAsAgent(r.Context(), r.PathValue("chatId"), once, env.Events...)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, protocol.Envelope{})
}

// agentEvents is a long poll of the chat's stream after ?after=N (&epoch=E,
// &signal=S): the stored events after that position at once, or else the
// next live ones, typing and the call signals for the agent included.
// ?party_id= names the agent, whose own typing is left out and to whom the
// visitor's signals go.
func (s *Server) agentEvents(w http.ResponseWriter, r *http.Request) {
	query := r.URL.Query()
	from, err := positionOf(query)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	sub, err := s.chats.Subscribe(r.Context(), r.PathValue("chatId"), from, query.Get("party_id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer sub.Close()
	// Only the wait is bounded: reading what there is takes what it takes.
	ctx, cancel := context.WithTimeout(r.Context(), s.PollWait)
	defer cancel()
	answer := protocol.Envelope{Events: []protocol.Event{}}
	for len(answer.Events) == 0 {
		env, err := sub.Next(ctx)
		if err != nil {
			break
		}
		answer.Events, answer.Epoch = env.Events, env.Epoch
	}
	writeJSON(w, http.StatusOK, answer)
}

// consoleOrigins are the origins, besides the request's own host, whose
// pages may open agent sockets: the console's, the public URL's. The
// websites that embed the widget may not, even with the token.
func (s *Server) consoleOrigins() []string {
	if s.publicOrigin == "" {
		return nil
	}
	return []string{s.publicOrigin}
}

// agentSocket is the agent's WebSocket to a chat: server events in (as
// POST events takes them), the chat's stream out. ?party_id= names the
// agent.
func (s *Server) agentSocket(w http.ResponseWriter, r *http.Request) {
	s.serveSocket(w, r, s.consoleOrigins(), func(r *http.Request) (socketSide, error) {
		c, err := s.chats.Chat(r.Context(), r.PathValue("chatId"))
		if err != nil {
			return socketSide{}, socketRefusal{protocol.CloseChatNotFound, "chat not found"}
		}
		take := func(ctx context.Context, chatID string, events ...protocol.Event) error {
			return s.chats.PublishAsAgent(ctx, chatID, "", events...)
		}
		return socketSide{chat: c, party: r.URL.Query().Get("party_id"), take: take}, nil
	})
}

// agentUpload stores a file the agent named by ?party_id= shares; the agent
// then publishes a chat_session_file event with its id.
func (s *Server) agentUpload(w http.ResponseWriter, r *http.Request) {
	c, err := s.chats.Chat(r.Context(), r.PathValue("chatId"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	party := r.URL.Query().Get("party_id")
	if party == "" || party != c.Agent {
		s.writeError(w, r, protocol.Errorf(protocol.CodeForbidden, "take the chat before sharing files in it"))
		return
	}
	f, err := s.receiveFile(w, r, c.ID, party)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, protocol.UploadedFile{FileID: f.ID, FileName: f.Name})
}

func (s *Server) agentDownload(w http.ResponseWriter, r *http.Request) {
	serveFile(w, r, s.chats, r.PathValue("chatId"), r.PathValue("fileId"), s.writeError)
}
