package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/parleychat/parley/app/scenario"
	"github.com/parleychat/parley/protocol"
)

// Config is what an operator sets.
type Config struct {
	// WebDir holds the browser files: widget.js, widget.css, the icons,
	// the agent console, the demo pages and the build's app.wasm with its
	// .br and .gz copies.
	WebDir string
	// Contact is the contact center: launch points, widget configuration,
	// business hours.
	Contact scenario.Config
	// AgentToken guards the agent console's API; empty turns the API off.
	AgentToken string
	// PublicURL is the server's address as browsers reach it, such as
	// "https://chat.example.com". Its origin may open chat sockets: behind
	// a reverse proxy that forwards with a Host header of its own, the
	// widget's frame and the agent console are not the request's host.
	PublicURL string
	// AllowedOrigins lists the host patterns, besides the server's own,
	// whose pages may open chat sockets (see coder/websocket's
	// AcceptOptions.OriginPatterns). The widget's own frame is same-origin
	// and needs none.
	AllowedOrigins []string
	// Tenant answers for the contact center: availability, the widget
	// configuration, agents' photos. nil answers from Contact.
	Tenant Tenant
	// Logger receives what the server has to say; nil discards it.
	Logger *slog.Logger
}

// Server serves the API, the chat sockets and the widget.
type Server struct {
	// PollWait is how long Get New Chat Events waits for an event.
	PollWait time.Duration
	// PingInterval is how long a chat socket may have nothing to send
	// before the server pings it, to notice a peer that went away
	// without a close.
	PingInterval time.Duration

	cfg Config
	// origins are the patterns of the origins, besides the request's own
	// host, whose pages may open chat sockets; publicOrigin is the origin
	// of the public URL, "" without one.
	origins      []string
	publicOrigin string
	chats        Chats
	contact      Tenant
	assets       *assets
	handler      http.Handler
	log          *slog.Logger
	polls        polls
	conns        conns
	owners       owners

	// closing ends when the server shuts down, so chat sockets close with
	// a code that tells clients to come back.
	closing  context.Context
	shutDown context.CancelFunc
	sockets  sync.WaitGroup
}

// New returns a Server for the chats of svc: the embedded contact center
// or the upstream bridge.
func New(cfg Config, svc Chats) (*Server, error) {
	a, err := loadAssets(cfg.WebDir)
	if err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	tenant := cfg.Tenant
	if tenant == nil {
		tenant = configured{cfg.Contact}
	}
	s := &Server{PollWait: 10 * time.Second, PingInterval: 30 * time.Second, cfg: cfg, chats: svc, contact: tenant, assets: a, log: log}
	s.closing, s.shutDown = context.WithCancel(context.Background())
	s.origins = slices.Clone(cfg.AllowedOrigins)
	if cfg.PublicURL != "" {
		u, err := url.Parse(cfg.PublicURL)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return nil, fmt.Errorf("the public URL %q is not an http(s) URL", cfg.PublicURL)
		}
		s.publicOrigin = u.Scheme + "://" + u.Host
		s.origins = append(s.origins, s.publicOrigin)
	}
	if _, ok := a.files[wasmFile]; !ok {
		log.Warn("the widget's wasm is missing; build it with ./build.sh", "file", wasmFile, "dir", cfg.WebDir)
	}
	s.handler = s.routes()
	return s, nil
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	s.addAPI(mux)
	if s.cfg.AgentToken != "" {
		s.agentRoutes(mux)
	}
	mux.HandleFunc("GET /widget.js", func(w http.ResponseWriter, r *http.Request) {
		s.assets.serve(w, r, "widget.js", cacheLoader)
	})
	mux.HandleFunc("GET "+widgetPrefix+"/web/{file...}", func(w http.ResponseWriter, r *http.Request) {
		s.assets.serve(w, r, r.PathValue("file"), cacheRevalidate)
	})
	for _, p := range []string{"/robots.txt", "/sitemap.xml", "/ads.txt"} {
		// go-app would fetch these from its own unprefixed path.
		mux.Handle(widgetPrefix+p, http.NotFoundHandler())
	}
	mux.Handle(widgetPrefix+"/", s.document())
	return mux
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// ServeMux answers a path it would clean (a "." or ".." segment, a
	// "//") with a redirect to the clean one; the APIs answer their error
	// envelope instead, as for any path that names no method.
	if isAPIPath(r.URL.Path) && !isCleanPath(r.URL.EscapedPath()) {
		s.writeError(w, r, protocol.Errorf(protocol.CodeNoMethod, "the API has no method at %s", r.URL.Path))
		return
	}
	s.handler.ServeHTTP(w, r)
}

// isAPIPath reports whether p is under the visitor API or the agent API.
func isAPIPath(p string) bool {
	return strings.HasPrefix(p, "/clientweb/") || strings.HasPrefix(p, "/agent/api/")
}

// isCleanPath reports whether ServeMux would route the escaped path p as
// it is (an escaped slash is no segment to it): path.Clean
// leaves it alone, but for a final slash.
func isCleanPath(p string) bool {
	clean := path.Clean(p)
	return clean == p || clean+"/" == p
}

// Serve answers requests on ln until ctx ends, then shuts down gracefully:
// requests in flight finish, and chat sockets close with "going away" so
// their clients reconnect to the next server.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		// The long poll's cursor watches the connections its answers
		// leave on (see polls).
		ConnContext: s.conns.context,
		ConnState:   s.conns.state,
	}
	srv.RegisterOnShutdown(s.shutDown)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("serving on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	shutdownErr := srv.Shutdown(shutdownCtx)
	s.sockets.Wait()
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return shutdownErr
}
