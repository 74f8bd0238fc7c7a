package protocol

// TypeUpstream is the wire name of [Upstream], a Parley extension.
const TypeUpstream = "parley_upstream"

// States of the contact center behind a Parley server in upstream mode, as
// [Upstream] reports them.
const (
	// UpstreamReconnecting: the server cannot reach the contact center for
	// now and keeps trying; what the visitor sends waits on the server and
	// goes when it is back.
	UpstreamReconnecting = "reconnecting"
	// UpstreamConnected: the contact center is reachable again.
	UpstreamConnected = "connected"
)

// Upstream is a Parley extension, from the server only: whether the contact
// center the server stands in front of (an operator's Bright Pattern tenant,
// in upstream mode) can be reached now. The server relays it, never stores
// it, to whoever follows the chat when the state changes, and to a socket
// that joins while the contact center cannot be reached. Bright Pattern's
// clients skip it as an event they do not know; Parley's widget shows the
// chat as reconnecting until the state is connected again.
type Upstream struct {
	State string `json:"state"`
	Meta
}

// EventType returns "parley_upstream".
func (*Upstream) EventType() string { return TypeUpstream }
