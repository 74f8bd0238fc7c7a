package widget

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/parleychat/parley/protocol"
	"github.com/parleychat/parley/widget/client"
)

// Element ids the window's code looks up.
const (
	inputID    = "parley-input"
	messagesID = "parley-messages"
	fileID     = "parley-file"
)

// Chat is the chat window: a header with the chat's state, the transcript
// with its files and forms, and the composer. The server prerenders it in
// its starting state, so the frame paints before the wasm runs; in the
// browser it starts a Session.
//
// The window talks to the page that embeds it (the loader) with
// postMessage, only with the origin named in its URL (?host=).
type Chat struct {
	app.Compo

	// tx are the words in use: catalogue is the language's, hostTexts the
	// page's replacements (see retext).
	tx        *Texts
	catalogue *Texts
	hostTexts map[string]map[string]string
	lang      string
	appID     string
	// host is the origin of the page that embeds the window, the only one
	// it listens to and posts to.
	host string
	base string

	// visitor is what the page told about the visitor, for the next
	// Request Chat.
	visitor visitor
	// ctx is the window's own context. Work that outlives the element that
	// started it dispatches here: go-app drops what an element's context
	// dispatches once that element left the page, such as the new-chat
	// button that a new chat replaces.
	ctx     app.Context
	session *client.Session
	// memory and locks are the browser's, shared by the visitor's pages.
	memory client.Memory
	locks  client.Locks
	stop   context.CancelFunc
	conn   client.ConnState
	// closed says the session failed because the contact center is closed:
	// the window offers to leave a message or try again, and does not
	// retry by itself.
	closed  bool
	polling bool
	retry   time.Time
	chat    protocol.ChatSession
	// position is the last place in the chat's stream the window shows.
	position   protocol.Position
	transcript Transcript
	// config is the widget configuration: the title, the forms.
	config       protocol.WidgetConfiguration
	configLoaded bool
	typing       typingTracker

	// hidden says the visitor does not see the window: the loader loads
	// it hidden (ahead of a click, or while the visitor goes from page to
	// page), and hides it when the visitor closes it; the iframe stays.
	hidden bool
	// focusWanted says the window opened and its message box should take
	// the focus once it can.
	focusWanted bool
	// lastReceipt is when the last read receipt went out, and receiptDue
	// says the next one waits for its turn.
	lastReceipt time.Time
	receiptDue  bool
	// unread is the count of the contact center's messages the visitor
	// has not seen, as the launcher's badge shows it.
	unread int
	// started is when the window started, by the visitor's clock, and
	// replayed says the chat's stream has been replayed since: what the
	// replay brings, and what the server stamped long before the start,
	// is history, not news for the live region or the page's "message"
	// listeners.
	started  time.Time
	replayed bool
	// endTold says the page heard that the chat ended.
	endTold bool
	// page is where the visitor is on the host's site, and pageSent the
	// last page sent as chat_session_navigation.
	page, pageSent place

	composer composerState
	forms    map[protocol.ID]*formState
	scroll   scrollState
	// confirmEnd shows the question before the chat ends.
	confirmEnd bool
	// announcement is what the live region reads out: the latest message
	// of the contact center; typingNote, in a live region of its own, who
	// started typing.
	announcement string
	typingNote   string
	// now is the visitor's time the countdowns show; a ticker moves it.
	now      time.Time
	ticking  bool
	releases []func()
}

// OnMount starts the session and listens to the browser; it runs only in
// the browser.
func (c *Chat) OnMount(ctx app.Context) {
	c.ctx = ctx
	query := ctx.Page().URL().Query()
	c.host = hostOrigin(query.Get("host"))
	c.appID = query.Get("app")
	page := app.Window().URL()
	c.base = page.Scheme + "://" + page.Host
	c.started = time.Now()
	c.memory, c.locks = client.PageStorage()
	// Framed by a page, the window waits for the loader to show it.
	c.hidden = c.host != ""
	state := fragmentState()
	c.visitor, c.hostTexts = state.Visitor, state.Texts
	c.setLocale(ctx, query.Get("lang"))
	if c.appID == "" {
		c.conn = client.ConnFailed
		return
	}
	c.listen(ctx)
	c.start(ctx)
	c.post(map[string]any{"type": "ready"})
	// The boot script gives a window that never starts back to the page.
	if up := app.Window().Get("parleyUp"); up.Truthy() {
		app.Window().Call("parleyUp")
	}
}

// OnDismount stops the session and the listeners.
func (c *Chat) OnDismount() {
	if c.stop != nil {
		c.stop()
	}
	for _, release := range c.releases {
		release()
	}
}

// start runs a session for the visitor: their chat that is not over, or a
// new one.
func (c *Chat) start(ctx app.Context) {
	sess := client.NewSession(client.Config{
		BaseURL:     c.base,
		Credentials: protocol.Credentials{AppID: c.appID},
		Request:     c.visitor.request(),
		Memory:      c.memory,
		Locks:       c.locks,
	})
	runCtx, cancel := context.WithCancel(ctx)
	c.session, c.stop = sess, cancel
	ctx.Async(func() { _ = sess.Run(runCtx) })
	ctx.Async(func() {
		for u := range sess.Updates() {
			ctx.Dispatch(func(ctx app.Context) {
				if c.apply(u) {
					ctx.Defer(func(app.Context) { scrollToEnd() })
				}
				c.focusComposer()
				c.clock(ctx)
			})
		}
	})
	ctx.Async(func() {
		config, err := sess.Configuration(runCtx)
		if err == nil {
			ctx.Dispatch(func(ctx app.Context) {
				c.config, c.configLoaded = config, true
				c.retext()
				theme(mapAny(config.Definition.ChatWidgetStyling.Theme), "config")
				c.answerUnknownForms()
			})
		}
	})
}

// setLocale switches the window's language; the words of any language but
// English are fetched first.
func (c *Chat) setLocale(ctx app.Context, tag string) {
	c.lang = language(tag)
	c.catalogue = nil
	c.retext()
	if c.lang == "en" || c.base == "" {
		return
	}
	base, lang := c.base, c.lang
	ctx.Async(func() {
		tx, err := loadTexts(ctx, base, lang)
		if err == nil {
			ctx.Dispatch(func(app.Context) {
				if c.lang == lang {
					c.catalogue = tx
					c.retext()
				}
			})
		}
	})
}

func mapAny(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// restart starts over with a new chat, once the last one is over.
func (c *Chat) restart() {
	if c.stop != nil {
		c.stop()
	}
	c.conn, c.closed, c.polling, c.chat, c.position = client.ConnConnecting, false, false, protocol.ChatSession{}, protocol.Position{}
	c.transcript, c.forms, c.confirmEnd, c.endTold, c.replayed = Transcript{}, nil, false, false, false
	c.composer.notice = ""
	c.pageSent = place{} // the new chat hears where the visitor is
	c.start(c.ctx)
	c.focusWanted = true
}

// hostOrigin returns v if it is an http(s) origin and nothing more, else "".
func hostOrigin(v string) string {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// apply takes an update from the session and reports whether the list
// should scroll to its end.
func (c *Chat) apply(u client.Update) (scroll bool) {
	c.now = time.Now()
	if u.Conn != "" {
		c.conn, c.polling, c.retry = u.Conn, u.Polling, u.Retry
		c.closed = u.Conn == client.ConnFailed && client.Closed(u.Err)
		switch u.Conn {
		case client.ConnConnected:
			c.navigated(c.page)
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
		scroll = true
	}
	if u.Reset {
		c.transcript.Reset()
	}
	var added []Line
	for _, e := range u.Events {
		if l, ok := c.transcript.Apply(e); ok {
			added = append(added, l)
		}
	}
	if u.Events != nil || u.Reset {
		c.position = u.Position
		scroll = c.arrived(added, c.replayed)
		c.replayed = true
		c.answerUnknownForms()
		c.typed()
	}
	if u.Refused != nil {
		c.transcript.Refuse(u.Refused.Event)
		c.composer.notice = c.refusal(u.Refused.Err)
	}
	for _, e := range u.Unsent {
		c.transcript.Refuse(e)
	}
	return scroll
}

// serverNow is the server's time: what the window compares the server's
// timestamps with.
func (c *Chat) serverNow() time.Time {
	if c.session == nil {
		return time.Now()
	}
	return c.session.Now()
}

// historyAge is how long before the window started a line the stream
// brings live still counts as news: the replay of a long chat comes in
// several frames.
const historyAge = time.Minute

// news reports whether a line the stream brought live is news: stamped,
// by the server's clock, no longer than historyAge before the window
// started.
func (c *Chat) news(l Line) bool {
	started := c.started.Add(c.serverNow().Sub(time.Now()))
	return !l.Time.Before(started.Add(-historyAge))
}

// typed follows who is typing: the live region says once that someone
// started, and a typing line nobody renewed goes by itself.
func (c *Chat) typed() {
	c.typingNote = ""
	if c.transcript.Typing != "" {
		c.typingNote = fmt.Sprintf(c.texts().IsTyping, c.transcript.Typing)
		at := c.transcript.TypingAt
		c.ctx.After(typingShown, func(app.Context) {
			if c.transcript.TypingAt.Equal(at) && c.transcript.TypingOver(c.serverNow()) {
				c.typingNote = ""
			}
		})
	}
}

// arrived handles new lines, live ones or the stream's replay: the list
// scrolls (or offers to), the live region reads the contact center's
// latest message, the launcher counts what the visitor has not seen, and
// read receipts go out. It reports whether the list should scroll.
func (c *Chat) arrived(lines []Line, live bool) (scroll bool) {
	for _, l := range lines {
		if !live || (l.From != FromAgent && l.From != FromScenario) || !l.Form.IsZero() || !c.news(l) {
			continue
		}
		author := c.author(c.texts(), l)
		if l.File != nil {
			c.post(map[string]any{"type": "file", "name": firstNonEmpty(l.File.FileName, l.File.FileID), "author": author})
			continue
		}
		c.announcement = fmt.Sprintf(c.texts().Announce, author, l.Text)
		c.post(map[string]any{"type": "message", "text": l.Text, "author": author})
	}
	if c.transcript.State.Over() && !c.endTold {
		c.endTold = true
		c.post(map[string]any{"type": "ended"})
	}
	scroll = c.scroll.added(len(lines))
	if c.hidden || !pageVisible() {
		c.countUnread()
		return scroll
	}
	c.sendReceipts()
	return scroll
}

// countUnread tells the loader how many of the contact center's messages
// the visitor has not seen, for the badge and the page's title: on any
// page, since the count comes from the chat, not from this page.
func (c *Chat) countUnread() {
	if n := c.transcript.Unread(); n != c.unread {
		c.unread = n
		c.post(map[string]any{"type": "unread", "count": n, "title": c.texts().NewMessages})
	}
}

// receiptGap is the least time between two read receipts. A burst of
// messages would otherwise cost a receipt each and run into the visitor's
// rate limit, which the visitor's own messages share.
const receiptGap = time.Second

// sendReceipts tells the contact center that the visitor has now seen its
// messages: one read receipt, for the latest, stands for all before it. It
// goes at once, or at the end of the gap after the last one.
func (c *Chat) sendReceipts() {
	if c.session == nil || c.receiptDue {
		return
	}
	wait := time.Until(c.lastReceipt.Add(receiptGap))
	if wait <= 0 {
		c.sendReceipt()
		return
	}
	c.receiptDue = true
	c.ctx.After(wait, func(app.Context) {
		c.receiptDue = false
		c.sendReceipt()
	})
}

func (c *Chat) sendReceipt() {
	if c.conn != client.ConnConnected || c.transcript.State.Over() || c.hidden || !pageVisible() {
		return
	}
	last := c.transcript.LastUnread()
	if !last.IsZero() && c.session.Send(&protocol.MessageRead{RefMsgID: last}) == nil {
		c.transcript.MarkRead(last)
		c.lastReceipt = time.Now()
		c.countUnread()
	}
}

func pageVisible() bool {
	doc := app.Window().Get("document")
	return !doc.Truthy() || doc.Get("visibilityState").String() != "hidden"
}

// clock keeps the countdowns moving while one shows: the estimated wait,
// the next reconnection try, a form's time limit.
func (c *Chat) clock(ctx app.Context) {
	c.now = time.Now()
	if c.ticking || !c.countingDown() {
		return
	}
	c.ticking = true
	ctx.After(time.Second, func(ctx app.Context) {
		c.ticking = false
		c.clock(ctx)
	})
}

func (c *Chat) countingDown() bool {
	if c.conn == client.ConnReconnecting || (c.transcript.State == protocol.StateQueued && c.transcript.EWT > 0) {
		return true
	}
	for _, f := range c.transcript.Forms {
		if !f.Answered && !f.Expires.IsZero() && !c.expired(f) {
			return true
		}
	}
	return false
}

func (c *Chat) texts() *Texts {
	if c.tx == nil {
		return &english
	}
	return c.tx
}

// canWrite says whether the message box is open. It is while the
// connection comes and goes: the visitor may write meanwhile. The
// prerendered page keeps it closed, since go-app replaces that page and
// what was typed in it.
func (c *Chat) canWrite() bool {
	switch c.conn {
	case "", client.ConnStarting, client.ConnFailed, client.ConnEnded:
		return false
	}
	return !c.transcript.State.Over() && !c.transcript.Left
}

// canSend says whether the composer takes messages now: whenever the
// visitor may write, connected or not, with the chat known or not yet,
// since the outbox keeps them until the server has them.
func (c *Chat) canSend() bool {
	return c.canWrite()
}

// canAttach says whether files may be sent now: an upload needs the chat
// and the server at once.
func (c *Chat) canAttach() bool {
	return c.canSend() && c.chat.ChatID != "" && c.conn == client.ConnConnected
}

// Render draws the window. Every text that came from the network goes
// through Text, which makes a text node.
func (c *Chat) Render() app.UI {
	tx := c.texts()
	conn := c.conn
	if conn == "" {
		conn = client.ConnStarting
	}
	dir := "ltr"
	if rightToLeft[c.lang] {
		dir = "rtl"
	}
	// One landmark holds the whole window, the document's main content.
	return app.Main().
		Class("parley").
		Class(classIf(c.composer.dragging, "parley-dragging")).
		Lang(c.langOrDefault()).
		Dir(dir).
		DataSet("testid", "chat").
		DataSet("connection", string(conn)).
		DataSet("chat-id", c.chat.ChatID).
		DataSet("position", c.position.String()).
		DataSet("transport", transport(c.polling)).
		DataSet("tab", c.tab()).
		OnDragOver(c.onDragOver).
		OnDragLeave(c.onDragLeave).
		OnDrop(c.onDrop).
		OnKeyDown(c.onWindowKey).
		Body(
			c.renderHeader(tx, conn),
			c.renderMessages(tx),
			c.renderComposer(tx),
			app.Div().
				Class("parley-announcer").
				DataSet("testid", "announcer").
				Aria("live", "polite").
				Aria("atomic", "true").
				Text(c.announcement),
			// Apart from the announcer, so that saying someone types never
			// reads the last message again.
			app.Div().
				Class("parley-announcer").
				DataSet("testid", "typing-announcer").
				Aria("live", "polite").
				Text(c.typingNote),
		)
}

// tab is the name of the window's session among the visitor's pages,
// which its msg_ids carry.
func (c *Chat) tab() string {
	if c.session == nil {
		return ""
	}
	return c.session.Tab()
}

func (c *Chat) langOrDefault() string {
	if c.lang == "" {
		return "en"
	}
	return c.lang
}

func transport(polling bool) string {
	if polling {
		return "polling"
	}
	return "socket"
}

func classIf(on bool, class string) string {
	if on {
		return class
	}
	return ""
}
