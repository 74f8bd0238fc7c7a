package chat

// Upstream is what a bridge to an upstream contact center (an operator's
// Bright Pattern tenant) keeps of one chat it bridges: who the chat is
// upstream, and how far its two queues got. The queues are the chat's Inbox
// and Outbox (see Box).
type Upstream struct {
	// ChatID is the chat here.
	ChatID string
	// ClientID is the clientId the bridge speaks for the chat's visitor
	// with upstream: a UUID of its own, never the visitor's.
	ClientID string
	// UpstreamID is the chat's chat_id upstream; "" until Request Chat
	// answered.
	UpstreamID string
	// Published is the number of the last Inbox entry published in the
	// chat: the upstream poll's progress.
	Published uint64
	// Sent is the number of the last Outbox entry the upstream accepted
	// (and the chat stored).
	Sent uint64
	// Stopped says why the bridge no longer follows the chat, for the
	// operator; "" while it does.
	Stopped string
}

// Box names one of the two queues of a bridged chat.
type Box string

// The queues of a bridged chat.
const (
	// Inbox holds what the upstream's polls delivered, each event as it
	// came, in order, so that a restart publishes what it had not yet.
	Inbox Box = "in"
	// Outbox holds the visitor's events that wait for the upstream to
	// accept them, in order.
	Outbox Box = "out"
)

// Queued is an entry of a box: an event's JSON, numbered from 1 in each box
// of each chat, with the key that makes it unique in its box ("" for none).
type Queued struct {
	N    uint64
	Body []byte
	Key  string
}
