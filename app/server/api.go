package server

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"

	"github.com/parleychat/parley/protocol"
)

// maxRequestBytes bounds the JSON bodies of API methods.
const maxRequestBytes = protocol.MaxEnvelopeBytes

// requestChat is Request Chat: the client's active chat, or a new one.
func (s *Server) requestChat(w http.ResponseWriter, r *http.Request) {
	creds, err := s.credentials(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req protocol.ChatRequest
	if err := readJSON(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	c, isNew, err := s.chats.Open(r.Context(), creds, req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c.Session(isNew))
}

// credentials reads the Authorization header and checks the launch point.
func (s *Server) credentials(r *http.Request) (protocol.Credentials, error) {
	creds, err := protocol.ParseAuthorization(r.Header.Get("Authorization"))
	if err != nil {
		return creds, err
	}
	if len(s.cfg.AppIDs) > 0 && !slices.Contains(s.cfg.AppIDs, creds.AppID) {
		return creds, protocol.Errorf(protocol.CodeAppID, "appId %q is not a launch point of this server", creds.AppID)
	}
	return creds, nil
}

// readJSON decodes a request body into v; an empty body leaves v as it is.
func readJSON(r *http.Request, v any) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBytes+1))
	if err != nil {
		return protocol.Errorf(protocol.CodeBadRequest, "reading the body: %v", err)
	}
	if len(body) > maxRequestBytes {
		return protocol.Errorf(protocol.CodeTooLarge, "the body is over %d bytes", maxRequestBytes)
	}
	if len(body) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return protocol.Errorf(protocol.CodeBadRequest, "the body is not valid JSON for this method: %v", err)
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"error_code":"5500","error_message":"encoding the answer failed"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeError answers with the API's error envelope. Errors that are not the
// API's own are logged and shown to the caller only as an internal error.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	perr := s.apiError(r, err)
	writeJSON(w, perr.HTTPStatus(), perr)
}

// apiError is err as the API's error envelope.
func (s *Server) apiError(r *http.Request, err error) *protocol.Error {
	var perr *protocol.Error
	if errors.As(err, &perr) {
		return perr
	}
	s.log.Error("internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	return protocol.Errorf(protocol.CodeInternal, "internal server error")
}
