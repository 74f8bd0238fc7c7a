//go:build !js

// Command parley is Parley's server and, built for js/wasm, its widget.
//
// The server answers the Bright Pattern Mobile/Web API v2 and the widget's
// chat sockets, serves the widget, and with -demo-addr also a demo website
// on a second origin that embeds it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/app/server"
	"golang.org/x/sync/errgroup"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "parley:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		addr      = flag.String("addr", env("PARLEY_ADDR", "localhost:8081"), "listen address of the chat server (API, sockets, widget)")
		demoAddr  = flag.String("demo-addr", env("PARLEY_DEMO_ADDR", ""), "listen address of the demo website; empty for none")
		publicURL = flag.String("public-url", env("PARLEY_PUBLIC_URL", ""), "the chat server's URL as browsers reach it; default http://ADDR")
		webDir    = flag.String("web", env("PARLEY_WEB", "web"), "directory of the browser files")
		appIDs    = flag.String("app-ids", env("PARLEY_APP_IDS", "demo"), "comma-separated launch points (appId) to take chats for")
		origins   = flag.String("allowed-origins", env("PARLEY_ALLOWED_ORIGINS", ""), "comma-separated host patterns whose pages may open chat sockets directly")
	)
	flag.Parse()

	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	store := chat.NewMemoryStore()
	defer store.Close()
	srv, err := server.New(server.Config{
		WebDir:         *webDir,
		AppIDs:         split(*appIDs),
		AllowedOrigins: split(*origins),
		Logger:         log,
	}, chat.NewService(store))
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	if *publicURL == "" {
		*publicURL = "http://" + display(*addr, ln)
	}

	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return srv.Serve(ctx, ln) })
	fmt.Printf("Parley chat server:  %s\n", *publicURL)
	if *demoAddr != "" {
		demoApp := "demo"
		if ids := split(*appIDs); len(ids) > 0 {
			demoApp = ids[0]
		}
		site, err := server.DemoSite(*webDir, *publicURL, demoApp)
		if err != nil {
			return err
		}
		demoLn, err := net.Listen("tcp", *demoAddr)
		if err != nil {
			return err
		}
		g.Go(func() error { return serveDemo(ctx, demoLn, site) })
		fmt.Printf("Demo website:        http://%s/  (open this one)\n", display(*demoAddr, demoLn))
	}
	return g.Wait()
}

func serveDemo(ctx context.Context, ln net.Listener, site http.Handler) error {
	srv := &http.Server{Handler: site}
	go func() {
		<-ctx.Done()
		_ = srv.Shutdown(context.Background())
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// display is a listener's address as a person would type it: the host the
// flag named (localhost, say) with the port the listener got.
func display(flagAddr string, ln net.Listener) string {
	host, _, err := net.SplitHostPort(flagAddr)
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	if ip := net.ParseIP(host); err != nil || host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

func env(key, fallback string) string {
	if v, ok := os.LookupEnv(key); ok {
		return v
	}
	return fallback
}

func split(list string) []string {
	var out []string
	for item := range strings.SplitSeq(list, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}
