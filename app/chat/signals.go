package chat

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/parleychat/parley/protocol"
)

// Signals holds the call signals of chats for a short while: the API keeps
// them out of history, but a party that is away for a moment (between two
// long polls, or while its socket reconnects) must still get the signals
// addressed to it, or a call never gets set up. The Service's default keeps
// them in memory, which holds for one process; processes that share a
// database hold them there (see app/postgres), so that a signal reaches its
// party whichever process serves it, however large its SDP.
type Signals interface {
	// Hold numbers sig with the chat's next signal number, greater than
	// every number the chat had before (also across restarts), sets its
	// SignalSeq, and keeps it until d after now (by the holder's clock:
	// the database's, when it has one). In the same step it lets go of the
	// chat's held signals between the same two parties that sig supersedes
	// (protocol.SignalSupersedes).
	Hold(ctx context.Context, chatID string, sig *protocol.Signaling, now time.Time, d time.Duration) error
	// Held returns the chat's held signals addressed to party whose
	// SignalSeq is greater than after, in order, but those whose time ran
	// out before now. Each is the caller's own copy.
	Held(ctx context.Context, chatID, party string, after uint64, now time.Time) ([]*protocol.Signaling, error)
	// PolledSignal returns where the API's long poll of the chat stands
	// among its signals (the last SignalSeq it answered with, 0 for none),
	// and SetPolledSignal moves it: the API's poll carries no position,
	// so the server keeps it, as it keeps Chat.PollCursor.
	PolledSignal(ctx context.Context, chatID string) (uint64, error)
	SetPolledSignal(ctx context.Context, chatID string, seq uint64) error
}

// memorySignals are the Signals of one process.
type memorySignals struct {
	mu    sync.Mutex
	chats map[string]*memorySignalChat
}

type memorySignalChat struct {
	last   uint64
	polled uint64
	held   []heldSignal
}

type heldSignal struct {
	sig     protocol.Signaling
	expires time.Time
}

// firstSignalSeq numbers a chat's first signal: the time in microseconds,
// so that numbers keep growing across restarts, which forget the last one,
// and stay below 2^53, which JavaScript clients read exactly.
func firstSignalSeq(now time.Time) uint64 { return uint64(max(1, now.UnixMicro())) }

// Hold implements Signals.
func (m *memorySignals) Hold(_ context.Context, chatID string, sig *protocol.Signaling, now time.Time, d time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.chats == nil {
		m.chats = map[string]*memorySignalChat{}
	}
	c := m.chats[chatID]
	if c == nil {
		m.forgetIdle(now)
		c = &memorySignalChat{last: firstSignalSeq(now) - 1}
		m.chats[chatID] = c
	}
	c.last++
	sig.SignalSeq = c.last
	c.held = slices.DeleteFunc(c.held, func(h heldSignal) bool {
		return !now.Before(h.expires) || supersedes(sig, &h.sig)
	})
	c.held = append(c.held, heldSignal{sig: *sig, expires: now.Add(d)})
	return nil
}

// supersedes reports whether the new signal lets go of the held one: one
// between the same two parties, either way, that it supersedes.
func supersedes(sig, held *protocol.Signaling) bool {
	from, to := sig.PartyID, sig.DestinationPartyID
	same := held.PartyID == from && held.DestinationPartyID == to
	other := held.PartyID == to && held.DestinationPartyID == from
	return (same || other) && protocol.SignalSupersedes(sig.Data.Type, held.Data.Type, same)
}

// forgetIdle drops the chats that hold nothing, once there are many of
// them, so the map holds only chats that called lately. The numbers they
// lose start again from the clock, above where they were.
func (m *memorySignals) forgetIdle(now time.Time) {
	if len(m.chats) < 1024 {
		return
	}
	for id, c := range m.chats {
		c.held = slices.DeleteFunc(c.held, func(h heldSignal) bool { return !now.Before(h.expires) })
		if len(c.held) == 0 && c.last < firstSignalSeq(now) {
			delete(m.chats, id)
		}
	}
}

// Held implements Signals.
func (m *memorySignals) Held(_ context.Context, chatID, party string, after uint64, now time.Time) ([]*protocol.Signaling, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.chats[chatID]
	if c == nil {
		return nil, nil
	}
	var out []*protocol.Signaling
	for _, h := range c.held {
		if h.sig.DestinationPartyID == party && h.sig.SignalSeq > after && now.Before(h.expires) {
			sig := h.sig
			out = append(out, &sig)
		}
	}
	return out, nil
}

// PolledSignal implements Signals.
func (m *memorySignals) PolledSignal(_ context.Context, chatID string) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c := m.chats[chatID]; c != nil {
		return c.polled, nil
	}
	return 0, nil
}

// SetPolledSignal implements Signals.
func (m *memorySignals) SetPolledSignal(_ context.Context, chatID string, seq uint64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c := m.chats[chatID]; c != nil {
		c.polled = seq
	}
	return nil
}
