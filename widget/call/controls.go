package call

import (
	"errors"

	"github.com/parleychat/parley/protocol"
)

// Request asks the agent who has the chat for a call, with the visitor's
// video when video and the configuration allow it; the agent's offer is
// answered at once.
func (c *Call) Request(video bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case !c.state.Enabled:
		return errors.New("calls are not offered here")
	case c.over:
		return errors.New("the chat is over")
	case c.agent == "":
		return errors.New("no agent has the chat yet")
	case c.active():
		return errors.New("a call is on already")
	}
	video = video && c.state.VisitorVideo
	c.gen++
	c.state = State{Phase: Requesting, Party: c.agent, Video: video, Enabled: c.state.Enabled, VisitorVideo: c.state.VisitorVideo}
	c.send(c.agent, protocol.SignalData{Type: protocol.SignalRequestCall, OfferVideo: video})
	c.notify()
	return nil
}

// Accept answers the ringing call, with the visitor's camera when video
// and the configuration allow it, else with the microphone only.
func (c *Call) Accept(video bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state.Phase != Ringing {
		return errors.New("no call is ringing")
	}
	c.accept(video && c.state.VisitorVideo)
	c.notify()
	return nil
}

// Decline declines the ringing call: the agent gets CALL_REJECTED.
func (c *Call) Decline() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state.Phase != Ringing {
		return errors.New("no call is ringing")
	}
	c.reject(c.state.Party)
	c.finish(Declined, "")
	c.notify()
	return nil
}

// HangUp ends the call on, whatever its phase: a ringing call is declined,
// a request taken back, a call hung up (END_CALL).
func (c *Call) HangUp() {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch c.state.Phase {
	case Ringing:
		c.reject(c.state.Party)
		c.finish(Declined, "")
	case Requesting, Connecting, InCall:
		c.send(c.state.Party, protocol.SignalData{Type: protocol.SignalEndCall})
		c.finish(HungUp, "")
	default:
		return
	}
	c.notify()
}

// SetMuted turns the visitor's microphone off or on again.
func (c *Call) SetMuted(muted bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state.Phase != Connecting && c.state.Phase != InCall {
		return
	}
	c.state.Muted = muted
	if c.peer != nil {
		c.peer.SetMuted(muted)
	}
	c.notify()
}

// SetCamera pauses the visitor's camera, or turns it on again, in a call
// that has it.
func (c *Call) SetCamera(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.state.Camera || (c.state.Phase != Connecting && c.state.Phase != InCall) {
		return
	}
	c.state.CameraOff = !on
	if c.peer != nil {
		c.peer.SetCamera(on)
	}
	c.notify()
}

// Attach shows the call's streams in the page's elements: a panel calls it
// once it drew them.
func (c *Call) Attach() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.peer != nil {
		c.peer.Attach()
	}
}
