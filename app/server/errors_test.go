package server

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"testing"
	"time"

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

// TestRefusalsAreHeldSpreadOut: a refusal for the rate is held from when
// the budget would take it to maxRefusalHold, at a random time between, so
// that a flood's refusals, all due at the budget's next token, do not come
// back together.
func TestRefusalsAreHeldSpreadOut(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		retryAfter time.Duration
		least      time.Duration
	}{
		{"the next token soon", 200 * time.Millisecond, 200 * time.Millisecond},
		{"the budget taking it now", 0, 0},
		{"a wait past the longest hold", 3 * time.Second, maxRefusalHold},
		{"a wait below zero", -time.Second, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			const draws = 1000
			holds := map[time.Duration]bool{}
			for range draws {
				hold := refusalHold(tc.retryAfter)
				if hold < tc.least || hold > maxRefusalHold {
					t.Fatalf("held %v, want from %v to %v", hold, tc.least, maxRefusalHold)
				}
				holds[hold] = true
			}
			if tc.least < maxRefusalHold && len(holds) < draws/2 {
				t.Errorf("%d draws held only %d different times", draws, len(holds))
			}
		})
	}
}
