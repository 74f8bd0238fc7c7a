package server

import (
	"context"
	"io"
	"time"

	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/protocol"
)

// Chats is what the server serves: chats, their streams and their files,
// for visitors through the API and for agents through the agent API. The
// server depends on nothing else of the contact center behind it: the
// embedded one (*chat.Service with the scenario as its Observer) and the
// upstream bridge to an operator's Bright Pattern tenant both implement
// it. Errors that the API has a code for are *protocol.Error; chat's
// ErrUnavailable means the store cannot be reached for now.
type Chats interface {
	// Open returns the client's chat that is not over, or starts one.
	Open(ctx context.Context, creds protocol.Credentials, req protocol.ChatRequest) (c chat.Chat, isNew bool, err error)
	// Chat returns a chat by id; ActiveChat the client's chat that is not
	// over; OpenChats every chat that is not over; CaseChats the chats
	// linked to a CRM case.
	Chat(ctx context.Context, id string) (chat.Chat, error)
	ActiveChat(ctx context.Context, creds protocol.Credentials) (chat.Chat, error)
	OpenChats(ctx context.Context) ([]chat.Chat, error)
	CaseChats(ctx context.Context, caseID string) ([]chat.Chat, error)
	// History returns up to limit stored events after the seq after.
	History(ctx context.Context, chatID string, after uint64, limit int) ([]protocol.Event, error)
	// Subscribe follows a chat's stream from a position.
	Subscribe(ctx context.Context, chatID string, from protocol.Position, party string) (*chat.Subscription, error)
	// Send takes the visitor's events; Publish and Take the contact
	// center's; PublishAsAgent an agent's, each event that names a party
	// only from the agent who took the chat, and with a non-empty once
	// the i-th event published under that key once, however often it
	// comes (an agent's request sent again after its answer was lost).
	Send(ctx context.Context, chatID string, events ...protocol.Event) error
	Publish(ctx context.Context, chatID string, events ...protocol.Event) error
	PublishAsAgent(ctx context.Context, chatID, once string, events ...protocol.Event) error
	Take(ctx context.Context, chatID string, agent *protocol.PartyJoined) error
	// Upload stores a file a party shares (hint is the type the client
	// reported); OpenFile and OpenFileByID read one back.
	Upload(ctx context.Context, chatID, partyID, name, hint string, body io.Reader) (chat.File, error)
	OpenFile(ctx context.Context, chatID, fileID string) (chat.File, io.ReadSeekCloser, error)
	OpenFileByID(ctx context.Context, fileID string) (chat.File, io.ReadSeekCloser, error)
	// LeasePoll takes the lease on a chat's one waiting long poll;
	// SetPollCursor keeps where the API's long poll of a chat stands among
	// its stored events, PolledSignal and SetPolledSignal among its call
	// signals; SetNotifications the visitor's Mobile Notification
	// Subscription.
	LeasePoll(ctx context.Context, chatID string, d time.Duration) (release func(), ok bool, err error)
	SetPollCursor(ctx context.Context, chatID string, seq uint64) error
	PolledSignal(ctx context.Context, chatID string) (uint64, error)
	SetPolledSignal(ctx context.Context, chatID string, seq uint64) error
	SetNotifications(ctx context.Context, chatID string, sub protocol.NotificationSubscription) error
	// Changed waits for a change in any chat after the counter since.
	Changed(ctx context.Context, since uint64) (uint64, error)
}

var _ Chats = (*chat.Service)(nil)
