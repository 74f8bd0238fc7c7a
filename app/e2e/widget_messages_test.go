package e2e

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/protocol"
)

const (
	composerInput = `[data-testid=composer-input]`
	graceID       = "agent-grace"
)

// TestEnterSendsShiftEnterBreaksTheLine: Shift+Enter puts a line break in
// the draft, Enter sends it, and the server gets the two lines as one
// message.
func TestEnterSendsShiftEnterBreaksTheLine(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	w := openChat(t, srv)

	w.typeText(composerInput, "Two lines:")
	w.press(enter, shift)
	w.typeText(composerInput, "the second one")
	if draft := evalJS[string](t, w.frame, `document.querySelector("[data-testid=composer-input]").value`); draft != "Two lines:\nthe second one" {
		t.Fatalf("after Shift+Enter the draft is %q; Shift+Enter must add a line, not send", draft)
	}
	if n := len(storedEvents(t, srv, w.chatID)); n != 1 {
		t.Errorf("the server has %d events before Enter; Shift+Enter sent something", n)
	}
	w.press(enter, 0)

	got := storedAtLeast(t, srv, w.chatID, 2)
	sameEvents(t, "the events the server stored", got, []protocol.Event{
		navEvent(srv, w, 1),
		visitorMsg(w, 2, "Two lines:\nthe second one"),
	})
	w.waitVisible(`[data-testid=message][data-from=visitor][data-status=sent]`)
	if shown := textOf(t, w.frame, `[data-from=visitor] .parley-text`); shown != "Two lines:\nthe second one" {
		t.Errorf("the message shows as %q", shown)
	}
	if draft := evalJS[string](t, w.frame, `document.querySelector("[data-testid=composer-input]").value`); draft != "" {
		t.Errorf("the composer still holds %q after sending", draft)
	}
	// Both lines show, one under the other.
	lines := evalJS[float64](t, w.frame, `(() => { const p = document.querySelector("[data-from=visitor] .parley-text");
		return p.getBoundingClientRect().height / parseFloat(getComputedStyle(p).lineHeight); })()`)
	if lines < 1.8 {
		t.Errorf("the message is %.1f lines high; its line break does not show", lines)
	}
	w.tab.screenshot("messages-two-lines")
}

// TestTypingIsOneEventPerBurst: twenty quick keystrokes tell the agent once
// that the visitor types, and once, three seconds after the last key, that
// they stopped; neither is stored.
func TestTypingIsOneEventPerBurst(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	w := openChat(t, srv)
	sub, err := srv.Chats.Subscribe(w.tab.ctx, w.chatID, protocol.Position{}, graceID)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	type seen struct {
		event protocol.Event
		at    time.Time
	}
	events := make(chan seen, 100)
	go func() {
		defer close(events)
		for {
			env, err := sub.Next(w.tab.ctx)
			if err != nil {
				return
			}
			for _, e := range env.Events {
				events <- seen{e, time.Now()}
			}
		}
	}()

	w.typeText(composerInput, "abcdefghijklmnopqrst")
	lastKey := time.Now()
	// The window waits three seconds without a key before it says the
	// visitor stopped; a second more shows nothing else follows.
	deadline := time.After(time.Until(lastKey.Add(4500 * time.Millisecond)))
	var typing []seen
collect:
	for {
		select {
		case s, ok := <-events:
			if !ok {
				t.Fatal("the subscription ended")
			}
			switch s.event.(type) {
			case *protocol.Typing, *protocol.NotTyping:
				typing = append(typing, s)
			}
		case <-deadline:
			break collect
		}
	}
	var got []protocol.Event
	for _, s := range typing {
		got = append(got, s.event)
	}
	sameEvents(t, "the typing events the agent saw", got, []protocol.Event{
		&protocol.Typing{Meta: protocol.Meta{PartyID: w.chatID}},
		&protocol.NotTyping{Meta: protocol.Meta{PartyID: w.chatID}},
	})
	if len(typing) == 2 {
		if quiet := typing[1].at.Sub(lastKey); quiet < 2500*time.Millisecond || quiet > 4500*time.Millisecond {
			t.Errorf("not_typing came %v after the last key; the window waits 3 s", quiet)
		}
	}
	sameEvents(t, "the events the server stored", storedEvents(t, srv, w.chatID), []protocol.Event{navEvent(srv, w, 1)})
	if draft := evalJS[string](t, w.frame, `document.querySelector("[data-testid=composer-input]").value`); draft != "abcdefghijklmnopqrst" {
		t.Errorf("the draft is %q", draft)
	}
}

// TestAgentTypingShows: the agent's typing shows as a line under the
// messages; not_typing, or the agent's message, takes it away.
func TestAgentTypingShows(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	w := openChat(t, srv)
	serverPublish(t, srv, w.chatID, agentJoined(graceID, "Grace"))

	serverPublish(t, srv, w.chatID, &protocol.Typing{Meta: protocol.Meta{PartyID: graceID}})
	waitText(t, w.frame, `[data-testid=typing]`, "Grace is typing…")
	w.tab.screenshot("messages-agent-typing")
	serverPublish(t, srv, w.chatID, &protocol.NotTyping{Meta: protocol.Meta{PartyID: graceID}})
	w.waitGone(`[data-testid=typing]`)

	serverPublish(t, srv, w.chatID, &protocol.Typing{Meta: protocol.Meta{PartyID: graceID}})
	w.waitVisible(`[data-testid=typing]`)
	serverPublish(t, srv, w.chatID, agentSays(graceID, "Here I am."))
	w.waitVisible(`[data-testid=message][data-from=agent]`)
	w.waitGone(`[data-testid=typing]`)

	// Typing is relayed, never stored.
	got := storedAtLeast(t, srv, w.chatID, 4)
	agentMsg := got[2].(*protocol.Message)
	sameEvents(t, "the events the server stored", got, []protocol.Event{
		navEvent(srv, w, 1),
		agentJoined(graceID, "Grace"),
		&protocol.Message{MsgID: agentMsg.MsgID, Msg: "Here I am.", Meta: protocol.Meta{PartyID: graceID}},
		&protocol.MessageRead{RefMsgID: agentMsg.MsgID, Meta: protocol.Meta{PartyID: w.chatID}},
	})
}

// TestReceipts: the agent's delivered and read receipts move the mark of
// the visitor's message; the window sends a read receipt for the agent's
// message it shows.
func TestReceipts(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	w := openChat(t, srv)
	w.say("Is the tent waterproof?")
	mine := `[data-testid=message][data-from=visitor]`
	w.waitVisible(mine + `[data-status=sent]`)
	id := w.msgID(2)
	if got := attribute(t, w.frame, mine, "data-msg-id"); got != id.String() {
		t.Fatalf("the message shows msg_id %q, want %q", got, id)
	}

	serverPublish(t, srv, w.chatID, agentJoined(graceID, "Grace"), &protocol.MessageDelivered{RefMsgID: id, Meta: protocol.Meta{PartyID: graceID}})
	w.waitVisible(mine + `[data-status=delivered]`)
	if meta := textOf(t, w.frame, mine+` [data-testid=meta]`); !strings.HasSuffix(meta, "Delivered") {
		t.Errorf("the delivered message's mark reads %q", meta)
	}
	serverPublish(t, srv, w.chatID, &protocol.MessageRead{RefMsgID: id, Meta: protocol.Meta{PartyID: graceID}})
	w.waitVisible(mine + `[data-status=read]`)
	if meta := textOf(t, w.frame, mine+` [data-testid=meta]`); !strings.HasSuffix(meta, "Read") {
		t.Errorf("the read message's mark reads %q", meta)
	}

	serverPublish(t, srv, w.chatID, agentSays(graceID, "Yes, 3000 mm."))
	w.waitVisible(`[data-testid=message][data-from=agent]`)
	got := waitStored(t, srv, w.chatID, "the visitor's read receipt", func(e []protocol.Event) bool {
		return len(eventsOf[*protocol.MessageRead](sentBy(e, w.chatID))) > 0
	})
	reply := eventsOf[*protocol.Message](sentBy(got, graceID))[0]
	if shown := attribute(t, w.frame, `[data-testid=message][data-from=agent]`, "data-msg-id"); shown != reply.MsgID.String() {
		t.Errorf("the agent's message shows msg_id %q, the server gave it %q", shown, reply.MsgID)
	}
	sameEvents(t, "the events the server stored", got, []protocol.Event{
		navEvent(srv, w, 1),
		visitorMsg(w, 2, "Is the tent waterproof?"),
		agentJoined(graceID, "Grace"),
		&protocol.MessageDelivered{RefMsgID: id, Meta: protocol.Meta{PartyID: graceID}},
		&protocol.MessageRead{RefMsgID: id, Meta: protocol.Meta{PartyID: graceID}},
		&protocol.Message{MsgID: reply.MsgID, Msg: "Yes, 3000 mm.", Meta: protocol.Meta{PartyID: graceID}},
		&protocol.MessageRead{RefMsgID: reply.MsgID, Meta: protocol.Meta{PartyID: w.chatID}},
	})
	w.tab.screenshot("messages-receipts")
}

// TestLinksAndLongWords: web addresses in an agent's message become links
// that open in a new tab without access to the window; a javascript: text
// stays text; a word longer than the window wraps.
func TestLinksAndLongWords(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	w := openChat(t, srv)
	const linked = "Our tents: https://example.com/tents?size=2&color=green. Call us!"
	const scripted = `javascript:alert(1) and <a href="javascript:alert(1)">click</a>`
	long := strings.Repeat("Zeltstangenverbindungsstück", 12)
	serverPublish(t, srv, w.chatID, agentJoined(graceID, "Grace"), agentSays(graceID, linked), agentSays(graceID, scripted), agentSays(graceID, long))
	w.waitVisible(`[data-testid=message][data-from=agent]:nth-of-type(4)`)
	lines := `[data-testid=message][data-from=agent]`

	if got := allText(t, w.frame, lines+` .parley-text`); len(got) != 3 || got[0] != linked || got[1] != scripted || got[2] != long {
		t.Errorf("the messages read %q", got)
	}
	links := evalJS[[]map[string]string](t, w.frame, `[...document.querySelectorAll("[data-testid=messages] a:not([data-testid=download])")].map(a => ({
		href: a.getAttribute("href"), target: a.getAttribute("target") || "", rel: a.getAttribute("rel") || "", text: a.textContent}))`)
	if len(links) != 1 {
		t.Fatalf("the messages hold %d links, want the one web address: %v", len(links), links)
	}
	l := links[0]
	if l["href"] != "https://example.com/tents?size=2&color=green" || l["text"] != "https://example.com/tents?size=2&color=green" {
		t.Errorf("the link is %v; the sentence's full stop is not part of the address", l)
	}
	if l["target"] != "_blank" || !strings.Contains(" "+l["rel"]+" ", " noopener ") {
		t.Errorf("the link has target=%q rel=%q; it must open a new tab with noopener", l["target"], l["rel"])
	}

	// The long word breaks inside the bubble: nothing scrolls sideways.
	overflow := evalJS[[]string](t, w.frame, `[...document.querySelectorAll("[data-testid=messages], [data-testid=message], [data-testid=message] .parley-text")]
		.filter(e => e.scrollWidth > e.clientWidth).map(e => e.className + " " + e.scrollWidth + ">" + e.clientWidth)`)
	if len(overflow) > 0 {
		t.Errorf("these overflow sideways: %v", overflow)
	}
	w.tab.screenshot("messages-links-long-word")

	got := waitReadToLast(t, srv, w.chatID, graceID)
	var want []protocol.Event
	for _, m := range eventsOf[*protocol.Message](got) {
		want = append(want, &protocol.Message{MsgID: m.MsgID, Msg: m.Msg, Meta: protocol.Meta{PartyID: graceID}})
	}
	sameEvents(t, "the agent's messages the server stored", dropTypes(sentBy(got, graceID), protocol.TypePartyJoined), want)
	if len(want) == 3 && (want[0].(*protocol.Message).Msg != linked || want[1].(*protocol.Message).Msg != scripted || want[2].(*protocol.Message).Msg != long) {
		t.Errorf("the server stored other texts: %s", dumpEvents(want))
	}
}

// TestScrollStaysWhereTheVisitorReads: the list follows new messages while
// the visitor is at its end; scrolled up, it stays and offers a pill to the
// new ones, which goes back down.
func TestScrollStaysWhereTheVisitorReads(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	w := openChat(t, srv)
	var burst []protocol.Event
	burst = append(burst, agentJoined(graceID, "Grace"))
	for i := 1; i <= 40; i++ {
		burst = append(burst, agentSays(graceID, fmt.Sprintf("Message %d of the catalogue.", i)))
	}
	serverPublish(t, srv, w.chatID, burst...)
	agentLines := `[data-testid=message][data-from=agent]`
	waitJS(t, w.frame, "40 messages", fmt.Sprintf(`document.querySelectorAll(%q).length === 40`, agentLines))
	const fromEnd = `(() => { const l = document.querySelector("[data-testid=messages]"); return l.scrollHeight - l.scrollTop - l.clientHeight; })()`
	waitJS(t, w.frame, "the list to be at its end", fromEnd+` < 2`)

	// The visitor scrolls to the top to read; the scroll event is handled
	// by the next frame.
	evalJS[chromedp.Void](t, w.frame, `document.querySelector("[data-testid=messages]").scrollTop = 0`)
	if _, err := chromedp.Run(w.frame, chromedp.Evaluate[chromedp.Void](`new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))`, chromedp.EvalAwaitPromise)); err != nil {
		t.Fatal(err)
	}
	serverPublish(t, srv, w.chatID, agentSays(graceID, "One more thing."))
	waitJS(t, w.frame, "the 41st message", fmt.Sprintf(`document.querySelectorAll(%q).length === 41`, agentLines))
	w.waitVisible(`[data-testid=new-messages]`)
	if top := evalJS[float64](t, w.frame, `document.querySelector("[data-testid=messages]").scrollTop`); top > 2 {
		t.Errorf("the list moved to %v while the visitor read at the top", top)
	}
	w.tab.screenshot("messages-new-messages-pill")

	w.click(`[data-testid=new-messages]`)
	w.waitGone(`[data-testid=new-messages]`)
	waitJS(t, w.frame, "the list to be at its end after the pill", fromEnd+` < 2`)

	var said []string
	for _, m := range eventsOf[*protocol.Message](storedEvents(t, srv, w.chatID)) {
		said = append(said, m.Msg)
	}
	shown := allText(t, w.frame, agentLines+` .parley-text`)
	if len(said) != 41 || !equalStrings(shown, said) {
		t.Errorf("the server stored %d messages and the window shows %d, not the same", len(said), len(shown))
	}
}

// TestBurstOfAgentMessages: a burst the visitor is shown is reported read
// up to its last message, in a few receipts, and the visitor can answer at
// once.
func TestBurstOfAgentMessages(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	w := openChat(t, srv)
	var burst []protocol.Event
	burst = append(burst, agentJoined(graceID, "Grace"))
	for i := 1; i <= 40; i++ {
		burst = append(burst, agentSays(graceID, fmt.Sprintf("Line %d of the size chart.", i)))
	}
	serverPublish(t, srv, w.chatID, burst...)
	waitJS(t, w.frame, "40 messages", `document.querySelectorAll("[data-testid=message][data-from=agent]").length === 40`)

	w.say("Thanks, that is all.")
	waitJS(t, w.frame, "the server's answer to the visitor's message", `!!document.querySelector("[data-testid=message][data-from=visitor]:not([data-status=pending])")`)
	if status := attribute(t, w.frame, `[data-testid=message][data-from=visitor]`, "data-status"); status != "sent" {
		w.tab.screenshot("messages-burst-not-sent")
		t.Errorf("the visitor's answer to the agent's 40 messages shows as %q (%q), want sent",
			status, textOf(t, w.frame, `[data-testid=message][data-from=visitor] [data-testid=meta]`))
	}
	// One read receipt stands for every message before the one it names:
	// a burst costs a receipt or two, not one per message, which the
	// visitor's rate limit would refuse.
	got := waitReadToLast(t, srv, w.chatID, graceID)
	if receipts := eventsOf[*protocol.MessageRead](sentBy(got, w.chatID)); len(receipts) > 3 {
		t.Errorf("the window sent %d read receipts for a burst of 40 messages", len(receipts))
	}
}

// TestALongHistoryShowsItsLatestLinesFirst: a window that opens on a chat
// of 250 messages draws the latest 100 and offers the earlier ones, 100 at
// a time, keeping the line the visitor reads where it was; once all are
// drawn the offer goes, and a new message still comes at the end.
func TestALongHistoryShowsItsLatestLinesFirst(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	w := openChat(t, srv)
	history := []protocol.Event{agentJoined(graceID, "Grace")}
	for i := range 250 {
		history = append(history, agentSays(graceID, fmt.Sprintf("History line %d.", i)))
	}
	serverPublish(t, srv, w.chatID, history...)
	waitText(t, w.frame, `[data-testid=message][data-from=agent]:last-child .parley-text`, "History line 249.")
	agentLines := `[data-testid=message][data-from=agent]`

	w.reopenAfterReload()
	w.waitConnected()
	waitText(t, w.frame, `[data-testid=message][data-from=agent]:last-child .parley-text`, "History line 249.")
	shown := allText(t, w.frame, agentLines+` .parley-text`)
	if len(shown) != 100 || shown[0] != "History line 150." {
		t.Fatalf("the window draws %d messages from %q, want the latest 100", len(shown), shown[0])
	}
	earlier := textOf(t, w.frame, `[data-testid=earlier-messages]`)
	if !strings.HasPrefix(earlier, "Show earlier messages (") {
		t.Errorf("the offer of the earlier lines reads %q", earlier)
	}
	checkAxe(t, w.frame, "a long history's window")
	w.tab.screenshot("messages-long-history")

	// The visitor scrolls up to the offer and takes it: the line at the
	// top stays where it was.
	firstTop := `document.querySelector("[data-testid=message][data-from=agent]").getBoundingClientRect().top`
	evalJS[chromedp.Void](t, w.frame, `document.querySelector("[data-testid=messages]").scrollTop = 0`)
	before := evalJS[float64](t, w.frame, firstTop)
	w.tab.screenshot("messages-earlier-offer")
	evalJS[chromedp.Void](t, w.frame, `window.__line150 = document.querySelector("[data-testid=message][data-from=agent]")`)
	if err := chromedp.Do(w.frame, chromedp.Click(chromedp.CSS(`[data-testid=earlier-messages]`))); err != nil {
		t.Fatal(err)
	}
	waitJS(t, w.frame, "200 messages", agentCount(200))
	if after := evalJS[float64](t, w.frame, `window.__line150.getBoundingClientRect().top`); math.Abs(after-before) > 2 {
		t.Errorf("the line the visitor read moved from %.0f to %.0f px", before, after)
	}
	for drawn := 200; evalJS[bool](t, w.frame, `!!document.querySelector("[data-testid=earlier-messages]")`); {
		if err := chromedp.Do(w.frame, chromedp.Click(chromedp.CSS(`[data-testid=earlier-messages]`))); err != nil {
			t.Fatal(err)
		}
		drawn = min(drawn+100, 250)
		waitJS(t, w.frame, fmt.Sprintf("%d messages", drawn), agentCount(drawn))
	}
	waitJS(t, w.frame, "the offer gone", `!document.querySelector("[data-testid=earlier-messages]")`)
	if shown := allText(t, w.frame, agentLines+` .parley-text`); len(shown) != 250 || shown[0] != "History line 0." {
		t.Errorf("with every line drawn the window shows %d messages", len(shown))
	}

	serverPublish(t, srv, w.chatID, agentSays(graceID, "Anything else?"))
	waitText(t, w.frame, `[data-testid=message][data-from=agent]:last-child .parley-text`, "Anything else?")
}

// agentCount is true once the window draws at least n agent messages.
func agentCount(n int) string {
	return fmt.Sprintf(`document.querySelectorAll("[data-testid=message][data-from=agent]").length >= %d`, n)
}
