package client

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/parleychat/parley/protocol"
)

// outbox is what the visitor sent that the server has not confirmed, in
// order, kept in Memory so that it outlives the page: a later page sends
// again what was never confirmed, under the same msg_ids, and the server
// drops what it already has.
//
// A visitor may have several pages open on one chat. Each page's Session
// has a name of its own, its tab: its msg_ids are "tab:n", so two pages
// never use the same one, and its outbox is kept under a key of its own,
// whose lock (see Locks) the page holds while it lives. A page that finds
// the outbox of a page that is gone (nobody holds its lock) adopts it,
// under that lock, and deletes it; so each is sent by exactly one page.
// The Session's lock guards it.
type outbox struct {
	memory Memory
	appID  string
	tab    string
	chatID string
	queue  []*outgoing
	// next is the number of the page's last msg_id.
	next    int
	lastRef int
	// generation counts connections, so a writer of a broken one cannot
	// mark frames as written on the next.
	generation int
}

// outgoing is a frame waiting to be written, or for a durable one, waiting
// for the server's answer. A durable frame is also kept in Memory when it
// persists: call signals do not, since another page has no call to signal
// for.
type outgoing struct {
	ref     string
	event   protocol.Event
	durable bool
	persist bool
	written bool
	// writtenAt is when it was written, to notice an answer that never
	// comes.
	writtenAt time.Time
}

// saved is an outbox as Memory keeps it. A key without a tab, and a next
// counter, are what pages before tabs wrote; they are adopted like any
// other.
type saved struct {
	Events []json.RawMessage `json:"events"`
}

// newTab names a page: 40 random bits, enough that the pages of one chat
// never share a name.
func newTab() string {
	var b [5]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return strings.ToLower(base32.StdEncoding.EncodeToString(b[:]))
}

func (o *outbox) prefix() string { return "parley." + o.appID + ".outbox." }

// key is where the page keeps its outbox, and the name of the lock it
// holds on it.
func (o *outbox) key() string { return o.prefix() + o.chatID + "." + o.tab }

// chatOf names the chat of an outbox key, "" if the key is not one.
func (o *outbox) chatOf(key string) string {
	rest, ok := strings.CutPrefix(key, o.prefix())
	if !ok {
		return ""
	}
	chat, _, _ := strings.Cut(rest, ".")
	return chat
}

// nextID numbers the page's next msg_id.
func (o *outbox) nextID() protocol.ID {
	o.next++
	return protocol.TextID(o.tab + ":" + strconv.Itoa(o.next))
}

// add queues an event.
func (o *outbox) add(e protocol.Event, durable, persist bool) {
	o.lastRef++
	o.queue = append(o.queue, &outgoing{ref: strconv.Itoa(o.lastRef), event: e, durable: durable, persist: persist})
	if persist {
		o.save()
	}
}

// adopt puts the events of another page's outbox first in the queue, but
// none whose msg_id is queued already, and returns those it took.
func (o *outbox) adopt(s saved) []protocol.Event {
	queued := map[protocol.ID]bool{}
	for _, f := range o.queue {
		if id := protocol.MsgIDOf(f.event); id != nil {
			queued[*id] = true
		}
	}
	var adopted []*outgoing
	var events []protocol.Event
	for _, raw := range s.Events {
		e, err := protocol.UnmarshalEvent(raw)
		if err != nil || protocol.ValidateClientEvent(e) != nil {
			continue
		}
		if id := protocol.MsgIDOf(e); id != nil && queued[*id] {
			continue
		}
		o.lastRef++
		adopted = append(adopted, &outgoing{ref: strconv.Itoa(o.lastRef), event: e, durable: true, persist: true})
		events = append(events, e)
	}
	o.queue = append(adopted, o.queue...)
	if len(adopted) > 0 {
		o.save()
	}
	return events
}

// unwritten returns the frames to write, in order.
func (o *outbox) unwritten() []*outgoing {
	var batch []*outgoing
	for _, f := range o.queue {
		if !f.written {
			batch = append(batch, f)
		}
	}
	return batch
}

// written records that f went out at on the connection of generation; an
// ephemeral event is then done with.
func (o *outbox) written(f *outgoing, generation int, at time.Time) {
	if generation != o.generation {
		return
	}
	f.written, f.writtenAt = true, at
	if !f.durable {
		o.remove(f.ref)
	}
}

// oldestUnanswered is when the oldest frame still waiting for the server's
// answer was written; zero when none is.
func (o *outbox) oldestUnanswered() time.Time {
	for _, f := range o.queue {
		if f.written {
			return f.writtenAt
		}
	}
	return time.Time{}
}

// disconnected starts a new connection's generation: durable frames go out
// again, ephemeral events are dropped.
func (o *outbox) disconnected() {
	o.generation++
	kept := o.queue[:0]
	for _, f := range o.queue {
		if f.durable {
			f.written = false
			kept = append(kept, f)
		}
	}
	o.queue = kept
}

// remove takes the frame with ref out of the queue, once the server answered
// it.
func (o *outbox) remove(ref string) *outgoing {
	for i, f := range o.queue {
		if f.ref == ref {
			o.queue = append(o.queue[:i], o.queue[i+1:]...)
			if f.persist {
				o.save()
			}
			return f
		}
	}
	return nil
}

// persisted reports whether the frame with ref is queued and kept across
// reloads: the visitor's messages, files and answers, not typing nor call
// signals.
func (o *outbox) persisted(ref string) bool {
	for _, f := range o.queue {
		if f.ref == ref {
			return f.persist
		}
	}
	return false
}

// stored takes out of the queue the frame whose event the stream brought
// back, stored: the visitor's event with the msg_id id. The server's answer
// to it may have been lost; sent again, it would only use up the visitor's
// rate limit.
func (o *outbox) stored(id protocol.ID) {
	for _, f := range o.queue {
		if mine := protocol.MsgIDOf(f.event); f.durable && mine != nil && *mine == id {
			o.remove(f.ref)
			return
		}
	}
}

// forget drops what is kept for a chat that is over, and returns the events
// that will never be sent (the call signals aside: they were for the call,
// which ends with the chat).
func (o *outbox) forget() []protocol.Event {
	var unsent []protocol.Event
	for _, f := range o.queue {
		if f.persist {
			unsent = append(unsent, f.event)
		}
	}
	o.queue = nil
	if o.chatID != "" {
		o.memory.Del(o.key())
	}
	return unsent
}

func (o *outbox) save() {
	if o.chatID == "" {
		return // the page's outbox gets its key with the chat
	}
	s := saved{Events: []json.RawMessage{}}
	for _, f := range o.queue {
		if !f.persist {
			continue
		}
		if raw, err := protocol.MarshalEvent(f.event); err == nil {
			s.Events = append(s.Events, raw)
		}
	}
	_ = o.memory.Set(o.key(), s) // Memory keeps it for the page when the browser will not
}

// claimOutbox holds the lock on the page's own outbox for the chat until
// the session ends, and saves what the page queued before it knew the
// chat. The caller does not hold s.mu.
func (s *Session) claimOutbox(ctx context.Context, chatID string) (release func()) {
	s.mu.Lock()
	s.outbox.chatID = chatID
	key := s.outbox.key()
	s.mu.Unlock()
	// Nobody else uses the page's own name: this never waits.
	release, _ = s.cfg.Locks.Lock(ctx, key, false)
	s.mu.Lock()
	s.outbox.save()
	s.mu.Unlock()
	if release == nil {
		release = func() {}
	}
	return release
}

// adoptOutboxes takes in the outboxes of the visitor's pages that are gone:
// those of this chat are sent first, those of another chat, which is over,
// are dropped. It returns the events it took. The caller does not hold
// s.mu.
func (s *Session) adoptOutboxes(ctx context.Context) []protocol.Event {
	s.mu.Lock()
	prefix, own, chatID := s.outbox.prefix(), s.outbox.key(), s.outbox.chatID
	s.mu.Unlock()
	var taken []protocol.Event
	for _, key := range s.cfg.Memory.Keys(prefix) {
		if key == own {
			continue
		}
		release, ok := s.cfg.Locks.Lock(ctx, key, true)
		if !ok {
			continue // its page is open, and sends it
		}
		var other saved
		if err := s.cfg.Memory.Get(key, &other); err == nil && s.outbox.chatOf(key) == chatID {
			s.mu.Lock()
			taken = append(taken, s.outbox.adopt(other)...)
			s.mu.Unlock()
		}
		// Kept in this page's outbox first: a page closed between the two
		// steps leaves both, and the events go twice, which the server
		// takes once.
		s.cfg.Memory.Del(key)
		release()
	}
	return taken
}
