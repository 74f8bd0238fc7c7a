package server

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/protocol"
)

// writeError answers with the API's error envelope. Errors that are not the
// API's own are logged and shown to the caller only as an internal error.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil {
		return // the client went away: nobody reads the answer, and the server did not fail
	}
	if wait, ok := holdRefusal(r.Context(), err); ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	}
	perr := s.apiError(r, err)
	writeJSON(w, perr.HTTPStatus(), perr)
}

const maxRefusalHold = time.Second

// refusalHold is how long a refusal for the rate is held, given when the
// budget would take what it refused: a random time from then to
// maxRefusalHold. The budget's next token is one instant for every refusal
// of the chat: held until then, a flood's refusals would come back
// together, a herd that takes the CPU from every other chat while it is
// refused again. Full jitter spreads them out.
func refusalHold(retryAfter time.Duration) time.Duration {
	wait := min(max(retryAfter, 0), maxRefusalHold)
	return wait + rand.N(maxRefusalHold-wait+1)
}

func holdRefusal(ctx context.Context, err error) (time.Duration, bool) {
	var rl *chat.RateLimitedError
	if !errors.As(err, &rl) {
		return 0, false
	}
	wait := refusalHold(rl.RetryAfter)
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
	return wait, true
}

// apiError is err as the API's error envelope.
func (s *Server) apiError(r *http.Request, err error) *protocol.Error {
	return s.asProtocolError(err, "method", r.Method, "path", r.URL.Path)
}

// asProtocolError is the one place where the errors of the server's parts
// become the API's error codes. Errors that are not the API's own are
// logged with where, and shown to the caller only as an internal error.
func (s *Server) asProtocolError(err error, where ...any) *protocol.Error {
	var perr *protocol.Error
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &perr):
		return perr
	case errors.Is(err, chat.ErrFileTooLarge), errors.As(err, &tooBig):
		return protocol.Errorf(protocol.CodeUploadTooLarge, "the file is over the limit of %d MB", chat.MaxFileBytes>>20)
	case errors.Is(err, chat.ErrUploadBody):
		return protocol.Errorf(protocol.CodeBadRequest, "%v", err)
	case errors.Is(err, chat.ErrTaken):
		return protocol.Errorf(protocol.CodeTaken, "another agent has this chat")
	case errors.Is(err, chat.ErrUnavailable):
		s.log.Warn("the store is unavailable", append(where, "err", err)...)
		return protocol.Errorf(protocol.CodeUnavailable, "the chat server cannot store anything now; try again shortly")
	}
	s.log.Error("internal error", append(where, "err", err)...)
	return protocol.Errorf(protocol.CodeInternal, "internal server error")
}
