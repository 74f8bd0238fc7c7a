package client

import (
	"context"

	"github.com/parleychat/parley/protocol"
)

// visitorID is the visitor's clientId for a launch point: made once and
// kept in Memory, so that a reload, or another page, finds the same chat.
// It is made under a lock, so two pages that start at once agree on one
// id, and one chat.
func visitorID(ctx context.Context, memory Memory, locks Locks, appID string) string {
	key := "parley." + appID + ".client"
	if release, ok := locks.Lock(ctx, key, false); ok {
		defer release()
	}
	var id string
	if err := memory.Get(key, &id); err != nil || id == "" {
		id = protocol.NewUUID()
		_ = memory.Set(key, id) // Memory keeps it for the page when the browser will not
	}
	return id
}
