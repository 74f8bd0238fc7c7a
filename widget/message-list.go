package widget

import (
	"fmt"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/parleychat/parley/protocol"
)

// messagesID names the scrolling list, which the window scrolls.
const messagesID = "parley-messages"

// nearEnd is how close to the end of the list, in pixels, still counts as
// at the end.
const nearEnd = 48

// historyShown is how many of a long history's lines the window draws at
// first, the latest, and how many more each ask for the earlier ones adds:
// drawing a line costs the window a few dozen calls into the page, and a
// thousand of them took it over a second before it answered the visitor.
const historyShown = 100

// MessageList draws the transcript: its lines, the uploads on their way,
// the line that says who is typing, and the pill that leads to new
// messages. It keeps the list at its end while the visitor is there, and
// never pulls them away from what they scrolled up to read.
type MessageList struct {
	app.Compo

	Itexts   *Texts
	Ilines   []Line
	Iforms   map[protocol.ID]FormView
	Iover    bool
	Iuploads []Upload
	Ityping  string
	Ifiles   FileLinks
	Iactions Actions

	// away says the visitor scrolled up from the end; unseen that lines
	// came meanwhile. shown counts the lines and uploads last drawn, and
	// sending the visitor's messages on their way among them. earlier is
	// how many of the first lines are not drawn, until the visitor asks.
	away, unseen            bool
	shown, sending, earlier int
}

// NewMessageList returns an empty list.
func NewMessageList() *MessageList { return &MessageList{} }

// Texts sets the words, English when nil.
func (m *MessageList) Texts(v *Texts) *MessageList { m.Itexts = v; return m }

// Lines sets the transcript's lines, the forms they name and whether the
// chat is over. The list keeps the slice: pass one the caller no longer
// changes.
func (m *MessageList) Lines(lines []Line, forms map[protocol.ID]FormView, over bool) *MessageList {
	m.Ilines, m.Iforms, m.Iover = lines, forms, over
	return m
}

// Uploads sets the files on their way.
func (m *MessageList) Uploads(v []Upload) *MessageList { m.Iuploads = v; return m }

// Typing sets who is typing, "" for nobody.
func (m *MessageList) Typing(v string) *MessageList { m.Ityping = v; return m }

// Files sets where the chat's files are.
func (m *MessageList) Files(v FileLinks) *MessageList { m.Ifiles = v; return m }

// Actions sets who acts on the forms and uploads.
func (m *MessageList) Actions(v Actions) *MessageList { m.Iactions = v; return m }

// OnMount draws a long history from its last lines.
func (m *MessageList) OnMount(ctx app.Context) {
	m.earlier = undrawn(0, 0, len(m.Ilines))
}

// undrawn is how many of the first lines of a list of lines are left out
// after an update, when earlier were and shown lines and uploads were
// drawn before it. A history that fills an empty list (the window's first
// replay, or a transcript begun again) is drawn from its last lines; lines
// that come to a list already drawn are all drawn; a list that shrank
// below what was left out is a new one.
func undrawn(earlier, shown, lines int) int {
	switch {
	case shown == 0:
		return max(0, lines-historyShown)
	case lines < earlier:
		return 0
	}
	return earlier
}

// OnUpdate follows what was added: the list scrolls to its end unless the
// visitor scrolled away, when the pill offers to; what the visitor sent
// always brings the list to its end. A long history is drawn from its
// last lines (see undrawn).
func (m *MessageList) OnUpdate(ctx app.Context) {
	m.earlier = undrawn(m.earlier, m.shown, len(m.Ilines))
	n, sending := len(m.Ilines)+len(m.Iuploads), 0
	for _, l := range m.Ilines {
		if l.From == FromVisitor && l.Status == Pending {
			sending++
		}
	}
	added, sent := n > m.shown, sending > m.sending
	m.shown, m.sending = n, sending
	if !added {
		return
	}
	if sent {
		m.away = false
	}
	if m.away {
		m.unseen = true
		return
	}
	ctx.Defer(func(app.Context) { scrollToEnd() })
}

func (m *MessageList) onScroll(ctx app.Context, e app.Event) {
	list := ctx.JSSrc()
	m.away = list.Get("scrollHeight").Float()-list.Get("scrollTop").Float()-list.Get("clientHeight").Float() > nearEnd
	if !m.away {
		m.unseen = false
	}
}

// showEarlier draws the lines before those drawn, historyShown more. The
// browser's scroll anchoring keeps the lines the visitor reads in place.
func (m *MessageList) showEarlier(ctx app.Context, e app.Event) {
	m.earlier = max(0, m.earlier-historyShown)
}

func (m *MessageList) showNew(ctx app.Context, e app.Event) {
	m.away, m.unseen = false, false
	scrollToEnd()
}

func scrollToEnd() {
	if list := app.Window().GetElementByID(messagesID); list.Truthy() {
		list.Set("scrollTop", list.Get("scrollHeight"))
	}
}

// Render draws the list.
func (m *MessageList) Render() app.UI {
	followZone()
	tx := textsOr(m.Itexts)
	return app.Div().Class("parley-body").Body(
		// The log is the scrolling box, the list of lines inside it: a
		// list may not take the log's role.
		app.Div().
			ID(messagesID).
			Class("parley-messages").
			DataSet("testid", "messages").
			Role("log").
			// The announcer reads the contact center's messages; the log
			// itself would read the visitor's own too.
			Aria("live", "off").
			Aria("label", tx.Messages).
			TabIndex(0).
			OnScroll(m.onScroll).
			Body(app.Ol().Class("parley-lines").Body(
				app.If(m.earlier > 0, func() app.UI {
					return app.Li().Class("parley-earlier").Body(
						app.Button().
							Type("button").
							DataSet("testid", "earlier-messages").
							OnClick(m.showEarlier).
							Text(fmt.Sprintf(tx.EarlierMessages, m.earlier)),
					)
				}),
				app.Range(m.Ilines[m.earlier:]).Slice(func(i int) app.UI { return m.line(tx, m.Ilines[m.earlier+i]) }),
				app.Range(m.Iuploads).Slice(func(i int) app.UI {
					return NewUploadItem().Texts(m.Itexts).Upload(m.Iuploads[i]).Actions(m.Iactions)
				}),
			)),
		app.If(m.unseen, func() app.UI {
			return app.Button().
				Class("parley-pill").
				Type("button").
				DataSet("testid", "new-messages").
				OnClick(m.showNew).
				Text(tx.NewMessages + " ↓")
		}),
		app.If(m.Ityping != "", func() app.UI {
			return app.P().Class("parley-typing").DataSet("testid", "typing").Text(fmt.Sprintf(tx.IsTyping, m.Ityping))
		}),
	)
}

// line draws one line: a form the contact center asked for, a system
// notice, a shared file or a message.
func (m *MessageList) line(tx *Texts, l Line) app.UI {
	switch {
	case !l.Form.IsZero():
		return m.form(tx, m.Iforms[l.Form])
	case l.From == FromSystem:
		return NewNoticeLine().Kind(l.Notice).Text(tx.Notice(l))
	case l.File != nil:
		name := firstNonEmpty(l.File.FileName, l.File.FileID)
		return NewMessage().Line(l, tx.Author(l), lineMeta(tx, l), "").File(m.Ifiles.File(l.File.FileID), fmt.Sprintf(tx.Download, name))
	}
	return NewMessage().Line(l, tx.Author(l), lineMeta(tx, l), l.Text)
}

// form draws a form where the contact center asked for it: a request for
// the visitor's next message as a line of its own, any other as a card.
func (m *MessageList) form(tx *Texts, f FormView) app.UI {
	if r := f.Request; r.Name == "" && !r.Secure {
		if r.Answered || f.Expired {
			return app.Text("")
		}
		return app.Li().Class("parley-line parley-system").DataSet("testid", "form-question").Text(tx.AnswerHere)
	}
	return NewFormCard().Texts(m.Itexts).Form(f, m.Iover).Actions(m.Iactions)
}

// lineMeta is the small print under a message: its time, and how far a
// visitor's message got.
func lineMeta(tx *Texts, l Line) string {
	var mark string
	switch l.Status {
	case Pending:
		return tx.Sending
	case Failed:
		return tx.NotSent
	case Sent:
		mark = tx.Sent
	case Delivered:
		mark = tx.Delivered
	case Read:
		mark = tx.Read
	}
	var stamp string
	if !l.Time.IsZero() {
		stamp = visitorTime(l.Time).Format("15:04")
	}
	if mark != "" && stamp != "" {
		return stamp + " · " + mark
	}
	return stamp + mark
}
