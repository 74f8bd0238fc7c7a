package chat_test

import (
	"testing"

	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/app/chat/storetest"
)

func TestMemoryStore(t *testing.T) {
	storetest.Run(t, func(*testing.T) chat.Store { return chat.NewMemoryStore() })
}
