package server

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/parleychat/parley/protocol"
)

// visitorCookie names the cookie that tells apart the visitors whose
// clientId is WebChat: Bright Pattern's web client sends that one clientId
// from every browser and leaves it to the server's cookies.
const visitorCookie = "parley_visitor"

// visitorCookieAge is how long a browser keeps the visitor cookie; every
// WebChat call renews it.
const visitorCookieAge = 30 * 24 * time.Hour

// webChatIdentity is the clientId a WebChat visitor's chats are stored
// under: WebChat and a digest of the visitor's cookie, so the database holds
// nothing a request could present as the cookie.
func webChatIdentity(cookie string) string {
	sum := sha256.Sum256([]byte(cookie))
	return protocol.WebChatClientID + ":" + base64.RawURLEncoding.EncodeToString(sum[:18])
}

// visitorID returns the request's visitor cookie if it is one this server
// could have set: 43 characters of unpadded base64url, 256 random bits.
func visitorID(r *http.Request) (string, bool) {
	c, err := r.Cookie(visitorCookie)
	if err != nil || len(c.Value) != 43 {
		return "", false
	}
	if _, err := base64.RawURLEncoding.DecodeString(c.Value); err != nil {
		return "", false
	}
	return c.Value, true
}

// webChatClient returns the identity of a WebChat visitor, setting a new
// visitor cookie when the request has none. The cookie is HttpOnly, sent
// cross-site (SameSite=None, so Secure), and Partitioned: a browser that
// blocks third-party cookies still keeps it, apart for each site that
// embeds the chat, which is all a visitor's chat needs.
func webChatClient(w http.ResponseWriter, r *http.Request) string {
	id, ok := visitorID(r)
	if !ok {
		id = newVisitorID()
	}
	http.SetCookie(w, &http.Cookie{
		Name:        visitorCookie,
		Value:       id,
		Path:        "/clientweb/",
		MaxAge:      int(visitorCookieAge / time.Second),
		HttpOnly:    true,
		Secure:      true,
		SameSite:    http.SameSiteNoneMode,
		Partitioned: true,
	})
	return webChatIdentity(id)
}

func newVisitorID() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}

// cors lets the pages of the allowed origins call the API from the browser
// with credentials, as Bright Pattern's web client does (XHR with
// withCredentials, the visitor cookie, an Authorization header, so a
// preflight first). A request from any other origin is refused with 7003.
// Requests without an Origin (the mobile SDKs) and from the server's own
// origin (the widget's frame, reached directly or at the public URL through
// a proxy) pass as they are.
func (s *Server) cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Origin")
		origin := r.Header.Get("Origin")
		if origin == "" || s.ownOrigin(r, origin) {
			next.ServeHTTP(w, r)
			return
		}
		if !s.allowedOrigin(origin) {
			s.writeError(w, r, protocol.Errorf(protocol.CodeForbidden,
				"pages of %s may not call this API: the server's allowed origins (-allowed-origins) do not name it", origin))
			return
		}
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Set("Access-Control-Allow-Methods", "GET, POST")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Cache-Control, UserAgent, X-Requested-With")
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// ownOrigin reports whether origin is the server's own: the host the
// request was sent to, or the public URL's, which a reverse proxy that
// forwards with a Host header of its own hides.
func (s *Server) ownOrigin(r *http.Request, origin string) bool {
	u, err := url.Parse(origin)
	return err == nil && (strings.EqualFold(u.Host, r.Host) || strings.EqualFold(u.Scheme+"://"+u.Host, s.publicOrigin))
}

// allowedOrigin matches origin against the configured patterns, as the chat
// sockets do (coder/websocket's OriginPatterns): a pattern with "://"
// matches scheme://host, any other the host alone.
func (s *Server) allowedOrigin(origin string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	for _, pattern := range s.cfg.AllowedOrigins {
		target := u.Host
		if strings.Contains(pattern, "://") {
			target = u.Scheme + "://" + u.Host
		}
		if ok, err := path.Match(strings.ToLower(pattern), strings.ToLower(target)); err == nil && ok {
			return true
		}
	}
	return false
}
