package e2e

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/app/scenario"
)

// TestClosedContactCenterOffersToLeaveAMessage: while the contact center is
// closed (Request Chat answers 5001), the window says so, offers the page
// to leave a message that the configuration names, and tries again only
// when the visitor asks.
func TestClosedContactCenterOffersToLeaveAMessage(t *testing.T) {
	cfg := scenario.Default()
	cfg.AppIDs = []string{parleytest.AppID}
	// Open one day of the week only, and not today.
	day := [...]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}[(time.Now().UTC().Weekday()+3)%7]
	cfg.Hours = scenario.Hours{TimeZone: "UTC", Days: map[string]string{day: "00:00-23:59"}}
	cfg.Widget.LeaveMessageURL = "https://shop.example/contact"
	srv := parleytest.Start(t, parleytest.Contact(cfg))
	tb := openTab(t, srv.DemoURL)
	if err := chromedp.Do(tb.ctx, chromedp.Click(launcher)); err != nil {
		t.Fatalf("clicking the launcher: %v", err)
	}
	w := &chatWindow{t: t, tab: tb, frame: tb.frame(srv.URL + "/widget/"), server: srv.URL}
	w.waitVisible(`[data-testid=chat][data-connection=failed] [data-testid=unavailable]`)
	waitText(t, w.frame, `[data-testid=status]`, "We are closed right now")
	if href := attribute(t, w.frame, `[data-testid=leave-message]`, "href"); href != "https://shop.example/contact" {
		t.Errorf("leave a message links to %q, want the configured page", href)
	}
	tb.screenshot("closed-contact-center")

	// Trying again asks once more, and the answer is the same.
	if err := chromedp.Do(w.frame, chromedp.Click(chromedp.CSS(`[data-testid=try-again]`))); err != nil {
		t.Fatal(err)
	}
	w.waitVisible(`[data-testid=chat][data-connection=failed] [data-testid=unavailable]`)
}
