package e2e

import (
	"html/template"
	"testing"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/app/scenario"
	"github.com/parleychat/parley/protocol"
)

// lastReceipt is the msg_id the visitor's latest read receipt names, "" if
// there is none.
func lastReceipt(t *testing.T, srv *parleytest.Server, chatID string) protocol.ID {
	t.Helper()
	receipts := eventsOf[*protocol.MessageRead](sentBy(storedEvents(t, srv, chatID), chatID))
	if len(receipts) == 0 {
		return protocol.ID{}
	}
	return receipts[len(receipts)-1].RefMsgID
}

// hoverLauncher moves the pointer over the launcher, as a visitor on the
// way to somewhere else does.
func hoverLauncher(t *testing.T, tb *tab) {
	t.Helper()
	at := inShadow[[]float64](t, tb.ctx, `(() => { const r = root.querySelector("[data-testid=launcher]").getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()`)
	if _, err := chromedp.Call(tb.ctx, input.DispatchMouseEvent, input.DispatchMouseEventParams{Type: input.DispatchMouseEventTypeMouseMoved, X: at[0], Y: at[1]}); err != nil {
		t.Fatalf("moving the pointer over the launcher: %v", err)
	}
}

// TestUnseenReplyStaysUnread: the visitor closes the window and moves to
// another page; the agent replies; the window loads on the new page,
// hidden, because the pointer passed over the launcher or the page
// prefetches it. Nothing is read until the visitor sees it: no receipt,
// and the launcher and the page's title show the reply. Opening the window
// reads it.
func TestUnseenReplyStaysUnread(t *testing.T) {
	for _, tc := range []struct {
		name, attrs string
		load        func(t *testing.T, tb *tab)
	}{
		{"loaded by the pointer passing over the launcher", "", hoverLauncher},
		{"loaded ahead by the page", `data-prefetch="idle"`, func(*testing.T, *tab) {}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := parleytest.Start(t, parleytest.Quiet())
			page := fixturePage(t, srv.URL, "api.html", template.HTMLAttr(tc.attrs))
			tb := openPrivateTab(t, page)
			w := tb.openWindow(srv.URL)
			serverPublish(t, srv, w.chatID, agentJoined(graceID, "Grace"), agentSays(graceID, "Let me check."))
			waitReadToLast(t, srv, w.chatID, graceID)
			first := lastReceipt(t, srv, w.chatID)
			w.press(escape, 0)
			waitJS(t, tb.ctx, "the window to close", `document.querySelector("parley-widget").shadowRoot.querySelector("iframe").hidden`)

			// Another page of the site, without the window open.
			if err := chromedp.Do(tb.ctx, chromedp.Navigate(page+"api.html"), chromedp.WaitVisible(launcher)); err != nil {
				t.Fatal(err)
			}
			serverPublish(t, srv, w.chatID, agentSays(graceID, "Yes, it is in stock."))
			tc.load(t, tb)
			hidden := &chatWindow{t: t, tab: tb, frame: tb.frame(srv.URL + "/widget/"), server: srv.URL, chatID: w.chatID}
			// Hidden, nothing in it is visible: wait on its state.
			waitJS(t, hidden.frame, "the hidden window to connect", `document.querySelector("[data-testid=chat]").dataset.connection === "connected"`)
			waitJS(t, tb.ctx, "the badge to count the reply", `document.querySelector("parley-widget").shadowRoot.querySelector("[data-testid=launcher] i").textContent === "1"`)
			waitJS(t, tb.ctx, "the title to show the reply", `document.title.startsWith("(1) ")`)
			waitJS(t, hidden.frame, "the reply in the hidden window", `document.querySelectorAll("[data-testid=message][data-from=agent]").length === 2`)
			if id := lastReceipt(t, srv, w.chatID); id != first {
				t.Errorf("a read receipt for %s was stored while the window was hidden", id)
			}
			tb.screenshot("unseen-badge")

			if err := chromedp.Do(tb.ctx, chromedp.Click(launcher)); err != nil {
				t.Fatal(err)
			}
			waitReadToLast(t, srv, w.chatID, graceID)
			waitJS(t, tb.ctx, "the badge to clear", `document.querySelector("parley-widget").shadowRoot.querySelector("[data-testid=launcher] i").textContent === ""`)
		})
	}
}

// TestPageEventsForMessagesOnly: the page's "message" listeners hear the
// contact center's messages, with their text; a form the scenario pushes
// is no message, and a file has an event of its own.
func TestPageEventsForMessagesOnly(t *testing.T) {
	srv := parleytest.Start(t)
	tb := openPrivateTab(t, fixturePage(t, srv.URL, "api.html", ""))
	w := tb.openWindow(srv.URL)
	w.waitVisible(`[data-testid=form][data-form-name=pre_chat]`)
	agent := srv.Agent("Grace Hopper")
	if err := agent.Take(tb.ctx, w.chatID); err != nil {
		t.Fatal(err)
	}
	if _, err := agent.SendFile(tb.ctx, w.chatID, "size-chart.pdf", tinyPDF); err != nil {
		t.Fatal(err)
	}
	if err := agent.Say(tb.ctx, w.chatID, "Here is the size chart."); err != nil {
		t.Fatal(err)
	}
	waitJS(t, tb.ctx, "two message events", `window.seen.filter(e => e.name === "message").length === 2`)
	var messages []string
	for _, e := range events(t, tb.ctx) {
		switch e.Name {
		case "message":
			messages = append(messages, e.Text)
		case "file":
			if e.Text != "size-chart.pdf" || e.Author != "Grace Hopper" {
				t.Errorf("the file event carried %+v", e)
			}
		}
	}
	if len(messages) != 2 || messages[0] != scenario.Default().Greeting || messages[1] != "Here is the size chart." {
		t.Errorf("the page heard the messages %q", messages)
	}
	waitJS(t, tb.ctx, "the file event", `window.seen.some(e => e.name === "file")`)
}
