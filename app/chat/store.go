package chat

import (
	"context"
	"errors"
	"io"

	"github.com/parleychat/parley/protocol"
)

// Errors a Store returns.
var (
	// ErrNotFound: no such chat, or no such file in that chat.
	ErrNotFound = errors.New("not found")
	// ErrTaken: another agent has the chat.
	ErrTaken = errors.New("chat taken by another agent")
	// ErrOver: the chat is over and takes no more events.
	ErrOver = errors.New("chat over")
	// ErrNotAgent: an entry's Agent is not the agent who took the chat;
	// Append returns it as a *NotAgentError, which names the party.
	ErrNotAgent = errors.New("not the chat's agent")
	// ErrUnavailable: the store cannot be reached for now (its database
	// server is down or unreachable), or its disk refuses writes (full);
	// nothing of the call was stored, and the same call may work later.
	ErrUnavailable = errors.New("store unavailable")
)

// NotAgentError is Append's refusal of an entry whose Agent has not taken
// the chat; errors.Is(err, ErrNotAgent) holds for it.
type NotAgentError struct {
	// Party is the entry's Agent.
	Party string
}

func (e *NotAgentError) Error() string { return "party " + e.Party + ": " + ErrNotAgent.Error() }

func (e *NotAgentError) Unwrap() error { return ErrNotAgent }

// Store keeps chats, their event streams and their files. Every method is
// atomic and durable once it returns: an event the Service acknowledged
// survives a crash. The Service serialises writes to one chat itself.
type Store interface {
	// OpenChat stores c, unless the client (c.AppID, c.ClientID) already
	// has a chat that is not over: then it returns that chat and false.
	OpenChat(ctx context.Context, c Chat) (Chat, bool, error)
	// Chat returns the chat with the id, or ErrNotFound.
	Chat(ctx context.Context, id string) (Chat, error)
	// ActiveChat returns the client's chat that is not over, or
	// ErrNotFound.
	ActiveChat(ctx context.Context, appID, clientID string) (Chat, error)
	// OpenChats returns every chat that is not over, oldest first.
	OpenChats(ctx context.Context) ([]Chat, error)
	// Assign gives the chat to agent, or returns ErrTaken when another
	// agent has it.
	Assign(ctx context.Context, id, agent string) error
	// SetPollCursor stores the chat's PollCursor, or returns ErrNotFound.
	SetPollCursor(ctx context.Context, id string, seq uint64) error
	// SetNotifications stores the chat's Notifications, or returns
	// ErrNotFound.
	SetNotifications(ctx context.Context, id string, sub protocol.NotificationSubscription) error
	// CaseChats returns the chats whose CaseID is caseID, oldest first.
	CaseChats(ctx context.Context, caseID string) ([]Chat, error)
	// Append stores entries at the end of the chat's stream, in order,
	// giving each the next sequence number in its Meta.Seq, and applies
	// each to the chat (Chat.Apply), all in one transaction. An entry whose
	// Key the chat already has is skipped. It returns the stored entries'
	// events. A chat that is over takes nothing more: Append stores the
	// entries up to the one that ends the chat, and returns ErrOver with
	// them if entries are left, or if the chat was over already. An entry
	// with an Agent is stored only if that party is the chat's Agent:
	// Append checks every entry before it stores any (Chat.CheckAgents),
	// and when one fails stores nothing of the call and returns a
	// *NotAgentError, before it would return ErrOver.
	Append(ctx context.Context, chatID string, entries []Entry) ([]protocol.Event, error)
	// Events returns up to limit stored events with a sequence number
	// greater than after, in order.
	Events(ctx context.Context, chatID string, after uint64, limit int) ([]protocol.Event, error)
	// PutFile stores a file's metadata and its bytes, read from body.
	PutFile(ctx context.Context, f File, body io.Reader) error
	// OpenFile returns a file of the chat and its bytes, or ErrNotFound.
	OpenFile(ctx context.Context, chatID, id string) (File, io.ReadSeekCloser, error)
	// OpenFileByID returns the file with the id, of whichever chat, and its
	// bytes, or ErrNotFound.
	OpenFileByID(ctx context.Context, id string) (File, io.ReadSeekCloser, error)
	// CountFiles returns how many files the party shared in the chat.
	CountFiles(ctx context.Context, chatID, partyID string) (int, error)
	// SaveUpstream stores what the upstream bridge keeps of a chat,
	// replacing what it kept, or returns ErrNotFound when there is no
	// such chat.
	SaveUpstream(ctx context.Context, u Upstream) error
	// Upstream returns what the upstream bridge keeps of the chat, or
	// ErrNotFound.
	Upstream(ctx context.Context, chatID string) (Upstream, error)
	// Enqueue appends entries to a box of the chat, in one transaction,
	// numbering them on from the box's last number (their N is ignored).
	// An entry whose Key the box already has, an earlier entry of the
	// batch included, is skipped. It returns the entries it added, with
	// their numbers, or ErrNotFound when there is no such chat.
	Enqueue(ctx context.Context, chatID string, box Box, entries []Queued) ([]Queued, error)
	// Queue returns up to limit entries of a box of the chat whose number
	// is above after, in order.
	Queue(ctx context.Context, chatID string, box Box, after uint64, limit int) ([]Queued, error)
	// Close releases the store.
	Close() error
}

// Entry is an event to store, with the key that makes it unique in its chat
// (empty for none): a resent message is the same message.
type Entry struct {
	Event protocol.Event
	Key   string
	// Agent is the party that must be the chat's Agent for the entry to
	// be stored, checked in Append's transaction, so that an agent who
	// has not taken the chat cannot slip in between a check and the
	// append; "" for no condition.
	Agent string
}
