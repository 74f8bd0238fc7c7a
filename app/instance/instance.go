// Package instance assembles a whole Parley server: the store, the chat
// service, the scenario (or, in upstream mode, the bridge to an operator's
// Bright Pattern tenant) and the HTTP server. The parley program runs one;
// so do tests, on loopback with a temporary data directory.
package instance

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"

	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/app/postgres"
	"github.com/parleychat/parley/app/scenario"
	"github.com/parleychat/parley/app/server"
	"github.com/parleychat/parley/app/sqlite"
	"github.com/parleychat/parley/app/upstream"
	"golang.org/x/sync/errgroup"
)

// Config is everything an instance needs.
type Config struct {
	// Database is a PostgreSQL URL (postgres://...): the chats live there,
	// shared with every other instance that names it. Without it they
	// live in DataDir.
	Database string
	// DataDir holds the SQLite database and the files; "" keeps everything
	// in memory, gone when the instance stops.
	DataDir string
	// WebDir holds the browser files.
	WebDir string
	// Contact is the contact center's configuration. In upstream mode its
	// forms and styling are the widget configuration only while the
	// tenant gives none (API v1 has none to give), and its launch points
	// and business hours are the tenant's.
	Contact scenario.Config
	// Upstream, when set, is upstream mode: every chat is a chat on this
	// Bright Pattern tenant, with its agents and scenarios, and there is
	// no scenario and no agent console here.
	Upstream *upstream.Config
	// Quiet turns the scenario off, so nothing happens in a chat that
	// nobody did: for tests that check exact sequences.
	Quiet bool
	// AgentToken guards the agent console and its API; "" turns them off.
	AgentToken string
	// PublicURL is the server's address as browsers reach it; its origin
	// may open chat sockets.
	PublicURL string
	// AllowedOrigins are host patterns whose pages may open chat sockets.
	AllowedOrigins []string
	// Logger receives what the instance has to say; nil discards it.
	Logger *slog.Logger
}

// Instance is a running server's parts, exposed for tests.
type Instance struct {
	Store chat.Store
	Chats *chat.Service
	// Fanout connects the instance to the others on its database; nil on
	// SQLite or in memory.
	Fanout   chat.Fanout
	Scenario *scenario.Engine
	// Bridge is the upstream bridge in upstream mode, nil otherwise.
	Bridge *upstream.Bridge
	Server *server.Server
}

// Open builds an instance: it opens the store and wires the rest.
func Open(ctx context.Context, cfg Config) (*Instance, error) {
	if err := cfg.Contact.Check(); err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	inst := &Instance{}
	switch {
	case cfg.Database != "":
		pg, err := postgres.Open(ctx, cfg.Database)
		if err != nil {
			return nil, err
		}
		fanout := pg.Fanout()
		fanout.Log = log
		inst.Store, inst.Fanout = pg, fanout
	case cfg.DataDir != "":
		store, err := sqlite.Open(ctx, cfg.DataDir)
		if err != nil {
			return nil, err
		}
		inst.Store = store
	default:
		inst.Store = chat.NewMemoryStore()
	}
	store := inst.Store
	chats := chat.NewService(store)
	chats.Forms = cfg.Contact.Forms
	if pg, ok := store.(*postgres.Store); ok {
		chats.Fanout, chats.Limiter, chats.Leases, chats.Signals = inst.Fanout, pg.Limiter(), pg.Leases(), pg.Signals()
	}
	inst.Chats = chats
	srvCfg := server.Config{
		WebDir:         cfg.WebDir,
		Contact:        cfg.Contact,
		AgentToken:     cfg.AgentToken,
		PublicURL:      cfg.PublicURL,
		AllowedOrigins: cfg.AllowedOrigins,
		Logger:         log,
	}
	var served server.Chats = chats
	switch {
	case cfg.Upstream != nil:
		client, err := upstream.NewClient(*cfg.Upstream)
		if err != nil {
			store.Close()
			return nil, err
		}
		inst.Bridge = upstream.New(chats, store, client, cfg.Contact.WidgetConfiguration())
		inst.Bridge.Log = log
		served, srvCfg.Tenant = inst.Bridge, inst.Bridge
		// The widget's tag names the tenant's launch point, and the
		// tenant decides when chats are taken; its agents have their own
		// console.
		srvCfg.Contact.AppIDs = []string{cfg.Upstream.AppID}
		srvCfg.Contact.Hours = scenario.Hours{}
		srvCfg.AgentToken = ""
	case !cfg.Quiet:
		inst.Scenario = scenario.New(cfg.Contact, chats)
		inst.Scenario.Log = log
		chats.Observer = inst.Scenario
	}
	var err error
	inst.Server, err = server.New(srvCfg, served)
	if err != nil {
		store.Close()
		return nil, err
	}
	return inst, nil
}

// Run serves on ln, runs the scenario and follows the other instances on
// the database until ctx ends, then shuts the server down gracefully.
func (i *Instance) Run(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := i.Chats.Resync(ctx); err != nil {
		return fmt.Errorf("resuming the open chats: %w", err)
	}
	var g errgroup.Group
	if i.Scenario != nil {
		g.Go(func() error { return i.Scenario.Run(ctx) })
	}
	if i.Fanout != nil {
		g.Go(func() error { return i.Fanout.Follow(ctx, i.Chats) })
	}
	if i.Bridge != nil {
		g.Go(func() error {
			err := i.Bridge.Run(ctx)
			if err != nil {
				cancel()
			}
			return err
		})
	}
	err := i.Server.Serve(ctx, ln)
	cancel()
	return errors.Join(err, g.Wait())
}

// Close releases the store.
func (i *Instance) Close() error { return i.Store.Close() }
