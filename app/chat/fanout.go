package chat

import (
	"context"

	"github.com/parleychat/parley/protocol"
)

// Fanout connects the server processes that share one store, so that what
// one process does reaches the subscribers and the Observer of every other.
// A process on its own needs none: its Service hands what it stores and
// relays to its own subscribers itself.
//
// Stored events need no carrying: the store announces each append in the
// transaction that commits it, and a Fanout's Follow hears of it and calls
// the Service's Stored with the range, so the events are read from the store
// by those who need them. Call signals go the same way, through the
// Signals that hold them. Typing is not stored, so Relay carries it.
type Fanout interface {
	// Relay sends typing events of a chat to the other processes.
	Relay(ctx context.Context, chatID, sender string, events []protocol.Event) error
	// Follow hands to svc what the other processes store, relay, hold and
	// open, until ctx ends: Stored for each announced append, Relayed for
	// each relay, Signaled for each call signal held, OpenedElsewhere for
	// each new chat. When it may have missed announcements (its connection
	// dropped), it announces every open chat again, up to its last stored
	// event, before it goes on.
	Follow(ctx context.Context, svc *Service) error
}
