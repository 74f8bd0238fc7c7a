//go:build !js

package client

import (
	"bytes"
	"context"
	"io"
	"net/http"
)

// request sends an HTTP request with Go's HTTP client, for Go programs and
// tests that drive a Session natively.
func request(ctx context.Context, method, url string, header map[string]string, body []byte) (response, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return response{}, err
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxFrameBytes))
	return response{status: resp.StatusCode, body: data, date: resp.Header.Get("Date")}, err
}
