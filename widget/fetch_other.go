//go:build !js

package widget

import (
	"bytes"
	"context"
	"io"
	"net/http"
)

// maxResponseBytes bounds what post reads of an answer.
const maxResponseBytes = 1 << 20

// post sends a POST with Go's HTTP client, for Go programs and tests that
// drive a Session natively.
func post(ctx context.Context, url string, header map[string]string, body []byte) (status int, data []byte, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err = io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	return resp.StatusCode, data, err
}
