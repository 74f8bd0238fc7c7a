package server

import (
	"net/http"
	"sync"

	"github.com/parleychat/parley/protocol"
)

// ownersKept bounds the chats whose owner the server remembers: two
// generations of at most this many each.
const ownersKept = 1 << 14

// owners remembers whose each chat is, the launch point and client that
// opened it, which never changes: Send Events, the method a client may
// flood, is then answered without reading the store first, so a flood of
// them costs the store nothing once the limit refuses it.
type owners struct {
	mu       sync.Mutex
	cur, old map[string]owner
}

type owner struct{ appID, clientID string }

// get returns the owner of the chat, if remembered.
func (o *owners) get(chatID string) (owner, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if v, ok := o.cur[chatID]; ok {
		return v, true
	}
	v, ok := o.old[chatID]
	if ok {
		o.keep(chatID, v)
	}
	return v, ok
}

// put remembers the owner of the chat.
func (o *owners) put(chatID string, v owner) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.keep(chatID, v)
}

// keep adds to the current generation, which becomes the old one when full;
// the chats used since stay, the rest are forgotten.
func (o *owners) keep(chatID string, v owner) {
	if o.cur == nil || len(o.cur) >= ownersKept {
		o.old, o.cur = o.cur, make(map[string]owner)
	}
	o.cur[chatID] = v
}

// ownChatID returns the id of the chat named in the path if it is the
// caller's, as ownChat does, from what the server remembers of it when it
// can: no store read for a chat it met before.
func (s *Server) ownChatID(w http.ResponseWriter, r *http.Request) (string, error) {
	creds, err := s.credentials(w, r)
	if err != nil {
		return "", err
	}
	id := r.PathValue("chatId")
	if o, ok := s.owners.get(id); ok {
		if o != (owner{creds.AppID, creds.ClientID}) {
			return "", protocol.Errorf(protocol.CodeChatNotFound, "chat %s not found", id)
		}
		return id, nil
	}
	c, err := s.ownChat(w, r)
	if err != nil {
		return "", err
	}
	return c.ID, nil
}
