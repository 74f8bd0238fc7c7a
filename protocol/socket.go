package protocol

// MaxEnvelopeBytes bounds one client envelope: a Send Events body or a
// WebSocket frame from a client.
const MaxEnvelopeBytes = 256 << 10

// CloseCode is a WebSocket close status on Parley's chat socket. It tells a
// client whether to reconnect.
type CloseCode int

// Close codes the server uses, from RFC 6455 and Parley's own 4000 range.
const (
	CloseNormal        CloseCode = 1000 // the client asked to close
	CloseGoingAway     CloseCode = 1001 // the server is shutting down: reconnect
	CloseTooBig        CloseCode = 1009 // a frame was over MaxEnvelopeBytes
	CloseTryAgainLater CloseCode = 1013 // the client fell behind: reconnect from its position
	// CloseForbidden says the credentials do not allow the socket:
	// reconnecting cannot help.
	CloseForbidden CloseCode = 4403
	// CloseChatNotFound says there is no such chat for this token:
	// reconnecting cannot help.
	CloseChatNotFound CloseCode = 4404
)

// Reconnect reports whether a client should reconnect after the server
// closed its socket with c.
func (c CloseCode) Reconnect() bool {
	return c != CloseChatNotFound && c != CloseForbidden && c != CloseNormal
}
