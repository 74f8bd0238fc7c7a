package server

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/protocol"
)

// maxRequestBytes bounds the JSON bodies of API methods.
const maxRequestBytes = protocol.MaxEnvelopeBytes

// apiRoute is one method of the Bright Pattern Mobile/Web API: its HTTP
// method and its path under a version prefix.
type apiRoute struct {
	method, path string
	handle       http.HandlerFunc
}

// apiRoutes is the API's one route table: the server answers each route
// under both version prefixes, v1 (the documents, Bright Pattern's web
// client) and v2 (the SDKs).
func (s *Server) apiRoutes() []apiRoute {
	return []apiRoute{
		{"GET", "availability", s.availability},
		{"GET", "parameters", s.parameters},
		{"GET", "configuration", s.configuration},
		{"GET", "version", s.version},
		{"GET", "iceservers", s.iceServers},
		{"POST", "chats", s.requestChat},
		{"GET", "chats/active", s.activeChat},
		{"POST", "chats/{chatId}/events", s.sendEvents},
		{"GET", "chats/{chatId}/events", s.pollEvents},
		{"GET", "chats/{chatId}/history", s.history},
		{"POST", "chats/{chatId}/notifications", s.notifications},
		{"GET", "chats/{chatId}/casehistory", s.caseHistory},
		{"POST", "chats/{chatId}/closecase", s.closeCase},
		{"POST", "files", s.uploadFile},
		{"GET", "chats/{chatId}/files/{fileId}", s.downloadFile},
		{"GET", "chats/{chatId}/profilephotos/{partyId}", s.profilePhoto},
	}
}

// addAPI adds the API under both prefixes, Request SMS Chat Session where
// only v1 has it, Android's file URL, and for every other path under
// /clientweb/ the API's error envelope instead of a text/plain 404 or 405.
// All of it is open to the allowed origins' pages (see cors).
func (s *Server) addAPI(mux *http.ServeMux) {
	// paths knows every path the API has, whatever its method, to tell a
	// wrong method from no method at all.
	paths, known := http.NewServeMux(), map[string]bool{}
	add := func(method, pattern string, h http.HandlerFunc) {
		mux.Handle(method+" "+pattern, s.cors(s.tenant(h)))
		if !known[pattern] {
			known[pattern] = true
			paths.Handle(pattern, http.NotFoundHandler())
		}
	}
	for _, prefix := range []string{protocol.APIPrefixV1, protocol.APIPrefix} {
		for _, route := range s.apiRoutes() {
			add(route.method, prefix+route.path, route.handle)
		}
	}
	add("POST", protocol.PathRequestSMS, s.requestSMS)
	add("GET", protocol.PathFileByID, s.fileByID)
	// The chat socket refuses other origins itself, with a close code a
	// browser can see.
	mux.HandleFunc("GET "+protocol.PathChatSocket, s.visitorSocket)
	paths.Handle(protocol.PathChatSocket, http.NotFoundHandler())
	mux.Handle("/clientweb/", s.cors(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := paths.Handler(r); pattern != "" {
			s.writeError(w, r, protocol.Errorf(protocol.CodeWrongMethod, "%s does not take %s", r.URL.Path, r.Method))
			return
		}
		s.writeError(w, r, protocol.Errorf(protocol.CodeNoMethod, "the API has no method at %s", r.URL.Path))
	})))
}

// tenant checks the tenantUrl query parameter that clients add to every
// call: a bare host (as the Android SDK sends it) or a URL (as the web
// client does). The server is its own tenant, so any well-formed value goes.
func (s *Server) tenant(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if v := r.URL.Query().Get("tenantUrl"); v != "" && !wellFormedTenant(v) {
			s.writeError(w, r, protocol.Errorf(protocol.CodeTenantURL, "tenantUrl %q is neither a host nor a URL", v))
			return
		}
		next(w, r)
	})
}

func wellFormedTenant(v string) bool {
	if !strings.Contains(v, "://") {
		v = "https://" + v
	}
	u, err := url.Parse(v)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.User == nil && !strings.Contains(u.Host, " ")
}

func (s *Server) availability(w http.ResponseWriter, r *http.Request) {
	if _, err := s.credentials(w, r); err != nil {
		s.writeError(w, r, err)
		return
	}
	answer, err := s.contact.Availability(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, answer)
}

func (s *Server) parameters(w http.ResponseWriter, r *http.Request) {
	if _, err := s.credentials(w, r); err != nil {
		s.writeError(w, r, err)
		return
	}
	answer := protocol.ExpectedParameters{Parameters: []map[string]string{}}
	for _, p := range s.cfg.Contact.Parameters {
		answer.Parameters = append(answer.Parameters, map[string]string{p.Name: p.Type})
	}
	writeJSON(w, http.StatusOK, answer)
}

func (s *Server) configuration(w http.ResponseWriter, r *http.Request) {
	if _, err := s.credentials(w, r); err != nil {
		s.writeError(w, r, err)
		return
	}
	answer, err := s.contact.Configuration(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, answer)
}

func (s *Server) version(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, protocol.Version{ServerVersion: s.cfg.Contact.ServerVersion})
}

// iceServers is Get ICE Servers: the STUN and TURN servers of the
// configuration, for calls.
func (s *Server) iceServers(w http.ResponseWriter, r *http.Request) {
	if _, err := s.credentials(w, r); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeICEServers(w)
}

// writeICEServers answers with the configuration's ICE servers.
func (s *Server) writeICEServers(w http.ResponseWriter) {
	answer := protocol.ICEServers{ICEServers: s.cfg.Contact.ICEServers}
	if answer.ICEServers == nil {
		answer.ICEServers = []protocol.ICEServer{}
	}
	writeJSON(w, http.StatusOK, answer)
}

// requestChat is Request Chat: the client's active chat, or a new one while
// the contact center is open. The newer web client's initial_message
// becomes the new chat's first visitor message. The answer carries the
// estimated wait left.
func (s *Server) requestChat(w http.ResponseWriter, r *http.Request) {
	creds, err := s.credentials(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req protocol.ChatRequest
	if err := readJSON(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	first := req.InitialMessage
	req.InitialMessage = nil
	if first != nil {
		if err := protocol.ValidateClientEvent(first); err != nil {
			s.writeError(w, r, protocol.Errorf(protocol.CodeBadRequest, "initial_message: %v", err))
			return
		}
	}
	if c, err := s.chats.ActiveChat(r.Context(), creds); err == nil {
		writeJSON(w, http.StatusOK, c.Session(false, time.Now()))
		return
	}
	if !s.cfg.Contact.Hours.Open(time.Now()) {
		s.writeError(w, r, protocol.Errorf(protocol.CodeNoServer, "the contact center is closed now"))
		return
	}
	c, isNew, err := s.chats.Open(r.Context(), creds, req)
	if err == nil && isNew && first != nil {
		err = s.chats.Send(r.Context(), c.ID, first)
	}
	if err == nil {
		// As the scenario left it: queued, with its wait.
		c, err = s.chats.Chat(r.Context(), c.ID)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c.Session(isNew, time.Now()))
}

// requestSMS is Request SMS Chat Session, which only API v1 documents: it
// would start an SMS scenario for the number. Parley has no SMS gateway, and
// answers as the documents say a server without one does.
func (s *Server) requestSMS(w http.ResponseWriter, r *http.Request) {
	if _, err := s.credentials(w, r); err != nil {
		s.writeError(w, r, err)
		return
	}
	var req protocol.ChatRequest
	if err := readJSON(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.PhoneNumber == "" {
		s.writeError(w, r, protocol.Errorf(protocol.CodeBadRequest, "phone_number, the customer's SMS number, is required"))
		return
	}
	writeJSON(w, http.StatusOK, protocol.SMSChat{
		SMSErrorCode: protocol.SMSNoGateway,
		ErrorMessage: "this server has no SMS gateway; SMS chats cannot start here",
	})
}

func (s *Server) activeChat(w http.ResponseWriter, r *http.Request) {
	creds, err := s.credentials(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := s.chats.ActiveChat(r.Context(), creds)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, protocol.ActiveChat{ChatID: c.ID, State: c.State})
}

// sendEvents is Send Events: one or many client events in an envelope. The
// answer is an empty envelope; what the events cause comes by polling.
func (s *Server) sendEvents(w http.ResponseWriter, r *http.Request) {
	c, err := s.ownChat(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	body, err := readBody(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	env, err := protocol.DecodeEnvelope(body)
	if err == nil {
		err = s.chats.Send(r.Context(), c.ID, env.Events...)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, protocol.Envelope{})
}

// pollEvents is Get New Chat Events, a long poll. By default it keeps the
// API's semantics: the events since the last poll, without the visitor's
// own, after the chat's cursor (see polls). With ?after=N (and &epoch=E) it
// is Parley's: the events after that position, the visitor's own included,
// so a client that cannot keep a WebSocket loses nothing either.
func (s *Server) pollEvents(w http.ResponseWriter, r *http.Request) {
	c, err := s.ownChat(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	release, ok, err := s.chats.LeasePoll(r.Context(), c.ID, s.PollWait+pollLeaseSlack)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !ok {
		s.writeError(w, r, protocol.Errorf(protocol.CodeConcurrentPoll, "another poll is waiting on this chat"))
		return
	}
	defer release()

	query := r.URL.Query()
	_, positioned := query["after"]
	var cursor pollCursor
	var from protocol.Position
	if positioned {
		if from, err = positionOf(query); err != nil {
			s.writeError(w, r, err)
			return
		}
	} else {
		if cursor, err = s.pollCursor(r, c); err != nil {
			s.writeError(w, r, err)
			return
		}
		from = protocol.Position{Epoch: c.Epoch, Seq: cursor.seq, Signal: cursor.signal}
	}
	sub, err := s.chats.Subscribe(r.Context(), c.ID, from, c.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer sub.Close()
	// Only the wait is bounded: reading what there is takes what it takes.
	ctx, cancel := context.WithTimeout(r.Context(), s.PollWait)
	defer cancel()

	answer := protocol.Envelope{Events: []protocol.Event{}}
	next := cursor
	for first := true; len(answer.Events) == 0; first = false {
		if !first && c.State.Over() {
			// Caught up on a chat that will say nothing more: the API
			// answers 5005, which clients take as the end.
			s.writeError(w, r, protocol.Errorf(protocol.CodeChatNotFound, "chat %s has ended", c.ID))
			return
		}
		env, err := sub.Next(ctx)
		if err != nil {
			break // the wait is over: answer with what there is
		}
		answer.Epoch = env.Epoch
		for _, e := range env.Events {
			if seq := e.EventMeta().Seq; seq > next.seq {
				next.seq = seq
			}
			if positioned || e.EventMeta().PartyID != c.ID {
				answer.Events = append(answer.Events, e)
			}
		}
	}
	if positioned {
		writeJSON(w, http.StatusOK, answer)
		return
	}
	next.signal = sub.SignalCursor()
	answer.Epoch = ""
	s.answerPoll(w, r, c.ID, cursor, next, answer)
}

// positionOf reads a positioned poll's or a socket's position: ?after=N
// (a sequence number), &epoch=E and &signal=S (a SignalSeq).
func positionOf(query url.Values) (protocol.Position, error) {
	from := protocol.Position{Epoch: query.Get("epoch")}
	for _, p := range []struct {
		name string
		to   *uint64
	}{{"after", &from.Seq}, {"signal", &from.Signal}} {
		if v := query.Get(p.name); v != "" {
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return protocol.Position{}, protocol.Errorf(protocol.CodeBadRequest, "%s must be a sequence number", p.name)
			}
			*p.to = n
		}
	}
	return from, nil
}

// pollCursor reads where the chat's cursor poll stands, and moves it back
// when the last answer was lost on the way (see polls).
func (s *Server) pollCursor(r *http.Request, c chat.Chat) (pollCursor, error) {
	signal, err := s.chats.PolledSignal(r.Context(), c.ID)
	if err != nil {
		return pollCursor{}, err
	}
	cursor := pollCursor{seq: c.PollCursor, signal: signal}
	before, lost := s.polls.lost(r, c.ID)
	if !lost {
		return cursor, nil
	}
	if before.seq < cursor.seq {
		if err := s.chats.SetPollCursor(r.Context(), c.ID, before.seq); err != nil {
			return pollCursor{}, err
		}
		cursor.seq = before.seq
	}
	if before.signal < cursor.signal {
		if err := s.chats.SetPolledSignal(r.Context(), c.ID, before.signal); err != nil {
			return pollCursor{}, err
		}
		cursor.signal = before.signal
	}
	return cursor, nil
}

// answerPoll writes a cursor poll's answer, which moves the chat's cursor
// from before to after: stored first, so no restart replays it, and moved
// back if the answer cannot be written.
func (s *Server) answerPoll(w http.ResponseWriter, r *http.Request, chatID string, before, after pollCursor, answer protocol.Envelope) {
	if r.Context().Err() != nil {
		return // the client went away: nobody got this answer
	}
	if after != before {
		if err := s.movePollCursor(r.Context(), chatID, before, after); err != nil {
			s.writeError(w, r, err)
			return
		}
		s.polls.answered(r, chatID, before)
	}
	if err := writeJSON(w, http.StatusOK, answer); err != nil && after != before {
		s.polls.forget(chatID)
		// The request's context may be done with the connection: the
		// cursor goes back whatever it says.
		if err := s.movePollCursor(context.WithoutCancel(r.Context()), chatID, after, before); err != nil {
			s.log.Error("moving a poll cursor back", "chat", chatID, "err", err)
		}
	}
}

// movePollCursor stores the chat's poll cursor where it moves from from to
// to.
func (s *Server) movePollCursor(ctx context.Context, chatID string, from, to pollCursor) error {
	if to.seq != from.seq {
		if err := s.chats.SetPollCursor(ctx, chatID, to.seq); err != nil {
			return err
		}
	}
	if to.signal != from.signal {
		return s.chats.SetPolledSignal(ctx, chatID, to.signal)
	}
	return nil
}

// history is Get Chat History: every stored event of the chat, client events
// in their server form.
func (s *Server) history(w http.ResponseWriter, r *http.Request) {
	c, err := s.ownChat(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	events, err := s.allEvents(r.Context(), c.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, protocol.Envelope{Events: events})
}

// allEvents reads every stored event of a chat.
func (s *Server) allEvents(ctx context.Context, chatID string) ([]protocol.Event, error) {
	events := []protocol.Event{}
	for after := uint64(0); ; {
		page, err := s.chats.History(ctx, chatID, after, 500)
		if err != nil {
			return nil, err
		}
		if len(page) == 0 {
			return events, nil
		}
		events = append(events, page...)
		after = page[len(page)-1].EventMeta().Seq
	}
}

// credentials reads the Authorization header and checks the launch point.
// The clientId WebChat asks for the server's visitor cookie instead: the
// credentials then name that visitor (see webChatClient).
func (s *Server) credentials(w http.ResponseWriter, r *http.Request) (protocol.Credentials, error) {
	creds, err := protocol.ParseAuthorization(r.Header.Get("Authorization"))
	if err != nil {
		return creds, err
	}
	if !slices.Contains(s.cfg.Contact.AppIDs, creds.AppID) {
		return creds, protocol.Errorf(protocol.CodeAppID, "appId %q is not a launch point of this server", creds.AppID)
	}
	if creds.ClientID == protocol.WebChatClientID {
		creds.ClientID = webChatClient(w, r)
	}
	return creds, nil
}

// ownChat returns the chat named in the path if it is the caller's. A chat
// of another client is "not found", the same answer as for no chat, so ids
// cannot be probed.
func (s *Server) ownChat(w http.ResponseWriter, r *http.Request) (chat.Chat, error) {
	creds, err := s.credentials(w, r)
	if err != nil {
		return chat.Chat{}, err
	}
	c, err := s.chats.Chat(r.Context(), r.PathValue("chatId"))
	if err != nil {
		return chat.Chat{}, err
	}
	if c.AppID != creds.AppID || c.ClientID != creds.ClientID {
		return chat.Chat{}, protocol.Errorf(protocol.CodeChatNotFound, "chat %s not found", r.PathValue("chatId"))
	}
	return c, nil
}

// tokenChat returns the chat named in the path if the request carries its
// token, for what a browser loads without headers: sockets, images.
func (s *Server) tokenChat(r *http.Request) (chat.Chat, error) {
	c, err := s.chats.Chat(r.Context(), r.PathValue("chatId"))
	if err != nil || subtle.ConstantTimeCompare([]byte(c.Token), []byte(r.URL.Query().Get("token"))) != 1 {
		return chat.Chat{}, protocol.Errorf(protocol.CodeChatNotFound, "chat %s not found", r.PathValue("chatId"))
	}
	return c, nil
}

// cookieChat returns the chat named in the path if it is the WebChat
// visitor's whose cookie the request carries: Bright Pattern's web client
// loads files and profile photos by URL, with its cookies and no header.
func (s *Server) cookieChat(r *http.Request) (chat.Chat, error) {
	id, ok := visitorID(r)
	c, err := s.chats.Chat(r.Context(), r.PathValue("chatId"))
	if !ok || err != nil || c.ClientID != webChatIdentity(id) {
		return chat.Chat{}, protocol.Errorf(protocol.CodeChatNotFound, "chat %s not found", r.PathValue("chatId"))
	}
	return c, nil
}

// anyChat returns the chat named in the path if the request shows it is the
// caller's in any of the ways clients do: the Authorization header, the
// chat's token, the WebChat visitor's cookie.
func (s *Server) anyChat(w http.ResponseWriter, r *http.Request) (chat.Chat, error) {
	if r.Header.Get("Authorization") != "" {
		return s.ownChat(w, r)
	}
	if r.URL.Query().Has("token") {
		return s.tokenChat(r)
	}
	return s.cookieChat(r)
}

func readBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBytes+1))
	if err != nil {
		return nil, protocol.Errorf(protocol.CodeBadRequest, "reading the body: %v", err)
	}
	if len(body) > maxRequestBytes {
		return nil, protocol.Errorf(protocol.CodeTooLarge, "the body is over %d bytes", maxRequestBytes)
	}
	return body, nil
}

// readJSON decodes a request body into v; an empty body leaves v as it is.
func readJSON(r *http.Request, v any) error {
	body, err := readBody(r)
	if err != nil || len(body) == 0 {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return protocol.Errorf(protocol.CodeBadRequest, "the body is not valid JSON for this method: %v", err)
	}
	return nil
}

// writeJSON answers with v as JSON, and reports whether the answer could
// not be written to the connection.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"error_code":"5500","error_message":"encoding the answer failed"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if _, err := w.Write(body); err != nil {
		return err
	}
	return http.NewResponseController(w).Flush()
}

// writeError answers with the API's error envelope. Errors that are not the
// API's own are logged and shown to the caller only as an internal error.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	perr := s.apiError(r, err)
	writeJSON(w, perr.HTTPStatus(), perr)
}

// apiError is err as the API's error envelope.
func (s *Server) apiError(r *http.Request, err error) *protocol.Error {
	return s.asProtocolError(err, "method", r.Method, "path", r.URL.Path)
}

// asProtocolError is the one place where the errors of the server's parts
// become the API's error codes. Errors that are not the API's own are
// logged with where, and shown to the caller only as an internal error.
func (s *Server) asProtocolError(err error, where ...any) *protocol.Error {
	var perr *protocol.Error
	switch {
	case errors.As(err, &perr):
		return perr
	case errors.Is(err, chat.ErrUnavailable):
		s.log.Warn("the store is unavailable", append(where, "err", err)...)
		return protocol.Errorf(protocol.CodeUnavailable, "the chat server cannot reach its database; try again shortly")
	}
	s.log.Error("internal error", append(where, "err", err)...)
	return protocol.Errorf(protocol.CodeInternal, "internal server error")
}
