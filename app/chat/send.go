package chat

import (
	"context"
	"errors"
	"fmt"

	"github.com/parleychat/parley/protocol"
)

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
