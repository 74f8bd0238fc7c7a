package upstream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/protocol"
)

// maxEphemeral is how many typing events and call signals may wait to go:
// only the latest mean anything.
const maxEphemeral = 16

// ephemeralTimeout bounds the forwarding of a typing event or a call
// signal: late, it means nothing.
const ephemeralTimeout = 5 * time.Second

// queue keeps the visitor's events Admit took: typing and call signals for
// the sender to forward, everything else in the chat's outbox, in order,
// where a true resend (the same msg_id and content) is not kept twice.
func (f *follower) queue(ctx context.Context, events []protocol.Event) error {
	var entries []chat.Queued
	for _, e := range events {
		if protocol.Ephemeral(e) {
			f.mu.Lock()
			f.ephemeral = append(f.ephemeral, e)
			if len(f.ephemeral) > maxEphemeral {
				f.ephemeral = f.ephemeral[len(f.ephemeral)-maxEphemeral:]
			}
			f.mu.Unlock()
			continue
		}
		body, err := protocol.MarshalEvent(e)
		if err != nil {
			return fmt.Errorf("upstream: keeping %s: %w", e.EventType(), err)
		}
		entries = append(entries, chat.Queued{Body: body, Key: chat.DedupeKey(e)})
	}
	if len(entries) > 0 {
		if _, err := f.b.store.Enqueue(ctx, f.chatID, chat.Outbox, entries); err != nil {
			return fmt.Errorf("upstream: keeping the visitor's events of chat %s: %w", f.chatID, err)
		}
	}
	select {
	case f.wake <- struct{}{}:
	default:
	}
	return nil
}

// send hands the visitor's events to the tenant in order until the
// follower stops: the outbox past Sent, and what typing and call signals
// wait.
func (f *follower) send() {
	for f.ctx.Err() == nil {
		f.forward()
		var page []chat.Queued
		if !f.retry(func() (err error) {
			page, err = f.b.store.Queue(f.ctx, f.chatID, chat.Outbox, f.upstream().Sent, 100)
			return err
		}) {
			return
		}
		for _, q := range page {
			if !f.deliver(q) {
				return
			}
		}
		if len(page) > 0 {
			continue
		}
		select {
		case <-f.wake:
		case <-f.ctx.Done():
		}
	}
}

// forward sends the typing events and call signals that wait, once each:
// they are dropped while the tenant cannot be reached.
func (f *follower) forward() {
	f.mu.Lock()
	events, unreachable := f.ephemeral, f.unreachable
	f.ephemeral = nil
	f.mu.Unlock()
	if unreachable {
		return
	}
	up := f.upstream()
	for _, e := range events {
		ctx, cancel := context.WithTimeout(f.ctx, ephemeralTimeout)
		err := f.b.client.Send(ctx, up.ClientID, up.UpstreamID, upstreamCopy(e))
		cancel()
		if err != nil {
			f.failed(err)
			return
		}
	}
}

// deliver hands the outbox's entry q to the tenant, trying until it takes
// it or refuses it for good, then stores it in the chat (the visitor sees
// it sent) and moves Sent past it. It reports whether the follower goes
// on.
func (f *follower) deliver(q chat.Queued) bool {
	e, err := protocol.UnmarshalEvent(q.Body)
	if err != nil {
		f.b.Log.Error("an event of the outbox cannot be read; skipped", "chat", f.chatID, "entry", q.N, "err", err)
		return f.sent(q.N)
	}
	backoff := f.b.MinBackoff
	for {
		f.delivering.Lock()
		err := f.offer(e)
		if err == nil {
			recorded := f.record(q.N, e)
			f.delivering.Unlock()
			if !recorded {
				return false
			}
			break
		}
		f.delivering.Unlock()
		switch outcomeOf(err) {
		case gone:
			f.gone()
			return false
		case denied:
			f.deny(err)
			return false
		case refused:
			f.b.Log.Warn("the tenant refused a visitor's event; it is not shown as sent", "chat", f.chatID, "event", e.EventType(), "err", err)
			return f.sent(q.N)
		default:
			f.failed(err)
		}
		if !f.sleep(&backoff) {
			return false
		}
	}
	if !f.sent(q.N) {
		return false
	}
	if protocol.EndsChat(e) {
		f.stop("the visitor ended the chat", nil)
		return false
	}
	return true
}

// record stores the outbox's entry n, the event e the tenant took, in the
// chat, once however often it is recorded, and reports whether the
// follower goes on.
func (f *follower) record(n uint64, e protocol.Event) bool {
	backoff := f.b.MinBackoff
	for {
		err := f.b.svc.Record(f.ctx, f.chatID, "outbox\x00"+strconv.FormatUint(n, 10), e)
		if err == nil {
			return true
		}
		if isOver(err) {
			f.stop("the chat ended here", nil)
			return false
		}
		f.b.Log.Warn("storing a visitor's event the tenant took; trying again", "chat", f.chatID, "err", err)
		if !f.sleep(&backoff) {
			return false
		}
	}
}

// sent moves Sent to n and stores it.
func (f *follower) sent(n uint64) bool {
	f.mu.Lock()
	f.up.Sent = max(f.up.Sent, n)
	f.mu.Unlock()
	return f.retry(f.save)
}

// offer sends one of the visitor's events to the tenant, its file
// uploaded first, and returns nil once the tenant took it. When an earlier
// try may have arrived (its answer was lost, or the server restarted), the
// tenant's history says whether it did, so it is never sent twice. API v1
// has no receipts: they are taken without sending them.
func (f *follower) offer(e protocol.Event) error {
	switch e.(type) {
	case *protocol.MessageDelivered, *protocol.MessageRead:
		if f.b.client.Version() < 2 {
			return nil
		}
	}
	out, err := f.outgoing(e)
	if err != nil {
		return err
	}
	up := f.upstream()
	if f.unsure {
		arrived, err := f.arrived(up, out)
		if err != nil {
			return err
		}
		f.unsure = false
		if arrived {
			f.reached()
			return nil
		}
	}
	err = f.b.client.Send(f.ctx, up.ClientID, up.UpstreamID, out)
	var fault *Fault
	if errors.As(err, &fault) && fault.Unsure {
		f.unsure = true
	}
	if err == nil {
		f.reached()
	}
	return err
}

// outgoing is the visitor's event as the tenant takes it: a message's msg
// as HTML beside its msg_text, a form answer with the form_request_id the
// tenant sent, a file with the tenant's file_id (uploaded first).
func (f *follower) outgoing(e protocol.Event) (protocol.Event, error) {
	out := upstreamCopy(e)
	switch out := out.(type) {
	case *protocol.Message:
		out.Msg, out.MsgText = htmlMessage(out.Msg)
	case *protocol.FormData:
		out.FormRequestID = f.upstreamForm(out.FormRequestID)
	case *protocol.SecureFormData:
		out.FormRequestID = f.upstreamForm(out.FormRequestID)
	case *protocol.SecureFormCancel:
		out.FormRequestID = f.upstreamForm(out.FormRequestID)
	case *protocol.File:
		id, err := f.upload(out.FileID)
		if err != nil {
			return nil, err
		}
		out.FileID = id
	}
	return out, nil
}

// upstreamCopy is a copy of e without what the server stamps on it: the
// tenant stamps its own.
func upstreamCopy(e protocol.Event) protocol.Event {
	raw, err := protocol.MarshalEvent(e)
	if err != nil {
		return e
	}
	out, err := protocol.UnmarshalEvent(raw)
	if err != nil {
		return e
	}
	*out.EventMeta() = protocol.Meta{}
	return out
}

// upstreamForm is the tenant's form_request_id for the one its request got
// here.
func (f *follower) upstreamForm(local protocol.ID) protocol.ID {
	f.mu.Lock()
	defer f.mu.Unlock()
	if id, ok := f.forms[local.String()]; ok {
		return id
	}
	return local
}

// upload gives the tenant the visitor's file (Upload File), once, and
// returns the tenant's file_id for it.
func (f *follower) upload(fileID string) (string, error) {
	if id, ok := f.files[fileID]; ok {
		return id, nil
	}
	file, body, err := f.b.svc.OpenFile(f.ctx, f.chatID, fileID)
	if err != nil {
		return "", err
	}
	content, err := io.ReadAll(body)
	body.Close()
	if err != nil {
		return "", fmt.Errorf("reading the visitor's file %s: %w", fileID, err)
	}
	uploaded, err := f.b.client.Upload(f.ctx, f.upstream().ClientID, file.Name, file.ContentType, content)
	if err != nil {
		return "", err
	}
	f.files[fileID] = uploaded.FileID
	return uploaded.FileID, nil
}

// arrived says whether the tenant has out already: its history holds more
// of the visitor's events like it than the tenant took from the outbox
// before.
func (f *follower) arrived(up chat.Upstream, out protocol.Event) (bool, error) {
	history, err := f.b.client.History(f.ctx, up.ClientID, up.UpstreamID)
	if err != nil {
		return false, err
	}
	want := identity(out)
	there := 0
	for _, raw := range history {
		if e, err := decode(raw); err == nil && e.EventMeta().PartyID == up.UpstreamID && identity(e) == want {
			there++
		}
	}
	if there == 0 {
		return false, nil
	}
	before := 0
	for after := uint64(0); after < up.Sent; {
		var page []chat.Queued
		if !f.retry(func() (err error) {
			page, err = f.b.store.Queue(f.ctx, f.chatID, chat.Outbox, after, int(min(up.Sent-after, 500)))
			return err
		}) {
			return false, f.ctx.Err()
		}
		if len(page) == 0 {
			break
		}
		for _, q := range page {
			if q.N > up.Sent {
				break
			}
			if e, err := protocol.UnmarshalEvent(q.Body); err == nil && identity(f.upstreamIDs(e)) == want {
				before++
			}
		}
		after = page[len(page)-1].N
	}
	return there > before, nil
}

// upstreamIDs is an event of the outbox with the ids the tenant knows it
// by, for identity: its form_request_id as the tenant sent it. A file's
// identity is its msg_id, which is the same on both sides.
func (f *follower) upstreamIDs(e protocol.Event) protocol.Event {
	switch e := e.(type) {
	case *protocol.FormData:
		e.FormRequestID = f.upstreamForm(e.FormRequestID)
	case *protocol.SecureFormData:
		e.FormRequestID = f.upstreamForm(e.FormRequestID)
	case *protocol.SecureFormCancel:
		e.FormRequestID = f.upstreamForm(e.FormRequestID)
	}
	return e
}

// identity names a visitor's event as the tenant's history shows it: its
// type and its id (msg_id, form_request_id, ref_msg_id); events without
// one are told apart by their number only.
func identity(e protocol.Event) string {
	id := ""
	switch e := e.(type) {
	case *protocol.FormData:
		id = e.FormRequestID.String()
	case *protocol.SecureFormData:
		id = e.FormRequestID.String()
	case *protocol.SecureFormCancel:
		id = e.FormRequestID.String()
	case *protocol.MessageDelivered:
		id = e.RefMsgID.String()
	case *protocol.MessageRead:
		id = e.RefMsgID.String()
	default:
		if msgID := protocol.MsgIDOf(e); msgID != nil {
			id = msgID.String()
		}
	}
	return e.EventType() + "\x00" + id
}
