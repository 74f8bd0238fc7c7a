package client

import (
	"errors"
	"fmt"
	"testing"

	"github.com/coder/websocket"

	"github.com/parleychat/parley/protocol"
)

// TestErrorClasses checks how a link's failure is read: a chat that is
// gone (over), a refusal retrying cannot help (permanent), a contact center
// that is closed (Closed), each found through wrapping.
func TestErrorClasses(t *testing.T) {
	t.Parallel()
	wrap := func(err error) error { return fmt.Errorf("reading: %w", err) }
	tests := []struct {
		name                    string
		err                     error
		over, permanent, closed bool
	}{
		{name: "nil", err: nil},
		{name: "plain error", err: errors.New("network down")},
		{name: "socket closed: chat not found", err: wrap(websocket.CloseError{Code: websocket.StatusCode(protocol.CloseChatNotFound)}), over: true},
		{name: "socket closed: going away", err: wrap(websocket.CloseError{Code: websocket.StatusGoingAway})},
		{name: "chat not found", err: wrap(protocol.Errorf(protocol.CodeChatNotFound, "gone")), over: true, permanent: true},
		{name: "contact center closed", err: wrap(protocol.Errorf(protocol.CodeNoServer, "closed")), permanent: true, closed: true},
		{name: "file type refused", err: protocol.Errorf(protocol.CodeFileType, "no"), permanent: true},
		{name: "server failed", err: wrap(protocol.Errorf(protocol.CodeInternal, "oops"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := over(tt.err); got != tt.over {
				t.Errorf("over = %v, want %v", got, tt.over)
			}
			if got := permanent(tt.err); got != tt.permanent {
				t.Errorf("permanent = %v, want %v", got, tt.permanent)
			}
			if got := Closed(tt.err); got != tt.closed {
				t.Errorf("Closed = %v, want %v", got, tt.closed)
			}
		})
	}
}
