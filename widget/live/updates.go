package live

import (
	"fmt"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/parleychat/parley/widget"
	"github.com/parleychat/parley/widget/client"
)

// apply takes an update from the session.
func (c *Chat) apply(u client.Update) {
	c.now = time.Now()
	if u.Conn != "" {
		c.conn.changed(u)
		switch u.Conn {
		case client.ConnConnected:
			c.navigated(place{})
			c.sendReceipts()
		case client.ConnReconnecting:
			c.transcript.ForgetTyping()
			c.typingNote = ""
		}
	}
	if u.Chat != nil {
		c.chat = *u.Chat
		// A chat the visitor just asked for has no history: all it says
		// is news.
		c.replayed = c.replayed || u.Chat.IsNewChat
		c.transcript.ChatID = u.Chat.ChatID
		if c.transcript.State == "" {
			c.transcript.State, c.transcript.EWT, c.transcript.EWTAt = u.Chat.State, u.Chat.EWT, c.serverNow()
		}
	}
	for _, e := range u.Restored {
		c.transcript.AddPendingEvent(e, c.serverNow())
	}
	if u.Reset {
		c.transcript.Reset()
	}
	var added []widget.Line
	for _, e := range u.Events {
		if l, ok := c.transcript.Apply(e); ok {
			added = append(added, l)
		}
	}
	if u.Events != nil || u.Reset {
		c.position = u.Position
		c.arrived(added, c.replayed)
		c.replayed = true
		c.answerUnknownForms()
		c.typed()
	}
	if u.Refused != nil {
		c.transcript.Refuse(u.Refused.Event)
		c.notice = c.refusal(u.Refused.Err)
	}
	for _, e := range u.Unsent {
		c.transcript.Refuse(e)
	}
}

// historyAge is how long before the window started a line the stream
// brings live still counts as news: the replay of a long chat comes in
// several frames.
const historyAge = time.Minute

// news reports whether a line the stream brought live is news: stamped,
// by the server's clock, no longer than historyAge before the window
// started.
func (c *Chat) news(l widget.Line) bool {
	started := c.started.Add(time.Until(c.serverNow()))
	return !l.Time.Before(started.Add(-historyAge))
}

// typed follows who is typing: the live region says once that someone
// started, and a typing line nobody renewed goes by itself.
func (c *Chat) typed() {
	c.typingNote = ""
	if c.transcript.Typing != "" {
		c.typingNote = fmt.Sprintf(c.texts().IsTyping, c.transcript.Typing)
		at := c.transcript.TypingAt
		c.ctx.After(widget.TypingShown, func(app.Context) {
			if c.transcript.TypingAt.Equal(at) && c.transcript.TypingOver(c.serverNow()) {
				c.typingNote = ""
			}
		})
	}
}

// arrived handles new lines, live ones or the stream's replay: the live
// region reads the contact center's latest message, the page hears of it,
// the launcher counts what the visitor has not seen, and read receipts go
// out.
func (c *Chat) arrived(lines []widget.Line, live bool) {
	tx := c.texts()
	for _, l := range lines {
		if !live || (l.From != widget.FromAgent && l.From != widget.FromScenario) || !l.Form.IsZero() || !c.news(l) {
			continue
		}
		author := tx.Author(l)
		if l.File != nil {
			name := l.File.FileName
			if name == "" {
				name = l.File.FileID
			}
			c.post(msgFile, map[string]any{"name": name, "author": author})
			continue
		}
		c.announcement = fmt.Sprintf(tx.Announce, author, l.Text)
		c.post(msgMessage, map[string]any{"text": l.Text, "author": author})
	}
	if c.transcript.State.Over() && !c.endTold {
		c.endTold = true
		c.post(msgEnded, nil)
	}
	if c.hidden || !pageVisible() {
		c.countUnread()
		return
	}
	c.sendReceipts()
}
