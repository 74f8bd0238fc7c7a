package server

import (
	"encoding/json"
	"io"
	"net/http"

	"github.com/parleychat/parley/protocol"
)

// readBody reads a request's body, up to maxRequestBytes: a longer one is
// refused with CodeTooLarge.
func readBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBytes+1))
	if err != nil {
		return nil, protocol.Errorf(protocol.CodeBadRequest, "reading the body: %v", err)
	}
	if len(body) > maxRequestBytes {
		return nil, protocol.Errorf(protocol.CodeTooLarge, "the body is over %d bytes", maxRequestBytes)
	}
	return body, nil
}

// readJSON decodes a request body into v; an empty body leaves v as it is.
func readJSON(r *http.Request, v any) error {
	body, err := readBody(r)
	if err != nil || len(body) == 0 {
		return err
	}
	if err := protocol.CheckText(body); err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return protocol.Errorf(protocol.CodeBadRequest, "the body is not valid JSON for this method: %v", err)
	}
	return nil
}

// writeJSON answers with v as JSON. The answer leaves when the handler
// returns, in one write with its length (net/http measures it).
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

// flushJSON answers with v as JSON at once, and reports whether the answer
// could not be written to the connection. The answer is chunked: a client
// has it whole only once the handler returns, after what it does next.
func flushJSON(w http.ResponseWriter, status int, v any) error {
	writeJSON(w, status, v)
	return http.NewResponseController(w).Flush()
}
