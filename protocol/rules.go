package protocol

// EndsChat reports whether e leaves its chat over: chat_session_ended,
// chat_session_inactivity_timeout, the client's chat_session_end, and a
// chat_session_status whose state is over (failed, completed). Clients stop
// and servers take nothing more after it. chat_session_disconnect does not:
// the scenario may still ask for a survey.
func EndsChat(e Event) bool {
	switch e := e.(type) {
	case *Ended, *InactivityTimeout, *End:
		return true
	case *Status:
		return e.State.Over()
	}
	return false
}

// Ephemeral reports whether e is never stored in the chat's history, since
// it means nothing later: typing and not typing and Parley's word on the
// contact center's reachability, which go to whoever follows the chat at the
// time, and call signals (the API keeps them out of history), which go to
// their destination party only and which a server holds a short while for
// that party (see [SignalSupersedes]).
func Ephemeral(e Event) bool {
	switch e.(type) {
	case *Typing, *NotTyping, *Signaling, *Upstream:
		return true
	}
	return false
}
