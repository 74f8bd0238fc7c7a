package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/protocol"
)

// TestTypingBeforeTheWasmRuns: on a phone network the wasm takes seconds;
// the prerendered window takes typing from its first paint. What the
// visitor sends meanwhile shows as sending and is sent once the wasm runs,
// in order, exactly once; the draft they were writing stays in the box.
func TestTypingBeforeTheWasmRuns(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	gate := startWasmGate(t, srv.URL, "hold")
	tb := openOnPhone(t, servePage(t, gate.URL, "", ""))
	if err := chromedp.Do(tb.ctx, chromedp.Tap(launcher)); err != nil {
		t.Fatal(err)
	}
	w := &chatWindow{t: t, tab: tb, frame: tb.frame(gate.URL + "/widget/"), server: gate.URL}
	w.waitVisible(`[data-testid=composer-input]:not([disabled])`)
	w.say("Hello, is anyone there?")
	w.typeText(`[data-testid=composer-input]`, "My order is late.")
	w.click(`[data-testid=send]`)
	w.typeText(`[data-testid=composer-input]`, "The number is")
	waitJS(t, w.frame, "both messages shown as sending", `document.querySelectorAll("[data-testid=message][data-from=visitor][data-status=pending]").length === 2`)
	if got := allText(t, w.frame, `[data-testid=message][data-from=visitor] .parley-text`); len(got) != 2 || got[0] != "Hello, is anyone there?" || got[1] != "My order is late." {
		t.Errorf("before the wasm the window shows %q", got)
	}
	tb.screenshot("early-sending")

	gate.release()
	w.waitConnected()
	w.learn()
	want := []string{"Hello, is anyone there?", "My order is late."}
	stored := waitStored(t, srv, w.chatID, "the messages sent before the wasm ran", func(events []protocol.Event) bool {
		return len(eventsOf[*protocol.Message](sentBy(events, w.chatID))) >= len(want)
	})
	msgs := eventsOf[*protocol.Message](sentBy(stored, w.chatID))
	if len(msgs) != len(want) {
		t.Fatalf("stored %d messages, want %d: %s", len(msgs), len(want), dumpEvents(stored))
	}
	for i, m := range msgs {
		if m.Msg != want[i] {
			t.Errorf("message %d is %q, want %q", i+1, m.Msg, want[i])
		}
	}
	waitJS(t, w.frame, "both messages shown as sent, once each", `(() => {
		const lines = [...document.querySelectorAll("[data-testid=message][data-from=visitor]")];
		return lines.length === 2 && lines.every(l => l.dataset.status === "sent");
	})()`)
	if draft := evalJS[string](t, w.frame, `document.querySelector("[data-testid=composer-input]").value`); draft != "The number is" {
		t.Errorf("the draft is %q, want what the visitor was writing", draft)
	}
	tb.screenshot("early-sent")

	// The window that runs sends its own, after the early ones.
	w.typeText(`[data-testid=composer-input]`, " 42.")
	w.press(enter, 0)
	stored = waitStored(t, srv, w.chatID, "the third message", func(events []protocol.Event) bool {
		return len(eventsOf[*protocol.Message](sentBy(events, w.chatID))) >= 3
	})
	if msgs := eventsOf[*protocol.Message](sentBy(stored, w.chatID)); len(msgs) != 3 || msgs[2].Msg != "The number is 42." {
		t.Errorf("stored %s", dumpEvents(stored))
	}
}
