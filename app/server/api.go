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

// apiRoutes adds the Bright Pattern Mobile/Web API v2 methods.
func (s *Server) apiRoutes(mux *http.ServeMux) {
	handle := func(pattern string, h http.HandlerFunc) { mux.Handle(pattern, s.tenant(h)) }
	handle("GET "+protocol.PathAvailability, s.availability)
	handle("GET "+protocol.PathParameters, s.parameters)
	handle("GET "+protocol.PathConfiguration, s.configuration)
	handle("GET "+protocol.PathVersion, s.version)
	handle("POST "+protocol.PathChats, s.requestChat)
	handle("GET "+protocol.PathActiveChat, s.activeChat)
	handle("POST "+protocol.PathChatEvents, s.sendEvents)
	handle("GET "+protocol.PathChatEvents, s.pollEvents)
	handle("GET "+protocol.PathChatHistory, s.history)
	handle("POST "+protocol.PathFiles, s.uploadFile)
	handle("GET "+protocol.PathChatFile, s.downloadFile)
	handle("GET "+protocol.PathProfilePhoto, s.profilePhoto)
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
	if _, err := s.credentials(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	answer := protocol.Availability{Chat: protocol.NotAvailable}
	if s.cfg.Contact.Hours.Open(time.Now()) {
		answer = protocol.Availability{Chat: protocol.Available, EWT: s.cfg.Contact.EWT}
	}
	writeJSON(w, http.StatusOK, answer)
}

func (s *Server) parameters(w http.ResponseWriter, r *http.Request) {
	if _, err := s.credentials(r); err != nil {
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
	if _, err := s.credentials(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.cfg.Contact.WidgetConfiguration())
}

func (s *Server) version(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, protocol.Version{ServerVersion: s.cfg.Contact.ServerVersion})
}

// requestChat is Request Chat: the client's active chat, or a new one while
// the contact center is open.
func (s *Server) requestChat(w http.ResponseWriter, r *http.Request) {
	creds, err := s.credentials(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req protocol.ChatRequest
	if err := readJSON(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if c, err := s.chats.ActiveChat(r.Context(), creds); err == nil {
		writeJSON(w, http.StatusOK, c.Session(false))
		return
	}
	if !s.cfg.Contact.Hours.Open(time.Now()) {
		s.writeError(w, r, protocol.Errorf(protocol.CodeNoServer, "the contact center is closed now"))
		return
	}
	c, isNew, err := s.chats.Open(r.Context(), creds, req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c.Session(isNew))
}

func (s *Server) activeChat(w http.ResponseWriter, r *http.Request) {
	creds, err := s.credentials(r)
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
	c, err := s.ownChat(r)
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
// own. With ?after=N (and &epoch=E) it is Parley's: the events after that
// position, the visitor's own included, so a client that cannot keep a
// WebSocket loses nothing either.
func (s *Server) pollEvents(w http.ResponseWriter, r *http.Request) {
	c, err := s.ownChat(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !s.polls.start(c.ID) {
		s.writeError(w, r, protocol.Errorf(protocol.CodeConcurrentPoll, "another poll is waiting on this chat"))
		return
	}
	defer s.polls.end(c.ID)

	query := r.URL.Query()
	from := protocol.Position{Epoch: c.Epoch, Seq: s.polls.cursor(c.ID)}
	_, positioned := query["after"]
	if positioned {
		after, err := strconv.ParseUint(query.Get("after"), 10, 64)
		if err != nil {
			s.writeError(w, r, protocol.Errorf(protocol.CodeBadRequest, "after must be a sequence number"))
			return
		}
		from = protocol.Position{Epoch: query.Get("epoch"), Seq: after}
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.PollWait)
	defer cancel()
	sub, err := s.chats.Subscribe(ctx, c.ID, from, c.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer sub.Close()

	answer := protocol.Envelope{Events: []protocol.Event{}}
	for first := true; len(answer.Events) == 0; first = false {
		if !first && c.State.Over() {
			// Caught up on a chat that will say nothing more: the API
			// answers 5005, which clients take as the end.
			s.writeError(w, r, protocol.Errorf(protocol.CodeChatNotFound, "chat %s has ended", c.ID))
			return
		}
		env, err := sub.Next(ctx)
		if err != nil {
			break // the wait is over: answer with nothing
		}
		answer.Epoch = env.Epoch
		for _, e := range env.Events {
			if seq := e.EventMeta().Seq; seq != 0 && !positioned {
				s.polls.advance(c.ID, seq)
			}
			if positioned || e.EventMeta().PartyID != c.ID {
				answer.Events = append(answer.Events, e)
			}
		}
	}
	if !positioned {
		answer.Epoch = ""
	}
	writeJSON(w, http.StatusOK, answer)
}

// history is Get Chat History: every stored event of the chat, client events
// in their server form.
func (s *Server) history(w http.ResponseWriter, r *http.Request) {
	c, err := s.ownChat(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	answer := protocol.Envelope{Events: []protocol.Event{}}
	for after := uint64(0); ; {
		page, err := s.chats.History(r.Context(), c.ID, after, 500)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if len(page) == 0 {
			break
		}
		answer.Events = append(answer.Events, page...)
		after = page[len(page)-1].EventMeta().Seq
	}
	writeJSON(w, http.StatusOK, answer)
}

// credentials reads the Authorization header and checks the launch point.
func (s *Server) credentials(r *http.Request) (protocol.Credentials, error) {
	creds, err := protocol.ParseAuthorization(r.Header.Get("Authorization"))
	if err != nil {
		return creds, err
	}
	if !slices.Contains(s.cfg.Contact.AppIDs, creds.AppID) {
		return creds, protocol.Errorf(protocol.CodeAppID, "appId %q is not a launch point of this server", creds.AppID)
	}
	return creds, nil
}

// ownChat returns the chat named in the path if it is the caller's. A chat
// of another client is "not found", the same answer as for no chat, so ids
// cannot be probed.
func (s *Server) ownChat(r *http.Request) (chat.Chat, error) {
	creds, err := s.credentials(r)
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

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"error_code":"5500","error_message":"encoding the answer failed"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
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
