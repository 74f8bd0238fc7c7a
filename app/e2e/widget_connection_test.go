package e2e

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/parleychat/parley/app/instance"
	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/protocol"
)

// caughtUp waits until the window shows the chat's stream up to the last
// event the server stored.
func (w *chatWindow) caughtUp(srv *parleytest.Server) {
	w.t.Helper()
	waitUntil(w.t, "the window to catch up with the chat", func() bool {
		c, err := srv.Chats.Chat(context.Background(), w.chatID)
		if err != nil {
			w.t.Fatal(err)
		}
		want := protocol.Position{Epoch: c.Epoch, Seq: c.LastSeq}.String()
		return evalJS[string](w.t, w.frame, `document.querySelector("[data-testid=chat]").dataset.position`) == want
	})
}

// visitorNumbers are the msg_id numbers of what the visitor numbered, in
// the order the server stored them, by the page that numbered them.
func visitorNumbers(t *testing.T, events []protocol.Event, chatID string) map[string][]int {
	t.Helper()
	numbers := map[string][]int{}
	for _, e := range sentBy(events, chatID) {
		id := protocol.MsgIDOf(e)
		if id == nil {
			continue
		}
		page, n, ok := protocol.ParseMessageID(*id)
		if !ok {
			t.Errorf("the visitor's %s has msg_id %q", e.EventType(), *id)
		}
		numbers[page] = append(numbers[page], n)
	}
	return numbers
}

// TestReloadKeepsTheChat: after a reload of the host page the window is in
// the same chat, shows its history once, and numbers the next message
// after every number the chat holds.
func TestReloadKeepsTheChat(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	w := openChat(t, srv)
	w.say("One: is the stove in stock?")
	// Stored before the contact center answers: the test's order.
	w.waitVisible(`[data-testid=message][data-from=visitor][data-status=sent]`)
	serverPublish(t, srv, w.chatID, agentJoined(graceID, "Grace"), agentSays(graceID, "Two: yes, it is."))
	w.waitVisible(`[data-testid=message][data-from=agent]`)
	w.say("Three: great, thanks.")
	waitStored(t, srv, w.chatID, "the visitor's messages and receipt", func(e []protocol.Event) bool { return len(e) == 6 })
	// The server's answer has emptied the outbox (TestReloadRightAfterSending
	// reloads before it does).
	waitJS(t, w.frame, "the outbox to empty", `!`+outboxOf(w.chatID)+`.includes("Three")`)
	chatID := w.chatID
	first := *w

	w.reopenAfterReload()
	w.waitConnected()
	if id := attribute(t, w.frame, `[data-testid=chat]`, "data-chat-id"); id != chatID {
		t.Fatalf("after the reload the window is in chat %q, want %q", id, chatID)
	}
	// The reloaded window reports its page again, and then has it all.
	waitStored(t, srv, w.chatID, "the page after the reload", func(e []protocol.Event) bool { return len(e) == 7 })
	w.caughtUp(srv)
	if got := allText(t, w.frame, `[data-testid=message] .parley-text`); !equalStrings(got, []string{"One: is the stove in stock?", "Two: yes, it is.", "Three: great, thanks."}) {
		t.Errorf("after the reload the window shows the messages %q", got)
	}
	if n := countIn(t, w.frame, `[data-testid=notice][data-notice=joined]`); n != 1 {
		t.Errorf("after the reload the window shows %d joined notices", n)
	}
	if n := countIn(t, w.frame, `[data-testid=message][data-from=visitor][data-status=sent]`); n != 2 {
		t.Errorf("after the reload %d of the visitor's 2 messages show as sent", n)
	}

	w.say("Four: one more question.")
	w.waitVisible(fmt.Sprintf(`[data-testid=message][data-msg-id="%s"][data-status=sent]`, w.msgID(2)))
	got := storedAtLeast(t, srv, chatID, 8)
	numbers := visitorNumbers(t, got, chatID)
	if len(numbers) != 2 || !equalInts(numbers[first.tabID], []int{1, 2, 3}) || !equalInts(numbers[w.tabID], []int{1, 2}) {
		t.Errorf("the visitor's msg_ids number %v, want 1 to 3 for the first page and 1 to 2 for the reloaded one", numbers)
	}
	reply := eventsOf[*protocol.Message](sentBy(got, graceID))[0]
	sameEvents(t, "the events the server stored", got, []protocol.Event{
		navEvent(srv, &first, 1),
		visitorMsg(&first, 2, "One: is the stove in stock?"),
		agentJoined(graceID, "Grace"),
		&protocol.Message{MsgID: reply.MsgID, Msg: "Two: yes, it is.", Meta: protocol.Meta{PartyID: graceID}},
		&protocol.MessageRead{RefMsgID: reply.MsgID, Meta: protocol.Meta{PartyID: chatID}},
		visitorMsg(&first, 3, "Three: great, thanks."),
		navEvent(srv, w, 1),
		visitorMsg(w, 2, "Four: one more question."),
	})
	if n := countIn(t, w.frame, `[data-testid=message]`); n != 4 {
		t.Errorf("the window shows %d messages, want 4", n)
	}
	w.tab.screenshot("connection-after-reload")
}

func equalStrings(a, b []string) bool { return fmt.Sprint(a) == fmt.Sprint(b) && len(a) == len(b) }
func equalInts(a, b []int) bool       { return fmt.Sprint(a) == fmt.Sprint(b) }

// viaProxy opens the window through a TCP proxy in front of the chat
// server: a host page whose loader, and so the window and its traffic,
// come from the proxy.
func viaProxy(t *testing.T, srv *parleytest.Server) (*chatWindow, *parleytest.Network, string) {
	t.Helper()
	proxy := parleytest.StartNetwork(t, strings.TrimPrefix(srv.URL, "http://"))
	page := servePage(t, proxy.URL(), "", "")
	return openChatOn(t, page, proxy.URL()), proxy, page
}

// hostNavigation is the chat_session_navigation of a window on servePage's
// page, numbered n.
func hostNavigation(page string, w *chatWindow, n int) *protocol.Navigation {
	return &protocol.Navigation{MsgID: w.msgID(n), Page: page, Title: "A host page", Meta: protocol.Meta{PartyID: w.chatID}}
}

// networkBack tells the window the network is back, as the browser does
// with its online event.
func (w *chatWindow) networkBack() {
	w.t.Helper()
	evalJS[chromedp.Void](w.t, w.frame, `window.dispatchEvent(new Event("online"))`)
}

// TestConnectionLoss: a message whose answer the network lost stays
// pending; when the connection breaks the window counts down to its next
// try and the visitor may still write; once the network is back both
// messages are sent and each is stored once.
func TestConnectionLoss(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	w, proxy, page := viaProxy(t, srv)
	waitStored(t, srv, w.chatID, "the page", func(e []protocol.Event) bool { return len(e) == 1 })

	// The way back breaks first: the server gets the message, the window
	// never hears so.
	proxy.Lose(false, true)
	w.say("Is anyone there?")
	id := w.msgID(2)
	waitStored(t, srv, w.chatID, "the message", func(e []protocol.Event) bool { return len(e) == 2 })
	line := fmt.Sprintf(`[data-testid=message][data-msg-id="%s"]`, id)
	if status := attribute(t, w.frame, line, "data-status"); status != "pending" {
		t.Errorf("a message whose answer was lost shows as %q, want pending", status)
	}
	if meta := textOf(t, w.frame, line+` [data-testid=meta]`); meta != "Sending…" {
		t.Errorf("the pending message's mark reads %q", meta)
	}

	// Then the whole network goes.
	proxy.Block(true)
	proxy.Cut()
	w.waitVisible(`[data-testid=chat][data-connection=reconnecting]`)
	countdown := regexp.MustCompile(`^Connection lost\. Retrying in (\d+) s…$`)
	waitJS(t, w.frame, "the countdown to the next try", fmt.Sprintf(`%s.test(document.querySelector("[data-testid=status]").textContent)`, jsRegexp(countdown)))
	first := textOf(t, w.frame, `[data-testid=status]`)
	if status := attribute(t, w.frame, line, "data-status"); status != "pending" {
		t.Errorf("while offline the message shows as %q, want pending", status)
	}
	// Written offline, it waits in the outbox.
	w.say("Hello?")
	offline := fmt.Sprintf(`[data-testid=message][data-msg-id="%s"]`, w.msgID(3))
	w.waitVisible(offline + `[data-status=pending]`)
	w.tab.screenshot("connection-reconnecting")
	if m := countdown.FindStringSubmatch(first); m != nil && m[1] != "1" {
		// The countdown moves by itself.
		waitJS(t, w.frame, "the countdown to move", fmt.Sprintf(`document.querySelector("[data-testid=status]").textContent !== %s`, jsString(first)))
	}

	proxy.Block(false)
	w.networkBack()
	w.waitConnected()
	w.waitVisible(line + `[data-status=sent]`)
	w.waitVisible(offline + `[data-status=sent]`)
	w.tab.screenshot("connection-back")
	if n := countIn(t, w.frame, `[data-testid=message]`); n != 2 {
		t.Errorf("the window shows %d messages, want the two", n)
	}
	// The message is there once, and the next one follows it.
	w.say("Good, you are back.")
	got := waitStored(t, srv, w.chatID, "the third message", func(e []protocol.Event) bool {
		return len(eventsOf[*protocol.Message](e)) == 3
	})
	var messages []protocol.Event
	for _, m := range eventsOf[*protocol.Message](got) {
		messages = append(messages, m)
	}
	sameEvents(t, "the messages the server stored", messages, []protocol.Event{
		visitorMsg(w, 2, "Is anyone there?"),
		visitorMsg(w, 3, "Hello?"),
		visitorMsg(w, 4, "Good, you are back."),
	})
	sameEvents(t, "the events the server stored", got, []protocol.Event{
		hostNavigation(page, w, 1),
		visitorMsg(w, 2, "Is anyone there?"),
		visitorMsg(w, 3, "Hello?"),
		visitorMsg(w, 4, "Good, you are back."),
	})
}

// jsRegexp writes re as a JavaScript regular expression literal.
func jsRegexp(re *regexp.Regexp) string {
	return "new RegExp(" + jsString(re.String()) + ")"
}

// TestReloadWithAPendingMessage: a message the network swallowed stays in
// the browser's outbox across a reload, and the reloaded window sends it,
// once.
func TestReloadWithAPendingMessage(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	w, proxy, page := viaProxy(t, srv)
	waitStored(t, srv, w.chatID, "the page", func(e []protocol.Event) bool { return len(e) == 1 })

	proxy.Lose(true, true)
	w.say("Please keep this one.")
	id := w.msgID(2)
	line := fmt.Sprintf(`[data-testid=message][data-msg-id="%s"]`, id)
	w.waitVisible(line + `[data-status=pending]`)
	outbox := outboxOf(w.chatID)
	waitJS(t, w.frame, "the message in the outbox", outbox+`.includes("Please keep this one.")`)
	if n := len(storedEvents(t, srv, w.chatID)); n != 1 {
		t.Fatalf("the server has %d events; the network should have lost the message", n)
	}
	first := *w

	w.reopenAfterReload()
	w.waitConnected()
	w.waitVisible(line + `[data-status=sent]`)
	w.caughtUp(srv)
	if n := countIn(t, w.frame, `[data-testid=message]`); n != 1 {
		t.Errorf("after the reload the window shows %d messages, want the one", n)
	}
	waitJS(t, w.frame, "the outbox to empty", `!`+outbox+`.includes("Please keep this one.")`)
	w.tab.screenshot("connection-reload-pending-sent")
	sameEvents(t, "the events the server stored", storedAtLeast(t, srv, w.chatID, 3), []protocol.Event{
		hostNavigation(page, &first, 1),
		visitorMsg(&first, 2, "Please keep this one."),
		hostNavigation(page, w, 1),
	})
}

// outboxOf is a JavaScript expression for what the visitor's pages keep in
// the browser's storage as the chat's outboxes: the messages the server
// has not confirmed.
func outboxOf(chatID string) string {
	prefix := jsString("parley." + parleytest.AppID + ".outbox." + chatID + ".")
	return fmt.Sprintf(`Object.keys(localStorage).filter(k => k.startsWith(%s)).map(k => localStorage.getItem(k)).join("")`, prefix)
}

// TestReloadRightAfterSending: a visitor who reloads (or goes to another
// page of the site) right after sending, before the server's answer came,
// finds the conversation in its order, the message once, where it was
// sent.
func TestReloadRightAfterSending(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	w, proxy, page := viaProxy(t, srv)
	w.say("One: do you sell gas canisters?")
	w.waitVisible(`[data-testid=message][data-from=visitor][data-status=sent]`)
	serverPublish(t, srv, w.chatID, agentJoined(graceID, "Grace"), agentSays(graceID, "Two: only in the shop."))
	w.waitVisible(`[data-testid=message][data-from=agent]`)
	waitStored(t, srv, w.chatID, "the read receipt", func(e []protocol.Event) bool { return len(e) == 5 })
	waitJS(t, w.frame, "the outbox to empty", `!`+outboxOf(w.chatID)+`.includes("One")`)

	// The message reaches the server; its answer is still on the way when
	// the page goes.
	proxy.Lose(false, true)
	w.say("Three: then I will come by.")
	waitStored(t, srv, w.chatID, "the third message", func(e []protocol.Event) bool { return len(e) == 6 })
	waitJS(t, w.frame, "the message in the outbox", outboxOf(w.chatID)+`.includes("Three")`)
	first := *w
	w.reopenAfterReload()
	w.waitConnected()
	w.caughtUp(srv)
	waitJS(t, w.frame, "the outbox to empty", `!`+outboxOf(w.chatID)+`.includes("Three")`)

	want := []string{"One: do you sell gas canisters?", "Two: only in the shop.", "Three: then I will come by."}
	if got := allText(t, w.frame, `[data-testid=message] .parley-text`); !equalStrings(got, want) {
		t.Errorf("after the reload the window shows the messages in the order %q, want %q", got, want)
	}
	if n := countIn(t, w.frame, `[data-testid=message][data-from=visitor][data-status=sent]`); n != 2 {
		t.Errorf("%d of the visitor's 2 messages show as sent", n)
	}
	w.tab.screenshot("connection-reload-right-after-sending")
	got := storedEvents(t, srv, w.chatID)
	reply := eventsOf[*protocol.Message](sentBy(got, graceID))[0]
	sameEvents(t, "the events the server stored", got, []protocol.Event{
		hostNavigation(page, &first, 1),
		visitorMsg(&first, 2, "One: do you sell gas canisters?"),
		agentJoined(graceID, "Grace"),
		&protocol.Message{MsgID: reply.MsgID, Msg: "Two: only in the shop.", Meta: protocol.Meta{PartyID: graceID}},
		&protocol.MessageRead{RefMsgID: reply.MsgID, Meta: protocol.Meta{PartyID: w.chatID}},
		visitorMsg(&first, 3, "Three: then I will come by."),
		hostNavigation(page, w, 1),
	})
}

// TestLongPollingWithoutWebSockets: behind a proxy that refuses WebSockets
// the window falls back to the API's long poll and chats both ways.
func TestLongPollingWithoutWebSockets(t *testing.T) {
	// Short polls: the window's service worker keeps its last poll open
	// after the tab closes, and the servers wait for it when they stop.
	srv := parleytest.Start(t, parleytest.Quiet(), parleytest.Tune(func(i *instance.Instance) { i.Server.PollWait = 2 * time.Second }))
	proxy := startNoSocketProxy(t, srv.URL)
	page := servePage(t, proxy.URL, "", "")
	w := openChatOn(t, page, proxy.URL)
	if transport := attribute(t, w.frame, `[data-testid=chat]`, "data-transport"); transport != "polling" {
		t.Errorf("the window connected by %q, want polling", transport)
	}
	if n := proxy.refused.Load(); n < 1 {
		t.Errorf("the window never tried a WebSocket (%d refused)", n)
	}

	w.say("Hello from behind a strict proxy.")
	w.waitVisible(`[data-testid=message][data-from=visitor][data-status=sent]`)
	serverPublish(t, srv, w.chatID, agentJoined(graceID, "Grace"), agentSays(graceID, "Hello! Long polling works."))
	waitText(t, w.frame, `[data-testid=message][data-from=agent] .parley-text`, "Hello! Long polling works.")
	w.tab.screenshot("connection-long-polling")

	got := waitStored(t, srv, w.chatID, "the visitor's read receipt", func(e []protocol.Event) bool {
		return len(eventsOf[*protocol.MessageRead](e)) == 1
	})
	reply := eventsOf[*protocol.Message](sentBy(got, graceID))[0]
	sameEvents(t, "the events the server stored", got, []protocol.Event{
		hostNavigation(page, w, 1),
		visitorMsg(w, 2, "Hello from behind a strict proxy."),
		agentJoined(graceID, "Grace"),
		&protocol.Message{MsgID: reply.MsgID, Msg: "Hello! Long polling works.", Meta: protocol.Meta{PartyID: graceID}},
		&protocol.MessageRead{RefMsgID: reply.MsgID, Meta: protocol.Meta{PartyID: w.chatID}},
	})
	if transport := attribute(t, w.frame, `[data-testid=chat]`, "data-transport"); transport != "polling" {
		t.Errorf("the window now says it uses %q", transport)
	}
}
