package chat

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"time"

	"github.com/parleychat/parley/protocol"
)

// Chat is one conversation between a visitor and the contact center.
type Chat struct {
	ID string
	// AppID and ClientID are the visitor's credentials: a client has at
	// most one chat that is not over per launch point.
	AppID    string
	ClientID string
	// Token is the chat's secret for what cannot send an Authorization
	// header: the WebSocket and file downloads.
	Token string
	// Epoch names the chat's stream; see protocol.Position.
	Epoch   string
	State   protocol.ChatState
	Request protocol.ChatRequest
	Created time.Time
}

// Session is the chat as Request Chat answers it.
func (c Chat) Session(isNew bool) protocol.ChatSession {
	return protocol.ChatSession{
		ChatID:      c.ID,
		State:       c.State,
		IsNewChat:   isNew,
		PhoneNumber: c.Request.PhoneNumber,
		Token:       c.Token,
		Epoch:       c.Epoch,
	}
}

// newChat returns a chat with fresh random identifiers. Chat ids are UUIDs,
// as Bright Pattern's are; tokens carry 256 random bits.
func newChat(appID, clientID string, req protocol.ChatRequest, now time.Time) Chat {
	return Chat{
		ID:       protocol.NewUUID(),
		AppID:    appID,
		ClientID: clientID,
		Token:    randomString(32),
		Epoch:    hex.EncodeToString(randomBytes(8)),
		State:    protocol.StateQueued,
		Request:  req,
		Created:  now,
	}
}

func randomString(n int) string {
	return base64.RawURLEncoding.EncodeToString(randomBytes(n))
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return b
}
