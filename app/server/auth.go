package server

import (
	"crypto/subtle"
	"net/http"
	"slices"

	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/protocol"
)

// callersChat is the active chat of the caller's credentials.
func (s *Server) callersChat(w http.ResponseWriter, r *http.Request) (chat.Chat, error) {
	creds, err := s.credentials(w, r)
	if err != nil {
		return chat.Chat{}, err
	}
	return s.chats.ActiveChat(r.Context(), creds)
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
