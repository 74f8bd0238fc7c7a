// Package parleytest starts a whole Parley server in-process for tests: the
// API, the chat sockets, the widget, the scenario, the agent API and the demo
// website, on free loopback ports, with its data in a temporary directory.
//
//	srv := parleytest.Start(t)
//	agent := srv.Agent("Grace Hopper")
//	// point a browser at srv.DemoURL, or a visitor at srv.URL
//	// (StartVisitor runs the widget's client.Session and records it),
//	// then script the agent: WaitForChat, Take, Say, Follow...
package parleytest

import (
	"context"
	"net"
	"net/http"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/app/instance"
	"github.com/parleychat/parley/app/scenario"
	"github.com/parleychat/parley/app/server"
	"github.com/parleychat/parley/app/upstream"
)

// AppID is the launch point the test server takes chats for.
const AppID = "demo"

// AgentToken is the test server's agent token.
const AgentToken = "test-agent-token"

// Server is a running server.
type Server struct {
	// URL is the chat server: API, sockets, widget and agent API, on
	// 127.0.0.1.
	URL string
	// DemoURL is the demo website that embeds the widget. It is served
	// from "localhost", another site than URL, as a customer's website
	// would be.
	DemoURL string
	// AppID is the launch point the widget names: AppID, or in upstream
	// mode the fake tenant's.
	AppID string
	// Chats is the chat service, for what the agent API does not offer.
	Chats *chat.Service
	// Instance holds every part of the server.
	Instance *instance.Instance
}

// Option changes how Start builds the server.
type Option func(*settings)

type settings struct {
	cfg   instance.Config
	appID string
	tune  []func(*instance.Instance)
}

// Quiet turns the scenario off: a chat starts empty, and nothing happens in
// it that the test did not do.
func Quiet() Option { return func(s *settings) { s.cfg.Quiet = true } }

// Contact replaces the default contact center configuration.
func Contact(c scenario.Config) Option { return func(s *settings) { s.cfg.Contact = c } }

// AllowOrigins lets pages of the origins that match the patterns call the
// API and open chat sockets (see server.Config.AllowedOrigins).
func AllowOrigins(patterns ...string) Option {
	return func(s *settings) { s.cfg.AllowedOrigins = append(s.cfg.AllowedOrigins, patterns...) }
}

// PublicURL is the server's address as browsers reach it, when they reach
// it through a proxy of the test's.
func PublicURL(u string) Option { return func(s *settings) { s.cfg.PublicURL = u } }

// Upstream runs the server in upstream mode, in front of the fake Bright
// Pattern tenant bp: every chat is a chat there, and the widget names bp's
// launch point. There is no scenario and no agent API; script the agent on
// bp. The bridge retries, and tells the widget the tenant is reconnecting,
// sooner than it would in production, to keep tests short.
func Upstream(bp *BrightPattern) Option {
	return func(s *settings) {
		s.appID = bp.AppID
		s.cfg.Upstream = &upstream.Config{URL: bp.URL, TenantURL: bp.TenantURL, AppID: bp.AppID, Version: bp.Version, HTTPClient: bp.Client()}
		s.tune = append(s.tune, func(inst *instance.Instance) {
			inst.Bridge.MinBackoff, inst.Bridge.MaxBackoff = 50*time.Millisecond, time.Second
			inst.Bridge.Grace = 300 * time.Millisecond
		})
	}
}

// Memory keeps the server's data in memory instead of SQLite.
func Memory() Option { return func(s *settings) { s.cfg.DataDir = "" } }

// Tune changes the instance's tunables (the chat service's queue sizes and
// limits, the server's poll wait, the scenario's clock) before it serves.
func Tune(f func(*instance.Instance)) Option {
	return func(s *settings) { s.tune = append(s.tune, f) }
}

// WebDir is the repository's web directory, which holds the browser files
// and the built app.wasm.
func WebDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "web")
}

// Start runs a server until the test ends.
func Start(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	s := settings{appID: AppID, cfg: instance.Config{
		DataDir:    tb.TempDir(),
		WebDir:     WebDir(),
		Contact:    scenario.Default(),
		AgentToken: AgentToken,
	}}
	s.cfg.Contact.AppIDs = []string{AppID}
	for _, opt := range opts {
		opt(&s)
	}
	ctx, cancel := context.WithCancel(context.Background())
	inst, err := instance.Open(ctx, s.cfg)
	if err != nil {
		cancel()
		tb.Fatalf("starting the server: %v", err)
	}
	for _, f := range s.tune {
		f(inst)
	}
	ln := listen(tb, "127.0.0.1:0")
	demoLn := listen(tb, "127.0.0.1:0")
	srv := &Server{
		URL:      "http://" + ln.Addr().String(),
		DemoURL:  "http://localhost:" + port(demoLn),
		AppID:    s.appID,
		Chats:    inst.Chats,
		Instance: inst,
	}
	site, err := server.DemoSite(WebDir(), srv.URL, s.appID)
	if err != nil {
		cancel()
		tb.Fatalf("starting the demo website: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- inst.Run(ctx, ln) }()
	demo := &http.Server{Handler: site}
	go func() { _ = demo.Serve(demoLn) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("server stopped with %v", err)
		}
		_ = demo.Close()
		if err := inst.Close(); err != nil {
			tb.Errorf("closing the store: %v", err)
		}
	})
	return srv
}

func listen(tb testing.TB, addr string) net.Listener {
	tb.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		tb.Fatalf("listening on %s: %v", addr, err)
	}
	return ln
}

func port(ln net.Listener) string {
	_, p, _ := net.SplitHostPort(ln.Addr().String())
	return p
}
