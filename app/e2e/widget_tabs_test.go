package e2e

import (
	"context"
	"slices"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/protocol"
)

// profile is a browser profile of the test's own, as a visitor's browser:
// its tabs share storage and locks, and it lives until the test ends,
// whichever tabs close.
type profile struct {
	t   *testing.T
	ctx context.Context
}

func newProfile(t *testing.T) *profile {
	t.Helper()
	return &profile{t: t, ctx: openPrivateTab(t, "about:blank").ctx}
}

// open opens url in a new tab of the profile; close closes the tab, as the
// visitor does.
func (p *profile) open(url string) (tb *tab, close func()) {
	p.t.Helper()
	return openTabIn(p.t, p.ctx, url)
}

// visitorLines are the texts and msg_ids of the visitor's messages a
// window shows, in its order.
func (w *chatWindow) visitorLines() (texts []string, ids []string) {
	w.t.Helper()
	lines := evalJS[[][]string](w.t, w.frame, `[...document.querySelectorAll("[data-testid=message][data-from=visitor]")]
		.map(l => [l.querySelector(".parley-text").textContent, l.dataset.msgId, l.dataset.status])`)
	for _, l := range lines {
		texts = append(texts, l[0])
		ids = append(ids, l[1])
	}
	return texts, ids
}

// storedVisitorMessages are the texts and msg_ids of the visitor's messages
// the server stored, in its order.
func storedVisitorMessages(t *testing.T, srv *parleytest.Server, chatID string) (texts []string, ids []string) {
	t.Helper()
	for _, m := range eventsOf[*protocol.Message](sentBy(storedEvents(t, srv, chatID), chatID)) {
		texts = append(texts, m.Msg)
		ids = append(ids, m.MsgID.String())
	}
	return texts, ids
}

// TestTwoTabsEachSendBeforeTheOthersEcho: two tabs on one chat each send a
// message before they saw the other's (the network was down). Both are
// stored, under msg_ids of their own; each tab shows both, in the order
// the server stored them, its own marked sent and the other's as the
// visitor's too.
func TestTwoTabsEachSendBeforeTheOthersEcho(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	net := parleytest.StartNetwork(t, srv.URL[len("http://"):])
	page := servePage(t, net.URL(), "", "")
	visitor := newProfile(t)
	first, _ := visitor.open(page)
	one := first.openWindow(net.URL())
	second, _ := visitor.open(page)
	two := second.openWindow(net.URL())
	if one.chatID != two.chatID || one.tabID == two.tabID {
		t.Fatalf("the tabs are in chats %s and %s, as pages %s and %s; want one chat, two pages", one.chatID, two.chatID, one.tabID, two.tabID)
	}

	net.Block(true)
	net.Cut()
	one.waitVisible(`[data-testid=chat][data-connection=reconnecting]`)
	two.waitVisible(`[data-testid=chat][data-connection=reconnecting]`)
	one.say("From the first tab.")
	two.say("From the second tab.")
	net.Block(false)
	one.networkBack()
	two.networkBack()

	waitUntil(t, "both messages stored", func() bool {
		texts, _ := storedVisitorMessages(t, srv, one.chatID)
		return len(texts) == 2
	})
	texts, ids := storedVisitorMessages(t, srv, one.chatID)
	if ids[0] == ids[1] {
		t.Errorf("both messages have msg_id %s", ids[0])
	}
	for _, w := range []*chatWindow{one, two} {
		waitJS(t, w.frame, "both messages, sent", `document.querySelectorAll("[data-testid=message][data-from=visitor][data-status=sent]").length === 2`)
		shown, shownIDs := w.visitorLines()
		if !slices.Equal(shown, texts) || !slices.Equal(shownIDs, ids) {
			t.Errorf("page %s shows %q as %q; the server stored %q as %q", w.tabID, shown, shownIDs, texts, ids)
		}
	}
	slices.Sort(texts)
	if !slices.Equal(texts, []string{"From the first tab.", "From the second tab."}) {
		t.Errorf("the server stored %q", texts)
	}
	first.screenshot("tabs-first")
	second.screenshot("tabs-second")
}

// TestOfflineTabsCloseAndNothingIsLost: two tabs on one chat each queue a
// message while the network is down, and both are closed. The next page
// sends both, once each.
func TestOfflineTabsCloseAndNothingIsLost(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	net := parleytest.StartNetwork(t, srv.URL[len("http://"):])
	page := servePage(t, net.URL(), "", "")
	visitor := newProfile(t)
	first, closeFirst := visitor.open(page)
	one := first.openWindow(net.URL())
	second, closeSecond := visitor.open(page)
	two := second.openWindow(net.URL())

	net.Block(true)
	net.Cut()
	one.waitVisible(`[data-testid=chat][data-connection=reconnecting]`)
	two.waitVisible(`[data-testid=chat][data-connection=reconnecting]`)
	one.say("Queued in the first tab.")
	two.say("Queued in the second tab.")
	waitJS(t, two.frame, "both messages in the browser's storage",
		outboxOf(one.chatID)+`.includes("Queued in the first tab.") && `+outboxOf(one.chatID)+`.includes("Queued in the second tab.")`)
	closeFirst()
	closeSecond()
	net.Block(false)

	third, _ := visitor.open(page)
	w := third.openWindow(net.URL())
	if w.chatID != one.chatID {
		t.Fatalf("the next page is in chat %s, want %s", w.chatID, one.chatID)
	}
	waitJS(t, w.frame, "both messages, sent", `document.querySelectorAll("[data-testid=message][data-from=visitor][data-status=sent]").length === 2`)
	texts, ids := storedVisitorMessages(t, srv, w.chatID)
	slices.Sort(texts)
	if !slices.Equal(texts, []string{"Queued in the first tab.", "Queued in the second tab."}) || ids[0] == ids[1] {
		t.Errorf("the server stored %q as %q, want each queued message once", texts, ids)
	}
	waitJS(t, w.frame, "the outboxes to empty", `!`+outboxOf(w.chatID)+`.includes("Queued")`)
	third.screenshot("tabs-closed-outboxes-sent")
}

// TestTwoTabsOpenedAtOnceShareOneChat: a new visitor opens the site in two
// tabs and clicks both launchers at once. There is one visitor, so one
// chat, in both tabs, and after a reload too.
func TestTwoTabsOpenedAtOnceShareOneChat(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	visitor := newProfile(t)
	first, _ := visitor.open(srv.DemoURL)
	second, _ := visitor.open(srv.DemoURL)
	for _, tb := range []*tab{first, second} {
		if err := chromedp.Do(tb.ctx, chromedp.Click(launcher)); err != nil {
			t.Fatalf("clicking a launcher: %v", err)
		}
	}
	var windows []*chatWindow
	for _, tb := range []*tab{first, second} {
		w := &chatWindow{t: t, tab: tb, frame: tb.frame(srv.URL + "/widget/"), server: srv.URL}
		w.waitConnected()
		w.learn()
		windows = append(windows, w)
	}
	if windows[0].chatID != windows[1].chatID {
		t.Fatalf("two tabs of one visitor are in chats %s and %s", windows[0].chatID, windows[1].chatID)
	}
	open, err := srv.Chats.OpenChats(context.Background())
	if err != nil || len(open) != 1 {
		t.Errorf("the server has %d chats open (%v), want one", len(open), err)
	}

	windows[0].say("Written in the first tab.")
	serverPublish(t, srv, windows[0].chatID, agentJoined(graceID, "Grace"), agentSays(graceID, "Answered in the chat."))
	windows[1].reopenAfterReload()
	windows[1].waitConnected()
	if id := attribute(t, windows[1].frame, `[data-testid=chat]`, "data-chat-id"); id != windows[0].chatID {
		t.Errorf("after a reload the second tab is in chat %s, want %s", id, windows[0].chatID)
	}
	waitText(t, windows[1].frame, `[data-testid=message][data-from=agent] .parley-text`, "Answered in the chat.")
	waitText(t, windows[1].frame, `[data-testid=message][data-from=visitor] .parley-text`, "Written in the first tab.")
	second.screenshot("tabs-one-chat")
}
