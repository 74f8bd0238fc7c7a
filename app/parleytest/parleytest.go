// Package parleytest starts a whole Parley server in-process for tests: the
// API, the chat sockets, the widget and the demo website, each on a free
// loopback port.
//
//	srv := parleytest.Start(t)
//	// point a browser at srv.DemoURL, or a widget.Session at srv.URL
package parleytest

import (
	"context"
	"net"
	"net/http"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/app/server"
)

// AppID is the launch point the test server takes chats for.
const AppID = "demo"

// Server is a running server.
type Server struct {
	// URL is the chat server: API, sockets and widget, on 127.0.0.1.
	URL string
	// DemoURL is the demo website that embeds the widget. It is served
	// from "localhost", another site than URL, as a customer's website
	// would be.
	DemoURL string
	// Chats is the server's chat service, for the contact center's side of
	// a test: subscribe to a chat, publish agent events.
	Chats *chat.Service
}

// WebDir is the repository's web directory, which holds the browser files
// and the built app.wasm.
func WebDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "web")
}

// Start runs a server until the test ends. Each tune function may change the
// chat service's tunables before the server starts.
func Start(tb testing.TB, tune ...func(*chat.Service)) *Server {
	tb.Helper()
	svc := chat.NewService(chat.NewMemoryStore())
	for _, f := range tune {
		f(svc)
	}
	ln := listen(tb, "127.0.0.1:0")
	demoLn := listen(tb, "127.0.0.1:0")
	s := &Server{
		URL:     "http://" + ln.Addr().String(),
		DemoURL: "http://localhost:" + port(demoLn),
		Chats:   svc,
	}
	srv, err := server.New(server.Config{WebDir: WebDir(), AppIDs: []string{AppID}}, svc)
	if err != nil {
		tb.Fatalf("starting the server: %v", err)
	}
	site, err := server.DemoSite(WebDir(), s.URL, AppID)
	if err != nil {
		tb.Fatalf("starting the demo website: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	demo := &http.Server{Handler: site}
	go func() { _ = demo.Serve(demoLn) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("server stopped with %v", err)
		}
		_ = demo.Close()
	})
	return s
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
