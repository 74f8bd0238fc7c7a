package e2e

import (
	"html/template"
	"math"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/protocol"
)

// TestMobileWindow: on a phone the open window fills the screen, its
// message box is large enough that the browser does not zoom in on it, and
// the page under it still scrolls.
func TestMobileWindow(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	article := template.HTML(strings.Repeat("<p>Our tents are tested in the wind tunnel and on the fells, season after season.</p>", 60))
	page := servePage(t, srv.URL, "", article)
	tb := openPrivateTab(t, "about:blank")
	if err := chromedp.Do(tb.ctx,
		chromedp.EmulateViewport(375, 700, chromedp.EmulateMobile, chromedp.EmulateTouch),
		chromedp.Navigate(page),
		chromedp.Tap(launcher),
	); err != nil {
		t.Fatalf("opening the page on a phone and tapping the launcher: %v", err)
	}
	w := &chatWindow{t: t, tab: tb, frame: tb.frame(srv.URL + "/widget/"), server: srv.URL}
	w.waitConnected()
	w.learn()

	box := evalJS[map[string]float64](t, tb.ctx, `(() => {
		const r = document.querySelector("parley-widget").shadowRoot.querySelector("iframe").getBoundingClientRect();
		return {left: r.left, top: r.top, width: r.width, height: r.height, vw: innerWidth, vh: innerHeight};
	})()`)
	if box["vw"] != 375 || box["vh"] != 700 {
		t.Fatalf("the emulated screen is %v×%v", box["vw"], box["vh"])
	}
	if math.Abs(box["left"]) > 0.5 || math.Abs(box["top"]) > 0.5 || math.Abs(box["width"]-375) > 0.5 || math.Abs(box["height"]-700) > 0.5 {
		t.Errorf("the open window covers %v; on a 375×700 phone it must fill the screen", box)
	}
	if size := evalJS[float64](t, w.frame, `parseFloat(getComputedStyle(document.querySelector("[data-testid=composer-input]")).fontSize)`); size < 16 {
		t.Errorf("the message box's font is %vpx; below 16px phones zoom in when it gets the focus", size)
	}
	if overflow := evalJS[float64](t, w.frame, `document.documentElement.scrollWidth - document.documentElement.clientWidth`); overflow > 0 {
		t.Errorf("the window is %vpx wider than the phone's screen", overflow)
	}

	w.typeText(composerInput, "Sent from my phone.")
	if err := chromedp.Do(w.frame, chromedp.Tap(chromedp.CSS(`[data-testid=send]`))); err != nil {
		t.Fatalf("tapping send: %v", err)
	}
	w.waitVisible(`[data-testid=message][data-from=visitor][data-status=sent]`)
	w.tab.screenshot("mobile-window")

	scrolled := evalJS[[]float64](t, tb.ctx, `(() => {
		const before = document.scrollingElement.scrollTop;
		window.scrollTo(0, 400);
		return [before, document.scrollingElement.scrollTop, document.scrollingElement.scrollHeight - innerHeight];
	})()`)
	if scrolled[2] < 400 {
		t.Fatalf("the host page is only %vpx taller than the screen", scrolled[2])
	}
	if scrolled[1] == scrolled[0] {
		t.Errorf("with the window open the host page does not scroll: scrollTop stays %v", scrolled[0])
	}

	sameEvents(t, "the events the server stored", storedAtLeast(t, srv, w.chatID, 2), []protocol.Event{
		&protocol.Navigation{MsgID: w.msgID(1), Page: page, Title: "A host page", Meta: protocol.Meta{PartyID: w.chatID}},
		visitorMsg(w, 2, "Sent from my phone."),
	})
}
