package widget

import (
	"time"

	"github.com/parleychat/parley/protocol"
)

// Sender says who a transcript line comes from.
type Sender string

// Senders of transcript lines.
const (
	FromVisitor  Sender = "visitor"
	FromAgent    Sender = "agent"
	FromScenario Sender = "scenario"
	FromSystem   Sender = "system"
)

// Delivery is how far a visitor's message got.
type Delivery string

// Deliveries of a visitor's message, in order.
const (
	// Pending: queued or written, not yet confirmed stored by the server.
	Pending Delivery = "pending"
	// Sent: the server stored it.
	Sent Delivery = "sent"
	// Delivered: an agent's client received it.
	Delivered Delivery = "delivered"
	// Read: an agent read it.
	Read Delivery = "read"
	// Failed: the server refused it for good.
	Failed Delivery = "failed"
)

// progress orders deliveries, so a late receipt never moves a mark back.
var progress = map[Delivery]int{Pending: 0, Sent: 1, Delivered: 2, Read: 3}

// Notice is a system line's meaning; the view words it in the visitor's
// language.
type Notice string

// Notices a transcript shows.
const (
	NoticeJoined         Notice = "joined"
	NoticeLeft           Notice = "left"
	NoticeEnded          Notice = "ended"
	NoticeTimeoutWarning Notice = "timeout_warning"
	NoticeInactivity     Notice = "inactivity"
	NoticeDisconnected   Notice = "disconnected"
)

// Line is one entry of the transcript: a message, a file, a form, or a
// system notice.
type Line struct {
	From   Sender
	Author string
	// PartyID is the sender's party.
	PartyID string
	// Text came from the network or the visitor: it is shown as text,
	// never as HTML.
	Text   string
	Notice Notice
	Time   time.Time
	MsgID  protocol.ID
	// Seq is the line's event in the chat's stream; 0 until stored.
	Seq    uint64
	Status Delivery
	// File is set for a shared file.
	File *protocol.File
	// Form is set for a form the contact center asked for; its request id
	// names it among the Transcript's forms.
	Form protocol.ID
}

// FormRequest is a form the contact center asked the visitor to fill in.
type FormRequest struct {
	RequestID protocol.ID
	// Name is the form's name; "" asks for the visitor's next message.
	Name string
	// ID is the form's id, for a secure form.
	ID     string
	Secure bool
	// Expires is when the form stops taking an answer; zero for never.
	Expires time.Time
	// Answered is set once the session holds the visitor's answer (it
	// delivers what it holds), or the visitor declined.
	Answered bool
	// NotSent says the visitor's answer was never stored: the server
	// refused it, or the chat ended first.
	NotSent bool
}
