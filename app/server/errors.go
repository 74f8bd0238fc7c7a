package server

import (
	"errors"
	"net/http"

	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/protocol"
)

// writeError answers with the API's error envelope. Errors that are not the
// API's own are logged and shown to the caller only as an internal error.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	perr := s.apiError(r, err)
	writeJSON(w, perr.HTTPStatus(), perr)
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
		return protocol.Errorf(protocol.CodeUnavailable, "the chat server cannot reach its database; try again shortly")
	}
	s.log.Error("internal error", append(where, "err", err)...)
	return protocol.Errorf(protocol.CodeInternal, "internal server error")
}
