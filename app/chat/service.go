package chat

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	mathrand "math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/parleychat/parley/protocol"
)

// Service runs chats over a Store. Its zero value is not usable; call
// NewService. The exported fields are tunables that tests override; set them
// before the service is used.
type Service struct {
	// Now is the clock that stamps events.
	Now func() time.Time
	// QueueSize is how many deliveries a subscription may fall behind
	// before it is dropped with ErrTooSlow.
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
	// Observer hears of every chat opened and every event posted.
	Observer Observer

	store   Store
	mu      sync.Mutex
	streams map[string]*stream
	limits  limiter
	changes changes
}

// Observer follows every chat. It is called after the events were
// delivered, outside any lock, in the goroutine that posted them, so it may
// post events itself; it must not block for long. The scenario is one.
type Observer interface {
	// Opened is called for a chat just started.
	Opened(ctx context.Context, c Chat)
	// Posted is called with the events just stored or relayed in a chat,
	// stamped as the subscribers got them.
	Posted(ctx context.Context, chatID string, events []protocol.Event)
}

// stream serialises everything that writes to one chat or joins it, so that
// sequence numbers are handed out in the order events are delivered, and a
// subscriber that joins sees each event exactly once: from history or live.
type stream struct {
	mu   sync.Mutex
	subs map[*Subscription]bool
	// users counts the goroutines that hold the stream; with no users and
	// no subscribers it is forgotten.
	users int
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
		store:        store,
		streams:      map[string]*stream{},
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

// Send takes events from the chat's visitor. They are all validated first:
// if one is refused, none is taken. Each is then stamped with the chat id as
// its party and the time, stored unless it is ephemeral (typing, call
// signals), and delivered. A true resend (the same msg_id with the same
// content) is stored once, so a visitor may resend anything it is unsure
// about; a different event that reuses a msg_id is stored too. A visitor who
// sends messages, receipts, typing or call signals faster than their limit
// is refused with CodeRateLimited, each kind on its own budget.
func (s *Service) Send(ctx context.Context, chatID string, events ...protocol.Event) error {
	var need [budgets]int
	for _, e := range events {
		if err := protocol.ValidateClientEvent(e); err != nil {
			return err
		}
		need[budgetOf(e)]++
	}
	now := s.Now()
	limits := [budgets]Limit{{s.VisitorRate, s.VisitorBurst}, s.Receipts, s.Typing, s.Signaling}
	if short, ok := s.limits.allow(chatID, need, limits, now); !ok {
		return protocol.Errorf(protocol.CodeRateLimited, "more than %g %s a second; slow down", limits[short].Rate, short)
	}
	for _, e := range events {
		*e.EventMeta() = protocol.Meta{PartyID: chatID, Timestamp: protocol.At(now)}
		if sig, ok := e.(*protocol.Signaling); ok {
			sig.Data = sig.DataObject()
		}
		if err := s.checkFile(ctx, chatID, e); err != nil {
			return err
		}
	}
	return s.post(ctx, chatID, chatID, events)
}

// Publish takes events from the contact center's side of the chat: agents,
// the scenario, the server itself. Events keep their PartyID; a missing
// timestamp is set, and so is a missing msg_id on messages, files and
// locations, so visitors have something to send receipts for. A form request
// gets the form_request_id and channel the Android SDK requires: an id that
// is not a number it reads (an integer from 1 to 2^31-1) is replaced by one.
func (s *Service) Publish(ctx context.Context, chatID string, events ...protocol.Event) error {
	for _, e := range events {
		if fs, ok := e.(*protocol.FormShow); ok && fs != nil {
			fs.FormRequestID = formRequestID(fs.FormRequestID)
			if fs.Channel == "" {
				fs.Channel = protocol.ChannelChat
			}
		}
		if err := protocol.ValidateServerEvent(e); err != nil {
			return err
		}
	}
	now := protocol.At(s.Now())
	for _, e := range events {
		meta := e.EventMeta()
		meta.Seq = 0
		if meta.Timestamp.IsZero() {
			meta.Timestamp = now
		}
		if id := protocol.MsgIDOf(e); id != nil && id.IsZero() {
			*id = protocol.TextID(randomString(9))
		}
		if sig, ok := e.(*protocol.Signaling); ok {
			sig.Data = sig.DataObject()
		}
		if err := s.checkFile(ctx, chatID, e); err != nil {
			return err
		}
	}
	return s.post(ctx, chatID, "", events)
}

// Take gives the chat to the agent who joins it, and tells the visitor:
// the agent's party_joined, then status connected. An agent who already has
// the chat takes it again without a second announcement.
func (s *Service) Take(ctx context.Context, chatID string, agent *protocol.PartyJoined) error {
	c, err := s.Chat(ctx, chatID)
	if err != nil {
		return err
	}
	if c.State.Over() {
		return protocol.Errorf(protocol.CodeChatNotFound, "chat %s has ended", chatID)
	}
	if err := s.store.Assign(ctx, chatID, agent.PartyID); err != nil {
		return err
	}
	if c.Agent == agent.PartyID {
		return nil
	}
	agent.Type = protocol.PartyInternal
	return s.Publish(ctx, chatID, agent, &protocol.Status{State: protocol.StateConnected})
}

// post stores and delivers events of one chat, then tells the observer.
func (s *Service) post(ctx context.Context, chatID, sender string, events []protocol.Event) error {
	posted, err := s.deliver(ctx, chatID, sender, events)
	if len(posted) > 0 {
		s.changes.bump()
		if s.Observer != nil {
			s.Observer.Posted(ctx, chatID, posted)
		}
	}
	return err
}

func (s *Service) deliver(ctx context.Context, chatID, sender string, events []protocol.Event) (posted []protocol.Event, err error) {
	st := s.acquire(chatID)
	defer s.release(chatID)
	st.mu.Lock()
	defer st.mu.Unlock()

	c, err := s.Chat(ctx, chatID)
	if err != nil {
		return nil, err
	}
	for _, e := range events {
		if c.State.Over() {
			return posted, protocol.Errorf(protocol.CodeChatNotFound, "chat %s has ended", chatID)
		}
		if ephemeral(e) {
			st.deliver(protocol.Envelope{Events: []protocol.Event{e}, Epoch: c.Epoch}, sender)
			posted = append(posted, e)
			continue
		}
		stored, err := s.store.Append(ctx, chatID, []Entry{{Event: e, Key: dedupeKey(e)}})
		if err != nil {
			return posted, fmt.Errorf("storing %s in chat %s: %w", e.EventType(), chatID, err)
		}
		if len(stored) == 0 {
			continue
		}
		st.deliver(protocol.Envelope{Events: stored, Epoch: c.Epoch}, sender)
		posted = append(posted, stored...)
		for _, ev := range stored {
			c.Apply(ev) // as the store did, to know whether the chat is over
		}
	}
	return posted, nil
}

// Subscribe follows the chat's stream from a position: the subscription
// first delivers every stored event after from (all of them when from names
// another epoch; a position without an epoch is taken to be in the chat's
// stream), then live events as they are published. Every delivery
// carries the stream's epoch; the first is sent even when there is nothing
// to catch up on. party is the subscriber's own party id, whose ephemeral
// events are not echoed back to it. The caller must Close the subscription.
func (s *Service) Subscribe(ctx context.Context, chatID string, from protocol.Position, party string) (*Subscription, error) {
	st := s.acquire(chatID)
	defer s.release(chatID)
	st.mu.Lock()
	defer st.mu.Unlock()

	c, err := s.Chat(ctx, chatID)
	if err != nil {
		return nil, err
	}
	after := from.Seq
	if from.Epoch != "" && from.Epoch != c.Epoch {
		after = 0
	}
	sub := newSubscription(party, s.QueueSize)
	for {
		page, err := s.store.Events(ctx, chatID, after, s.HistoryPage)
		if err != nil {
			return nil, fmt.Errorf("reading chat %s after %d: %w", chatID, after, err)
		}
		if len(page) == 0 {
			break
		}
		sub.backlog = append(sub.backlog, protocol.Envelope{Events: page, Epoch: c.Epoch})
		after = page[len(page)-1].EventMeta().Seq
	}
	if len(sub.backlog) == 0 {
		sub.backlog = append(sub.backlog, protocol.Envelope{Events: []protocol.Event{}, Epoch: c.Epoch})
	}
	st.subs[sub] = true
	sub.leave = func() {
		st.mu.Lock()
		delete(st.subs, sub)
		st.mu.Unlock()
		s.release(chatID)
	}
	s.mu.Lock()
	st.users++ // the subscription holds the stream until it leaves
	s.mu.Unlock()
	return sub, nil
}

// Changed waits until something happened in any chat after the change
// counter since, and returns the new counter; Changed(ctx, 0) returns at
// once. An agent's chat list polls it.
func (s *Service) Changed(ctx context.Context, since uint64) (uint64, error) {
	return s.changes.wait(ctx, since)
}

func (s *Service) acquire(chatID string) *stream {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.streams[chatID]
	if !ok {
		st = &stream{subs: map[*Subscription]bool{}}
		s.streams[chatID] = st
	}
	st.users++
	return st
}

func (s *Service) release(chatID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.streams[chatID]
	if st.users--; st.users == 0 {
		delete(s.streams, chatID)
	}
}

// deliver queues env for every subscriber, except that ephemeral events do
// not go back to their sender. The caller holds st.mu.
func (st *stream) deliver(env protocol.Envelope, sender string) {
	echo := !ephemeral(env.Events[0])
	for sub := range st.subs {
		if !echo && sub.party == sender {
			continue
		}
		if !sub.push(env) {
			delete(st.subs, sub)
		}
	}
}

// ephemeral events are delivered to whoever is following the chat and never
// stored: a typing indicator or a call signal means nothing later.
func ephemeral(e protocol.Event) bool {
	switch e.(type) {
	case *protocol.Typing, *protocol.NotTyping, *protocol.Signaling:
		return true
	}
	return false
}

// noMsgID is the msg_id the Android SDK sends for every message when the app
// gives none (Kotlin's text for a null UUID): it names no message, so two
// such messages are never taken for one.
const noMsgID = "null"

// dedupeKey names what makes an event the same as one already stored: its
// sender sending the same msg_id with the same content again, the same
// answer to a form request again, a party's receipt for the same message
// again. A different event that reuses a msg_id has another key, and is
// stored too.
func dedupeKey(e protocol.Event) string {
	party := e.EventMeta().PartyID
	switch e := e.(type) {
	case *protocol.MessageDelivered:
		return "delivered\x00" + party + "\x00" + e.RefMsgID.String()
	case *protocol.MessageRead:
		return "read\x00" + party + "\x00" + e.RefMsgID.String()
	case *protocol.FormData:
		return "form\x00" + e.FormRequestID.String() + "\x00" + contentHash(e)
	case *protocol.SecureFormData:
		return "form\x00" + e.FormRequestID.String() + "\x00" + contentHash(e)
	case *protocol.SecureFormCancel:
		return "form\x00" + e.FormRequestID.String() + "\x00" + contentHash(e)
	}
	if id := protocol.MsgIDOf(e); id != nil && !id.IsZero() && id.String() != noMsgID {
		return "msg\x00" + party + "\x00" + id.String() + "\x00" + contentHash(e)
	}
	return ""
}

// contentHash digests what an event says, without who sent it and when.
func contentHash(e protocol.Event) string {
	meta := e.EventMeta()
	saved := *meta
	*meta = protocol.Meta{}
	data, err := protocol.MarshalEvent(e)
	*meta = saved
	if err != nil {
		// Validated events always encode; an event that does not is
		// taken for new.
		data = []byte(randomString(16))
	}
	sum := sha256.Sum256(data)
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

// formRequestID returns id if the Android SDK reads it as its form_request_id,
// a 32-bit integer, written as a JSON number; else a random one it reads.
func formRequestID(id protocol.ID) protocol.ID {
	if n, err := strconv.ParseUint(id.String(), 10, 31); err == nil && n > 0 {
		return protocol.NumberID(n)
	}
	return protocol.NumberID(1 + mathrand.Uint64N(math.MaxInt32))
}
