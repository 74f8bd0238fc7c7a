package chat

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"

	"github.com/parleychat/parley/protocol"
)

// Send takes events from the chat's visitor. They are all validated first:
// if one is refused, none is taken. Each is then stamped with the chat id as
// its party and the time, stored unless it is ephemeral (typing, call
// signals), and delivered. A true resend (the same msg_id with the same
// content) is stored once, so a visitor may resend anything it is unsure
// about; a different event that reuses a msg_id is stored too. A visitor who
// sends messages, receipts, typing or call signals faster than their limit
// is refused with a *RateLimitedError (CodeRateLimited), each kind on its own
// budget.
func (s *Service) Send(ctx context.Context, chatID string, events ...protocol.Event) error {
	if err := s.admit(ctx, chatID, s.ownForms, events); err != nil {
		return err
	}
	return s.post(ctx, chatID, chatID, events, nil, false)
}

// Admit takes the visitor's events as Send does, validated, within the
// visitor's limits, stamped, with the file events checked, but stores
// nothing: for a bridge that hands them to another contact center first
// and stores them with Record once it took them. Answers to forms are
// checked against forms, the definitions that contact center gave the
// visitor's widget, read only when the events hold an answer. A chat that is
// over admits nothing (CodeChatNotFound).
func (s *Service) Admit(ctx context.Context, chatID string, forms func(context.Context) []protocol.WidgetForm, events ...protocol.Event) error {
	c, err := s.Chat(ctx, chatID)
	if err != nil {
		return err
	}
	if c.State.Over() {
		return protocol.Errorf(protocol.CodeChatNotFound, "chat %s has ended", chatID)
	}
	return s.admit(ctx, chatID, forms, events)
}

// Record stores and delivers the visitor's events that Admit took, each at
// most once under key however often it is recorded: the i-th event is
// stored only if no event with the same key and index is. Ephemeral events
// are delivered only.
func (s *Service) Record(ctx context.Context, chatID, key string, events ...protocol.Event) error {
	if key == "" {
		return protocol.Errorf(protocol.CodeBadRequest, "an idempotency key must not be empty")
	}
	return s.post(ctx, chatID, chatID, events, onceKeys(key, events), false)
}

// admit validates the visitor's events, all before any: if one is refused,
// none is taken. Then it takes them from the visitor's budgets, stamps them
// with the chat id as their party and the time, and checks their answers to
// forms, against forms, and their files.
func (s *Service) admit(ctx context.Context, chatID string, forms func(context.Context) []protocol.WidgetForm, events []protocol.Event) error {
	var need [Budgets]int
	for _, e := range events {
		if err := protocol.ValidateClientEvent(e); err != nil {
			return err
		}
		need[budgetOf(e)]++
	}
	now := s.Now()
	limits := [Budgets]Limit{{s.VisitorRate, s.VisitorBurst}, s.Receipts, s.Typing, s.Signaling}
	short, ok, err := s.Limiter.Allow(ctx, chatID, need, limits, now)
	if err != nil {
		return fmt.Errorf("checking the rate limits of chat %s: %w", chatID, err)
	}
	if !ok {
		return rateLimited(short, need[short], limits[short])
	}
	if err := s.checkFormAnswers(ctx, chatID, forms, events); err != nil {
		return err
	}
	for _, e := range events {
		*e.EventMeta() = protocol.Meta{PartyID: chatID, Timestamp: protocol.At(now)}
		if err := s.checkFile(ctx, chatID, e); err != nil {
			return err
		}
	}
	return nil
}

// checkFormAnswers checks the visitor's answers to forms among events
// against the requests of the chat they answer, found in its history, and
// the forms those requests name.
func (s *Service) checkFormAnswers(ctx context.Context, chatID string, forms func(context.Context) []protocol.WidgetForm, events []protocol.Event) error {
	answers := map[string]bool{}
	for _, e := range events {
		if id := formRequestOf(e); id != "" {
			answers[id] = true
		}
	}
	if len(answers) == 0 {
		return nil
	}
	asked := map[string]protocol.Event{}
	for after := uint64(0); ; {
		page, err := s.store.Events(ctx, chatID, after, s.HistoryPage)
		if err != nil {
			return fmt.Errorf("reading the form requests of chat %s: %w", chatID, err)
		}
		if len(page) == 0 {
			break
		}
		for _, e := range page {
			switch e := e.(type) {
			case *protocol.FormShow:
				asked[e.FormRequestID.String()] = e
			case *protocol.SecureFormShow:
				asked[e.FormRequestID.String()] = e
			}
		}
		after = page[len(page)-1].EventMeta().Seq
	}
	defined := forms(ctx)
	for _, e := range events {
		if id := formRequestOf(e); id != "" {
			if err := protocol.CheckFormAnswer(defined, asked[id], e); err != nil {
				return err
			}
		}
	}
	return nil
}

// ownForms are the forms of this contact center, s.Forms.
func (s *Service) ownForms(context.Context) []protocol.WidgetForm { return s.Forms }

// formRequestOf is the form_request_id a visitor's answer to a form names,
// "" for any other event.
func formRequestOf(e protocol.Event) string {
	switch e := e.(type) {
	case *protocol.FormData:
		return e.FormRequestID.String()
	case *protocol.SecureFormData:
		return e.FormRequestID.String()
	case *protocol.SecureFormCancel:
		return e.FormRequestID.String()
	}
	return ""
}

// Publish takes events from the contact center's side of the chat: agents,
// the scenario, the server itself. Events keep their PartyID; a missing
// timestamp is set, and so is a missing msg_id on messages, files and
// locations, so visitors have something to send receipts for. A call signal
// must come from the chat's agent and go to its visitor. A form request
// gets the form_request_id and channel the Android SDK requires: an id that
// is not a number it reads (an integer from 1 to 2^31-1) is replaced by one.
func (s *Service) Publish(ctx context.Context, chatID string, events ...protocol.Event) error {
	return s.publish(ctx, chatID, events, nil, false)
}

// PublishAsAgent is Publish for an agent, through the agent API: every
// event that names a party must come from the agent who took the chat, or
// nothing of the batch is published (CodeForbidden). once is "" to store
// events as Publish does, or else the key of PublishOnce. A batch of
// stored events reads nothing but what the store's append reads: the
// store checks their party as it stores them (Entry.Agent).
func (s *Service) PublishAsAgent(ctx context.Context, chatID, once string, events ...protocol.Event) error {
	var keys map[protocol.Event]string
	if once != "" {
		keys = onceKeys(once, events)
	}
	return s.publish(ctx, chatID, events, keys, true)
}

// publish is Publish with keys that replace the events' own dedupe keys,
// when not nil; asAgent checks the events' parties as PublishAsAgent says.
func (s *Service) publish(ctx context.Context, chatID string, events []protocol.Event, keys map[protocol.Event]string, asAgent bool) error {
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
		switch e := e.(type) {
		case *protocol.Message:
			e.MsgID = orRandomID(e.MsgID)
		case *protocol.File:
			e.MsgID = orRandomID(e.MsgID)
		case *protocol.Location:
			e.MsgID = orRandomID(e.MsgID)
		}
		if f, ok := e.(*protocol.File); ok && s.RemoteFiles != nil && s.RemoteFiles(chatID, f.FileID) {
			continue
		}
		if err := s.checkFile(ctx, chatID, e); err != nil {
			return err
		}
	}
	if asAgent {
		if err := s.checkAgentAhead(ctx, chatID, events); err != nil {
			return err
		}
	}
	return s.post(ctx, chatID, "", events, keys, asAgent)
}

// checkAgentAhead checks the parties of a batch that mixes stored and
// ephemeral events, one of them naming a party, before any of it is taken:
// the store checks a stored run only as it stores it, and relay an
// ephemeral run only as it relays it, so a refusal of a later run would
// come after an earlier one was taken. A batch of one kind is checked by
// what takes it, and does not read the chat here. The check still holds
// when the events are taken: a chat's agent, once set, never changes (see
// Store.Assign).
func (s *Service) checkAgentAhead(ctx context.Context, chatID string, events []protocol.Event) error {
	var stored, ephemeral, party bool
	for _, e := range events {
		if protocol.Ephemeral(e) {
			ephemeral = true
		} else {
			stored = true
		}
		party = party || e.EventMeta().PartyID != ""
	}
	if !stored || !ephemeral || !party {
		return nil
	}
	c, err := s.Chat(ctx, chatID)
	if err != nil {
		return err
	}
	return checkParties(c, events)
}

// checkParties refuses events of a party other than the chat's agent, as
// the store does for entries with an Agent.
func checkParties(c Chat, events []protocol.Event) error {
	for _, e := range events {
		if party := e.EventMeta().PartyID; party != "" && party != c.Agent {
			return notTaken(party)
		}
	}
	return nil
}

// notTaken is the agent API's refusal of an event of a party that has not
// taken the chat.
func notTaken(party string) error {
	return protocol.Errorf(protocol.CodeForbidden, "party %s has not taken this chat; take it first", party)
}

// orRandomID returns id, or a random one for none.
func orRandomID(id protocol.ID) protocol.ID {
	if id.IsZero() {
		return protocol.TextID(rand.Text())
	}
	return id
}

// PublishOnce is Publish for events that must be stored at most once
// however often, and by however many processes, they are published: the
// scenario's timers and replies, an agent's request sent again after its
// answer was lost. key names the occasion; the i-th event is stored only if
// no event with the same key and index is.
func (s *Service) PublishOnce(ctx context.Context, chatID, key string, events ...protocol.Event) error {
	if key == "" {
		return protocol.Errorf(protocol.CodeBadRequest, "an idempotency key must not be empty")
	}
	return s.publish(ctx, chatID, events, onceKeys(key, events), false)
}

// onceKeys names each event of a batch published or recorded once under
// key by the key and its index.
func onceKeys(key string, events []protocol.Event) map[protocol.Event]string {
	keys := make(map[protocol.Event]string, len(events))
	for i, e := range events {
		keys[e] = "once\x00" + key + "\x00" + strconv.Itoa(i)
	}
	return keys
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

// post stores events of one chat and delivers them: runs of events that
// are stored go to the store in one transaction each, ephemeral events are
// relayed between them, in order.
// keys, when not nil, replace the events' own dedupe keys. asAgent takes
// only the events whose party, if they name one, is the chat's agent.
func (s *Service) post(ctx context.Context, chatID, sender string, events []protocol.Event, keys map[protocol.Event]string, asAgent bool) error {
	for len(events) > 0 {
		n := 1
		ephemeral := protocol.Ephemeral(events[0])
		for n < len(events) && protocol.Ephemeral(events[n]) == ephemeral {
			n++
		}
		run := events[:n]
		events = events[n:]
		if ephemeral {
			if err := s.relay(ctx, chatID, sender, run, asAgent); err != nil {
				return err
			}
			continue
		}
		entries := make([]Entry, len(run))
		for i, e := range run {
			key, ok := keys[e]
			if !ok {
				key = DedupeKey(e)
			}
			entries[i] = Entry{Event: e, Key: key}
			if asAgent {
				entries[i].Agent = e.EventMeta().PartyID
			}
		}
		stored, err := s.store.Append(ctx, chatID, entries)
		if len(stored) > 0 {
			s.Stored(ctx, chatID, stored[0].EventMeta().Seq-1, stored[len(stored)-1].EventMeta().Seq, stored)
		}
		var notAgent *NotAgentError
		switch {
		case errors.As(err, &notAgent):
			return notTaken(notAgent.Party)
		case errors.Is(err, ErrOver):
			return protocol.Errorf(protocol.CodeChatNotFound, "chat %s has ended", chatID)
		case errors.Is(err, ErrNotFound):
			return protocol.Errorf(protocol.CodeChatNotFound, "chat %s not found", chatID)
		case err != nil:
			return fmt.Errorf("storing events in chat %s: %w", chatID, err)
		}
	}
	return nil
}

// relay delivers ephemeral events of a chat that is not over, here and in
// the other processes: typing to whoever follows the chat, call signals to
// their destination party. asAgent relays none unless every party they
// name is the chat's agent.
func (s *Service) relay(ctx context.Context, chatID, sender string, events []protocol.Event, asAgent bool) error {
	c, err := s.Chat(ctx, chatID)
	if err != nil {
		return err
	}
	if asAgent {
		if err := checkParties(c, events); err != nil {
			return err
		}
	}
	if c.State.Over() {
		return protocol.Errorf(protocol.CodeChatNotFound, "chat %s has ended", chatID)
	}
	var typing []protocol.Event
	for _, e := range events {
		if sig, ok := e.(*protocol.Signaling); ok {
			if err := s.signal(ctx, c, sig); err != nil {
				return err
			}
			continue
		}
		typing = append(typing, e)
		s.hub.relayed(chatID, sender, []protocol.Event{e})
	}
	if s.Fanout != nil && len(typing) > 0 {
		if err := s.Fanout.Relay(ctx, chatID, sender, typing); err != nil {
			return fmt.Errorf("relaying to the other processes: %w", err)
		}
	}
	return nil
}

// signal holds a call signal for its destination and tells its
// destination's subscribers here; Signals tells those of the other
// processes. A visitor's signal goes to the agent who has the chat, an
// agent's to the visitor.
func (s *Service) signal(ctx context.Context, c Chat, sig *protocol.Signaling) error {
	to := sig.DestinationPartyID
	switch {
	case sig.PartyID == c.ID && c.Agent == "":
		return protocol.Errorf(protocol.CodeBadRequest, "no agent has taken this chat yet: there is nobody to call")
	case sig.PartyID == c.ID && to != c.Agent:
		return protocol.Errorf(protocol.CodeBadRequest, "destination_party_id %q is not the agent of this chat, %q", to, c.Agent)
	case sig.PartyID != c.ID && to != c.ID:
		return protocol.Errorf(protocol.CodeBadRequest, "a signal of the contact center goes to the visitor: destination_party_id must be the chat id, not %q", to)
	}
	if err := s.Signals.Hold(ctx, c.ID, sig, s.Now(), s.SignalHold); err != nil {
		return fmt.Errorf("holding a call signal of chat %s: %w", c.ID, err)
	}
	s.hub.signaled(c.ID, to)
	return nil
}
