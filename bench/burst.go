package main

import (
	"context"
	"fmt"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/coder/websocket"
)

// burst gives the chat to an agent who publishes burstMessages on the agent
// socket as fast as it can write them, and measures from the first write to
// the last message in the window's DOM.
func (o *opening) burst(ctx context.Context, p *parley) (float64, error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	// The window's calls are bound to the tab, which a late burst closes.
	stop := context.AfterFunc(ctx, o.closeTab)
	defer stop()
	if err := p.agent.Take(ctx, o.chatID); err != nil {
		return 0, err
	}
	conn, err := p.agent.Socket(ctx, o.chatID)
	if err != nil {
		return 0, err
	}
	agent := newPeer(conn)
	defer agent.close()
	agent.drain()
	before, err := chromedp.Run(o.frame, chromedp.Evaluate[int](`document.querySelectorAll("[data-testid=message][data-from=agent]").length`))
	if err != nil {
		return 0, err
	}
	if err := chromedp.Do(o.frame, chromedp.Evaluate[chromedp.Void](`window.__parleyBurst = `+when(agentLines(before+burstMessages)))); err != nil {
		return 0, err
	}
	frames := make([][]byte, burstMessages)
	for i := range frames {
		if frames[i], err = agentFrame(fmt.Sprint("b", i), fmt.Sprintf("burst message %d", i)); err != nil {
			return 0, err
		}
	}
	start := time.Now()
	for _, f := range frames {
		if err := agent.conn.Write(ctx, websocket.MessageText, f); err != nil {
			return 0, err
		}
	}
	done, err := chromedp.Run(o.frame, chromedp.Evaluate[float64](`window.__parleyBurst.then(r => r.at)`, chromedp.EvalAwaitPromise))
	if err != nil {
		return 0, fmt.Errorf("waiting for the burst in the DOM: %w", err)
	}
	return done - float64(start.UnixNano())/1e6, nil
}
