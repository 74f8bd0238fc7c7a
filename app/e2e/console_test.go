package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/parleychat/parley/app/parleytest"
)

// TestVisitorAndConsoleAgentChat runs both people of a chat in the browser:
// a visitor in the widget on the demo website, an agent in the console. The
// agent takes the chat; each sees the other type, and their messages.
func TestVisitorAndConsoleAgentChat(t *testing.T) {
	srv := parleytest.Start(t)
	visitor := openTab(t, srv.DemoURL)
	if err := chromedp.Do(visitor.ctx, chromedp.Click(launcher)); err != nil {
		t.Fatalf("clicking the launcher: %v", err)
	}
	widget := visitor.frame(srv.URL)
	if err := chromedp.Do(widget,
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=chat][data-connection=connected]`)),
		// The scenario's greeting shows before any agent is there.
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=message][data-from=scenario]`)),
	); err != nil {
		t.Fatalf("waiting for the widget and the greeting: %v", err)
	}
	chatID := attribute(t, widget, `[data-testid=chat]`, "data-chat-id")

	agent := openTab(t, srv.URL+"/agent?token="+parleytest.AgentToken)
	takeInConsole(t, agent, chatID)
	if err := chromedp.Do(widget, chromedp.WaitVisible(chromedp.CSS(`[data-testid=status]`))); err != nil {
		t.Fatal(err)
	}
	waitText(t, widget, `[data-testid=status]`, "Chatting with Grace Hopper")

	// The visitor types: the agent sees it at once, then the message.
	if err := chromedp.Do(widget, chromedp.SendKeys(chromedp.CSS(`[data-testid=composer-input]`), "Do you ship to Norway?")); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(agent.ctx, chromedp.WaitVisible(chromedp.CSS(`[data-testid=visitor-typing]`))); err != nil {
		t.Fatalf("the agent never saw the visitor typing: %v", err)
	}
	if err := chromedp.Do(widget, chromedp.Click(chromedp.CSS(`[data-testid=send]`))); err != nil {
		t.Fatal(err)
	}
	visitorLine := chromedp.CSS(`[data-testid=agent-message][data-from=visitor] .text`)
	if err := chromedp.Do(agent.ctx, chromedp.WaitVisible(visitorLine)); err != nil {
		t.Fatalf("the agent never got the message: %v", err)
	}
	waitText(t, agent.ctx, `[data-testid=agent-message][data-from=visitor] .text`, "Do you ship to Norway?")

	// The agent types: the visitor sees it, then the answer, by name.
	if err := chromedp.Do(agent.ctx, chromedp.SendKeys(chromedp.CSS(`[data-testid=agent-input]`), "Yes, in 3 to 5 days.")); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(widget, chromedp.WaitVisible(chromedp.CSS(`[data-testid=typing]`))); err != nil {
		t.Fatalf("the visitor never saw the agent typing: %v", err)
	}
	agent.screenshot("console-agent-typing")
	if err := chromedp.Do(agent.ctx, chromedp.Click(chromedp.CSS(`[data-testid=agent-send]`))); err != nil {
		t.Fatal(err)
	}
	waitText(t, widget, `[data-testid=message][data-from=agent] .parley-text`, "Yes, in 3 to 5 days.")
	waitText(t, widget, `[data-testid=message][data-from=agent] .parley-author`, "Grace Hopper")
	if err := chromedp.Do(widget, chromedp.WaitNotPresent(chromedp.CSS(`[data-testid=typing]`))); err != nil {
		t.Fatalf("the typing line stayed after the answer: %v", err)
	}
	visitor.screenshot("console-visitor-view")
	agent.screenshot("console-agent-view")
}

// consoleOn opens the agent console, signs in as Grace Hopper, opens the
// chat and takes it.
func consoleOn(t *testing.T, consoleURL, chatID string) *tab {
	t.Helper()
	agent := openPrivateTab(t, consoleURL+"/agent?token="+parleytest.AgentToken)
	takeInConsole(t, agent, chatID)
	return agent
}

// takeInConsole signs in to the console of the tab as Grace Hopper, opens
// the chat and takes it.
func takeInConsole(t *testing.T, agent *tab, chatID string) {
	t.Helper()
	if err := chromedp.Do(agent.ctx,
		chromedp.SendKeys(chromedp.CSS(`[data-testid=agent-name]`), "Grace Hopper"),
		chromedp.Click(chromedp.CSS(`[data-testid=agent-name-save]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=agent-chat][data-chat-id="`+chatID+`"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=take]`)),
		chromedp.WaitEnabled(chromedp.CSS(`[data-testid=agent-input]`)),
	); err != nil {
		t.Fatalf("signing in, opening and taking the chat: %v", err)
	}
}
