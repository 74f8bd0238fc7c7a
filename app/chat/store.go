package chat

import (
	"context"
	"errors"

	"github.com/parleychat/parley/protocol"
)

// ErrNotFound is what a Store returns for a chat it does not have.
var ErrNotFound = errors.New("chat not found")

// Store keeps chats and their event streams. Implementations must make each
// method atomic; the Service serialises writes to one chat itself.
type Store interface {
	// OpenChat stores c, unless the client (c.AppID, c.ClientID) already
	// has a chat that is not over: then it returns that chat and false.
	OpenChat(ctx context.Context, c Chat) (Chat, bool, error)
	// Chat returns the chat with the id, or ErrNotFound.
	Chat(ctx context.Context, id string) (Chat, error)
	// SetState records a chat's new state.
	SetState(ctx context.Context, id string, state protocol.ChatState) error
	// Append stores entries at the end of the chat's stream, in order,
	// giving each the next sequence number in its Meta.Seq. An entry whose
	// Key the chat already has is skipped. It returns the stored entries'
	// events.
	Append(ctx context.Context, chatID string, entries []Entry) ([]protocol.Event, error)
	// Events returns up to limit stored events with a sequence number
	// greater than after, in order.
	Events(ctx context.Context, chatID string, after uint64, limit int) ([]protocol.Event, error)
	// Close releases the store.
	Close() error
}

// Entry is an event to store, with the key that makes it unique in its chat
// (empty for none): a resent message is the same message.
type Entry struct {
	Event protocol.Event
	Key   string
}
