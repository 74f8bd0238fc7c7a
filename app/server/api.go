package server

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/parleychat/parley/protocol"
)

// maxRequestBytes bounds the JSON bodies of API methods.
const maxRequestBytes = protocol.MaxEnvelopeBytes

// apiRoute is one method of the Bright Pattern Mobile/Web API: its HTTP
// method and its path, one of protocol's v2 paths.
type apiRoute struct {
	method, path string
	handle       http.HandlerFunc
}

// apiRoutes is the API's one route table: the server answers each route
// under both version prefixes, v1 (the documents, Bright Pattern's web
// client) and v2 (the SDKs).
func (s *Server) apiRoutes() []apiRoute {
	return []apiRoute{
		{"GET", protocol.PathAvailability, s.availability},
		{"GET", protocol.PathParameters, s.parameters},
		{"GET", protocol.PathConfiguration, s.configuration},
		{"GET", protocol.PathVersion, s.version},
		{"GET", protocol.PathICEServers, s.iceServers},
		{"POST", protocol.PathChats, s.requestChat},
		{"GET", protocol.PathActiveChat, s.activeChat},
		{"POST", protocol.PathChatEvents, s.sendEvents},
		{"GET", protocol.PathChatEvents, s.pollEvents},
		{"GET", protocol.PathChatHistory, s.history},
		{"POST", protocol.PathNotifications, s.notifications},
		{"GET", protocol.PathCaseHistory, s.caseHistory},
		{"POST", protocol.PathCloseCase, s.closeCase},
		{"POST", protocol.PathFiles, s.uploadFile},
		{"GET", protocol.PathChatFile, s.downloadFile},
		{"GET", protocol.PathProfilePhoto, s.profilePhoto},
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
	for _, route := range s.apiRoutes() {
		add(route.method, route.path, route.handle)
		add(route.method, protocol.V1(route.path), route.handle)
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
	answerContact(s, w, r, s.contact.Availability)
}

// answerContact answers a launch point's caller with what the contact
// center says (its availability, its widget's configuration).
func answerContact[T any](s *Server, w http.ResponseWriter, r *http.Request, ask func(context.Context) (T, error)) {
	if _, err := s.credentials(w, r); err != nil {
		s.writeError(w, r, err)
		return
	}
	answer, err := ask(r.Context())
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
	answerContact(s, w, r, s.contact.Configuration)
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
	c, err := s.callersChat(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, protocol.ActiveChat{ChatID: c.ID, State: c.State})
}

// sendEvents is Send Events: one or many client events in an envelope. The
// answer is an empty envelope; what the events cause comes by polling.
func (s *Server) sendEvents(w http.ResponseWriter, r *http.Request) {
	chatID, err := s.ownChatID(w, r)
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
		err = s.chats.Send(r.Context(), chatID, env.Events...)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, protocol.Envelope{})
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
