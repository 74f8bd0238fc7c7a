package protocol

import (
	"strconv"
	"strings"
)

// MessageID returns the documented msg_id of a visitor's n-th message in a
// chat: "chatId:n".
func MessageID(chatID string, n int) ID {
	return TextID(chatID + ":" + strconv.Itoa(n))
}

// ParseMessageID splits a "chatId:n" msg_id. ok is false for the other forms
// clients send (a bare number, a UUID), which servers must accept all the
// same.
func ParseMessageID(id ID) (chatID string, n int, ok bool) {
	text := id.String()
	i := strings.LastIndexByte(text, ':')
	if i <= 0 {
		return "", 0, false
	}
	digits := text[i+1:]
	n, err := strconv.Atoi(digits)
	if err != nil || n < 0 || strconv.Itoa(n) != digits {
		return "", 0, false // "+3" or "03" is not what MessageID writes
	}
	return text[:i], n, true
}

// MsgIDOf points at the msg_id of an event that carries one (a message, a
// file, a location, a navigation, a call signal), so a sender can number it
// and a server can drop a repeat; it is nil for the other events.
func MsgIDOf(e Event) *ID {
	switch e := e.(type) {
	case *Message:
		return &e.MsgID
	case *File:
		return &e.MsgID
	case *Location:
		return &e.MsgID
	case *Navigation:
		return &e.MsgID
	case *Signaling:
		return &e.MsgID
	}
	return nil
}
