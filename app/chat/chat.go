package chat

import (
	"crypto/rand"
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
	// Agent is the party id of the agent who took the chat; "" until one
	// does.
	Agent string

	// The store keeps these, and State, up to date as events are appended
	// (see Apply).

	// LastSeq is the sequence number of the chat's last stored event.
	LastSeq uint64
	// VisitorMessages counts the visitor's messages.
	VisitorMessages int
	// LastVisitorEvent is when the visitor last did something that was
	// stored; it starts at Created.
	LastVisitorEvent time.Time
	// EWT is the estimated wait the last chat_session_status gave, at
	// EWTAt.
	EWT   protocol.Seconds
	EWTAt time.Time
	// CaseID is the CRM case the last chat_session_case_set linked the
	// chat to; "" for none.
	CaseID string

	// PollCursor is the last sequence number a Get New Chat Events
	// without a position answered with: the API's long poll carries no
	// position, so the server keeps it (see SetPollCursor).
	PollCursor uint64
	// Notifications is the visitor's Mobile Notification Subscription.
	Notifications protocol.NotificationSubscription
}

// Session is the chat as Request Chat answers it at now: with the estimated
// wait left while it is queued.
func (c Chat) Session(isNew bool, now time.Time) protocol.ChatSession {
	var ewt protocol.Seconds
	if c.State == protocol.StateQueued {
		ewt = max(0, c.EWT-protocol.Seconds(now.Sub(c.EWTAt)/time.Second))
	}
	return protocol.ChatSession{
		ChatID:      c.ID,
		State:       c.State,
		EWT:         ewt,
		IsNewChat:   isNew,
		PhoneNumber: c.Request.PhoneNumber,
		Token:       c.Token,
		Epoch:       c.Epoch,
	}
}

// Assign gives the chat to agent, the rule of every Store's Assign, which
// calls it where it reads the chat for the change: a chat no agent took
// becomes agent's, and Assign reports true, for the store to write; a chat
// agent has already is left as it is; another agent's is ErrTaken.
func (c *Chat) Assign(agent string) (changed bool, err error) {
	switch c.Agent {
	case agent:
		return false, nil
	case "":
		c.Agent = agent
		return true, nil
	}
	return false, ErrTaken
}

// Apply updates the chat for an event just stored: its counters, and its
// state when the event changes it. Every Store's Append calls it in the
// same transaction, so a chat and its stream never disagree, even after a
// crash.
func (c *Chat) Apply(e protocol.Event) {
	meta := e.EventMeta()
	c.LastSeq = meta.Seq
	switch e := e.(type) {
	case *protocol.Status:
		c.State = e.State
		c.EWT, c.EWTAt = e.EWT, meta.Timestamp.Time
	case *protocol.CaseSet:
		c.CaseID = e.CaseID
	}
	if protocol.EndsChat(e) && !c.State.Over() {
		c.State = protocol.StateCompleted
	}
	if meta.PartyID != c.ID {
		return
	}
	c.LastVisitorEvent = meta.Timestamp.Time
	if _, ok := e.(*protocol.Message); ok {
		c.VisitorMessages++
	}
}

// CheckAgents returns a *NotAgentError for the first entry whose Agent is
// not the chat's, nil when every entry may be stored. Every Store's Append
// calls it with the chat as its transaction reads it.
func (c Chat) CheckAgents(entries []Entry) error {
	for _, e := range entries {
		if e.Agent != "" && e.Agent != c.Agent {
			return &NotAgentError{Party: e.Agent}
		}
	}
	return nil
}

// newChat returns a chat with fresh random identifiers. Chat ids are UUIDs,
// as Bright Pattern's are; tokens are crypto/rand.Text, 130 random bits.
func newChat(appID, clientID string, req protocol.ChatRequest, now time.Time) Chat {
	return Chat{
		ID:               protocol.NewUUID(),
		AppID:            appID,
		ClientID:         clientID,
		Token:            rand.Text(),
		Epoch:            hex.EncodeToString(randomBytes(8)),
		State:            protocol.StateQueued,
		Request:          req,
		Created:          now,
		LastVisitorEvent: now,
	}
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return b
}

// File is a file shared in a chat. Its bytes are in the Store.
type File struct {
	// ID is random and unguessable, so knowing one is the right to it only
	// together with the chat that owns it.
	ID          string
	ChatID      string
	PartyID     string
	Name        string
	ContentType string
	Size        int64
	Created     time.Time
}

// newFileID returns an id with 130 random bits (crypto/rand.Text).
func newFileID() string { return rand.Text() }
