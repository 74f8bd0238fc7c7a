package live

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/parleychat/parley/protocol"
	"github.com/parleychat/parley/widget"
	"github.com/parleychat/parley/widget/call"
	"github.com/parleychat/parley/widget/client"
)

// Chat is the live chat window: it runs a client.Session for the visitor
// and draws the chat with the window's components (widget.Window). The
// server prerenders widget.Window as the browser first paints it; in the
// browser the wasm mounts Chat in its place.
type Chat struct {
	app.Compo

	// ctx is the window's own context. Work that outlives the element that
	// started it dispatches here: go-app drops what an element's context
	// dispatches once that element left the page, such as the new-chat
	// button that a new chat replaces.
	ctx   app.Context
	words words
	// host is the origin of the page that embeds the window, the only one
	// it listens to and posts to; base is the chat server's.
	host, base, appID string
	// visitor is what the page told about the visitor, for the next
	// Request Chat.
	visitor visitor
	session *client.Session
	// memory and locks are the browser's, shared by the visitor's pages.
	memory client.Memory
	locks  client.Locks
	stop   context.CancelFunc
	conn   connection
	chat   protocol.ChatSession
	// position is the last place in the chat's stream the window shows.
	position   protocol.Position
	transcript widget.Transcript
	// config is the widget configuration: the title, the forms.
	config       protocol.WidgetConfiguration
	configLoaded bool
	typing       typingTracker
	receipts     receipts
	nav          navigator
	uploads      uploads
	// call is the chat's call as its panel shows it.
	call call.State

	// hidden says the visitor does not see the window: the loader loads
	// it hidden (ahead of a click, or while the visitor goes from page to
	// page), and hides it when the visitor closes it; the iframe stays.
	hidden bool
	// focusWanted says the window opened and its message box should take
	// the focus once it can.
	focusWanted bool
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
	// notice says what the visitor should know about what they sent: a
	// file refused, a message the server would not take.
	notice string
	// confirmEnd shows the question before the chat ends.
	confirmEnd bool
	// announcement is what the live region reads out: the latest message
	// of the contact center; typingNote, in a live region of its own, who
	// started typing.
	announcement, typingNote string
	// now is the visitor's time the countdowns show; a ticker moves it.
	now      time.Time
	ticking  bool
	releases []func()
	// early is what the visitor did before the wasm ran, until it is sent.
	early early
}

// earlyInput is what the boot script kept before the wasm ran; Register
// takes it, before go-app replaces the page that held it.
var earlyInput early

var registerOnce sync.Once

// Register adds the live window to go-app's routes at "/", where the
// server prerendered widget.Window; the wasm program calls it before
// go-app runs. Calling it again does nothing.
func Register() {
	registerOnce.Do(func() {
		earlyInput = takeEarly()
		app.Route("/", func() app.Composer {
			// The first window sends it; no other ever does.
			c := &Chat{early: earlyInput}
			earlyInput = early{}
			return c
		})
	})
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
	c.visitor, c.words.host = state.Visitor, state.Texts
	c.setLocale(ctx, query.Get("lang"))
	if c.appID == "" {
		c.conn.state = client.ConnFailed
		return
	}
	c.listen(ctx)
	widget.RestoreDraft(c.early.draft)
	c.start(ctx)
	c.post(msgReady, nil)
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
	c.followCall(ctx, runCtx, sess)
	ctx.Async(func() {
		for u := range sess.Updates() {
			ctx.Dispatch(func(ctx app.Context) {
				c.apply(u)
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

func mapAny(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Restart starts over with a new chat, once the last one is over, or while
// the contact center was closed.
func (c *Chat) Restart() {
	if c.stop != nil {
		c.stop()
	}
	c.conn = connection{state: client.ConnConnecting}
	c.chat, c.position = protocol.ChatSession{}, protocol.Position{}
	c.transcript, c.confirmEnd, c.endTold, c.replayed = widget.Transcript{}, false, false, false
	c.call = call.State{}
	c.notice = ""
	c.nav.told(place{}) // the new chat hears where the visitor is
	c.start(c.ctx)
	c.focusWanted = true
}

// serverNow is the server's time: what the window compares the server's
// timestamps with.
func (c *Chat) serverNow() time.Time {
	if c.session == nil {
		return time.Now()
	}
	return c.session.Now()
}

// tab is the name of the window's session among the visitor's pages,
// which its msg_ids carry.
func (c *Chat) tab() string {
	if c.session == nil {
		return ""
	}
	return c.session.Tab()
}

// Render draws the window from the chat's state.
func (c *Chat) Render() app.UI {
	tx, t := c.texts(), &c.transcript
	over := t.State.Over()
	return widget.NewWindow().
		Lang(c.words.lang).
		Texts(tx).
		Connection(string(c.conn.state)).
		Chat(c.chat.ChatID, c.position.String(), transport(c.conn.polling), c.tab()).
		Status(c.conn.status(tx, t, c.serverNow(), c.now)).
		PhotoURL(c.photoURL()).
		CanEnd(c.canEnd(), c.confirmEnd).
		Transcript(slices.Clone(t.Lines), c.formViews(), c.uploads.view(), t.Typing, c.files(), over).
		Ended(over || c.conn.state == client.ConnEnded, c.serverNow()).
		Closed(c.conn.closed, c.config.Definition.ChatWidgetStyling.LeaveMessageURL).
		Composer(c.canWrite(), c.canSend(), c.canAttach(), !c.freeTextRequest().IsZero(), c.notice).
		Announce(c.announcement, c.typingNote).
		Call(c.call, c.call.Elapsed(c.now)).
		Actions(c)
}

// canWrite says whether the message box is open. It is while the
// connection comes and goes: the visitor may write meanwhile.
func (c *Chat) canWrite() bool {
	return c.conn.open() && !c.transcript.State.Over() && !c.transcript.Left
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
	return c.canSend() && c.chat.ChatID != "" && c.conn.state == client.ConnConnected
}

// canEnd says whether the visitor may end the chat.
func (c *Chat) canEnd() bool {
	return c.session != nil && c.chat.ChatID != "" && !c.transcript.State.Over() && c.conn.state != client.ConnEnded
}

// files makes the addresses of the chat's files.
func (c *Chat) files() widget.FileLinks {
	return widget.FileLinks{Base: c.base, ChatID: c.chat.ChatID, Token: c.chat.Token}
}

// photoURL is the agent's photo, when the configuration shows it and the
// chat has an agent; else "".
func (c *Chat) photoURL() string {
	pic := c.config.Definition.ChatWidgetStyling.ShowAgentPic
	if c.transcript.AgentID == "" || c.chat.Token == "" || (pic != "" && pic != "show") {
		return ""
	}
	return c.files().Photo(c.transcript.AgentID)
}

func transport(polling bool) string {
	if polling {
		return "polling"
	}
	return "socket"
}
