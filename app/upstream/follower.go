package upstream

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/protocol"
)

// Keys under which the bridge publishes in a chat: what the tenant sent, by
// what names it upstream; and the bridge's own word when it stops a chat.
const (
	keyPrefix  = "upstream\x00"
	stoppedKey = keyPrefix + "stopped"
)

// follower bridges one chat: it asks for it upstream, polls it, publishes
// what the tenant sends, and sends what the visitor sends.
type follower struct {
	b      *Bridge
	chatID string
	ctx    context.Context
	cancel context.CancelFunc
	// requested is closed once Request Chat answered for the first time:
	// refusal is then the tenant's refusal, or nil.
	requested chan struct{}
	refusal   error
	// wake tells the sender that the outbox or the ephemeral queue grew.
	wake chan struct{}
	// saving orders the saves of up, so the last one stored is the last
	// one made.
	saving sync.Mutex
	// delivering is held while one of the visitor's events goes to the
	// tenant and, once taken, into the chat, and by whoever ends the
	// chat: an end the tenant sent right after taking the visitor's last
	// event comes after it here too.
	delivering sync.Mutex

	mu sync.Mutex
	up chat.Upstream
	// forms maps the form_request_id of each form request published here
	// to the tenant's, as it sent it.
	forms map[string]protocol.ID
	// remote holds the ids of the tenant's files shared in the chat.
	remote map[string]bool
	// ephemeral holds the visitor's typing and call signals to forward.
	ephemeral []protocol.Event
	// failing is when calls to the tenant began to fail, zero while they
	// work; unreachable says the chat's widgets were told.
	failing     time.Time
	unreachable bool
	stopped     bool

	// Only the poller touches these: the natural keys of what the tenant
	// sent, and its last events as they came.
	seen map[string]bool
	tail []json.RawMessage

	// Only the sender touches these: the tenant's ids of the visitor's
	// files, and whether the first event it has not sent may have arrived
	// already (an answer was lost, or the server restarted).
	files  map[string]string
	unsure bool
}

func newFollower(b *Bridge, up chat.Upstream) *follower {
	ctx, cancel := context.WithCancel(b.ctx)
	return &follower{
		b: b, chatID: up.ChatID, ctx: ctx, cancel: cancel,
		requested: make(chan struct{}), wake: make(chan struct{}, 1),
		up: up, forms: map[string]protocol.ID{}, remote: map[string]bool{},
		seen: map[string]bool{}, files: map[string]string{},
	}
}

// run follows the chat until it is over, refused, or the bridge stops.
// resumed says the chat has a past to pick up: its inbox, its outbox, and
// the tenant's history.
func (f *follower) run(resumed bool) {
	defer f.b.forget(f)
	defer f.cancel()
	if !f.request() {
		return
	}
	if resumed && !f.load() {
		return
	}
	f.unsure = resumed
	var sender sync.WaitGroup
	sender.Go(f.send)
	f.poll(resumed)
	f.cancel()
	sender.Wait()
}

// request asks for the chat upstream until the tenant answers with it or
// refuses it, and reports whether the chat has its upstream id.
func (f *follower) request() bool {
	if f.upstream().UpstreamID != "" {
		close(f.requested)
		return true
	}
	var req protocol.ChatRequest
	if !f.retry(func() error {
		c, err := f.b.svc.Chat(f.ctx, f.chatID)
		req = c.Request
		return err
	}) {
		return false
	}
	backoff := f.b.MinBackoff
	for {
		session, err := f.b.client.RequestChat(f.ctx, f.upstream().ClientID, req)
		switch outcomeOf(err) {
		case done:
			f.reached()
			f.mu.Lock()
			f.up.UpstreamID = session.ChatID
			f.mu.Unlock()
			saved := f.retry(f.save)
			close(f.requested)
			return saved
		case denied:
			f.refusal = protocol.Errorf(protocol.CodeLaunchPoint, "this launch point cannot take chats now")
			f.deny(err)
			close(f.requested)
			return false
		case refused, gone:
			f.refusal = refusalOf(err)
			f.stop("the tenant refused the chat: "+err.Error(), &protocol.Status{State: protocol.StateFailed})
			close(f.requested)
			return false
		default:
			f.failed(err)
		}
		if !f.sleep(&backoff) {
			return false
		}
	}
}

// refusalOf is the tenant's refusal of Request Chat as the server answers
// it: 5001 as it is (the widget offers to leave a message), anything else
// as a launch point that cannot take chats.
func refusalOf(err error) error {
	var perr *protocol.Error
	if errors.As(err, &perr) && perr.Code == protocol.CodeNoServer {
		return perr
	}
	return protocol.Errorf(protocol.CodeLaunchPoint, "this launch point cannot take chats now")
}

// upstream returns a copy of the chat's upstream state.
func (f *follower) upstream() chat.Upstream {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.up
}

// save stores the chat's upstream state as it is now.
func (f *follower) save() error {
	f.saving.Lock()
	defer f.saving.Unlock()
	return f.b.store.SaveUpstream(f.ctx, f.upstream())
}

// gone ends the chat for its visitor: the tenant says it has ended (5005),
// as Bright Pattern's clients take that answer.
func (f *follower) gone() {
	f.stop("the chat ended on the tenant (5005)", &protocol.Ended{})
}

// deny stops the chat because the tenant refused Parley's credentials, and
// tells the operator, whose configuration is wrong.
func (f *follower) deny(err error) {
	f.b.Log.Error("the Bright Pattern tenant refused Parley's credentials; the chat is stopped. Check -upstream-app-id and -upstream-tenant-url",
		"chat", f.chatID, "upstream", f.b.client.base, "err", err)
	f.stop("the tenant refused Parley's credentials: "+err.Error(), &protocol.Status{State: protocol.StateFailed})
}

// stop ends following the chat, for reason: last, when not nil, is
// published first to end the chat for its visitor, and the reason is kept
// with the chat's upstream state.
func (f *follower) stop(reason string, last protocol.Event) {
	f.mu.Lock()
	if f.stopped {
		f.mu.Unlock()
		return
	}
	f.stopped = true
	f.up.Stopped = reason
	f.mu.Unlock()
	// Stopping outlives the follower's context.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(f.ctx), 10*time.Second)
	defer cancel()
	if last != nil {
		f.delivering.Lock()
		err := f.b.svc.PublishOnce(ctx, f.chatID, stoppedKey, last)
		f.delivering.Unlock()
		if err != nil && !isOver(err) {
			f.b.Log.Error("ending a chat the bridge stopped following", "chat", f.chatID, "err", err)
		}
	}
	f.saving.Lock()
	err := f.b.store.SaveUpstream(ctx, f.upstream())
	f.saving.Unlock()
	if err != nil {
		f.b.Log.Error("saving why the bridge stopped following a chat", "chat", f.chatID, "err", err)
	}
	f.reached()
	f.cancel()
}

func isOver(err error) bool {
	var perr *protocol.Error
	return errors.As(err, &perr) && perr.Code == protocol.CodeChatNotFound
}

// failed notes a call to the tenant that failed: when calls keep failing
// for Grace, the chat's widgets are told it is reconnecting.
func (f *follower) failed(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.failing.IsZero() {
		return
	}
	f.failing = time.Now()
	time.AfterFunc(f.b.Grace, func() { f.overdue(err) })
}

// overdue tells the chat's widgets that the tenant cannot be reached, if
// calls have been failing for Grace.
func (f *follower) overdue(err error) {
	f.mu.Lock()
	tell := !f.stopped && !f.unreachable && !f.failing.IsZero() && time.Since(f.failing) >= f.b.Grace
	if tell {
		f.unreachable = true
	}
	f.mu.Unlock()
	if tell {
		f.b.reachability(false, err)
		f.b.tell(f.chatID, protocol.UpstreamReconnecting)
	}
}

// reached notes a call to the tenant that worked, and tells the chat's
// widgets when they had been told it could not be reached.
func (f *follower) reached() {
	f.mu.Lock()
	was := f.unreachable
	f.failing, f.unreachable = time.Time{}, false
	f.mu.Unlock()
	if was {
		f.b.reachability(true, nil)
		f.b.tell(f.chatID, protocol.UpstreamConnected)
	}
}

func (f *follower) isUnreachable() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.unreachable
}

// sleep waits out the backoff, with jitter, and doubles it up to
// MaxBackoff; false when the follower stops first.
func (f *follower) sleep(backoff *time.Duration) bool {
	wait := *backoff/2 + rand.N(*backoff/2+1)
	*backoff = min(2**backoff, f.b.MaxBackoff)
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-f.ctx.Done():
		return false
	}
}

// retry runs op, a call to Parley's own store, until it works, waiting with
// backoff between tries: a database that cannot be reached comes back.
// False when the follower stops first.
func (f *follower) retry(op func() error) bool {
	backoff := f.b.MinBackoff
	for {
		err := op()
		if err == nil {
			return true
		}
		if f.ctx.Err() != nil {
			return false
		}
		f.b.Log.Warn("the store failed; trying again", "chat", f.chatID, "err", err)
		if !f.sleep(&backoff) {
			return false
		}
	}
}

// outcome is what a call to the tenant came to.
type outcome int

const (
	done outcome = iota
	// again: it may work if tried again (timeouts, 5xx, faults, the
	// tenant's own failures).
	again
	// busy: 5509, another poll of the chat is waiting.
	busy
	// gone: 5005, the chat is not there (any more).
	gone
	// denied: the tenant refused Parley's credentials or launch point.
	denied
	// refused: the tenant refused the request itself, for good.
	refused
)

// outcomeOf says what a call's error came to.
func outcomeOf(err error) outcome {
	if err == nil {
		return done
	}
	var perr *protocol.Error
	if !errors.As(err, &perr) {
		return again
	}
	switch perr.Code {
	case protocol.CodeConcurrentPoll:
		return busy
	case protocol.CodeChatNotFound:
		return gone
	case protocol.CodeTenantURL, protocol.CodeAuthMissing, protocol.CodeAuthFormat, protocol.CodeAuthScheme,
		protocol.CodeAuthAppID, protocol.CodeAuthClientID, protocol.CodeAppID, protocol.CodeLaunchPoint, protocol.CodeForbidden:
		return denied
	case protocol.CodeNoServer, protocol.CodeBadRequest, protocol.CodeUploadTooLarge, protocol.CodeFileNotFound,
		protocol.CodeCaseNotSet, protocol.CodeTooManyParameters, protocol.CodeTooLarge, protocol.CodeNoMethod, protocol.CodeWrongMethod:
		return refused
	}
	return again
}
