package upstream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/protocol"
)

// Bridge serves chats that live on a Bright Pattern tenant: see the package
// documentation. Its zero value is not usable; call New, then Run. The
// exported fields are tunables that tests override; set them before Run.
type Bridge struct {
	// MinBackoff and MaxBackoff bound the wait, with jitter, before a call
	// that failed is made again.
	MinBackoff, MaxBackoff time.Duration
	// Grace is how long calls to the tenant may keep failing before the
	// chat's widgets are told it is reconnecting: a blip shows nothing.
	Grace time.Duration
	// OpenWait is how long Open waits for the tenant's first answer to
	// Request Chat; without one by then, Open answers with the chat and
	// the bridge keeps asking.
	OpenWait time.Duration
	// ConfigTTL is how long the tenant's widget configuration is kept
	// before it is asked for again.
	ConfigTTL time.Duration
	// Log hears what the operator must know: a tenant that refuses
	// Parley's credentials, one that cannot be reached.
	Log *slog.Logger

	svc    *chat.Service
	store  chat.Store
	client *Client
	// fallback is the widget configuration while the tenant gives none:
	// API v1 has no Get Chat Widget Configuration.
	fallback protocol.WidgetConfiguration
	// launchPoint is the clientId of the calls that are no visitor's:
	// the configuration, the availability.
	launchPoint string

	ready chan struct{}

	mu          sync.Mutex
	ctx         context.Context // Run's
	followers   map[string]*follower
	unreachable int // followers that cannot reach the tenant now
	config      protocol.WidgetConfiguration
	configAt    time.Time
	running     sync.WaitGroup
}

// New returns a bridge of the chats of svc, whose store is store, to the
// tenant client calls. fallback is the widget configuration the server
// hands out while the tenant gives none (API v1 has none to give). New sets
// svc's RemoteFiles: the tenant's files are not copied.
func New(svc *chat.Service, store chat.Store, client *Client, fallback protocol.WidgetConfiguration) *Bridge {
	b := &Bridge{
		MinBackoff:  500 * time.Millisecond,
		MaxBackoff:  30 * time.Second,
		Grace:       2 * time.Second,
		OpenWait:    5 * time.Second,
		ConfigTTL:   time.Minute,
		Log:         slog.New(slog.DiscardHandler),
		svc:         svc,
		store:       store,
		client:      client,
		fallback:    fallback,
		launchPoint: protocol.NewUUID(),
		ready:       make(chan struct{}),
		followers:   map[string]*follower{},
	}
	svc.RemoteFiles = b.remoteFile
	return b
}

// Run follows every open chat, resuming each from what the Store kept,
// and every chat opened later, until ctx ends; then it waits for the
// followers to stop. It fails only when the open chats cannot be read at
// the start.
func (b *Bridge) Run(ctx context.Context) error {
	b.mu.Lock()
	b.ctx = ctx
	b.mu.Unlock()
	open, err := b.svc.OpenChats(ctx)
	if err != nil {
		return fmt.Errorf("upstream: listing the open chats: %w", err)
	}
	for _, c := range open {
		if err := b.resume(ctx, c); err != nil {
			return err
		}
	}
	close(b.ready)
	<-ctx.Done()
	b.running.Wait()
	return nil
}

// resume follows a chat that was open when the bridge started.
func (b *Bridge) resume(ctx context.Context, c chat.Chat) error {
	up, err := b.store.Upstream(ctx, c.ID)
	switch {
	case errors.Is(err, chat.ErrNotFound):
		// Opened here, but stopped before it was linked: ask for it
		// upstream now.
		up = chat.Upstream{ChatID: c.ID, ClientID: protocol.NewUUID()}
		if err := b.store.SaveUpstream(ctx, up); err != nil {
			return fmt.Errorf("upstream: linking chat %s: %w", c.ID, err)
		}
		b.follow(up, false)
	case err != nil:
		return fmt.Errorf("upstream: reading chat %s: %w", c.ID, err)
	case up.Stopped != "":
		// The bridge stopped following it and was stopped itself before
		// the chat ended here.
		if err := b.svc.PublishOnce(ctx, c.ID, stoppedKey, &protocol.Status{State: protocol.StateFailed}); err != nil {
			b.Log.Warn("ending a chat the bridge no longer follows", "chat", c.ID, "err", err)
		}
	default:
		b.follow(up, true)
	}
	return nil
}

// follow starts a follower for the chat. resumed says the chat has a past
// the follower must pick up.
func (b *Bridge) follow(up chat.Upstream, resumed bool) *follower {
	b.mu.Lock()
	defer b.mu.Unlock()
	f := newFollower(b, up)
	b.followers[up.ChatID] = f
	b.running.Add(1)
	go func() {
		defer b.running.Done()
		f.run(resumed)
	}()
	return f
}

// follower returns the chat's follower, or nil when the bridge does not
// follow it (any more).
func (b *Bridge) follower(chatID string) *follower {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.followers[chatID]
}

// forget drops a follower that stopped.
func (b *Bridge) forget(f *follower) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.followers[f.chatID] == f {
		delete(b.followers, f.chatID)
	}
}

// Client is the bridge's client of the tenant, whose timeouts are tunables
// too.
func (b *Bridge) Client() *Client { return b.client }

// waitReady waits until Run has resumed the open chats.
func (b *Bridge) waitReady(ctx context.Context) error {
	select {
	case <-b.ready:
		return nil
	case <-ctx.Done():
		return protocol.Errorf(protocol.CodeServerTimeout, "the server is starting; try again")
	}
}

// Open returns the client's chat that is not over, or starts one: here,
// then upstream. It waits up to OpenWait for the tenant to answer Request
// Chat: a tenant that refuses ends the chat, and its refusal is the answer
// (5001 when nobody can take a chat now); a tenant that cannot be reached
// is asked again in the background while the chat shows reconnecting.
func (b *Bridge) Open(ctx context.Context, creds protocol.Credentials, req protocol.ChatRequest) (chat.Chat, bool, error) {
	if err := b.waitReady(ctx); err != nil {
		return chat.Chat{}, false, err
	}
	c, isNew, err := b.svc.Open(ctx, creds, req)
	if err != nil || !isNew {
		return c, isNew, err
	}
	up := chat.Upstream{ChatID: c.ID, ClientID: protocol.NewUUID()}
	if err := b.store.SaveUpstream(ctx, up); err != nil {
		return chat.Chat{}, false, fmt.Errorf("upstream: linking chat %s: %w", c.ID, err)
	}
	f := b.follow(up, false)
	wait := time.NewTimer(b.OpenWait)
	defer wait.Stop()
	select {
	case <-f.requested:
		if f.refusal != nil {
			return chat.Chat{}, false, f.refusal
		}
	case <-wait.C:
	case <-ctx.Done():
	}
	c, err = b.svc.Chat(ctx, c.ID)
	return c, true, err
}

// Chat implements server.Chats.
func (b *Bridge) Chat(ctx context.Context, id string) (chat.Chat, error) { return b.svc.Chat(ctx, id) }

// ActiveChat implements server.Chats.
func (b *Bridge) ActiveChat(ctx context.Context, creds protocol.Credentials) (chat.Chat, error) {
	return b.svc.ActiveChat(ctx, creds)
}

// OpenChats implements server.Chats.
func (b *Bridge) OpenChats(ctx context.Context) ([]chat.Chat, error) { return b.svc.OpenChats(ctx) }

// CaseChats implements server.Chats.
func (b *Bridge) CaseChats(ctx context.Context, caseID string) ([]chat.Chat, error) {
	return b.svc.CaseChats(ctx, caseID)
}

// History implements server.Chats.
func (b *Bridge) History(ctx context.Context, chatID string, after uint64, limit int) ([]protocol.Event, error) {
	return b.svc.History(ctx, chatID, after, limit)
}

// SetPollCursor implements server.Chats.
func (b *Bridge) SetPollCursor(ctx context.Context, chatID string, seq uint64) error {
	return b.svc.SetPollCursor(ctx, chatID, seq)
}

// PolledSignal implements server.Chats: the tenant's
// call signals are held here for the visitor, as in embedded mode.
func (b *Bridge) PolledSignal(ctx context.Context, chatID string) (uint64, error) {
	return b.svc.PolledSignal(ctx, chatID)
}

// SetPolledSignal implements server.Chats.
func (b *Bridge) SetPolledSignal(ctx context.Context, chatID string, seq uint64) error {
	return b.svc.SetPolledSignal(ctx, chatID, seq)
}

// SetNotifications implements server.Chats. The subscription stays here:
// notifications are not Parley's to deliver.
func (b *Bridge) SetNotifications(ctx context.Context, chatID string, sub protocol.NotificationSubscription) error {
	return b.svc.SetNotifications(ctx, chatID, sub)
}

// Changed implements server.Chats.
func (b *Bridge) Changed(ctx context.Context, since uint64) (uint64, error) {
	return b.svc.Changed(ctx, since)
}

// Subscribe follows the chat's stream, as the chat service does; while the
// tenant cannot be reached, the new subscriber (and whoever else follows
// the chat) hears so first.
func (b *Bridge) Subscribe(ctx context.Context, chatID string, from protocol.Position, party string) (*chat.Subscription, error) {
	sub, err := b.svc.Subscribe(ctx, chatID, from, party)
	if err != nil {
		return nil, err
	}
	if f := b.follower(chatID); f != nil && f.isUnreachable() {
		b.tell(chatID, protocol.UpstreamReconnecting)
	}
	return sub, nil
}

// tell relays to the chat's followers here whether the tenant can be
// reached.
func (b *Bridge) tell(chatID, state string) {
	b.svc.Relayed(chatID, "", []protocol.Event{&protocol.Upstream{State: state}})
}

// reachability notes that a follower could, or could not, reach the
// tenant, and tells the operator when the first cannot and when the last
// can again.
func (b *Bridge) reachability(reachable bool, err error) {
	b.mu.Lock()
	if reachable {
		b.unreachable--
	} else {
		b.unreachable++
	}
	n := b.unreachable
	b.mu.Unlock()
	switch {
	case !reachable && n == 1:
		b.Log.Warn("the Bright Pattern tenant cannot be reached; retrying, and visitors see the chat reconnecting", "upstream", b.client.base, "err", err)
	case reachable && n == 0:
		b.Log.Info("the Bright Pattern tenant can be reached again", "upstream", b.client.base)
	}
}

// Send takes the visitor's events: validated (answers to forms against
// the tenant's forms) and within the visitor's limits as in embedded mode, then kept in the chat's outbox, in order,
// until the tenant takes them. It returns once they are in the outbox, so
// the widget's own outbox lets go of them; a resent message already there
// is not kept twice. Typing goes to the tenant if it can be reached, and is
// dropped if not.
func (b *Bridge) Send(ctx context.Context, chatID string, events ...protocol.Event) error {
	if err := b.waitReady(ctx); err != nil {
		return err
	}
	if err := b.svc.Admit(ctx, chatID, b.forms, events...); err != nil {
		return err
	}
	f := b.follower(chatID)
	if f == nil {
		return protocol.Errorf(protocol.CodeChatNotFound, "chat %s has ended", chatID)
	}
	return f.queue(ctx, events)
}

// Publish implements server.Chats: in upstream mode the contact center's
// side is the tenant's, and nothing here speaks for it.
func (b *Bridge) Publish(context.Context, string, ...protocol.Event) error {
	return errAgentsUpstream
}

// PublishAsAgent implements server.Chats, as Publish does.
func (b *Bridge) PublishAsAgent(context.Context, string, string, ...protocol.Event) error {
	return errAgentsUpstream
}

// Take implements server.Chats: agents take chats on the tenant.
func (b *Bridge) Take(context.Context, string, *protocol.PartyJoined) error {
	return errAgentsUpstream
}

var errAgentsUpstream = protocol.Errorf(protocol.CodeForbidden, "agents work on the Bright Pattern tenant, which this server bridges chats to")

// LeasePoll implements server.Chats: the API's long poll of a visitor's
// chat, as in embedded mode.
func (b *Bridge) LeasePoll(ctx context.Context, chatID string, d time.Duration) (func(), bool, error) {
	return b.svc.LeasePoll(ctx, chatID, d)
}
