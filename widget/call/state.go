package call

import "time"

// Phase is where a call stands.
type Phase string

// Phases, in the order a call goes through them.
const (
	// Idle: no call.
	Idle Phase = "idle"
	// Requesting: the visitor asked the agent for a call and waits for
	// the offer, which is answered at once.
	Requesting Phase = "requesting"
	// Ringing: the agent offers a call; the visitor accepts or declines.
	Ringing Phase = "ringing"
	// Connecting: accepted; the devices and the connection are being set
	// up.
	Connecting Phase = "connecting"
	// InCall: connected, media flowing.
	InCall Phase = "in-call"
	// Ended: the call is over, Reason says why; another may start.
	Ended Phase = "ended"
)

// Reason says why a call ended.
type Reason string

// Reasons a call ends.
const (
	// HungUp: the visitor hung up, or took back a request.
	HungUp Reason = "hung-up"
	// RemoteEnded: the agent hung up, or left the chat.
	RemoteEnded Reason = "remote-ended"
	// Declined: the visitor declined the agent's offer.
	Declined Reason = "declined"
	// Rejected: the agent declined the visitor's request.
	Rejected Reason = "rejected"
	// PermissionDenied: the microphone or camera was refused; the agent
	// was told with CALL_REJECTED.
	PermissionDenied Reason = "permission-denied"
	// NoDevice: there is no microphone or camera to use.
	NoDevice Reason = "no-device"
	// Failed: the connection could not be made, or broke, or the server
	// refused a signal.
	Failed Reason = "failed"
	// ChatEnded: the chat ended, and the call with it.
	ChatEnded Reason = "chat-ended"
)

// State is what a call panel shows. It is plain data: a copy, which the
// Call never changes.
type State struct {
	Phase Phase
	// Party is the agent on the other side of the call: who rings, or
	// who was asked.
	Party string
	// Video says the agent's offer carries its video (ringing), or the
	// visitor asked for video (requesting).
	Video bool
	// Camera says the call sends the visitor's camera, CameraOff that the
	// visitor paused it; Muted that the microphone is off.
	Camera, CameraOff, Muted bool
	// RemoteVideo says the agent's video arrived.
	RemoteVideo bool
	// Since is when the call connected; the timer counts from it.
	Since time.Time
	// Reason says why the call ended, and Err gives the browser's words
	// for a failure.
	Reason Reason
	Err    string

	// Enabled says the configuration offers calls (videoCallEnabled);
	// VisitorVideo that the visitor may send video (visitorVideoEnabled).
	Enabled, VisitorVideo bool
	// CanRequest says the visitor can ask for a call now: calls are
	// offered, an agent has the chat, and no call is on.
	CanRequest bool
}

// Elapsed is how long the call has been connected at now: the timer.
func (s State) Elapsed(now time.Time) time.Duration {
	if s.Phase != InCall || s.Since.IsZero() {
		return 0
	}
	return max(0, now.Sub(s.Since).Truncate(time.Second))
}
