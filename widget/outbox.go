package widget

import (
	"encoding/json"
	"strconv"

	"github.com/parleychat/parley/protocol"
)

// outbox is what the visitor sent that the server has not confirmed, in
// order, with the msg_id counter. With a Memory it outlives the page: a
// reload sends again what was never confirmed, under the same msg_ids, and
// the server drops whatever it already had. The Session's lock guards it.
type outbox struct {
	memory Memory
	appID  string
	chatID string
	queue  []*outgoing
	// next numbers the visitor's next msg_id; it never goes back to a
	// number the chat already holds.
	next    int
	lastRef int
	// generation counts connections, so a writer of a broken one cannot
	// mark frames as written on the next.
	generation int
}

// outgoing is a frame waiting to be written, or for a durable one, waiting
// for the server's answer.
type outgoing struct {
	ref     string
	event   protocol.Event
	durable bool
	written bool
}

// saved is the outbox as Memory keeps it.
type saved struct {
	Next   int               `json:"next"`
	Events []json.RawMessage `json:"events"`
}

func (o *outbox) key() string { return "parley." + o.appID + ".outbox." + o.chatID }

// restore loads what an earlier page left for the chat, puts it first in
// the queue, and returns it.
func (o *outbox) restore(chatID string) []protocol.Event {
	o.chatID = chatID
	if o.memory == nil {
		return nil
	}
	var s saved
	if err := o.memory.Get(o.key(), &s); err != nil {
		return nil
	}
	o.next = max(o.next, s.Next)
	var restored []*outgoing
	var events []protocol.Event
	for _, raw := range s.Events {
		e, err := protocol.UnmarshalEvent(raw)
		if err != nil || protocol.ValidateClientEvent(e) != nil {
			continue
		}
		o.lastRef++
		restored = append(restored, &outgoing{ref: strconv.Itoa(o.lastRef), event: e, durable: true})
		events = append(events, e)
	}
	o.queue = append(restored, o.queue...)
	return events
}

// add queues an event.
func (o *outbox) add(e protocol.Event, durable bool) {
	o.lastRef++
	o.queue = append(o.queue, &outgoing{ref: strconv.Itoa(o.lastRef), event: e, durable: durable})
	if durable {
		o.save()
	}
}

// bump moves the counter past n.
func (o *outbox) bump(n int) {
	if n > o.next {
		o.next = n
		o.save()
	}
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

// written records that f went out on the connection of generation; a typing
// event is then done with.
func (o *outbox) written(f *outgoing, generation int) {
	if generation != o.generation {
		return
	}
	f.written = true
	if !f.durable {
		o.remove(f.ref)
	}
}

// disconnected starts a new connection's generation: durable frames go out
// again, typing events are dropped.
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
			if f.durable {
				o.save()
			}
			return f
		}
	}
	return nil
}

// forget drops what is kept for a chat that is over.
func (o *outbox) forget() {
	o.queue = nil
	if o.memory != nil && o.chatID != "" {
		o.memory.Del(o.key())
	}
}

func (o *outbox) save() {
	if o.memory == nil || o.chatID == "" {
		return
	}
	s := saved{Next: o.next, Events: []json.RawMessage{}}
	for _, f := range o.queue {
		if !f.durable {
			continue
		}
		if raw, err := protocol.MarshalEvent(f.event); err == nil {
			s.Events = append(s.Events, raw)
		}
	}
	_ = o.memory.Set(o.key(), s) // without storage the outbox lasts one page
}
