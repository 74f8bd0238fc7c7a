package e2e

import (
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/protocol"
)

// openLogged opens the host page, clicks the launcher and records the
// window's network from as early as the iframe can be attached.
func openLogged(t *testing.T, pageURL, server string) (*chatWindow, *netLog) {
	t.Helper()
	tb := openPrivateTab(t, pageURL)
	if err := chromedp.Do(tb.ctx, chromedp.Click(launcher)); err != nil {
		t.Fatalf("clicking the launcher: %v", err)
	}
	w := &chatWindow{t: t, tab: tb, frame: tb.frame(server + "/widget/"), server: server}
	log := logNetwork(t, w.frame)
	w.waitConnected()
	w.learn()
	return w, log
}

// fetched lists every URL the window requested: the network log, and the
// browser's own record of the document's resources, which goes back to
// before the log was attached.
func (w *chatWindow) fetched(log *netLog) []string {
	w.t.Helper()
	urls := evalJS[[]string](w.t, w.frame, `performance.getEntriesByType("resource").map(e => e.name)`)
	for _, r := range log.requests() {
		_, u, _ := strings.Cut(r, " ")
		urls = append(urls, u)
	}
	return urls
}

// TestGermanWindow: a host page whose tag says data-locale="de" gets the
// window in German, whose words are fetched for it.
func TestGermanWindow(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	page := servePage(t, srv.URL, `data-locale="de"`, "<p>Eine deutsche Seite.</p>")
	w, log := openLogged(t, page, srv.URL)

	waitJS(t, w.frame, "the German placeholder", `document.querySelector("[data-testid=composer-input]").placeholder === "Nachricht schreiben…"`)
	if lang := attribute(t, w.frame, `[data-testid=chat]`, "lang"); lang != "de" {
		t.Errorf("the window's lang is %q", lang)
	}
	for css, want := range map[string]string{
		`[data-testid=send]`:   "Senden",
		`[data-testid=status]`: "Warten auf eine Mitarbeiterin oder einen Mitarbeiter",
	} {
		waitText(t, w.frame, css, want)
	}
	w.say("Guten Tag, haben Sie das Zelt in Grün?")
	w.waitVisible(`[data-testid=message][data-from=visitor][data-status=sent]`)
	waitText(t, w.frame, `[data-testid=message][data-from=visitor] .parley-author`, "Sie")
	w.tab.screenshot("i18n-german")

	catalogue := srv.URL + "/widget/web/i18n/de.json"
	if urls := w.fetched(log); !slices.Contains(urls, catalogue) {
		t.Errorf("the window never fetched %s; it fetched %v", catalogue, urls)
	}
	sameEvents(t, "the events the server stored", storedAtLeast(t, srv, w.chatID, 2), []protocol.Event{
		&protocol.Navigation{MsgID: w.msgID(1), Page: page, Title: "A host page", Meta: protocol.Meta{PartyID: w.chatID}},
		visitorMsg(w, 2, "Guten Tag, haben Sie das Zelt in Grün?"),
	})
}

// TestEnglishWindowFetchesNoWords: the English window has its words built
// in and fetches no language file.
func TestEnglishWindowFetchesNoWords(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	w, log := openLogged(t, srv.DemoURL, srv.URL)
	w.say("Hello!")
	w.waitVisible(`[data-testid=message][data-from=visitor][data-status=sent]`)
	if placeholder := attribute(t, w.frame, composerInput, "placeholder"); placeholder != "Write a message…" {
		t.Errorf("the English placeholder is %q", placeholder)
	}
	urls := w.fetched(log)
	for _, u := range urls {
		if strings.Contains(u, "/i18n/") {
			t.Errorf("the English window fetched %s", u)
		}
	}
	if !slices.ContainsFunc(urls, func(u string) bool { return strings.HasSuffix(u, protocol.PathConfiguration) }) {
		t.Errorf("the record of the window's requests misses the configuration it surely fetched: %v", urls)
	}
	sameEvents(t, "the events the server stored", storedAtLeast(t, srv, w.chatID, 2), []protocol.Event{
		navEvent(srv, w, 1),
		visitorMsg(w, 2, "Hello!"),
	})
}

// TestArabicWindowIsRightToLeft: data-locale="ar" lays the window out from
// the right: the visitor's bubbles on the left, the agent's on the right.
func TestArabicWindowIsRightToLeft(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	page := servePage(t, srv.URL, `data-locale="ar"`, "")
	w := openChatOn(t, page, srv.URL)
	waitJS(t, w.frame, "the Arabic placeholder", `document.querySelector("[data-testid=composer-input]").placeholder === "اكتب رسالة…"`)
	if dir := attribute(t, w.frame, `[data-testid=chat]`, "dir"); dir != "rtl" {
		t.Errorf("the Arabic window has dir=%q, want rtl", dir)
	}

	w.say("مرحبا، هل الخيمة متوفرة؟")
	// Stored before the contact center answers: the test's order.
	w.waitVisible(`[data-testid=message][data-from=visitor][data-status=sent]`)
	serverPublish(t, srv, w.chatID, agentJoined(graceID, "Grace"), agentSays(graceID, "نعم، لدينا ثلاث خيام."))
	w.waitVisible(`[data-testid=message][data-from=agent]`)
	w.waitVisible(`[data-testid=message][data-from=visitor][data-status=sent]`)
	boxes := evalJS[map[string]float64](t, w.frame, `(() => {
		const box = css => document.querySelector(css).getBoundingClientRect();
		const v = box("[data-testid=message][data-from=visitor] .parley-text"), a = box("[data-testid=message][data-from=agent] .parley-text");
		return {visitorLeft: v.left, visitorRight: v.right, agentLeft: a.left, agentRight: a.right, width: document.documentElement.clientWidth};
	})()`)
	if boxes["visitorLeft"] >= boxes["agentLeft"] || boxes["visitorRight"] >= boxes["agentRight"] {
		t.Errorf("in the right-to-left window the visitor's bubble is at %v..%v and the agent's at %v..%v; the visitor's belongs on the left",
			boxes["visitorLeft"], boxes["visitorRight"], boxes["agentLeft"], boxes["agentRight"])
	}
	if boxes["visitorLeft"] > boxes["width"]/4 || boxes["agentRight"] < boxes["width"]*3/4 {
		t.Errorf("the bubbles are not at the sides: %v", boxes)
	}
	w.tab.screenshot("i18n-arabic")

	got := waitStored(t, srv, w.chatID, "the read receipt", func(e []protocol.Event) bool { return len(eventsOf[*protocol.MessageRead](e)) == 1 })
	reply := eventsOf[*protocol.Message](sentBy(got, graceID))[0]
	sameEvents(t, "the events the server stored", got, []protocol.Event{
		&protocol.Navigation{MsgID: w.msgID(1), Page: page, Title: "A host page", Meta: protocol.Meta{PartyID: w.chatID}},
		visitorMsg(w, 2, "مرحبا، هل الخيمة متوفرة؟"),
		agentJoined(graceID, "Grace"),
		&protocol.Message{MsgID: reply.MsgID, Msg: "نعم، لدينا ثلاث خيام.", Meta: protocol.Meta{PartyID: graceID}},
		&protocol.MessageRead{RefMsgID: reply.MsgID, Meta: protocol.Meta{PartyID: w.chatID}},
	})
}
