package call

import (
	"context"
	"errors"

	"github.com/parleychat/parley/protocol"
)

// accept starts answering the offer: devices, connection, answer. The
// caller holds c.mu.
func (c *Call) accept(video bool) {
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	c.state.Phase, c.state.Camera = Connecting, video
	go c.answer(ctx, c.gen, c.offer, video)
}

// answer runs the answering of call gen, outside the lock: it may wait for
// the visitor to allow the microphone.
func (c *Call) answer(ctx context.Context, gen int, offer string, video bool) {
	peer, err := c.cfg.Media(c.iceServers(ctx), func(ev PeerEvent) { c.peerEvent(gen, ev) })
	var sdp string
	if err == nil {
		sdp, err = peer.Answer(ctx, offer, video)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen || c.state.Phase != Connecting {
		if peer != nil {
			peer.Close()
		}
		return
	}
	if err != nil {
		if peer != nil {
			peer.Close()
		}
		c.reject(c.state.Party)
		c.finish(reasonOf(err), err.Error())
		c.notify()
		return
	}
	c.peer, c.answered = peer, true
	c.send(c.state.Party, protocol.SignalData{Type: protocol.SignalAnswerCall, SDP: sdp})
	for _, cand := range c.local {
		c.send(c.state.Party, cand)
	}
	for _, cand := range c.remote {
		_ = peer.AddCandidate(cand)
	}
	c.local, c.remote = nil, nil
	// What the visitor pressed while the call was being set up.
	peer.SetMuted(c.state.Muted)
	if c.state.Camera {
		peer.SetCamera(!c.state.CameraOff)
	}
	c.notify()
}

// iceServers returns the ICE servers, fetched once. Without them the call
// still connects where host candidates reach (a LAN, loopback).
func (c *Call) iceServers(ctx context.Context) []protocol.ICEServer {
	c.mu.Lock()
	ice := c.ice
	c.mu.Unlock()
	if ice != nil || c.cfg.ICEServers == nil {
		return ice
	}
	ice, err := c.cfg.ICEServers(ctx)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	c.ice = ice
	c.mu.Unlock()
	return ice
}

func reasonOf(err error) Reason {
	switch {
	case errors.Is(err, ErrPermission):
		return PermissionDenied
	case errors.Is(err, ErrNoDevice), errors.Is(err, ErrNoMedia):
		return NoDevice
	}
	return Failed
}

// peerEvent takes what the peer of call gen reports.
func (c *Call) peerEvent(gen int, ev PeerEvent) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen || (c.state.Phase != Connecting && c.state.Phase != InCall) {
		return
	}
	switch {
	case ev.Candidate != nil && c.answered:
		c.send(c.state.Party, *ev.Candidate)
	case ev.Candidate != nil:
		c.local = append(c.local, *ev.Candidate)
	case ev.RemoteVideo:
		c.state.RemoteVideo = true
	case ev.Connection == "connected" && c.state.Phase == Connecting:
		c.state.Phase, c.state.Since = InCall, c.cfg.Now()
	case ev.Connection == "failed":
		c.send(c.state.Party, protocol.SignalData{Type: protocol.SignalEndCall})
		c.finish(Failed, "the connection to the agent failed")
	}
	c.notify()
}
