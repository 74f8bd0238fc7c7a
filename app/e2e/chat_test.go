package e2e

import (
	"context"
	"reflect"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/protocol"
)

// TestVisitorAndAgentChat is the first message end to end: a visitor opens
// the widget on the demo website, types and sends; the contact center's side
// sees typing, the message and not-typing, in that order, and answers with a
// message whose markup the widget shows as text.
func TestVisitorAndAgentChat(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	tab := openTab(t, srv.DemoURL)
	if err := chromedp.Do(tab.ctx, chromedp.Click(launcher)); err != nil {
		t.Fatalf("clicking the launcher: %v", err)
	}
	frame := tab.frame(srv.URL)
	if err := chromedp.Do(frame, chromedp.WaitVisible(chromedp.CSS(`[data-testid=chat][data-connection=connected]`))); err != nil {
		t.Fatalf("waiting for the widget to connect: %v", err)
	}
	chatID := attribute(t, frame, `[data-testid=chat]`, "data-chat-id")
	page := attribute(t, frame, `[data-testid=chat]`, "data-tab")
	agent, err := srv.Chats.Subscribe(tab.ctx, chatID, protocol.Position{}, "agent-7")
	if err != nil {
		t.Fatalf("subscribing to the chat: %v", err)
	}
	defer agent.Close()

	const text = "Hello, is the Ridgeline tent in stock?"
	if err := chromedp.Do(frame,
		chromedp.SendKeys(chromedp.CSS(`[data-testid=composer-input]`), text),
		chromedp.Click(chromedp.CSS(`[data-testid=send]`)),
	); err != nil {
		t.Fatalf("typing and sending: %v", err)
	}
	// First the page the visitor is on, which the widget reports when it
	// connects and numbers as its first msg_id; then what the visitor did.
	got := nextEvents(t, tab.ctx, agent, 4)
	want := []protocol.Event{
		&protocol.Navigation{MsgID: protocol.TextID(page + ":1"), Page: srv.DemoURL + "/", Title: demoTitle, Meta: protocol.Meta{PartyID: chatID, Seq: 1}},
		&protocol.Typing{Meta: protocol.Meta{PartyID: chatID}},
		&protocol.Message{MsgID: protocol.TextID(page + ":2"), Msg: text, Meta: protocol.Meta{PartyID: chatID, Seq: 2}},
		&protocol.NotTyping{Meta: protocol.Meta{PartyID: chatID}},
	}
	for i := range want {
		// The events are shared with the other subscribers: compare a copy
		// without the server's clock.
		raw, _ := protocol.MarshalEvent(got[i])
		copied, _ := protocol.UnmarshalEvent(raw)
		copied.EventMeta().Timestamp = protocol.Timestamp{}
		if !reflect.DeepEqual(copied, want[i]) {
			t.Errorf("event %d the server received\n got %#v\nwant %#v", i, copied, want[i])
		}
	}
	if err := chromedp.Do(frame, chromedp.WaitVisible(chromedp.CSS(`[data-testid=message][data-from=visitor][data-status=sent]`))); err != nil {
		t.Fatalf("waiting for the visitor's message to show as sent: %v", err)
	}

	const reply = "Hi! <b>Yes</b>, we have 4 left. <script>alert(1)</script>"
	if err := srv.Chats.Publish(tab.ctx, chatID,
		&protocol.PartyJoined{FirstName: "Grace", Type: protocol.PartyInternal, Meta: protocol.Meta{PartyID: "agent-7"}},
		&protocol.Message{Msg: reply, Meta: protocol.Meta{PartyID: "agent-7"}},
	); err != nil {
		t.Fatalf("publishing the agent's reply: %v", err)
	}
	agentText := chromedp.CSS(`[data-testid=message][data-from=agent] .parley-text`)
	if err := chromedp.Do(frame, chromedp.WaitVisible(agentText)); err != nil {
		t.Fatalf("waiting for the agent's reply: %v", err)
	}
	if shown, err := chromedp.Run(frame, chromedp.TextContent(agentText)); err != nil || shown != reply {
		t.Errorf("the reply shows as %q (%v), want the text %q", shown, err, reply)
	}
	markup, err := chromedp.Run(frame, chromedp.Evaluate[int](`document.querySelectorAll("[data-testid=messages] b, [data-testid=messages] script").length`))
	if err != nil || markup != 0 {
		t.Errorf("the reply's markup made %d elements (%v); it must stay text", markup, err)
	}
	if author, err := chromedp.Run(frame, chromedp.TextContent(chromedp.CSS(`[data-from=agent] .parley-author`))); err != nil || author != "Grace" {
		t.Errorf("the reply's author shows as %q (%v), want Grace", author, err)
	}
	tab.screenshot("chat-first-message")
}

// demoTitle is the title of web/demo/index.html.
const demoTitle = "Northwind Outfitters: a demo website with Parley"

// nextEvents reads n events from the subscription, skipping bare replies.
func nextEvents(t *testing.T, ctx context.Context, sub *chat.Subscription, n int) []protocol.Event {
	t.Helper()
	var events []protocol.Event
	for len(events) < n {
		env, err := sub.Next(ctx)
		if err != nil {
			t.Fatalf("after %d of %d events: %v", len(events), n, err)
		}
		events = append(events, env.Events...)
	}
	return events
}
