package widget

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/parleychat/parley/protocol"
)

// Message draws one message or shared file of the transcript, with its
// author and small print. It is a component so that a long transcript
// costs little to update: go-app draws a child again only when its inputs
// changed, and a line rarely does.
type Message struct {
	app.Compo

	Iline Line
	// What the list computed for it, in the visitor's words.
	Iauthor, Imeta, Itext, IfileURL, Idownload string
}

// NewMessage returns a message line.
func NewMessage() *Message { return &Message{} }

// Line sets the line, its author's name, its small print and its text.
func (m *Message) Line(l Line, author, meta, text string) *Message {
	m.Iline, m.Iauthor, m.Imeta, m.Itext = l, author, meta, text
	return m
}

// File sets a shared file's address and the label of its download link.
func (m *Message) File(url, download string) *Message {
	m.IfileURL, m.Idownload = url, download
	return m
}

// Render draws the line.
func (m *Message) Render() app.UI {
	l := m.Iline
	testid := "message"
	body := app.UI(app.P().Class("parley-text").Body(linked(m.Itext)...))
	if l.File != nil {
		testid, body = "file", m.file()
	}
	return app.Li().
		Class("parley-line parley-"+string(l.From)).
		DataSet("testid", testid).
		DataSet("from", string(l.From)).
		DataSet("status", string(l.Status)).
		DataSet("msg-id", l.MsgID.String()).
		Body(
			app.Span().Class("parley-author").Text(m.Iauthor),
			body,
			app.Span().Class("parley-meta").DataSet("testid", "meta").Text(m.Imeta),
		)
}

// file shows a shared file: a picture as a preview that opens it, any
// other file as a download link.
func (m *Message) file() app.UI {
	f := m.Iline.File
	name := firstNonEmpty(f.FileName, f.FileID)
	if f.FileType == protocol.FileImage {
		return app.A().
			Class("parley-image").
			Href(m.IfileURL).
			Target("_blank").
			Rel("noopener noreferrer").
			Body(app.Img().Src(m.IfileURL).Alt(name).Attr("loading", "lazy").DataSet("testid", "image"))
	}
	return app.A().
		Class("parley-text parley-download").
		Href(m.IfileURL).
		Attr("download", name).
		Aria("label", m.Idownload).
		DataSet("testid", "download").
		Text(name)
}
