package main

import (
	"context"
	"fmt"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/parleychat/parley/protocol"
)

const (
	typedText  = "is the ridgeline tent in stock" // 30 characters
	keystroke  = 50 * time.Millisecond            // about 20 a second
	typingRest = 4 * time.Second
)

// typingSuite types a burst of keystrokes into the widget and counts the
// typing events the agent's socket gets: the widget should say "typing"
// once, and "not typing" once after the visitor stopped.
func typingSuite(ctx context.Context, cfg config) ([]row, error) {
	p, err := startParley(ctx, cfg.parley, cfg.web, true)
	if err != nil {
		return nil, err
	}
	defer p.stop()
	o, done, err := openInNewBrowser(ctx, p)
	if err != nil {
		return nil, err
	}
	defer done()
	conn, err := p.agent.Socket(ctx, o.chatID)
	if err != nil {
		return nil, err
	}
	agent := newPeer(conn)
	defer agent.close()

	logf("typing: %d characters at %s each, then %s of rest", len(typedText), keystroke, typingRest)
	input := chromedp.CSS(`[data-testid=composer-input]`)
	if err := chromedp.Do(o.frame, chromedp.Focus(input)); err != nil {
		return nil, err
	}
	tick := time.NewTicker(keystroke)
	defer tick.Stop()
	for _, r := range typedText {
		if err := chromedp.Do(o.frame, chromedp.KeyEvent(string(r))); err != nil {
			return nil, fmt.Errorf("typing: %w", err)
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	typed, err := chromedp.Run(o.frame, chromedp.Value(input))
	if err != nil {
		return nil, err
	}
	if typed != typedText {
		return nil, fmt.Errorf("the composer reads %q, want %q", typed, typedText)
	}
	rest := time.After(typingRest)
	typing, notTyping := 0, 0
count:
	for {
		select {
		case a, ok := <-agent.frames:
			if !ok {
				return nil, fmt.Errorf("the agent socket closed")
			}
			for _, e := range a.env.Events {
				if e.EventMeta().PartyID != o.chatID {
					continue
				}
				switch e.(type) {
				case *protocol.Typing:
					typing++
				case *protocol.NotTyping:
					notTyping++
				}
			}
		case <-rest:
			break count
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return []row{{
		Figure:   fmt.Sprintf("typing events for a burst of %d keystrokes at 20/s, %s after it", len(typedText), typingRest),
		Text:     fmt.Sprintf("%d typing, %d not_typing", typing, notTyping),
		RefLabel: "1 typing, 1 not_typing (the design)",
	}}, nil
}
