package chat

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/parleychat/parley/protocol"
)

// Service runs chats over a Store. Its zero value is not usable; call
// NewService. The exported fields are tunables that tests override; set them
// before the service is used.
type Service struct {
	// Now is the clock that stamps events.
	Now func() time.Time
	// QueueSize is how many deliveries a subscription may have waiting:
	// past it, stored events are read from the store when the subscriber
	// gets to them, and a subscriber that lets ephemeral events pile up is
	// dropped with ErrTooSlow.
	QueueSize int
	// HistoryPage is how many stored events one delivery carries when a
	// subscriber catches up.
	HistoryPage int
	// VisitorRate and VisitorBurst limit the messages a chat's visitor may
	// send (every event that is stored, receipts aside): VisitorRate per
	// second on average, VisitorBurst at once.
	VisitorRate  float64
	VisitorBurst int
	// Receipts, Typing and Signaling limit the visitor's other events,
	// each on its own, so that none of them uses the messages' budget.
	// Receipts are sized for a client that sends a delivered and a read
	// receipt for each message of a burst of 200 agent messages.
	Receipts, Typing, Signaling Limit
	// MaxFiles is how many files one party may share in a chat.
	MaxFiles int
	// Forms are the forms the contact center asks visitors to fill in:
	// a visitor's answer is checked against the form its request asked
	// for (see protocol.CheckFormAnswer). An answer to a form not among
	// them may only say that the client does not know it.
	Forms []protocol.WidgetForm
	// Observer hears of every chat opened and every event stored, by this
	// process or, through the Fanout, by others.
	Observer Observer
	// Fanout carries ephemeral events to the other processes that share
	// the store; nil when this process is the only one.
	Fanout Fanout
	// Limiter keeps the rate limits, Leases the leases such as the one
	// long poll a chat may have waiting, and Signals the call signals
	// held for parties that are away: in memory by default, in the
	// database when processes share one.
	Limiter Limiter
	Leases  Leases
	Signals Signals
	// SignalHold is how long a call signal is held for its destination
	// party: a party that comes back within it (its next long poll, its
	// socket reconnecting, a reload) gets what it missed, an unanswered
	// offer included. Setting up a call takes seconds; a caller gives up
	// on an offer nobody answers within a minute.
	SignalHold time.Duration
	// RemoteFiles, when set, says which files the contact center's side
	// shares that are kept elsewhere, not in the Store: an upstream
	// tenant's, which the upstream bridge proxies. Publish takes a
	// chat_session_file naming one as it is. nil: every file is in the
	// Store.
	RemoteFiles func(chatID, fileID string) bool

	store   Store
	hub     *hub
	changes changes
}

// Observer follows every chat. It is called outside any lock, in the
// goroutine that stored or announced the events, one call at a time per
// chat, so it may post events itself; it must not block for long. The
// scenario is one.
type Observer interface {
	// Opened is called for a chat this process just started.
	Opened(ctx context.Context, c Chat)
	// Resumed is called once for a chat the observer meets when the chat
	// already has a past (after a restart, or a chat another process
	// started): its stored events so far, which it should take note of
	// without reacting.
	Resumed(ctx context.Context, chatID string, past []protocol.Event)
	// Posted is called with a chat's events just stored, each once and in
	// sequence order, whichever process stored them.
	Posted(ctx context.Context, chatID string, events []protocol.Event)
}

// NewService returns a Service that keeps its chats in store.
func NewService(store Store) *Service {
	return &Service{
		Now:          time.Now,
		QueueSize:    256,
		HistoryPage:  200,
		VisitorRate:  5,
		VisitorBurst: 20,
		Receipts:     Limit{Rate: 50, Burst: 400},
		Typing:       Limit{Rate: 4, Burst: 10},
		Signaling:    Limit{Rate: 20, Burst: 100},
		MaxFiles:     50,
		Limiter:      &memoryLimiter{},
		Leases:       &memoryLeases{},
		Signals:      &memorySignals{},
		SignalHold:   time.Minute,
		store:        store,
		hub:          newHub(store),
	}
}

// Open returns the client's chat that is not over, or starts a new one with
// the request. isNew says which.
func (s *Service) Open(ctx context.Context, creds protocol.Credentials, req protocol.ChatRequest) (c Chat, isNew bool, err error) {
	c, isNew, err = s.store.OpenChat(ctx, newChat(creds.AppID, creds.ClientID, req, s.Now()))
	if err != nil {
		return Chat{}, false, fmt.Errorf("opening a chat: %w", err)
	}
	if isNew {
		s.changes.bump()
		if s.Observer != nil {
			s.Observer.Opened(ctx, c)
		}
	}
	return c, isNew, nil
}

// Chat returns the chat with the id, or a protocol error with
// CodeChatNotFound.
func (s *Service) Chat(ctx context.Context, id string) (Chat, error) {
	c, err := s.store.Chat(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return Chat{}, protocol.Errorf(protocol.CodeChatNotFound, "chat %s not found", id)
	}
	if err != nil {
		return Chat{}, fmt.Errorf("reading chat %s: %w", id, err)
	}
	return c, nil
}

// ActiveChat returns the client's chat that is not over, or a protocol error
// with CodeChatNotFound.
func (s *Service) ActiveChat(ctx context.Context, creds protocol.Credentials) (Chat, error) {
	c, err := s.store.ActiveChat(ctx, creds.AppID, creds.ClientID)
	if errors.Is(err, ErrNotFound) {
		return Chat{}, protocol.Errorf(protocol.CodeChatNotFound, "this client has no active chat")
	}
	if err != nil {
		return Chat{}, fmt.Errorf("reading the active chat: %w", err)
	}
	return c, nil
}

// OpenChats returns every chat that is not over, oldest first.
func (s *Service) OpenChats(ctx context.Context) ([]Chat, error) {
	return s.store.OpenChats(ctx)
}

// SetPollCursor records where the API's long poll of the chat stands: the
// last sequence number it answered with.
func (s *Service) SetPollCursor(ctx context.Context, chatID string, seq uint64) error {
	if err := s.store.SetPollCursor(ctx, chatID, seq); err != nil {
		return fmt.Errorf("moving the poll cursor of chat %s: %w", chatID, err)
	}
	return nil
}

// PolledSignal returns the SignalSeq of the last call signal the API's long
// poll of the chat answered with, and SetPolledSignal moves it: the other
// half of the poll's cursor (see SetPollCursor).
func (s *Service) PolledSignal(ctx context.Context, chatID string) (uint64, error) {
	seq, err := s.Signals.PolledSignal(ctx, chatID)
	if err != nil {
		return 0, fmt.Errorf("reading where the poll of chat %s stands among its signals: %w", chatID, err)
	}
	return seq, nil
}

// SetPolledSignal: see PolledSignal.
func (s *Service) SetPolledSignal(ctx context.Context, chatID string, seq uint64) error {
	if err := s.Signals.SetPolledSignal(ctx, chatID, seq); err != nil {
		return fmt.Errorf("moving the signal cursor of the poll of chat %s: %w", chatID, err)
	}
	return nil
}

// SetNotifications stores the visitor's Mobile Notification Subscription;
// one without a token cancels it. Parley keeps the token only: delivering
// notifications through APNs or FCM is not its job.
func (s *Service) SetNotifications(ctx context.Context, chatID string, sub protocol.NotificationSubscription) error {
	if err := s.store.SetNotifications(ctx, chatID, sub); err != nil {
		return fmt.Errorf("subscribing chat %s to notifications: %w", chatID, err)
	}
	return nil
}

// CaseChats returns the chats linked to the CRM case, oldest first.
func (s *Service) CaseChats(ctx context.Context, caseID string) ([]Chat, error) {
	chats, err := s.store.CaseChats(ctx, caseID)
	if err != nil {
		return nil, fmt.Errorf("listing the chats of case %s: %w", caseID, err)
	}
	return chats, nil
}

// History returns up to limit stored events of the chat after the sequence
// number after.
func (s *Service) History(ctx context.Context, chatID string, after uint64, limit int) ([]protocol.Event, error) {
	return s.store.Events(ctx, chatID, after, limit)
}

// Stored hands events of a chat that were just stored, after the sequence
// number after and up to upto, to this process's subscribers and Observer.
// events are the stored events when the caller has them, nil when it only
// knows they exist: those who need them then read them from the store. The
// Service calls it for what it stores; a Fanout, for what other processes
// stored.
func (s *Service) Stored(ctx context.Context, chatID string, after, upto uint64, events []protocol.Event) {
	s.changes.bump()
	s.hub.stored(chatID, upto, events)
	if s.Observer != nil {
		s.hub.observe(ctx, s.Observer, chatID, after, upto, events)
	}
}

// Relayed hands ephemeral events that another process relayed to this
// process's subscribers of the chat, but the sender.
func (s *Service) Relayed(chatID, sender string, events []protocol.Event) {
	for _, e := range events {
		s.hub.relayed(chatID, sender, []protocol.Event{e})
	}
}

// Signaled tells the chat's subscribers of party here that the chat holds
// new call signals for them; a Fanout calls it for what other processes
// hold.
func (s *Service) Signaled(chatID, party string) {
	s.hub.signaled(chatID, party)
}

// OpenedElsewhere tells the service that another process started a chat,
// for whoever waits for a change in the list of chats.
func (s *Service) OpenedElsewhere() { s.changes.bump() }

// Subscribe follows the chat's stream from a position: the subscription
// first delivers every stored event after from (all of them when from names
// another epoch; a position without an epoch is taken to be in the chat's
// stream), then the call signals held for party after from.Signal, then
// what happens in the chat. Every delivery carries the stream's epoch; the
// first is sent even when there is nothing to catch up on. party is the
// subscriber's own party id: its own typing is not echoed back to it, and
// only the call signals addressed to it reach it. Subscribing reads nothing
// but the chat: the subscription reads its catch-up when the subscriber
// asks for it, so writers never wait for it. The caller must Close the
// subscription.
func (s *Service) Subscribe(ctx context.Context, chatID string, from protocol.Position, party string) (*Subscription, error) {
	c, err := s.Chat(ctx, chatID)
	if err != nil {
		return nil, err
	}
	after := from.Seq
	if from.Epoch != "" && from.Epoch != c.Epoch {
		after = 0
	}
	sub := newSubscription(chatID, c.Epoch, party, after, s.store, s.HistoryPage, s.QueueSize)
	sub.signals, sub.signalCursor, sub.now = s.Signals, from.Signal, s.Now
	s.hub.join(sub)
	// Read once joined: what is stored from now on is announced to it.
	head, err := s.store.Chat(ctx, chatID)
	if err != nil {
		sub.Close()
		return nil, fmt.Errorf("reading chat %s: %w", chatID, err)
	}
	sub.catchUp(head.LastSeq)
	return sub, nil
}

// LeasePoll takes the lease on the chat's long poll for d at most: the API
// lets one poll wait at a time, whichever process serves it. ok is false
// while another poll holds it; release gives it back.
func (s *Service) LeasePoll(ctx context.Context, chatID string, d time.Duration) (release func(), ok bool, err error) {
	release, ok, err = s.Leases.Lease(ctx, "poll "+chatID, d)
	if err != nil {
		return nil, false, fmt.Errorf("leasing the poll of chat %s: %w", chatID, err)
	}
	return release, ok, nil
}

// Changed waits until something happened in any chat after the change
// counter since, and returns the new counter; Changed(ctx, 0) returns at
// once. An agent's chat list polls it.
func (s *Service) Changed(ctx context.Context, since uint64) (uint64, error) {
	return s.changes.wait(ctx, since)
}

// Resync announces again every open chat, and every chat this process
// follows (it has subscribers, or the Observer knows it), up to its last
// stored event, and their held call signals: at the start, so the Observer
// learns where every open chat stands, and for a Fanout that may have
// missed announcements.
func (s *Service) Resync(ctx context.Context) error {
	s.changes.bump()
	open, err := s.store.OpenChats(ctx)
	if err != nil {
		return fmt.Errorf("listing open chats: %w", err)
	}
	seen := map[string]bool{}
	for _, c := range open {
		seen[c.ID] = true
		s.Stored(ctx, c.ID, c.LastSeq, c.LastSeq, nil)
	}
	for _, id := range s.hub.followed() {
		// Signals held meanwhile were not announced either.
		s.hub.signaledAll(id)
		if seen[id] {
			continue
		}
		c, err := s.store.Chat(ctx, id)
		if err != nil {
			return fmt.Errorf("reading chat %s: %w", id, err)
		}
		s.Stored(ctx, c.ID, c.LastSeq, c.LastSeq, nil)
	}
	return nil
}
