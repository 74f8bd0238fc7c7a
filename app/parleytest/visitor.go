package parleytest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/parleychat/parley/protocol"
	"github.com/parleychat/parley/widget/client"
)

// Visitor runs the widget's client, a client.Session, as a visitor's page
// would, and records what it reports: the test side of the visitor, as
// Agent is of the agent.
type Visitor struct {
	// Session is the visitor's session: send with it.
	Session *client.Session

	tb   testing.TB
	stop func()

	mu       sync.Mutex
	conn     client.ConnState
	polling  bool
	chat     protocol.ChatSession
	events   []protocol.Event
	restored []protocol.Event
	unsent   []protocol.Event
	changed  chan struct{}
}

// VisitorConfig is a session of a new client of the test server's launch
// point at serverURL that retries fast.
func VisitorConfig(serverURL string) client.Config {
	return client.Config{
		BaseURL:     serverURL,
		Credentials: protocol.Credentials{AppID: AppID, ClientID: protocol.NewUUID()},
		MinBackoff:  10 * time.Millisecond,
		MaxBackoff:  50 * time.Millisecond,
	}
}

// RunVisitor runs a session with cfg until the test ends or Stop.
func RunVisitor(ctx context.Context, tb testing.TB, cfg client.Config) *Visitor {
	tb.Helper()
	v := &Visitor{tb: tb, Session: client.NewSession(cfg), changed: make(chan struct{}, 1)}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = v.Session.Run(runCtx)
	}()
	go func() {
		for u := range v.Session.Updates() {
			v.mu.Lock()
			if u.Conn != "" {
				v.conn, v.polling = u.Conn, u.Polling
			}
			if u.Chat != nil {
				v.chat = *u.Chat
			}
			v.events = append(v.events, u.Events...)
			v.restored = append(v.restored, u.Restored...)
			v.unsent = append(v.unsent, u.Unsent...)
			v.mu.Unlock()
			select {
			case v.changed <- struct{}{}:
			default:
			}
		}
	}()
	var once sync.Once
	v.stop = func() { once.Do(func() { cancel(); <-done }) }
	tb.Cleanup(v.stop)
	return v
}

// StartVisitor is RunVisitor that returns once the session is connected to
// its chat.
func StartVisitor(ctx context.Context, tb testing.TB, cfg client.Config) *Visitor {
	tb.Helper()
	v := RunVisitor(ctx, tb, cfg)
	v.WaitFor(ctx, "connected", func() bool { return v.State() == client.ConnConnected })
	if v.ChatID() == "" {
		tb.Fatal("connected without a chat")
	}
	return v
}

// Stop ends the session, as closing the page would.
func (v *Visitor) Stop() { v.stop() }

// WaitFor waits until cond holds, checking it after every update; the test
// fails when ctx ends first.
func (v *Visitor) WaitFor(ctx context.Context, what string, cond func() bool) {
	v.tb.Helper()
	for !cond() {
		select {
		case <-v.changed:
		case <-ctx.Done():
			v.tb.Fatalf("waiting for %s: %v (state %s)", what, ctx.Err(), v.State())
		}
	}
}

// State is the session's connection state as it last reported it.
func (v *Visitor) State() client.ConnState {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.conn
}

// Polling says whether the session reaches the server by long polling.
func (v *Visitor) Polling() bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.polling
}

// Chat is the session's chat as Request Chat answered; zero until it
// knows it.
func (v *Visitor) Chat() protocol.ChatSession {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.chat
}

// ChatID is the session's chat, "" until it knows it.
func (v *Visitor) ChatID() string { return v.Chat().ChatID }

// Events are the events of the chat's stream the session reported, in
// order.
func (v *Visitor) Events() []protocol.Event {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]protocol.Event(nil), v.events...)
}

// Restored is what the session took over from the visitor's closed pages
// and sends again.
func (v *Visitor) Restored() []protocol.Event {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]protocol.Event(nil), v.restored...)
}

// Unsent is what the session said was never sent, the chat being over.
func (v *Visitor) Unsent() []protocol.Event {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]protocol.Event(nil), v.unsent...)
}

// Messages are the texts of the messages that the party sent, as the
// session saw them in the stream, with their sequence numbers and msg_ids;
// party "" is every party but the visitor.
func (v *Visitor) Messages(party string) (texts []string, seqs []uint64, ids []protocol.ID) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, e := range v.events {
		m, ok := e.(*protocol.Message)
		if !ok || (party == "" && m.PartyID == v.chat.ChatID) || (party != "" && m.PartyID != party) {
			continue
		}
		texts, seqs, ids = append(texts, m.Msg), append(seqs, m.Seq), append(ids, m.MsgID)
	}
	return texts, seqs, ids
}
