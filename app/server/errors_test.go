package server

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"testing"

	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/protocol"
)

// TestErrorsBecomeTheirCodesInOnePlace: every error of the server's parts
// that the API has a code for gets it from asProtocolError, however deep it
// is wrapped; any other is an internal error.
func TestErrorsBecomeTheirCodesInOnePlace(t *testing.T) {
	t.Parallel()
	s := &Server{log: slog.New(slog.DiscardHandler)}
	cases := []struct {
		name string
		err  error
		want protocol.Code
	}{
		{"the API's own error", protocol.Errorf(protocol.CodeRateLimited, "slow down"), protocol.CodeRateLimited},
		{"the API's own, wrapped", fmt.Errorf("sending: %w", protocol.Errorf(protocol.CodeChatNotFound, "gone")), protocol.CodeChatNotFound},
		{"a file over the limit", fmt.Errorf("storing: %w", chat.ErrFileTooLarge), protocol.CodeUploadTooLarge},
		{"a body over the server's limit", fmt.Errorf("%w: %w", chat.ErrUploadBody, &http.MaxBytesError{Limit: 10}), protocol.CodeUploadTooLarge},
		{"a body cut short", fmt.Errorf("%w: unexpected EOF", chat.ErrUploadBody), protocol.CodeBadRequest},
		{"another agent has the chat", fmt.Errorf("assigning: %w", chat.ErrTaken), protocol.CodeTaken},
		{"the database is away", fmt.Errorf("appending: %w", chat.ErrUnavailable), protocol.CodeUnavailable},
		{"anything else", errors.New("disk on fire"), protocol.CodeInternal},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := s.asProtocolError(tc.err); got.Code != tc.want {
				t.Errorf("asProtocolError(%v) = %s, want %s", tc.err, got.Code, tc.want)
			}
		})
	}
}
