package client

import "github.com/parleychat/parley/protocol"

// SendMessage queues a visitor message and returns its msg_id. A message
// sent before the session knows its chat waits for it.
func (s *Session) SendMessage(text string) (protocol.ID, error) {
	msg := &protocol.Message{Msg: text}
	err := s.Send(msg)
	return msg.MsgID, err
}

// Send queues a client event. Typing events are dropped while disconnected
// (see droppedOffline); call signals wait for the connection, but only for
// the page's life. An event that carries a msg_id and has none gets the
// page's next one, once it is valid.
func (s *Session) Send(e protocol.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := protocol.MsgIDOf(e)
	unnumbered := id != nil && id.IsZero()
	if unnumbered {
		*id = protocol.TextID("-")
	}
	if err := protocol.ValidateClientEvent(e); err != nil {
		if unnumbered {
			*id = protocol.ID{}
		}
		return err
	}
	if unnumbered {
		*id = s.outbox.nextID()
	}
	if droppedOffline(e) && !s.connected {
		return nil
	}
	s.enqueue(e)
	return nil
}

// enqueue adds e to the outbox and wakes the writer. The caller holds s.mu.
func (s *Session) enqueue(e protocol.Event) {
	// A call signal waits for the server's answer and goes again after a
	// reconnect, but is not kept across a reload: another page has no call
	// to signal for.
	s.outbox.add(e, !droppedOffline(e), !protocol.Ephemeral(e))
	select {
	case s.written <- struct{}{}:
	default:
	}
}

// droppedOffline reports whether the session drops e rather than queue it
// while it is not connected: a typing state means nothing by the time the
// connection is back, and the next keystroke says it again. Other
// ephemeral events, such as call signals, wait for the connection; none is
// kept across a reload (protocol.Ephemeral).
func droppedOffline(e protocol.Event) bool {
	switch e.(type) {
	case *protocol.Typing, *protocol.NotTyping:
		return true
	}
	return false
}
