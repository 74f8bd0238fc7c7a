package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/protocol"
)

// TestAccessibleInEveryState runs axe-core (WCAG 2.2 A and AA, and its best
// practices) in the chat window in every state a visitor meets it in, and
// on the agent console, the demo website and its theme playground: no
// violations.
func TestAccessibleInEveryState(t *testing.T) {
	t.Run("a chat from the first look to its end", func(t *testing.T) {
		srv := parleytest.Start(t)
		checkAxe(t, openPrivateTab(t, srv.DemoURL).ctx, "the demo website")
		w := openChat(t, srv)
		card := `[data-testid=form][data-form-name=pre_chat]`
		w.waitVisible(card + `[data-form-state=open]`)
		checkAxe(t, w.frame, "the window as it first opens, with the pre-chat form")
		checkAxe(t, w.tab.ctx, "the demo website with the window open")
		w.click(card + ` [data-testid=form-submit]`)
		w.waitVisible(card + ` [data-testid=field-error]:not(:empty)`)
		checkAxe(t, w.frame, "the pre-chat form's errors")

		w.pick("setup.exe", "application/x-msdownload", "MZ\x90\x00")
		w.waitVisible(`[data-testid=composer-notice]:not(.parley-empty)`)
		checkAxe(t, w.frame, "a refused file's notice")
		console := consoleOn(t, srv.URL, w.chatID)
		checkAxe(t, console.ctx, "the agent console with a chat open")
		agent := srv.Agent("Grace Hopper")
		if _, err := agent.SendFile(w.tab.ctx, w.chatID, "tent.png", makePNG(t, 40, 30)); err != nil {
			t.Fatal(err)
		}
		if _, err := agent.SendFile(w.tab.ctx, w.chatID, "manual.pdf", tinyPDF); err != nil {
			t.Fatal(err)
		}
		w.pick("receipt.pdf", "application/pdf", string(tinyPDF))
		w.waitVisible(`[data-testid=file][data-from=visitor][data-status=sent]`)
		w.waitVisible(`[data-testid=file][data-from=agent] img[data-testid=image]`)
		if err := agent.Publish(w.tab.ctx, w.chatID, &protocol.Typing{Meta: protocol.Meta{PartyID: agent.PartyID}}); err != nil {
			t.Fatal(err)
		}
		w.waitVisible(`[data-testid=typing]`)
		checkAxe(t, w.frame, "files both ways, and the agent typing")

		w.click(`[data-testid=end-chat]`)
		w.waitVisible(`[data-testid=confirm-end]`)
		checkAxe(t, w.frame, "the question before the end")
		w.click(`[data-testid=leave]`)
		w.waitVisible(`[data-testid=form][data-form-name=survey][data-form-state=open]`)
		checkAxe(t, w.frame, "the survey")
		w.click(`[data-testid=form][data-form-name=survey] [data-testid=form-cancel]`)
		w.waitVisible(`[data-testid=after-chat]`)
		checkAxe(t, w.frame, "after the end")
	})

	t.Run("dark, Arabic and on a phone", func(t *testing.T) {
		srv := parleytest.Start(t)
		w := openChatOn(t, servePage(t, srv.URL, `data-locale="ar"`, ""), srv.URL)
		w.waitVisible(`[data-testid=form][data-form-state=open]`)
		checkAxe(t, w.frame, "the Arabic window")
		evalJS[chromedp.Void](t, w.tab.ctx, `Parley("theme", {mode: "dark"})`)
		waitJS(t, w.frame, "the dark theme", `document.documentElement.dataset.mode === "dark"`)
		checkAxe(t, w.frame, "the dark Arabic window")

		phone := openOnPhone(t, srv.DemoURL)
		if err := chromedp.Do(phone.ctx, chromedp.Tap(launcher)); err != nil {
			t.Fatal(err)
		}
		m := &chatWindow{t: t, tab: phone, frame: phone.frame(srv.URL + "/widget/"), server: srv.URL}
		m.waitConnected()
		m.waitVisible(`[data-testid=form][data-form-state=open]`)
		checkAxe(t, m.frame, "the window on a phone")
	})

	t.Run("the playground", func(t *testing.T) {
		srv := parleytest.Start(t, parleytest.Quiet())
		tb := openPrivateTab(t, srv.DemoURL+"/playground.html")
		if err := chromedp.Do(tb.ctx, chromedp.WaitVisible(launcher)); err != nil {
			t.Fatal(err)
		}
		checkAxe(t, tb.ctx, "the theme playground")
	})
}
