package widget

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/parleychat/parley/protocol"
)

// Element ids the window's code looks up.
const (
	inputID    = "parley-input"
	messagesID = "parley-messages"
)

// Chat is the chat window: a header with the chat's state, the transcript,
// and the composer. The server prerenders it in its starting state, so the
// frame paints before the wasm runs; in the browser it starts a Session.
type Chat struct {
	app.Compo

	session    *Session
	conn       ConnState
	position   protocol.Position
	transcript Transcript
	typing     typingTracker
	// host is the origin of the page that embeds the window, the only one
	// it ever posts to.
	host string
}

// OnMount starts the session; it runs only in the browser.
func (c *Chat) OnMount(ctx app.Context) {
	query := ctx.Page().URL().Query()
	c.host = hostOrigin(query.Get("host"))
	appID := query.Get("app")
	if appID == "" {
		c.conn = ConnFailed
		return
	}
	page := app.Window().URL()
	c.session = NewSession(Config{
		BaseURL:     page.Scheme + "://" + page.Host,
		Credentials: protocol.Credentials{AppID: appID, ClientID: clientID(ctx, appID)},
	})
	runCtx, cancel := context.WithCancel(ctx)
	sess := c.session
	ctx.Async(func() { _ = sess.Run(runCtx) })
	ctx.Async(func() {
		defer cancel()
		for u := range sess.Updates() {
			ctx.Dispatch(func(ctx app.Context) {
				if c.apply(u) {
					ctx.Defer(scrollToEnd)
				}
			})
		}
	})
}

// clientID is the visitor's id for this launch point, made once and kept in
// the browser, so a reload finds the same chat.
func clientID(ctx app.Context, appID string) string {
	key := "parley." + appID + ".client"
	var id string
	if err := ctx.LocalStorage().Get(key, &id); err != nil || id == "" {
		id = protocol.NewUUID()
		_ = ctx.LocalStorage().Set(key, id) // without storage the chat lasts one page
	}
	return id
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

// apply takes an update from the session and reports whether the transcript
// grew, so the list should scroll.
func (c *Chat) apply(u Update) (grew bool) {
	if u.Conn != "" {
		c.conn = u.Conn
	}
	if u.Chat != nil {
		c.transcript.ChatID = u.Chat.ChatID
		c.transcript.State = u.Chat.State
		c.transcript.EWT = u.Chat.EWT
	}
	if u.Reset {
		c.transcript.Reset()
	}
	for _, e := range u.Events {
		c.transcript.Apply(e)
	}
	if u.Events != nil || u.Reset {
		c.position = u.Position
		grew = true
	}
	if u.Refused != nil {
		c.transcript.Refuse(u.Refused.Event)
	}
	return grew
}

func scrollToEnd(app.Context) {
	list := app.Window().GetElementByID(messagesID)
	if list.Truthy() {
		list.Set("scrollTop", list.Get("scrollHeight"))
	}
}

func (c *Chat) onInput(ctx app.Context, e app.Event) {
	draft := ctx.JSSrc().Get("value").String()
	c.sendTyping(c.typing.input(draft, time.Now()))
	ctx.After(typingIdle, func(app.Context) { c.sendTyping(c.typing.tick(time.Now())) })
}

func (c *Chat) onKeyDown(ctx app.Context, e app.Event) {
	if e.Get("key").String() != "Enter" || e.Get("shiftKey").Bool() || e.Get("isComposing").Bool() {
		return
	}
	e.PreventDefault()
	c.send(ctx)
}

func (c *Chat) onSubmit(ctx app.Context, e app.Event) {
	e.PreventDefault()
	c.send(ctx)
}

func (c *Chat) send(ctx app.Context) {
	input := app.Window().GetElementByID(inputID)
	text := strings.TrimSpace(input.Get("value").String())
	if text == "" || c.session == nil || !c.canSend() {
		return
	}
	id, err := c.session.SendMessage(text)
	if err != nil {
		return
	}
	c.transcript.AddPending(id, text, time.Now())
	input.Set("value", "")
	c.sendTyping(c.typing.sent())
	ctx.Defer(scrollToEnd)
}

func (c *Chat) sendTyping(e protocol.Event) {
	if e != nil && c.session != nil {
		_ = c.session.Send(e)
	}
}

func (c *Chat) onClose(ctx app.Context, e app.Event) {
	if c.host != "" {
		app.Window().Get("parent").Call("postMessage", map[string]any{"type": "parley:close"}, c.host)
	}
}

func (c *Chat) canSend() bool {
	return c.conn == ConnConnected && !c.transcript.State.Over()
}

// Render draws the window. Every text that came from the network goes
// through Text, which makes a text node.
func (c *Chat) Render() app.UI {
	tx := &english
	conn := c.conn
	if conn == "" {
		conn = ConnStarting
	}
	return app.Div().
		Class("parley").
		DataSet("testid", "chat").
		DataSet("connection", string(conn)).
		DataSet("chat-id", c.transcript.ChatID).
		DataSet("position", c.position.String()).
		Body(
			app.Header().Class("parley-header").Body(
				app.Div().Class("parley-heading").Body(
					app.H1().Class("parley-title").DataSet("testid", "title").Text(tx.Title),
					app.P().Class("parley-status").DataSet("testid", "status").Role("status").Text(c.status(tx, conn)),
				),
				app.Button().
					Class("parley-close").
					Type("button").
					DataSet("testid", "close").
					Aria("label", tx.Close).
					Title(tx.Close).
					OnClick(c.onClose).
					Text("×"),
			),
			app.Ol().
				ID(messagesID).
				Class("parley-messages").
				DataSet("testid", "messages").
				Role("log").
				Aria("live", "polite").
				Aria("label", tx.Messages).
				Body(app.Range(c.transcript.Lines).Slice(func(i int) app.UI {
					return c.renderLine(tx, c.transcript.Lines[i])
				})),
			app.If(c.transcript.Typing != "", func() app.UI {
				return app.P().Class("parley-typing").DataSet("testid", "typing").Text(fmt.Sprintf(tx.IsTyping, c.transcript.Typing))
			}),
			c.renderComposer(tx),
		)
}

// renderComposer draws the message box. A disabled control gets the
// attribute only when it is disabled: go-app writes Disabled(false) into a
// prerendered page as disabled="false", which disables it.
func (c *Chat) renderComposer(tx *Texts) app.UI {
	input := app.Textarea().
		ID(inputID).
		Class("parley-input").
		DataSet("testid", "composer-input").
		Aria("label", tx.Placeholder).
		Placeholder(tx.Placeholder).
		Rows(1).
		OnInput(c.onInput).
		OnKeyDown(c.onKeyDown)
	send := app.Button().
		Class("parley-send").
		Type("submit").
		DataSet("testid", "send").
		Text(tx.Send)
	if !c.canSend() {
		input, send = input.Disabled(true), send.Disabled(true)
	}
	return app.Form().
		Class("parley-composer").
		DataSet("testid", "composer").
		OnSubmit(c.onSubmit).
		Body(input, send)
}

func (c *Chat) renderLine(tx *Texts, l Line) app.UI {
	if l.From == FromSystem {
		return app.Li().Class("parley-line parley-system").DataSet("testid", "notice").DataSet("notice", string(l.Notice)).Text(tx.notice(l))
	}
	author := l.Author
	switch {
	case l.From == FromVisitor:
		author = tx.You
	case author == "" && l.From == FromScenario:
		author = tx.Assistant
	case author == "":
		author = tx.Agent
	}
	return app.Li().
		Class("parley-line parley-"+string(l.From)).
		DataSet("testid", "message").
		DataSet("from", string(l.From)).
		DataSet("status", string(l.Status)).
		DataSet("msg-id", string(l.MsgID)).
		Body(
			app.Span().Class("parley-author").Text(author),
			app.P().Class("parley-text").Text(l.Text),
			app.Span().Class("parley-meta").Text(lineMeta(tx, l)),
		)
}

// lineMeta is the small print under a message: its time, or how far a
// visitor's message got.
func lineMeta(tx *Texts, l Line) string {
	switch l.Status {
	case Pending:
		return tx.Sending
	case Failed:
		return tx.NotSent
	}
	if l.Time.IsZero() {
		return ""
	}
	return l.Time.Local().Format("15:04")
}

func (c *Chat) status(tx *Texts, conn ConnState) string {
	switch conn {
	case ConnStarting, ConnConnecting:
		return tx.Connecting
	case ConnReconnecting:
		return tx.Reconnecting
	case ConnEnded:
		return tx.Ended
	case ConnFailed:
		return tx.Failed
	}
	switch t := c.transcript; {
	case t.State.Over():
		return tx.Ended
	case t.Agent != "":
		return fmt.Sprintf(tx.ChattingWith, t.Agent)
	case t.State == protocol.StateQueued && t.EWT > 0:
		return fmt.Sprintf(tx.WaitMinutes, (int(t.EWT)+59)/60)
	case t.State == protocol.StateQueued:
		return tx.Waiting
	}
	return tx.Connected
}
