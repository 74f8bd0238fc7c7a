package protocol_test

import (
	"testing"

	"github.com/parleychat/parley/protocol"
)

func TestMessageID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		chatID string
		n      int
		want   protocol.ID
	}{
		{"first message", "c1", 1, protocol.TextID("c1:1")},
		{"iOS starts at zero", "6f1c2a4e-8d3b-4b1a-9f0e-2c7d5e8a9b10", 0, protocol.TextID("6f1c2a4e-8d3b-4b1a-9f0e-2c7d5e8a9b10:0")},
		{"chat id with a colon", "tenant:c1", 12, protocol.TextID("tenant:c1:12")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got, want := protocol.MessageID(tc.chatID, tc.n), tc.want; got != want {
				t.Errorf("MessageID(%q, %d) = %q, want %q", tc.chatID, tc.n, got, want)
			}
		})
	}
}

func TestParseMessageID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		id     protocol.ID
		chatID string
		n      int
		ok     bool
	}{
		{"documented form", protocol.TextID("c1:3"), "c1", 3, true},
		{"zero", protocol.TextID("c1:0"), "c1", 0, true},
		{"colons in the chat id", protocol.TextID("tenant:c1:7"), "tenant:c1", 7, true},
		{"iOS uuid:n", protocol.TextID("6f1c2a4e-8d3b-4b1a-9f0e-2c7d5e8a9b10:0"), "6f1c2a4e-8d3b-4b1a-9f0e-2c7d5e8a9b10", 0, true},
		{"web client's bare number", protocol.TextID("5"), "", 0, false},
		{"Android's UUID", protocol.TextID("6f1c2a4e-8d3b-4b1a-9f0e-2c7d5e8a9b10"), "", 0, false},
		{"negative number", protocol.TextID("c:-1"), "", 0, false},
		{"not a number", protocol.TextID("c:x"), "", 0, false},
		{"no chat id", protocol.TextID(":3"), "", 0, false},
		{"no number", protocol.TextID("c:"), "", 0, false},
		{"empty", protocol.ID{}, "", 0, false},
		{"number too large for an int", protocol.TextID("c:99999999999999999999"), "", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			chatID, n, ok := protocol.ParseMessageID(tc.id)
			if got, want := ok, tc.ok; got != want {
				t.Fatalf("ParseMessageID(%q) ok = %v, want %v", tc.id, got, want)
			}
			if got, want := chatID, tc.chatID; got != want {
				t.Errorf("ParseMessageID(%q) chat id = %q, want %q", tc.id, got, want)
			}
			if got, want := n, tc.n; got != want {
				t.Errorf("ParseMessageID(%q) n = %d, want %d", tc.id, got, want)
			}
			if ok {
				if got, want := protocol.MessageID(chatID, n), tc.id; got != want {
					t.Errorf("MessageID of the parts = %q, want %q back", got, want)
				}
			}
		})
	}
}

func TestMsgIDOf(t *testing.T) {
	for _, tc := range []struct {
		event protocol.Event
		want  protocol.ID
		has   bool
	}{
		{&protocol.Message{MsgID: protocol.TextID("c:1")}, protocol.TextID("c:1"), true},
		{&protocol.File{MsgID: protocol.TextID("c:2")}, protocol.TextID("c:2"), true},
		{&protocol.Location{MsgID: protocol.TextID("c:3")}, protocol.TextID("c:3"), true},
		{&protocol.Navigation{MsgID: protocol.TextID("c:4")}, protocol.TextID("c:4"), true},
		{&protocol.Typing{}, protocol.ID{}, false},
		{&protocol.FormData{}, protocol.ID{}, false},
		{&protocol.MessageRead{RefMsgID: protocol.TextID("c:1")}, protocol.ID{}, false},
	} {
		id := protocol.MsgIDOf(tc.event)
		if (id != nil) != tc.has || id != nil && *id != tc.want {
			t.Errorf("MsgIDOf(%T) = %v, want %q (has %v)", tc.event, id, tc.want, tc.has)
		}
	}
}
