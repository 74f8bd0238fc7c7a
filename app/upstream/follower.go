package upstream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strconv"
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

// tailSize is how many of the last events the tenant sent a follower keeps,
// to know them when a poll answer repeats them.
const tailSize = 16

// maxEphemeral is how many typing events and call signals may wait to go:
// only the latest mean anything.
const maxEphemeral = 16

// unnamed is the sender of what the tenant sent without a party_id where
// the API gives one.
const unnamed = "contact-center"

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

// load reads what the inbox holds of a chat the bridge resumes: the form
// requests, files and repeats to know, and the last events to recognise.
func (f *follower) load() bool {
	for after := uint64(0); ; {
		var page []chat.Queued
		if !f.retry(func() (err error) {
			page, err = f.b.store.Queue(f.ctx, f.chatID, chat.Inbox, after, 500)
			return err
		}) {
			return false
		}
		if len(page) == 0 {
			return true
		}
		for _, q := range page {
			f.remember(q.Body)
			if e, err := decode(q.Body); err == nil {
				f.note(e)
				f.localize(e)
			}
		}
		after = page[len(page)-1].N
	}
}

// remember keeps raw among the last events the tenant sent.
func (f *follower) remember(raw json.RawMessage) {
	f.tail = append(f.tail, raw)
	if len(f.tail) > tailSize {
		f.tail = f.tail[len(f.tail)-tailSize:]
	}
}

// note records an event's natural key, so that it is known when it comes
// again.
func (f *follower) note(e protocol.Event) {
	if k := naturalKey(e); k != "" {
		f.seen[k] = true
	}
}

// poll publishes what the inbox holds and was not published, then
// long-polls the chat, one poll at a time, until it is over.
//
// When a poll's answer may have been lost on the way (or the server
// stopped as one came), the tenant counted its events as delivered, and
// only the chat's history upstream still has them. So while unsure, the
// follower reads the history before it polls: what the history held that is
// neither here nor in the next answer was lost, and came before that
// answer. (What the tenant had not delivered when the history was read is
// all in the next answer; what came later is not in the history.)
func (f *follower) poll(resumed bool) {
	if !f.publishPending() {
		return
	}
	unsure := resumed
	var (
		history []json.RawMessage
		read    bool
	)
	backoff := f.b.MinBackoff
	for f.ctx.Err() == nil {
		up := f.upstream()
		if unsure && !read {
			var err error
			if history, err = f.b.client.History(f.ctx, up.ClientID, up.UpstreamID); err != nil {
				if !f.handle(err, &backoff) {
					return
				}
				continue
			}
			read = true
		}
		events, err := f.b.client.Poll(f.ctx, up.ClientID, up.UpstreamID)
		if err != nil {
			if fault := (*Fault)(nil); errors.As(err, &fault) && fault.Unsure {
				// This answer may be lost too: the history read before
				// it may not hold all it carried.
				unsure, read = true, false
			}
			if !f.handle(err, &backoff) {
				return
			}
			continue
		}
		f.reached()
		backoff = f.b.MinBackoff
		if unsure {
			events = append(f.missing(up, history, events), events...)
			unsure, read, history = false, false, nil
		}
		if !f.take(events) {
			return
		}
	}
}

// handle deals with a call to the tenant that failed, and reports whether
// the follower goes on: 5005 ends the chat, refused credentials stop it,
// 5509 and every fault that may pass wait for the next try.
func (f *follower) handle(err error, backoff *time.Duration) bool {
	switch outcomeOf(err) {
	case gone:
		f.gone()
		return false
	case denied:
		f.deny(err)
		return false
	case busy:
		// Another poll of this chat still waits upstream (one the bridge
		// gave up on, or a process before a restart): let it end.
	default:
		f.failed(err)
	}
	return f.sleep(backoff)
}

// take handles a poll's answer: it drops what the tenant sent again, keeps
// the rest in the inbox, then publishes it in order. It reports whether
// the follower goes on.
func (f *follower) take(raws []json.RawMessage) bool {
	raws = raws[overlap(f.tail, raws):]
	up := f.upstream()
	var (
		kept    []protocol.Event
		durable []chat.Queued
	)
	for _, raw := range raws {
		f.remember(raw)
		e, err := decode(raw)
		if err != nil {
			f.b.Log.Warn("the tenant sent what is not an event; skipped", "chat", f.chatID, "event", string(raw), "err", err)
			continue
		}
		if e.EventMeta().PartyID == up.UpstreamID {
			continue // the visitor's own, stored when the tenant took it
		}
		if k := naturalKey(e); k != "" {
			if f.seen[k] {
				continue
			}
			f.seen[k] = true
		}
		kept = append(kept, e)
		if !protocol.Ephemeral(e) {
			durable = append(durable, chat.Queued{Body: raw})
		}
	}
	var added []chat.Queued
	if len(durable) > 0 && !f.retry(func() (err error) {
		added, err = f.b.store.Enqueue(f.ctx, f.chatID, chat.Inbox, durable)
		return err
	}) {
		return false
	}
	for _, e := range kept {
		if protocol.Ephemeral(e) {
			if !f.publishEphemeral(e) {
				return false
			}
			continue
		}
		if len(added) == 0 {
			break // entries without keys are all kept; a store that kept fewer broke its contract
		}
		q := added[0]
		added = added[1:]
		if !f.publish(q.N, e) {
			return false
		}
	}
	return f.retry(f.save)
}

// overlap is how many of the first events of next are the last of tail,
// byte for byte: an answer that starts with what the last one ended with
// repeats it.
func overlap(tail, next []json.RawMessage) int {
	for k := min(len(tail), len(next)); k > 0; k-- {
		same := true
		for i := range k {
			if !bytes.Equal(bytes.TrimSpace(tail[len(tail)-k+i]), bytes.TrimSpace(next[i])) {
				same = false
				break
			}
		}
		if same {
			return k
		}
	}
	return 0
}

// publishPending publishes what the inbox holds past Published: what a
// restart left.
func (f *follower) publishPending() bool {
	for {
		var page []chat.Queued
		if !f.retry(func() (err error) {
			page, err = f.b.store.Queue(f.ctx, f.chatID, chat.Inbox, f.upstream().Published, 200)
			return err
		}) {
			return false
		}
		if len(page) == 0 {
			return true
		}
		for _, q := range page {
			e, err := decode(q.Body)
			if err != nil {
				f.published(q.N)
				continue
			}
			if !f.publish(q.N, e) {
				return false
			}
		}
		if !f.retry(f.save) {
			return false
		}
	}
}

// missing is what the tenant sent, of the chat's history read before
// answer, that is neither here nor in answer: what a lost poll answer
// carried. Only what has a natural key can be told from what is here.
func (f *follower) missing(up chat.Upstream, history, answer []json.RawMessage) []json.RawMessage {
	coming := map[string]bool{}
	for _, raw := range answer {
		if e, err := decode(raw); err == nil {
			coming[naturalKey(e)] = true
		}
	}
	var missing []json.RawMessage
	for _, raw := range history {
		e, err := decode(raw)
		if err != nil || e.EventMeta().PartyID == up.UpstreamID || protocol.Ephemeral(e) {
			continue
		}
		if k := naturalKey(e); k != "" && !f.seen[k] && !coming[k] {
			missing = append(missing, raw)
		}
	}
	if len(missing) > 0 {
		f.b.Log.Info("the tenant's history holds events a lost poll answer carried; publishing them", "chat", f.chatID, "events", len(missing))
	}
	return missing
}

// publish publishes the inbox's entry n, the event e, in the chat, once
// under what names it upstream, and moves Published to n.
func (f *follower) publish(n uint64, e protocol.Event) bool {
	key := naturalKey(e)
	if key == "" {
		key = "n\x00" + strconv.FormatUint(n, 10)
	}
	local := f.localize(e)
	if protocol.EndsChat(local) {
		f.delivering.Lock()
		defer f.delivering.Unlock()
	}
	backoff := f.b.MinBackoff
	for {
		err := f.b.svc.PublishOnce(f.ctx, f.chatID, keyPrefix+key, local)
		var perr *protocol.Error
		switch {
		case err == nil:
			f.published(n)
			if protocol.EndsChat(local) {
				f.stop("the chat ended on the tenant", nil)
				return false
			}
			return true
		case errors.As(err, &perr) && perr.Code == protocol.CodeChatNotFound:
			f.stop("the chat ended here", nil)
			return false
		case errors.As(err, &perr):
			f.b.Log.Warn("an event of the tenant cannot be published; skipped", "chat", f.chatID, "event", e.EventType(), "err", err)
			f.published(n)
			return true
		}
		if !f.sleep(&backoff) {
			return false
		}
	}
}

// publishEphemeral relays typing and call signals from the tenant.
func (f *follower) publishEphemeral(e protocol.Event) bool {
	err := f.b.svc.Publish(f.ctx, f.chatID, f.localize(e))
	var perr *protocol.Error
	if errors.As(err, &perr) && perr.Code == protocol.CodeChatNotFound {
		f.stop("the chat ended here", nil)
		return false
	}
	return true
}

func (f *follower) published(n uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.up.Published = max(f.up.Published, n)
}

// localize is an event of the tenant as Parley's clients read it: a form
// request numbered as they read it (the tenant's id is remembered for the
// answer), the tenant's file remembered as remote, a party type they know,
// a message's text beside its HTML, a sender where the API gives one.
func (f *follower) localize(e protocol.Event) protocol.Event {
	meta := e.EventMeta()
	meta.Seq = 0
	switch e := e.(type) {
	case *protocol.FormShow:
		local := localFormID(e.FormRequestID)
		f.mu.Lock()
		f.forms[local.String()] = e.FormRequestID
		f.mu.Unlock()
		e.FormRequestID = local
	case *protocol.File:
		f.mu.Lock()
		f.remote[e.FileID] = true
		f.mu.Unlock()
		if e.FileName == "" {
			e.FileName = "file"
		}
		if e.FileType == "" {
			e.FileType = protocol.FileAttachment
		}
	case *protocol.Message:
		if e.MsgText == "" {
			e.MsgText = plainText(e.Msg)
		}
	case *protocol.PartyJoined:
		switch e.Type {
		case protocol.PartyScenario, protocol.PartyExternal, protocol.PartyInternal:
		default:
			// An MS Teams user, say: an agent to the clients.
			e.Type = protocol.PartyInternal
		}
	}
	switch e.(type) {
	case *protocol.Message, *protocol.File, *protocol.Typing, *protocol.NotTyping, *protocol.Location, *protocol.Signaling:
		if meta.PartyID == "" {
			meta.PartyID = unnamed
		}
	}
	return e
}

// isRemote says whether the file is the tenant's, shared in the chat.
func (f *follower) isRemote(fileID string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.remote[fileID]
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
