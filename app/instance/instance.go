// Package instance assembles a whole Parley server: the store, the chat
// service, the scenario and the HTTP server. The parley program runs one;
// so do tests, on loopback with a temporary data directory.
package instance

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"

	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/app/scenario"
	"github.com/parleychat/parley/app/server"
	"github.com/parleychat/parley/app/sqlite"
)

// Config is everything an instance needs.
type Config struct {
	// DataDir holds the SQLite database and the files; "" keeps everything
	// in memory, gone when the instance stops.
	DataDir string
	// WebDir holds the browser files.
	WebDir string
	// Contact is the contact center's configuration.
	Contact scenario.Config
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
	Store    chat.Store
	Chats    *chat.Service
	Scenario *scenario.Engine
	Server   *server.Server
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
	store, err := openStore(ctx, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	chats := chat.NewService(store)
	inst := &Instance{Store: store, Chats: chats}
	if !cfg.Quiet {
		inst.Scenario = scenario.New(cfg.Contact, chats)
		inst.Scenario.Log = log
		chats.Observer = inst.Scenario
	}
	inst.Server, err = server.New(server.Config{
		WebDir:         cfg.WebDir,
		Contact:        cfg.Contact,
		AgentToken:     cfg.AgentToken,
		PublicURL:      cfg.PublicURL,
		AllowedOrigins: cfg.AllowedOrigins,
		Logger:         log,
	}, chats)
	if err != nil {
		store.Close()
		return nil, err
	}
	return inst, nil
}

func openStore(ctx context.Context, dir string) (chat.Store, error) {
	if dir == "" {
		return chat.NewMemoryStore(), nil
	}
	return sqlite.Open(ctx, dir)
}

// Run serves on ln and runs the scenario until ctx ends, then shuts the
// server down gracefully.
func (i *Instance) Run(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	scenarioDone := make(chan error, 1)
	if i.Scenario != nil {
		if err := i.Scenario.Resume(ctx); err != nil {
			return fmt.Errorf("resuming the scenario: %w", err)
		}
		go func() { scenarioDone <- i.Scenario.Run(ctx) }()
	} else {
		scenarioDone <- nil
	}
	err := i.Server.Serve(ctx, ln)
	cancel()
	return errors.Join(err, <-scenarioDone)
}

// Close releases the store.
func (i *Instance) Close() error { return i.Store.Close() }
