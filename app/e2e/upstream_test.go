package e2e

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/protocol"
)

// TestUpstreamChat: the widget on a website, Parley in upstream mode in
// front of a (fake) Bright Pattern tenant, an agent scripted on the
// tenant. The window takes its title and forms from the tenant, chats both
// ways, answers the tenant's form with the tenant's own request id, shows a
// calm "reconnecting" while the tenant is away and sends what was typed
// meanwhile once it is back, and after a reload in the middle is in the
// same chat, which goes on: every message once, on both sides.
func TestUpstreamChat(t *testing.T) {
	cfg := parleytest.DefaultBrightPatternWidget()
	cfg.Definition.ChatWidgetStyling.Title = "Acme support"
	bp := parleytest.StartBrightPattern(t, parleytest.BrightPatternConfig{PollWait: time.Second, NumericIDs: true, Widget: &cfg})
	srv := parleytest.Start(t, parleytest.Upstream(bp))
	w := openChat(t, srv)
	waitText(t, w.frame, `[data-testid=title]`, "Acme support")

	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	up, err := bp.WaitForChat(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	up.Join("Grace Hopper")
	up.Say("Hello! How can I help?")
	w.waitVisible(`[data-testid=message][data-from=agent]`)
	w.say("My order is late.")
	w.waitVisible(`[data-testid=message][data-from=visitor][data-status=sent]`)
	waitVisitorMessages(ctx, t, bp, up, "My order is late.")

	requestID := up.ShowForm("pre_chat", 600)
	card := formCard(protocol.NumberID(mustAtoi(t, requestID)))
	w.waitVisible(card + `[data-form-state=open]`)
	w.typeText(field(card, "first_name"), "Ada Lovelace")
	w.typeText(field(card, "email"), "ada@example.com")
	w.click(card + ` [data-testid=form-submit]`)
	w.waitVisible(card + `[data-form-state=sent]`)
	answer, err := up.WaitForVisitorEvent(ctx, func(e parleytest.VisitorEvent) bool { return e.Event.EventType() == protocol.TypeFormData })
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(answer.Raw, []byte(`"form_request_id":`+requestID+`,`)) || !bytes.Contains(answer.Raw, []byte(`"first_name":"Ada Lovelace"`)) {
		t.Errorf("the tenant got the form answer %s, want its request id %s as the number it sent", answer.Raw, requestID)
	}
	w.tab.screenshot("upstream-chat")

	// The tenant goes away: the window says it is reconnecting, and keeps
	// what the visitor writes meanwhile.
	bp.Disappear()
	w.waitVisible(`[data-testid=chat][data-connection=reconnecting]`)
	w.say("Are you still there?")
	w.tab.screenshot("upstream-reconnecting")
	if err := bp.Reappear(); err != nil {
		t.Fatal(err)
	}
	w.waitConnected()
	waitVisitorMessages(ctx, t, bp, up, "My order is late.", "Are you still there?")
	up.Say("Yes, sorry: it ships today.")
	waitJS(t, w.frame, "the agent's answer", `[...document.querySelectorAll("[data-testid=message][data-from=agent] .parley-text")].some(p => p.textContent === "Yes, sorry: it ships today.")`)

	// A reload in the middle keeps the chat.
	chatID := w.chatID
	w.reopenAfterReload()
	w.waitConnected()
	if id := attribute(t, w.frame, `[data-testid=chat]`, "data-chat-id"); id != chatID {
		t.Fatalf("after the reload the window is in chat %q, want %q", id, chatID)
	}
	w.caughtUp(srv)
	up.Say("Anything else?")
	w.say("No, thank you!")
	waitVisitorMessages(ctx, t, bp, up, "My order is late.", "Are you still there?", "No, thank you!")
	waitJS(t, w.frame, "the visitor's last message sent", `[...document.querySelectorAll("[data-testid=message][data-from=visitor][data-status=sent] .parley-text")].some(p => p.textContent === "No, thank you!")`)
	waitJS(t, w.frame, "the agent's last message", `[...document.querySelectorAll("[data-testid=message][data-from=agent] .parley-text")].some(p => p.textContent === "Anything else?")`)
	want := []string{"Hello! How can I help?", "My order is late.", "Yes, sorry: it ships today.", "Are you still there?", "Anything else?", "No, thank you!"}
	got := allText(t, w.frame, `[data-testid=message] .parley-text`)
	if len(got) != len(want) || !sameSet(got, want) {
		t.Errorf("after the reload the window shows %q, want each of %q once", got, want)
	}
	if n := countIn(t, w.frame, `[data-testid=notice][data-notice=joined]`); n != 1 {
		t.Errorf("the window shows %d joined notices, want one", n)
	}
	if n := len(bp.Chats()); n != 1 {
		t.Errorf("the tenant has %d chats, want one", n)
	}
	w.tab.screenshot("upstream-after-reload")
}

// waitVisitorMessages waits until the tenant has the visitor's messages,
// and fails the test unless they are exactly want, in order.
func waitVisitorMessages(ctx context.Context, t *testing.T, bp *parleytest.BrightPattern, up *parleytest.BrightPatternChat, want ...string) {
	t.Helper()
	texts := func() []string {
		var out []string
		for _, m := range up.VisitorMessages() {
			out = append(out, m.Text())
		}
		return out
	}
	if err := bp.WaitFor(ctx, func() bool { return len(texts()) >= len(want) }); err != nil {
		t.Fatalf("the tenant has the visitor's %q, want %q: %v", texts(), want, err)
	}
	if got := texts(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("the tenant has the visitor's %q, want %q once each, in order", got, want)
	}
}

// sameSet reports whether a and b hold the same texts, each as often.
func sameSet(a, b []string) bool {
	count := map[string]int{}
	for _, s := range a {
		count[s]++
	}
	for _, s := range b {
		count[s]--
	}
	for _, n := range count {
		if n != 0 {
			return false
		}
	}
	return true
}

func mustAtoi(t *testing.T, s string) uint64 {
	t.Helper()
	var n uint64
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatalf("%q is not a number: %v", s, err)
	}
	return n
}
