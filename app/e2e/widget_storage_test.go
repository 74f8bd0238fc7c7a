package e2e

import (
	"context"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/protocol"
)

// refuseStorage makes the window's next document refuse what a browser
// that blocks all cookies refuses: localStorage throws a SecurityError,
// and so does sessionStorage; Web Locks reject.
const refuseStorage = `(() => {
	const refused = () => { throw new DOMException("The operation is insecure.", "SecurityError"); };
	Object.defineProperty(window, "localStorage", {get: refused, configurable: true});
	Object.defineProperty(window, "sessionStorage", {get: refused, configurable: true});
	Object.defineProperty(navigator, "locks", {get: () => ({request: () => Promise.reject(new DOMException("The operation is insecure.", "SecurityError"))}), configurable: true});
})()`

// beforeEachDocument runs js in every document the target of ctx loads
// from now on, before its own scripts.
func beforeEachDocument(t *testing.T, ctx context.Context, js string) {
	t.Helper()
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: js}); err != nil {
		t.Fatalf("adding a script to the window's documents: %v", err)
	}
}

// reloadWindow loads the window's document again, in the same frame.
func (w *chatWindow) reloadWindow() {
	w.t.Helper()
	evalJS[chromedp.Void](w.t, w.frame, `setTimeout(() => location.reload(), 0)`)
	// The old document's context goes away under the wait: an error then
	// means "not yet".
	if !poll(func() bool {
		ready, err := chromedp.Run(w.frame, chromedp.Evaluate[bool](`document.readyState === "complete" &&
			performance.getEntriesByType("navigation")[0].type === "reload" && !!document.querySelector("[data-testid=chat]")`))
		return err == nil && ready
	}) {
		w.t.Fatal("the window's document never came back after the reload")
	}
}

// TestStorageRefusedTheChatWorks: in a browser that blocks all cookies the
// window's storage throws on every read. The window works all the same for
// the page's life, keeping the visitor's id and outbox in memory, and says
// nothing alarming.
func TestStorageRefusedTheChatWorks(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	w := openChat(t, srv)
	// The refusal below replaces the browser's own property, as the
	// browser's is: configurable.
	if native := evalJS[bool](t, w.frame, `(d => !!d && !!d.get && d.configurable)(Object.getOwnPropertyDescriptor(window, "localStorage"))`); !native {
		t.Fatal("the browser's localStorage is not a configurable property of the window")
	}
	beforeEachDocument(t, w.frame, refuseStorage)
	w.reloadWindow()
	if kept := evalJS[bool](t, w.frame, `"value" in Object.getOwnPropertyDescriptor(window, "localStorage")`); !kept {
		t.Fatal("the window's storage was not refused when it started; the test would prove nothing")
	}
	w.waitConnected()
	w.learn()
	if disabled := evalJS[bool](t, w.frame, `document.querySelector("[data-testid=composer-input]").disabled`); disabled {
		t.Error("the composer is disabled")
	}
	w.say("Does this work without cookies?")
	w.waitVisible(`[data-testid=message][data-from=visitor][data-status=sent]`)
	serverPublish(t, srv, w.chatID, agentJoined(graceID, "Grace"), agentSays(graceID, "It does."))
	waitText(t, w.frame, `[data-testid=message][data-from=agent] .parley-text`, "It does.")
	for _, css := range []string{`[data-testid=composer-notice]`, `[data-testid=status]`} {
		if text := textOf(t, w.frame, css); text != "" && text != "Chatting with Grace" {
			t.Errorf("the window says %q in %s", text, css)
		}
	}
	w.tab.screenshot("storage-refused")
	got := storedEvents(t, srv, w.chatID)
	if msgs := eventsOf[*protocol.Message](sentBy(got, w.chatID)); len(msgs) != 1 || msgs[0].Msg != "Does this work without cookies?" {
		t.Errorf("the server stored %s", dumpEvents(got))
	}
	// The page forgets the visitor: nothing to forget, nothing thrown.
	evalJS[chromedp.Void](t, w.tab.ctx, `Parley("shutdown")`)
	waitJS(t, w.tab.ctx, "the widget to go", `!document.querySelector("parley-widget")`)
}
