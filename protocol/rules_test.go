package protocol

import "testing"

func TestRules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		event     Event
		ends      bool
		ephemeral bool
	}{
		{&Message{}, false, false},
		{&Typing{}, false, true},
		{&NotTyping{}, false, true},
		{&Signaling{}, false, true},
		{&FormData{}, false, false},
		{&Disconnect{}, false, false},
		{&End{}, true, false},
		{&Ended{}, true, false},
		{&InactivityTimeout{}, true, false},
		{&TimeoutWarning{}, false, false},
		{&Status{State: StateQueued}, false, false},
		{&Status{State: StateConnected}, false, false},
		{&Status{State: StateFailed}, true, false},
		{&Status{State: StateCompleted}, true, false},
		{&PartyLeft{}, false, false},
	}
	for _, tt := range tests {
		name := tt.event.EventType()
		if s, ok := tt.event.(*Status); ok {
			name += " " + string(s.State)
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := EndsChat(tt.event); got != tt.ends {
				t.Errorf("EndsChat = %v, want %v", got, tt.ends)
			}
			if got := Ephemeral(tt.event); got != tt.ephemeral {
				t.Errorf("Ephemeral = %v, want %v", got, tt.ephemeral)
			}
		})
	}
}
