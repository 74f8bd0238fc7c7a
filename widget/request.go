package widget

// response is an HTTP answer: its status, its body, and its Date header,
// which tells the server's clock.
type response struct {
	status int
	body   []byte
	date   string
}
