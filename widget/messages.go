package widget

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/parleychat/parley/protocol"
)

// scrollState keeps the list at its end while the visitor is there, and
// never pulls them away from what they scrolled up to read.
type scrollState struct {
	// away: the visitor scrolled up from the end.
	away bool
	// unseen: lines came while away; a "new messages" pill offers to go
	// down.
	unseen bool
}

// nearEnd is how close to the end of the list still counts as at the end.
const nearEnd = 48

// added notes that lines were added, and reports whether to scroll to the
// end.
func (s *scrollState) added(lines int) bool {
	if lines == 0 {
		return false
	}
	if s.away {
		s.unseen = true
		return false
	}
	return true
}

func (c *Chat) onScroll(ctx app.Context, e app.Event) {
	list := ctx.JSSrc()
	c.scroll.away = list.Get("scrollHeight").Float()-list.Get("scrollTop").Float()-list.Get("clientHeight").Float() > nearEnd
	if !c.scroll.away {
		c.scroll.unseen = false
	}
}

func (c *Chat) showNew(ctx app.Context, e app.Event) {
	c.scroll.away, c.scroll.unseen = false, false
	scrollToEnd()
}

func scrollToEnd() {
	if list := app.Window().GetElementByID(messagesID); list.Truthy() {
		list.Set("scrollTop", list.Get("scrollHeight"))
	}
}

// renderMessages draws the transcript, the uploads on their way, the
// typing line and the "new messages" pill.
func (c *Chat) renderMessages(tx *Texts) app.UI {
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
			OnScroll(c.onScroll).
			Body(app.Ol().Class("parley-lines").Body(
				app.Range(c.transcript.Lines).Slice(func(i int) app.UI {
					return c.renderLine(tx, c.transcript.Lines[i])
				}),
				app.Range(c.composer.uploads).Slice(func(i int) app.UI {
					return c.renderUpload(tx, c.composer.uploads[i])
				}),
			)),
		app.If(c.scroll.unseen, func() app.UI {
			return app.Button().
				Class("parley-pill").
				Type("button").
				DataSet("testid", "new-messages").
				OnClick(c.showNew).
				Text(tx.NewMessages + " ↓")
		}),
		app.If(c.transcript.Typing != "", func() app.UI {
			return app.P().Class("parley-typing").DataSet("testid", "typing").Text(fmt.Sprintf(tx.IsTyping, c.transcript.Typing))
		}),
	)
}

func (c *Chat) renderLine(tx *Texts, l Line) app.UI {
	if !l.Form.IsZero() {
		return c.renderForm(tx, l)
	}
	v := &lineView{Line: l}
	switch {
	case l.From == FromSystem:
		v.Text = tx.notice(l)
	case l.File != nil:
		v.Author, v.Meta = c.author(tx, l), lineMeta(tx, l)
		v.FileURL = c.fileURL(l.File.FileID)
		v.Download = fmt.Sprintf(tx.Download, firstNonEmpty(l.File.FileName, l.File.FileID))
	default:
		v.Author, v.Meta, v.Text = c.author(tx, l), lineMeta(tx, l), l.Text
	}
	return v
}

// lineView draws one line of the transcript. It is a component so that a
// long transcript costs little to update: go-app re-renders a child only
// when its exported fields changed, and a line rarely does.
type lineView struct {
	app.Compo
	Line Line
	// What the window computed for it, in the visitor's words.
	Author, Meta, Text, FileURL, Download string
}

func (v *lineView) Render() app.UI {
	l := v.Line
	if l.From == FromSystem {
		return app.Li().
			Class("parley-line parley-system").
			DataSet("testid", "notice").
			DataSet("notice", string(l.Notice)).
			Text(v.Text)
	}
	testid := "message"
	body := app.UI(app.P().Class("parley-text").Body(linked(v.Text)...))
	if l.File != nil {
		testid, body = "file", v.renderFile()
	}
	return app.Li().
		Class("parley-line parley-"+string(l.From)).
		DataSet("testid", testid).
		DataSet("from", string(l.From)).
		DataSet("status", string(l.Status)).
		DataSet("msg-id", l.MsgID.String()).
		Body(
			app.Span().Class("parley-author").Text(v.Author),
			body,
			app.Span().Class("parley-meta").DataSet("testid", "meta").Text(v.Meta),
		)
}

// renderFile shows a shared file: a picture as a preview that opens it, any
// other file as a download link.
func (v *lineView) renderFile() app.UI {
	f := v.Line.File
	name := firstNonEmpty(f.FileName, f.FileID)
	if f.FileType == protocol.FileImage {
		return app.A().
			Class("parley-image").
			Href(v.FileURL).
			Target("_blank").
			Rel("noopener noreferrer").
			Body(app.Img().Src(v.FileURL).Alt(name).Attr("loading", "lazy").DataSet("testid", "image"))
	}
	return app.A().
		Class("parley-text parley-download").
		Href(v.FileURL).
		Attr("download", name).
		Aria("label", v.Download).
		DataSet("testid", "download").
		Text(name)
}

// fileURL is where the browser gets a file of the chat: the chat's token
// in the query stands for the Authorization header an image cannot send.
func (c *Chat) fileURL(id string) string {
	return c.base + protocol.Path(protocol.PathChatFile, c.chat.ChatID, id) + "?token=" + url.QueryEscape(c.chat.Token)
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

// links finds web addresses in a message; trailing punctuation is the
// sentence's, not the address's.
var links = regexp.MustCompile(`https?://[^\s<>"']+`)

// linked splits text into text nodes and links. Only http and https links
// are made, so a message can never carry a javascript: link.
func linked(text string) []app.UI {
	var out []app.UI
	last := 0
	for _, span := range links.FindAllStringIndex(text, -1) {
		start, end := span[0], span[1]
		end = start + len(strings.TrimRight(text[start:end], ".,;:!?)]}"))
		u, err := url.Parse(text[start:end])
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			continue
		}
		if start > last {
			out = append(out, app.Text(text[last:start]))
		}
		out = append(out, app.A().Href(u.String()).Target("_blank").Rel("noopener noreferrer nofollow").Text(text[start:end]))
		last = end
	}
	if last < len(text) {
		out = append(out, app.Text(text[last:]))
	}
	return out
}
