package widget

import "github.com/maxence-charriere/go-app/v10/pkg/app"

// NoticeLine draws a system line of the transcript: someone joined or
// left, the chat ended, the contact center warned of inactivity.
type NoticeLine struct {
	app.Compo

	Ikind Notice
	Itext string
}

// NewNoticeLine returns a notice line.
func NewNoticeLine() *NoticeLine { return &NoticeLine{} }

// Kind sets what the notice means.
func (n *NoticeLine) Kind(v Notice) *NoticeLine { n.Ikind = v; return n }

// Text sets its words.
func (n *NoticeLine) Text(v string) *NoticeLine { n.Itext = v; return n }

// Render draws the line.
func (n *NoticeLine) Render() app.UI {
	return app.Li().
		Class("parley-line parley-system").
		DataSet("testid", "notice").
		DataSet("notice", string(n.Ikind)).
		Text(n.Itext)
}
