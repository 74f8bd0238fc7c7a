//go:build !js

package main_test

import (
	"fmt"
	"net"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/app/sqlite"
	"github.com/parleychat/parley/protocol"
)

// TestKillWithUpstreamChatsOpen kills the server in upstream mode with
// SIGKILL while a chat is open, the tenant cannot be reached, and the
// visitor's last messages wait in the server's outbox. Started again on
// the same data, it resumes the chat: the waiting messages reach the tenant
// once, what the agent said meanwhile reaches the visitor once, and the
// chat goes on.
func TestKillWithUpstreamChatsOpen(t *testing.T) {
	ctx := testContext(t)
	bp := parleytest.StartBrightPattern(t, parleytest.BrightPatternConfig{PollWait: time.Second})
	dataDir := t.TempDir()
	addr := freeAddress(t)
	flags := []string{"-data", dataDir, "-addr", addr, "-upstream", bp.URL, "-upstream-app-id", bp.AppID, "-upstream-tenant-url", bp.TenantURL}
	first := startWith(t, flags...)
	creds := protocol.Credentials{AppID: bp.AppID, ClientID: protocol.NewUUID()}
	visitor := visit(ctx, t, first.url, creds)
	chatID := visitor.ChatID()
	up, err := bp.WaitForChat(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	agent := up.Join("Grace Hopper")

	var sent, said []string
	say := func(text string) {
		t.Helper()
		sent = append(sent, text)
		if _, err := visitor.Session.SendMessage(text); err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i <= 5; i++ {
		say(fmt.Sprint("visitor ", i))
		said = append(said, fmt.Sprint("agent ", i))
		up.Say(said[len(said)-1])
	}
	until(ctx, t, "the first messages stored", func() bool {
		texts, _ := messages(history(ctx, t, first.url, chatID, creds))
		return len(texts) == 10
	})

	// The tenant goes away: the visitor's next messages wait in the
	// server's outbox, the agent's in the tenant's queue.
	bp.Disappear()
	for i := 6; i <= 8; i++ {
		say(fmt.Sprint("visitor ", i))
	}
	for i := 6; i <= 7; i++ {
		said = append(said, fmt.Sprint("agent ", i))
		up.Say(said[len(said)-1])
	}
	store, err := sqlite.Open(ctx, dataDir)
	if err != nil {
		t.Fatal(err)
	}
	until(ctx, t, "the visitor's messages in the server's outbox", func() bool {
		queued, err := store.Queue(ctx, chatID, chat.Outbox, 5, 100)
		return err == nil && len(queued) == 3
	})
	store.Close()

	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.cmd.Wait()
	if err := bp.Reappear(); err != nil {
		t.Fatal(err)
	}
	second := startWith(t, flags...)

	say("visitor 9")
	said = append(said, "agent 8")
	up.Say("agent 8")
	until(ctx, t, "every message after the restart", func() bool {
		texts, _ := messages(history(ctx, t, second.url, chatID, creds))
		return len(texts) >= len(sent)+len(said) && len(up.VisitorMessages()) >= len(sent)
	})
	var atTenant []string
	for _, m := range up.VisitorMessages() {
		atTenant = append(atTenant, m.Text())
	}
	if !slices.Equal(atTenant, sent) {
		t.Errorf("the tenant got %q, want %q once each, in order", atTenant, sent)
	}
	var mine, theirs []string
	for _, e := range history(ctx, t, second.url, chatID, creds) {
		m, ok := e.(*protocol.Message)
		switch {
		case !ok:
		case m.PartyID == chatID:
			mine = append(mine, m.Text())
		case m.PartyID == agent:
			theirs = append(theirs, m.Text())
		}
	}
	if !slices.Equal(mine, sent) || !slices.Equal(theirs, said) {
		t.Errorf("the chat holds the visitor's %q and the agent's %q; want %q and %q, once each, in order", mine, theirs, sent, said)
	}
	if n := len(bp.Chats()); n != 1 {
		t.Errorf("the tenant has %d chats, want one", n)
	}
}

// freeAddress is a loopback address no one listens on now, for a server
// that must come back where it was.
func freeAddress(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
