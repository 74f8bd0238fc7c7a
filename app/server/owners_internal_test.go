package server

import (
	"strconv"
	"testing"
)

// TestOwnersForgetOnlyWhatWasNotUsed: past ownersKept chats, the server
// forgets the owners of the chats not asked for in the last generation,
// and keeps the rest.
func TestOwnersForgetOnlyWhatWasNotUsed(t *testing.T) {
	t.Parallel()
	var o owners
	ada := owner{"demo", "ada"}
	o.put("chat-ada", ada)
	for i := range ownersKept - 1 {
		o.put(strconv.Itoa(i), owner{"demo", "x"})
	}
	// A new generation starts; ada's chat is used in it.
	o.put("first-of-the-next", owner{"demo", "y"})
	if got, ok := o.get("chat-ada"); !ok || got != ada {
		t.Fatalf("after one generation: %v, %v; want ada's chat remembered", got, ok)
	}
	for i := range ownersKept {
		o.put("next-"+strconv.Itoa(i), owner{"demo", "z"})
	}
	if got, ok := o.get("chat-ada"); !ok || got != ada {
		t.Errorf("ada's chat, used in the last generation, is %v, %v", got, ok)
	}
	if _, ok := o.get("0"); ok {
		t.Errorf("a chat unused for two generations is still remembered")
	}
	if len(o.cur)+len(o.old) > 2*ownersKept {
		t.Errorf("%d owners remembered, more than two generations of %d", len(o.cur)+len(o.old), ownersKept)
	}
}
