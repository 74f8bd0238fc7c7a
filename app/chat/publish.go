package chat

import (
	"context"
	"crypto/rand"
	"strconv"

	"github.com/parleychat/parley/protocol"
)

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
