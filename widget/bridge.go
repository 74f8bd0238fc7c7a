package widget

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/parleychat/parley/protocol"
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

// post sends a message to the host page, and only to its origin: never to
// "*", which would tell any page that frames the widget what happens in the
// chat.
func (c *Chat) post(data map[string]any) {
	if c.host == "" {
		return
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
	switch data.Get("type").String() {
	case "navigation":
		c.navigated(place{page: jsString(data.Get("page")), title: jsString(data.Get("title"))})
	case "show":
		c.show()
	case "hide":
		c.hidden, c.focusWanted = true, false
	case "state":
		var s hostState
		if decodeJS(value, &s) == nil {
			c.visitor, c.hostTexts = s.Visitor, s.Texts
			c.setLocale(ctx, s.Locale)
		}
		theme(value.Get("theme"), "host")
		if data.Get("shown").Truthy() {
			c.show()
		} else {
			c.hidden = true
			c.countUnread()
		}
	case "theme":
		theme(value, "host")
	case "texts":
		if decodeJS(value, &c.hostTexts) == nil {
			c.retext()
		}
	case "locale":
		c.setLocale(ctx, jsString(value))
	case "visitor":
		// The visitor goes with the next Request Chat: a chat that runs
		// already keeps what it started with.
		_ = decodeJS(value, &c.visitor)
	case "shutdown":
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
	c.post(map[string]any{"type": "unread", "count": 0})
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
	c.ctx.Defer(func(app.Context) { focus(inputID) })
}

// place is a page of the host's site.
type place struct{ page, title string }

// navigated tells the contact center the visitor is on another page, once
// per page.
func (c *Chat) navigated(p place) {
	if p.page == "" || len(p.page) > protocol.MaxURLBytes || len(p.title) > protocol.MaxNameBytes {
		return
	}
	c.page = p
	if c.session == nil || c.conn != client.ConnConnected || c.transcript.State.Over() || c.pageSent == p {
		return
	}
	if c.session.Send(&protocol.Navigation{Page: p.page, Title: p.title}) == nil {
		c.pageSent = p
	}
}

// onWindowKey closes the window on Escape, as a dialog would.
func (c *Chat) onWindowKey(ctx app.Context, e app.Event) {
	if e.Get("key").String() == "Escape" {
		if c.confirmEnd {
			c.confirmEnd = false
			return
		}
		c.close(ctx, e)
	}
}

// close asks the loader to hide the window; the loader moves the focus
// back to the launcher.
func (c *Chat) close(ctx app.Context, e app.Event) {
	c.hidden, c.focusWanted = true, false
	c.post(map[string]any{"type": "close"})
}

func jsString(v app.Value) string {
	if v.Type() != app.TypeString {
		return ""
	}
	return v.String()
}

func focus(id string) {
	if el := app.Window().GetElementByID(id); el.Truthy() {
		el.Call("focus")
	}
}
