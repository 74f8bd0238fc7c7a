package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgxlisten"
	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/protocol"
)

// Announcement kinds on the channel.
const (
	kindStored   = "stored"
	kindOpened   = "opened"
	kindRelayed  = "relayed"
	kindSignaled = "signaled"
)

// announcement is one notification on the schema's channel, as JSON:
// events stored in a chat (after, upto], a chat opened, typing relayed, or
// a call signal held for a party, by the process named origin.
type announcement struct {
	Kind   string          `json:"k"`
	Chat   string          `json:"c"`
	Origin string          `json:"o"`
	After  uint64          `json:"a,omitempty"`
	Upto   uint64          `json:"u,omitempty"`
	Sender string          `json:"s,omitempty"`
	Party  string          `json:"p,omitempty"`
	Events json.RawMessage `json:"e,omitempty"`
}

// maxPayload is what PostgreSQL's NOTIFY carries, less a margin.
const maxPayload = 7900

// announce notifies the schema's channel in tx, so the notification goes
// out when, and only if, tx commits.
func (s *Store) announce(ctx context.Context, tx pgx.Tx, a announcement) error {
	a.Origin = s.origin
	payload, err := json.Marshal(a)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `SELECT pg_notify($1, $2)`, s.channel, string(payload))
	return err
}

// Fanout is the chat.Fanout of the processes that share this database:
// PostgreSQL's LISTEN/NOTIFY on the schema's channel.
type Fanout struct {
	store *Store
	// Log hears of a listener connection that failed; nil discards it.
	Log *slog.Logger
	// ReconnectDelay is the wait before the listener connects again.
	ReconnectDelay time.Duration
}

var _ chat.Fanout = (*Fanout)(nil)

// Fanout returns the chat.Fanout over this store's database.
func (s *Store) Fanout() *Fanout {
	return &Fanout{store: s, ReconnectDelay: time.Second}
}

// Relay implements chat.Fanout: the events travel in the notification
// itself, so they are limited to what a notification carries (8000 bytes):
// typing is small. Call signals, whose SDP is not, are held in the
// database (see Signals).
func (f *Fanout) Relay(ctx context.Context, chatID, sender string, events []protocol.Event) error {
	env, err := protocol.EncodeEnvelope(events...)
	if err != nil {
		return err
	}
	payload, err := json.Marshal(announcement{Kind: kindRelayed, Chat: chatID, Origin: f.store.origin, Sender: sender, Events: env})
	if err != nil {
		return err
	}
	if len(payload) > maxPayload {
		return fmt.Errorf("postgres: %d bytes of ephemeral events are more than a notification carries", len(payload))
	}
	_, err = f.store.pool.Exec(ctx, `SELECT pg_notify($1, $2)`, f.store.channel, string(payload))
	return err
}

// Follow implements chat.Fanout. It keeps a connection of its own
// listening, connects again when it drops, and then announces every chat
// again (svc.Resync), since notifications sent meanwhile are lost.
func (f *Fanout) Follow(ctx context.Context, svc *chat.Service) error {
	log := f.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	l := &pgxlisten.Listener{
		Connect: func(ctx context.Context) (*pgx.Conn, error) {
			return pgx.ConnectConfig(ctx, f.store.conn)
		},
		LogError: func(_ context.Context, err error) {
			log.Warn("the database's notifications", "err", err)
		},
		ReconnectDelay: f.ReconnectDelay,
	}
	l.Handle(f.store.channel, follower{svc: svc, origin: f.store.origin, log: log})
	err := l.Listen(ctx)
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// follower hands the channel's announcements to a chat.Service.
type follower struct {
	svc    *chat.Service
	origin string
	log    *slog.Logger
}

// HandleNotification hands over one announcement of another process.
// Relayed events go at once, in order; stored ones are read from the
// store, which can take a while, so that goes on in a goroutine of its own
// (the Service puts them in order).
func (f follower) HandleNotification(ctx context.Context, n *pgconn.Notification, _ *pgx.Conn) error {
	var a announcement
	if err := json.Unmarshal([]byte(n.Payload), &a); err != nil {
		return fmt.Errorf("an announcement that is not one: %w", err)
	}
	if a.Origin == f.origin {
		return nil // this process delivered its own already
	}
	switch a.Kind {
	case kindStored:
		go f.svc.Stored(ctx, a.Chat, a.After, a.Upto, nil)
	case kindOpened:
		f.svc.OpenedElsewhere()
	case kindSignaled:
		f.svc.Signaled(a.Chat, a.Party)
	case kindRelayed:
		env, err := protocol.DecodeEnvelope(a.Events)
		if err != nil {
			return err
		}
		f.svc.Relayed(a.Chat, a.Sender, env.Events)
	}
	return nil
}

// HandleBacklog runs after each (re)connection: what was announced while
// the listener was away is read from the store. It tries until that
// works, since what it would miss is never announced again: the pool's
// connections may have dropped with the listener's, and fail once each.
func (f follower) HandleBacklog(ctx context.Context, _ string, _ *pgx.Conn) error {
	for wait := 10 * time.Millisecond; ; wait = min(2*wait, time.Second) {
		err := f.svc.Resync(ctx)
		if err == nil {
			return nil
		}
		f.log.Warn("reading what the other processes did meanwhile", "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}
