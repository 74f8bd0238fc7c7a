package call

import "github.com/parleychat/parley/protocol"

// signaled handles a signal for the visitor. The caller holds c.mu.
func (c *Call) signaled(sig *protocol.Signaling) {
	from := sig.PartyID
	if sig.Data.Type == protocol.SignalOfferCall {
		c.offered(sig)
		return
	}
	if !c.active() || from != c.state.Party {
		return // what is left of a call that is over, or of no call
	}
	switch sig.Data.Type {
	case protocol.SignalICECandidate:
		switch {
		case c.answered:
			_ = c.peer.AddCandidate(sig.Data) // a candidate the browser cannot use is one path less
		case c.state.Phase == Ringing || c.state.Phase == Connecting:
			c.remote = append(c.remote, sig.Data)
		}
	case protocol.SignalEndCall:
		c.finish(RemoteEnded, "")
	case protocol.SignalCallRejected:
		if c.state.Phase == Requesting {
			c.finish(Rejected, "")
		} else {
			c.finish(RemoteEnded, "")
		}
	}
}

// offered handles an offer: declined when calls are off, answered at once
// when the visitor asked for it, ringing otherwise. An offer while a call
// is on starts the agent's new call in its place. The caller holds c.mu.
func (c *Call) offered(sig *protocol.Signaling) {
	switch {
	case !c.configured:
		c.early = sig
		return
	case !c.state.Enabled || c.over:
		c.reject(sig.PartyID)
		return
	}
	requested := c.state.Phase == Requesting && c.state.Party == sig.PartyID
	video := c.state.Video
	if c.active() && !requested {
		c.stop()
	}
	c.gen++
	c.offer, c.remote, c.local = sig.Data.SDP, nil, nil
	c.state = State{Phase: Ringing, Party: sig.PartyID, Video: sig.Data.OfferVideo,
		Enabled: c.state.Enabled, VisitorVideo: c.state.VisitorVideo}
	if requested {
		c.accept(video)
	}
}

// reject declines an offer of party. The caller holds c.mu.
func (c *Call) reject(party string) {
	c.send(party, protocol.SignalData{Type: protocol.SignalCallRejected})
}

// send hands a signal for party to the chat. The caller holds c.mu.
func (c *Call) send(party string, data protocol.SignalData) {
	// The chat's client refuses only what is invalid, which these are
	// not, or what comes after the chat's end, which the agent hears of.
	_ = c.cfg.Send(&protocol.Signaling{DestinationPartyID: party, Data: data})
}
