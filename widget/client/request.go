package client

import (
	"context"
	"fmt"
	"net/http"
)

// Get fetches a file of the server at url, such as the window's words in
// another language: with the browser's fetch in the widget, Go's HTTP
// client in Go programs. An answer but 200 OK is an error.
func Get(ctx context.Context, url string) ([]byte, error) {
	resp, err := request(ctx, http.MethodGet, url, nil, nil)
	if err != nil {
		return nil, err
	}
	if resp.status != http.StatusOK {
		return nil, fmt.Errorf("GET %s: HTTP status %d", url, resp.status)
	}
	return resp.body, nil
}

// response is an HTTP answer: its status, its body, and its Date header,
// which tells the server's clock.
type response struct {
	status int
	body   []byte
	date   string
}
