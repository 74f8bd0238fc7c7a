package parleytest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/parleychat/parley/protocol"
)

func (bp *BrightPattern) availability(w http.ResponseWriter, r *http.Request, c *call) {
	bp.mu.Lock()
	answer := protocol.Availability{Chat: protocol.NotAvailable}
	if bp.available {
		answer = protocol.Availability{Chat: protocol.Available, EWT: bp.cfg.EWT}
	}
	bp.mu.Unlock()
	bp.replyJSON(w, c, answer)
}

func (bp *BrightPattern) parameters(w http.ResponseWriter, r *http.Request, c *call) {
	bp.replyJSON(w, c, map[string]any{"parameters": bp.cfg.Parameters})
}

func (bp *BrightPattern) configuration(w http.ResponseWriter, r *http.Request, c *call) {
	bp.replyJSON(w, c, bp.cfg.Widget)
}

func (bp *BrightPattern) version(w http.ResponseWriter, r *http.Request, c *call) {
	bp.replyJSON(w, c, protocol.Version{ServerVersion: bp.cfg.ServerVersion})
}

// iceServers answers an empty list: the answer's shape is not documented,
// the name follows the WebRTC configuration Bright Pattern's web client
// builds, and a tenant without ICE servers is a real configuration.
func (bp *BrightPattern) iceServers(w http.ResponseWriter, r *http.Request, c *call) {
	bp.replyJSON(w, c, map[string]any{"iceServers": []any{}})
}

func (bp *BrightPattern) requestChat(w http.ResponseWriter, r *http.Request, c *call) {
	var req protocol.ChatRequest
	if len(c.rec.Body) > 0 {
		if err := json.Unmarshal(c.rec.Body, &req); err != nil {
			bp.fail(w, c, protocol.CodeBadRequest, "the body is not a chat request: %v", err)
			return
		}
	}
	bp.mu.Lock()
	if !bp.available {
		bp.mu.Unlock()
		bp.fail(w, c, protocol.CodeNoServer, "no server is available to accept the chat")
		return
	}
	answer := protocol.ChatSession{PhoneNumber: req.PhoneNumber}
	chat := bp.activeChatOf(c.creds)
	if chat == nil {
		chat = bp.newChat(c.creds, req)
		answer.IsNewChat = true
	}
	answer.ChatID, answer.State = chat.ID, chat.state
	if chat.state == protocol.StateQueued {
		answer.EWT = bp.cfg.EWT
	}
	if answer.PhoneNumber == "" {
		answer.PhoneNumber = chat.Request.PhoneNumber
	}
	bp.mu.Unlock()
	bp.replyJSON(w, c, answer)
}

// activeChatOf is the client's chat that has not ended, or nil. The caller
// holds mu.
func (bp *BrightPattern) activeChatOf(creds protocol.Credentials) *BrightPatternChat {
	for _, chat := range bp.chats {
		if chat.owner == creds && !chat.state.Over() {
			return chat
		}
	}
	return nil
}

func (bp *BrightPattern) activeChat(w http.ResponseWriter, r *http.Request, c *call) {
	bp.mu.Lock()
	chat := bp.activeChatOf(c.creds)
	var answer protocol.ActiveChat
	if chat != nil {
		answer = protocol.ActiveChat{ChatID: chat.ID, State: chat.state}
	}
	bp.mu.Unlock()
	if chat == nil {
		bp.fail(w, c, protocol.CodeChatNotFound, "the client has no active chat")
		return
	}
	bp.replyJSON(w, c, answer)
}

// sendEvents takes the client's events all or none: a body that is not an
// envelope, or any event that is not one a client of the API sends with the
// fields it must have, refuses the whole request with 5003.
func (bp *BrightPattern) sendEvents(w http.ResponseWriter, r *http.Request, c *call) {
	bp.mu.Lock()
	chat := bp.ownChat(c, r.PathValue("chatId"))
	over := chat != nil && chat.state.Over()
	bp.mu.Unlock()
	if chat == nil || over {
		bp.fail(w, c, protocol.CodeChatNotFound, "chat %s not found or ended", r.PathValue("chatId"))
		return
	}
	events, err := decodeClientEvents(c.rec.Body)
	if err != nil {
		bp.fail(w, c, protocol.CodeBadRequest, "%v", err)
		return
	}
	bp.mu.Lock()
	index := slices.Index(bp.requests, c.rec)
	if chat.state.Over() {
		bp.mu.Unlock()
		bp.fail(w, c, protocol.CodeChatNotFound, "chat %s ended", chat.ID)
		return
	}
	for _, e := range events {
		e.Request = index
		chat.receive(e)
	}
	bp.touch()
	bp.mu.Unlock()
	bp.reply(w, c, http.StatusOK, "application/json", []byte(`{"events":[]}`))
}

// decodeClientEvents reads a Send Events body: {"events":[...]} whose every
// element is an event a client may send.
func decodeClientEvents(body []byte) ([]VisitorEvent, error) {
	var env struct {
		Events []json.RawMessage `json:"events"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("the body is not an events envelope: %v", err)
	}
	if env.Events == nil {
		return nil, fmt.Errorf(`the body has no "events" array`)
	}
	out := make([]VisitorEvent, 0, len(env.Events))
	for i, raw := range env.Events {
		e, err := protocol.UnmarshalEvent(raw)
		if err == nil {
			err = protocol.ValidateClientEvent(e)
		}
		if err != nil {
			return nil, fmt.Errorf("events[%d]: %v", i, err)
		}
		out = append(out, VisitorEvent{Raw: slices.Clip(raw), Event: e})
	}
	return out, nil
}

// getNewChatEvents is the long poll: it answers at once with the events the
// client has not had, else holds until one comes or PollWait passes. One
// poll at a time per chat; a second is refused with 5509 while the first is
// held. A poll lets go of the chat before it answers, so a client may poll
// again the moment it has the answer.
func (bp *BrightPattern) getNewChatEvents(w http.ResponseWriter, r *http.Request, c *call) {
	bp.mu.Lock()
	chat := bp.ownChat(c, r.PathValue("chatId"))
	busy := chat != nil && chat.poller != nil
	if chat != nil && !busy {
		chat.poller = c
		bp.touch()
	}
	bp.mu.Unlock()
	switch {
	case chat == nil:
		bp.fail(w, c, protocol.CodeChatNotFound, "chat %s not found", r.PathValue("chatId"))
		return
	case busy:
		bp.fail(w, c, protocol.CodeConcurrentPoll, "another poll is waiting on chat %s", chat.ID)
		return
	}
	release := func() {
		bp.mu.Lock()
		defer bp.mu.Unlock()
		bp.letGo(chat, c)
	}
	defer release()
	timer := time.NewTimer(bp.cfg.PollWait)
	defer timer.Stop()
	for {
		bp.mu.Lock()
		start := chat.delivered
		pending := slices.Clone(chat.events[start:])
		over := chat.state.Over()
		changed := bp.changed
		bp.mu.Unlock()
		if len(pending) > 0 {
			bp.deliver(w, c, chat, start, pending)
			return
		}
		if over {
			release()
			bp.fail(w, c, protocol.CodeChatNotFound, "chat %s has ended", chat.ID)
			return
		}
		select {
		case <-changed:
		case <-timer.C:
			release()
			bp.reply(w, c, http.StatusOK, "application/json", []byte(`{"events":[]}`))
			return
		case <-r.Context().Done():
			return
		case <-bp.quit:
			return
		}
	}
}

// letGo ends the poll c of the chat, if it is still the chat's poll. The
// caller holds mu.
func (bp *BrightPattern) letGo(chat *BrightPatternChat, c *call) {
	if chat.poller == c {
		chat.poller = nil
		bp.touch()
	}
}

// deliver answers a poll with events. They count as delivered (all but the
// last when a FaultDuplicate applies) before the answer goes, and again as
// undelivered if it could not be written whole.
func (bp *BrightPattern) deliver(w http.ResponseWriter, c *call, chat *BrightPatternChat, start int, events []json.RawMessage) {
	bp.mu.Lock()
	end := start + len(events)
	if duplicate, ok := bp.takeDuplicate(c.rec); ok {
		end--
		c.rec.Faults = append(c.rec.Faults, duplicate)
	}
	chat.delivered = end
	bp.letGo(chat, c)
	bp.mu.Unlock()
	whole := false
	defer func() { // also when FaultDrop panics to cut the connection
		if !whole {
			bp.mu.Lock()
			if chat.delivered == end {
				chat.delivered = start
				bp.touch()
			}
			bp.mu.Unlock()
		}
	}()
	whole = bp.reply(w, c, http.StatusOK, "application/json", eventsBody(events))
}

// eventsBody writes raw events as {"events":[...]}.
func eventsBody(events []json.RawMessage) []byte {
	body, _ := json.Marshal(map[string][]json.RawMessage{"events": events})
	return body
}

func (bp *BrightPattern) history(w http.ResponseWriter, r *http.Request, c *call) {
	bp.mu.Lock()
	chat := bp.ownChat(c, r.PathValue("chatId"))
	var events []json.RawMessage
	if chat != nil {
		events = slices.Clone(chat.history)
	}
	bp.mu.Unlock()
	if chat == nil {
		bp.fail(w, c, protocol.CodeChatNotFound, "chat %s not found", r.PathValue("chatId"))
		return
	}
	bp.reply(w, c, http.StatusOK, "application/json", eventsBody(events))
}
