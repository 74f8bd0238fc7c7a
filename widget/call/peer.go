package call

import (
	"context"
	"errors"

	"github.com/parleychat/parley/protocol"
)

// Ids of the elements the browser's Peer shows the call in: a <video> for
// the agent (its sound too), and a muted one for the visitor's own camera.
const (
	RemoteVideoID = "parley-call-remote"
	LocalVideoID  = "parley-call-local"
)

// Errors a Peer's Answer wraps, so the engine can tell the visitor why.
var (
	// ErrPermission: the visitor, or the browser's settings, refused the
	// microphone or the camera.
	ErrPermission = errors.New("the microphone or camera was refused")
	// ErrNoDevice: there is no microphone, or no camera when video was
	// asked for, or it is in use elsewhere.
	ErrNoDevice = errors.New("no microphone or camera to use")
	// ErrNoMedia: this build has no media at all (a Go program outside the
	// browser).
	ErrNoMedia = errors.New("calls need a browser")
)

// Peer is one call's media and its connection to the agent: the browser's
// getUserMedia and RTCPeerConnection, or a fake in tests. The engine calls
// it from one goroutine at a time: Answer may take as long as the visitor
// takes to allow the microphone, the others return at once.
type Peer interface {
	// Answer takes the microphone, and the camera when video, applies the
	// agent's offer (an SDP) and returns the visitor's answer (an SDP). Its
	// error wraps ErrPermission or ErrNoDevice when the devices are the
	// trouble. When ctx ends first it gives up and returns its error.
	Answer(ctx context.Context, offer string, video bool) (answer string, err error)
	// AddCandidate adds one of the agent's ICE candidates; it is called
	// only after Answer succeeded.
	AddCandidate(c protocol.SignalData) error
	// SetMuted stops or resumes sending the microphone; SetCamera the
	// camera, when the call has it.
	SetMuted(muted bool)
	SetCamera(on bool)
	// Attach shows the call's streams in the page (its elements may have
	// been drawn after the streams came).
	Attach()
	// Close stops the devices and closes the connection.
	Close()
}

// PeerEvent is what a Peer reports, one thing at a time.
type PeerEvent struct {
	// Candidate is a local ICE candidate to send to the agent.
	Candidate *protocol.SignalData
	// Connection is the connection's new state, as RTCPeerConnection's
	// connectionState names it: "connecting", "connected",
	// "disconnected", "failed", "closed".
	Connection string
	// RemoteVideo says the agent's video arrived.
	RemoteVideo bool
}

// Media opens a Peer for one call, with the ICE servers to use. report
// receives the peer's events, in order, from a goroutine of the peer's
// (never from inside one of the engine's calls to the peer).
type Media func(ice []protocol.ICEServer, report func(PeerEvent)) (Peer, error)
