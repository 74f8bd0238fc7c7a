// Package call is the visitor's side of a voice or video call with an agent,
// over the chat's chat_session_signaling events, as Bright Pattern's clients
// place them: the agent offers (OFFER_CALL with an SDP), the visitor answers
// (ANSWER_CALL) or declines (CALL_REJECTED), both trickle ICE candidates
// (ICE_CANDIDATE), either hangs up (END_CALL); a visitor who wants a call
// asks the agent for an offer (REQUEST_CALL).
//
// Start with [New] and [Call]. A Call is a state machine whose [State] is
// plain data a component renders: where the call stands, who is on the
// other side, muted or not, since when it is connected. The chat's client
// feeds it the chat's events ([Call.Handle]) and says when the chat is over;
// the visitor's buttons call [Call.Request], [Call.Accept], [Call.Decline],
// [Call.HangUp], [Call.SetMuted] and [Call.SetCamera]. Its signals go out
// through the chat's client, which keeps them through a reconnect: a call
// survives its chat's socket going away and coming back.
//
// # Wasm
//
// The media is a [Peer]. In the browser ([Browser]) it is getUserMedia and
// RTCPeerConnection, driven through syscall/js directly: no library, so the
// widget grows by this package's few kilobytes only. Outside the browser
// there is no media ([ErrNoMedia]); tests give the engine a fake Peer.
package call
