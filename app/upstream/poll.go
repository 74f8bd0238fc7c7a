package upstream

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/protocol"
)

// tailSize is how many of the last events the tenant sent a follower keeps,
// to know them when a poll answer repeats them.
const tailSize = 16

// unnamed is the sender of what the tenant sent without a party_id where
// the API gives one.
const unnamed = "contact-center"

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
// answer), the tenant's file remembered as remote, a call signal addressed
// to the visitor by its party here, a party type they know,
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
	case *protocol.Signaling:
		// The tenant calls the visitor by its chat id upstream; here the
		// visitor's party is the chat's own id.
		if e.DestinationPartyID == f.upstream().UpstreamID {
			e.DestinationPartyID = f.chatID
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
