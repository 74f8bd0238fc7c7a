package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/parleychat/parley/protocol"
)

// renderHistory stores n agent messages in a chat, then
// opens the widget on it anew and measures from the click to every message
// in the DOM, and the window's JavaScript heap after; and counts the read
// receipts for them the server took by the time the window was quiet. The
// browser has a profile of its own, warmed by the first open, which makes
// the chat.
func renderHistory(ctx context.Context, p *parley, n int) (*opening, int, error) {
	b, err := startBrowser(ctx)
	if err != nil {
		return nil, 0, err
	}
	defer b.Close()
	o, err := openWidget(ctx, b, p, interactive)
	if err != nil {
		return nil, 0, err
	}
	o.close()
	if err := p.agent.Take(ctx, o.chatID); err != nil {
		return nil, 0, err
	}
	const batch = 100
	for i := 0; i < n; i += batch {
		events := make([]protocol.Event, 0, batch)
		for j := i; j < min(i+batch, n); j++ {
			events = append(events, &protocol.Message{Msg: fmt.Sprintf("history message %d", j), Meta: protocol.Meta{PartyID: benchAgentParty}})
		}
		if err := p.agent.Publish(ctx, o.chatID, events...); err != nil {
			return nil, 0, err
		}
	}
	again, err := openWidget(ctx, b, p, lastHistoryLine(n))
	if err != nil {
		return nil, 0, err
	}
	again.close()
	events, err := p.agent.Stored(ctx, o.chatID)
	if err != nil {
		return nil, 0, err
	}
	history := map[protocol.ID]bool{}
	for _, e := range events {
		if m, ok := e.(*protocol.Message); ok && strings.HasPrefix(m.Msg, "history message ") {
			history[m.MsgID] = true
		}
	}
	receipts := 0
	for _, e := range events {
		if r, ok := e.(*protocol.MessageRead); ok && history[r.RefMsgID] {
			receipts++
		}
	}
	return again, receipts, nil
}

// nearest is the size of sizes nearest to want.
func nearest(sizes []int, want int) int {
	best := sizes[0]
	for _, s := range sizes {
		if abs(s-want) < abs(best-want) {
			best = s
		}
	}
	return best
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// lastHistoryLine is true once the window draws the last of a history of
// n messages: a long history draws its latest lines first.
func lastHistoryLine(n int) string {
	return fmt.Sprintf(`[...document.querySelectorAll("[data-testid=message][data-from=agent] .parley-text")].some(p => p.textContent === "history message %d")`, n-1)
}

// agentLines is true once the window shows at least n agent messages.
func agentLines(n int) string {
	return fmt.Sprintf(`document.querySelectorAll("[data-testid=message][data-from=agent]").length >= %d`, n)
}
