//go:build !js

// Command parley is Parley's server and, built for js/wasm, its widget.
//
// The server is a whole contact center on one machine: the Bright Pattern
// Mobile/Web API v2 and the widget's chat sockets, the widget itself, the
// scenario, the agent console at /agent, and with -demo-addr a demo website
// on a second origin that embeds the widget. Its data lives in SQLite in
// the -data directory, or with -database in PostgreSQL, which several
// processes behind one address share.
//
// With -upstream it is upstream mode instead: the widget in front of an
// operator's Bright Pattern tenant, every chat a chat there, with its
// agents and scenarios.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	_ "time/tzdata" // business hours name time zones; do not depend on the host's

	"github.com/parleychat/parley/app/instance"
	"github.com/parleychat/parley/app/scenario"
	"github.com/parleychat/parley/app/server"
	"github.com/parleychat/parley/app/upstream"
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
		addr        = flag.String("addr", env("PARLEY_ADDR", "localhost:8081"), "listen address of the chat server (API, sockets, widget, agent console)")
		demoAddr    = flag.String("demo-addr", env("PARLEY_DEMO_ADDR", ""), "listen address of the demo website; empty for none")
		publicURL   = flag.String("public-url", env("PARLEY_PUBLIC_URL", ""), "the chat server's URL as browsers reach it; default http://ADDR")
		webDir      = flag.String("web", env("PARLEY_WEB", "web"), "directory of the browser files")
		dataDir     = flag.String("data", env("PARLEY_DATA", defaultDataDir()), "directory of the SQLite database and the files")
		database    = flag.String("database", env("PARLEY_DATABASE", ""), "PostgreSQL URL (postgres://user:password@host:port/db) shared by every server process; empty keeps the data in -data")
		configFile  = flag.String("config", env("PARLEY_CONFIG", ""), "contact center configuration (JSON); empty for the built-in demo scenario")
		agentToken  = flag.String("agent-token", env("PARLEY_AGENT_TOKEN", ""), "token of the agent console and API; empty makes a random one")
		origins     = flag.String("allowed-origins", env("PARLEY_ALLOWED_ORIGINS", ""), "comma-separated host patterns whose pages may open chat sockets directly; default the demo website's")
		upstreamURL = flag.String("upstream", env("PARLEY_UPSTREAM", ""), "upstream mode: the Bright Pattern tenant's URL (https://TENANT-HOST) whose chats the widget serves; empty runs the embedded contact center")
		upstreamApp = flag.String("upstream-app-id", env("PARLEY_UPSTREAM_APP_ID", ""), "upstream mode: the tenant's launch point (appId), which the widget's tag names too")
		tenantURL   = flag.String("upstream-tenant-url", env("PARLEY_UPSTREAM_TENANT_URL", ""), "upstream mode: the tenant's domain sent as tenantUrl; default the host of -upstream")
		upstreamAPI = flag.String("upstream-api", env("PARLEY_UPSTREAM_API", "v2"), "upstream mode: the tenant's API version, v2 or v1")
	)
	flag.Parse()

	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	contact := scenario.Default()
	if *configFile != "" {
		var err error
		if contact, err = scenario.Load(*configFile); err != nil {
			return err
		}
	}
	var bridged *upstream.Config
	if *upstreamURL != "" {
		version, ok := map[string]int{"v1": 1, "v2": 2}[*upstreamAPI]
		if !ok {
			return fmt.Errorf("-upstream-api %q: v1 or v2", *upstreamAPI)
		}
		if *upstreamApp == "" {
			return errors.New("-upstream needs -upstream-app-id, the tenant's launch point")
		}
		bridged = &upstream.Config{URL: *upstreamURL, TenantURL: *tenantURL, AppID: *upstreamApp, Version: version}
		contact.AppIDs = []string{*upstreamApp}
	}
	if *agentToken == "" && bridged == nil {
		*agentToken = rand.Text()
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	if *publicURL == "" {
		*publicURL = "http://" + display(*addr, ln)
	}
	var demoLn net.Listener
	allowed := split(*origins)
	if *demoAddr != "" {
		if demoLn, err = net.Listen("tcp", *demoAddr); err != nil {
			return err
		}
		if len(allowed) == 0 {
			allowed = []string{"http://" + display(*demoAddr, demoLn)}
		}
	}

	inst, err := instance.Open(ctx, instance.Config{
		Database:       *database,
		DataDir:        *dataDir,
		WebDir:         *webDir,
		Contact:        contact,
		AgentToken:     *agentToken,
		PublicURL:      *publicURL,
		AllowedOrigins: allowed,
		Upstream:       bridged,
		Logger:         log,
	})
	if err != nil {
		return err
	}
	defer inst.Close()

	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return inst.Run(ctx, ln) })
	fmt.Println("Parley is running (Ctrl-C stops it).")
	if demoLn != nil {
		site, err := server.DemoSite(*webDir, *publicURL, contact.AppIDs[0])
		if err != nil {
			return err
		}
		g.Go(func() error { return serveDemo(ctx, demoLn, site) })
		fmt.Printf("  Demo website:   http://%s/   (a shop page with the widget: open this one)\n", display(*demoAddr, demoLn))
	}
	if bridged != nil {
		fmt.Printf("  Upstream:       %s, launch point %s (agents work there)\n", *upstreamURL, *upstreamApp)
	} else {
		fmt.Printf("  Agent console:  %s/agent?token=%s\n", *publicURL, url.QueryEscape(*agentToken))
	}
	fmt.Printf("  Chat server:    %s\n", *publicURL)
	if *database != "" {
		fmt.Printf("  Data:           PostgreSQL, %s\n", redacted(*database))
	} else {
		fmt.Printf("  Data:           %s\n", *dataDir)
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

// defaultDataDir follows the XDG convention: $XDG_DATA_HOME/parley, or
// ~/.local/share/parley.
func defaultDataDir() string {
	if dir := os.Getenv("XDG_DATA_HOME"); dir != "" {
		return filepath.Join(dir, "parley")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "share", "parley")
	}
	return "parley-data"
}

// redacted is a database URL without its password, fit to print.
func redacted(database string) string {
	u, err := url.Parse(database)
	if err != nil {
		return "(a URL that does not parse)"
	}
	return u.Redacted()
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
