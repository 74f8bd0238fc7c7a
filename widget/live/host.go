package live

import (
	"net/url"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/parleychat/parley/protocol"
	"github.com/parleychat/parley/widget"
	"github.com/parleychat/parley/widget/client"
)

// listen registers the window's listeners on the browser: the host page's
// messages, the page becoming visible again, the network coming or going.
func (c *Chat) listen(ctx app.Context) {
	on := func(target app.Value, event string, handle func(ctx app.Context, e app.Value)) {
		f := app.FuncOf(func(_ app.Value, args []app.Value) any {
			e := args[0]
			ctx.Dispatch(func(ctx app.Context) { handle(ctx, e) })
			return nil
		})
		target.Call("addEventListener", event, f)
		c.releases = append(c.releases, func() {
			target.Call("removeEventListener", event, f)
			f.Release()
		})
	}
	win := app.Window()
	on(win, "message", c.onHostMessage)
	on(win, "online", func(app.Context, app.Value) { c.wake() })
	on(win, "offline", func(app.Context, app.Value) { c.wake() })
	on(win.Get("document"), "visibilitychange", func(app.Context, app.Value) {
		if pageVisible() {
			c.wake()
			c.sendReceipts()
		}
	})
}

// wake makes a session waiting to reconnect try at once, and a connected
// one check its socket.
func (c *Chat) wake() {
	if c.session != nil {
		c.session.Wake()
	}
}

// post sends a message of the type to the host page, and only to its
// origin: never to "*", which would tell any page that frames the widget
// what happens in the chat.
func (c *Chat) post(typ messageType, fields map[string]any) {
	if c.host == "" {
		return
	}
	data := map[string]any{"type": string(typ)}
	for k, v := range fields {
		data[k] = v
	}
	app.Window().Get("parent").Call("postMessage", data, c.host)
}

// onHostMessage takes a message from the loader. Anything from another
// origin, or another window, is ignored.
func (c *Chat) onHostMessage(ctx app.Context, e app.Value) {
	if c.host == "" || e.Get("origin").String() != c.host || !e.Get("source").Equal(app.Window().Get("parent")) {
		return
	}
	data := e.Get("data")
	if data.Type() != app.TypeObject {
		return
	}
	value := data.Get("value")
	switch messageType(jsString(data.Get("type"))) {
	case msgNavigation:
		c.navigated(place{page: jsString(data.Get("page")), title: jsString(data.Get("title"))})
	case msgShow:
		c.show()
	case msgHide:
		c.hidden, c.focusWanted = true, false
	case msgState:
		var s hostState
		if decodeJS(value, &s) == nil {
			c.visitor, c.words.host = s.Visitor, s.Texts
			c.setLocale(ctx, s.Locale)
		}
		theme(value.Get("theme"), "host")
		if data.Get("shown").Truthy() {
			c.show()
		} else {
			c.hidden = true
			c.countUnread()
		}
	case msgTheme:
		theme(value, "host")
	case msgTexts:
		if decodeJS(value, &c.words.host) == nil {
			c.retext()
		}
	case msgLocale:
		c.setLocale(ctx, jsString(value))
	case msgVisitor:
		// The visitor goes with the next Request Chat: a chat that runs
		// already keeps what it started with.
		_ = decodeJS(value, &c.visitor)
	case msgShutdown:
		if c.stop != nil {
			c.stop()
		}
		c.forget()
	}
}

// show is the visitor opening the window: what came meanwhile is read.
func (c *Chat) show() {
	c.hidden = false
	c.unread = 0
	c.post(msgUnread, map[string]any{"count": 0})
	c.sendReceipts()
	c.focusWanted = true
	c.focusComposer()
}

// forget removes what the window keeps in the browser, for a page that
// shuts the widget down: the visitor's id, the outbox.
func (c *Chat) forget() {
	for _, key := range c.memory.Keys("parley.") {
		c.memory.Del(key)
	}
}

// focusComposer puts the focus in the message box the visitor opened the
// window for, as soon as the box takes it: it opens closed, before the
// session runs.
func (c *Chat) focusComposer() {
	if !c.focusWanted || c.hidden || !c.canWrite() {
		return
	}
	c.focusWanted = false
	c.ctx.Defer(func(app.Context) { widget.FocusComposer() })
}

// Close asks the loader to hide the window; the loader moves the focus
// back to the launcher.
func (c *Chat) Close() {
	c.hidden, c.focusWanted = true, false
	c.post(msgClose, nil)
}

// countUnread tells the loader how many of the contact center's messages
// the visitor has not seen, for the badge and the page's title: on any
// page, since the count comes from the chat, not from this page.
func (c *Chat) countUnread() {
	if n := c.transcript.Unread(); n != c.unread {
		c.unread = n
		c.post(msgUnread, map[string]any{"count": n, "title": c.texts().NewMessages})
	}
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

func pageVisible() bool {
	doc := app.Window().Get("document")
	return !doc.Truthy() || doc.Get("visibilityState").String() != "hidden"
}

func jsString(v app.Value) string {
	if v.Type() != app.TypeString {
		return ""
	}
	return v.String()
}

// place is a page of the host's site.
type place struct{ page, title string }

// navigator tells the contact center which page of the host's site the
// visitor is on: once per page, and again to a new chat.
type navigator struct {
	// page is where the visitor is; sent the last page told.
	page, sent place
}

// at notes that the visitor is on p, unless p cannot be told (no address,
// or one over the API's limits), and reports whether it may.
func (n *navigator) at(p place) bool {
	if p.page == "" || len(p.page) > protocol.MaxURLBytes || len(p.title) > protocol.MaxNameBytes {
		return false
	}
	n.page = p
	return true
}

// due returns the page the contact center has not heard of, if any.
func (n *navigator) due() (place, bool) {
	return n.page, n.page.page != "" && n.page != n.sent
}

// told notes that the contact center heard of p.
func (n *navigator) told(p place) { n.sent = p }

// navigated tells the contact center the visitor is on another page, once
// per page.
func (c *Chat) navigated(p place) {
	if p.page != "" && !c.nav.at(p) {
		return
	}
	next, due := c.nav.due()
	if !due || c.session == nil || c.conn.state != client.ConnConnected || c.transcript.State.Over() {
		return
	}
	if c.session.Send(&protocol.Navigation{Page: next.page, Title: next.title}) == nil {
		c.nav.told(next)
	}
}
