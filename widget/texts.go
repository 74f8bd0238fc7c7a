package widget

import "fmt"

// Texts are the words of the window in one language.
type Texts struct {
	Title        string
	Close        string
	Connecting   string
	Reconnecting string
	Waiting      string
	WaitMinutes  string // with the number of minutes
	Connected    string
	ChattingWith string // with the agent's name
	Ended        string
	Failed       string
	Messages     string
	Placeholder  string
	Send         string
	You          string
	Agent        string
	Assistant    string
	Joined       string // with the party's name
	Left         string // with the party's name
	ChatEnded    string
	IdleWarning  string
	IdleEnded    string
	IsTyping     string // with the party's name
	NotSent      string
	Sending      string
}

var english = Texts{
	Title:        "Chat with us",
	Close:        "Close chat",
	Connecting:   "Connecting…",
	Reconnecting: "Connection lost. Reconnecting…",
	Waiting:      "Waiting for an agent",
	WaitMinutes:  "Waiting for an agent, about %d min",
	Connected:    "Connected",
	ChattingWith: "Chatting with %s",
	Ended:        "Chat ended",
	Failed:       "Chat is not available right now",
	Messages:     "Messages",
	Placeholder:  "Write a message…",
	Send:         "Send",
	You:          "You",
	Agent:        "Agent",
	Assistant:    "Assistant",
	Joined:       "%s joined the chat",
	Left:         "%s left the chat",
	ChatEnded:    "The chat has ended.",
	IdleWarning:  "Are you still there? The chat will close soon.",
	IdleEnded:    "The chat was closed after a period of inactivity.",
	IsTyping:     "%s is typing…",
	NotSent:      "Not sent",
	Sending:      "Sending…",
}

// notice words a system line.
func (tx *Texts) notice(l Line) string {
	who := l.Author
	if who == "" {
		who = tx.Agent
	}
	switch l.Notice {
	case NoticeJoined:
		return fmt.Sprintf(tx.Joined, who)
	case NoticeLeft:
		return fmt.Sprintf(tx.Left, who)
	case NoticeEnded:
		return tx.ChatEnded
	case NoticeTimeoutWarning:
		return firstNonEmpty(l.Text, tx.IdleWarning)
	case NoticeInactivity:
		return firstNonEmpty(l.Text, tx.IdleEnded)
	}
	return l.Text
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
