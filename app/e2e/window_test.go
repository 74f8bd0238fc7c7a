package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/app/parleytest/browser"
	"github.com/parleychat/parley/protocol"
)

// chatWindow is the chat window a visitor opened on a host page: the tab of
// the page, the context attached to the window's cross-site iframe, and
// the chat the window started. Its helpers fail the test on an error.
type chatWindow struct {
	t      *testing.T
	tab    *tab
	frame  context.Context
	chatID string
	// tabID names the window's page among the visitor's pages: its
	// msg_ids are "tabID:n".
	tabID string
	// server is the origin the window is served from: the chat server, or
	// a proxy in front of it.
	server string
}

// openChat opens the demo website of srv and the chat window on it, and
// waits until the window is connected to its chat.
func openChat(t *testing.T, srv *parleytest.Server) *chatWindow {
	t.Helper()
	return openChatOn(t, srv.DemoURL, srv.URL)
}

// openChatOn opens the host page at pageURL, whose loader comes from
// server, clicks the launcher and waits until the window is connected.
func openChatOn(t *testing.T, pageURL, server string) *chatWindow {
	t.Helper()
	tb := openPrivateTab(t, pageURL)
	return tb.openWindow(server)
}

// openWindow clicks the launcher of the tab's page and attaches to the
// window it opens.
func (tb *tab) openWindow(server string) *chatWindow {
	tb.t.Helper()
	win, err := browser.OpenWindow(tb.ctx, tb.Tab, server)
	if err != nil {
		tb.t.Fatal(err)
	}
	w := &chatWindow{t: tb.t, tab: tb, frame: win.Ctx, server: server}
	w.learn()
	if w.chatID == "" {
		tb.t.Fatal("the connected window names no chat")
	}
	return w
}

// win is the harness's driver of the window.
func (w *chatWindow) win() browser.Window { return browser.Window{Ctx: w.frame} }

// learn reads the chat and the page's name from a connected window.
func (w *chatWindow) learn() {
	w.t.Helper()
	w.chatID = attribute(w.t, w.frame, `[data-testid=chat]`, "data-chat-id")
	w.tabID = attribute(w.t, w.frame, `[data-testid=chat]`, "data-tab")
}

// msgID is the msg_id of the window's nth message, file or page.
func (w *chatWindow) msgID(n int) protocol.ID {
	return protocol.TextID(fmt.Sprintf("%s:%d", w.tabID, n))
}

// reopenAfterReload reloads the host page, opens the window again and
// attaches to the new iframe, never to the one of the page before.
func (w *chatWindow) reopenAfterReload() {
	w.t.Helper()
	old := chromedp.FromContext(w.frame).Target.TargetID
	if err := chromedp.Do(w.tab.ctx, chromedp.Reload()); err != nil {
		w.t.Fatalf("reloading the page: %v", err)
	}
	if err := chromedp.Do(w.tab.ctx, chromedp.Click(launcher)); err != nil {
		w.t.Fatalf("clicking the launcher after the reload: %v", err)
	}
	w.frame = w.tab.frameOtherThan(w.server+"/widget/", old)
	// The new page numbers its msg_ids under a name of its own.
	waitJS(w.t, w.frame, "the new page's session", `!!document.querySelector("[data-testid=chat]").dataset.tab`)
	w.tabID = attribute(w.t, w.frame, `[data-testid=chat]`, "data-tab")
}

func (w *chatWindow) waitConnected() {
	w.t.Helper()
	w.waitVisible(`[data-testid=chat][data-connection=connected]`)
}

// bounded is the deadline of one wait: 20 seconds, well within the tab's
// minute, so a failed wait says what it waited for.
func (w *chatWindow) bounded() context.Context {
	ctx, cancel := context.WithTimeout(w.frame, 20*time.Second)
	w.t.Cleanup(cancel)
	return ctx
}

// waitVisible waits until the first element matching css is visible in the
// window.
func (w *chatWindow) waitVisible(css string) {
	w.t.Helper()
	if err := w.win().WaitVisible(w.bounded(), css); err != nil {
		w.t.Fatal(err)
	}
}

// waitGone waits until nothing matches css in the window.
func (w *chatWindow) waitGone(css string) {
	w.t.Helper()
	if err := w.win().WaitGone(w.bounded(), css); err != nil {
		w.t.Fatal(err)
	}
}

func (w *chatWindow) click(css string) {
	w.t.Helper()
	if err := w.win().Click(css); err != nil {
		w.t.Fatal(err)
	}
}

// typeText types into the element as a person would, key by key.
func (w *chatWindow) typeText(css, text string) {
	w.t.Helper()
	if err := w.win().Type(css, text); err != nil {
		w.t.Fatal(err)
	}
}

// say types a message into the composer and sends it with Enter.
func (w *chatWindow) say(text string) {
	w.t.Helper()
	if err := w.win().Say(text); err != nil {
		w.t.Fatal(err)
	}
}

// Keys for press.
var (
	enter  = browser.Enter
	tabKey = browser.TabKey
	escape = browser.Escape
)

// shift is the Shift modifier of press.
const shift = browser.Shift

// press presses a key in the window as a keyboard does (browser.Press).
func (w *chatWindow) press(k browser.Key, modifiers int64) {
	w.t.Helper()
	pressIn(w.t, w.frame, k, modifiers)
}

// pressIn presses a key in the target of ctx.
func pressIn(t *testing.T, ctx context.Context, k browser.Key, modifiers int64) {
	t.Helper()
	if err := browser.Press(ctx, k, modifiers); err != nil {
		t.Fatal(err)
	}
}

// setField gives a form control a value the way the browser does when a
// person picks one (a date, an option): the value, then the event the
// window listens to.
func (w *chatWindow) setField(css, value, event string) {
	w.t.Helper()
	if err := w.win().SetField(css, value, event); err != nil {
		w.t.Fatal(err)
	}
}
