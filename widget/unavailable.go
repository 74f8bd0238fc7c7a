package widget

import (
	"net/url"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// Unavailable is what replaces the composer while the contact center is
// closed: a way to leave a message, when the configuration names one, and
// to try again.
type Unavailable struct {
	app.Compo

	Itexts    *Texts
	IleaveURL string
	Iactions  Actions
}

// NewUnavailable returns the closed notice.
func NewUnavailable() *Unavailable { return &Unavailable{} }

// Texts sets the words, English when nil.
func (u *Unavailable) Texts(v *Texts) *Unavailable { u.Itexts = v; return u }

// LeaveURL sets where a visitor leaves a message: an http(s) or mailto URL
// from the configuration; anything else shows no link.
func (u *Unavailable) LeaveURL(v string) *Unavailable { u.IleaveURL = v; return u }

// Actions sets who tries again.
func (u *Unavailable) Actions(v Actions) *Unavailable { u.Iactions = v; return u }

// Render draws the notice.
func (u *Unavailable) Render() app.UI {
	tx := textsOr(u.Itexts)
	leave := leaveMessageURL(u.IleaveURL)
	return app.Div().Class("parley-after").DataSet("testid", "unavailable").Body(
		app.P().Class("parley-closed").Text(tx.ClosedNotice),
		app.If(leave != "", func() app.UI {
			return app.A().
				Class("parley-button").
				DataSet("testid", "leave-message").
				Href(leave).
				Target("_blank").
				Rel("noopener").
				Text(tx.LeaveMessage)
		}),
		app.Button().
			Class("parley-button parley-primary").
			Type("button").
			DataSet("testid", "try-again").
			OnClick(on(u.Iactions, Actions.Restart)).
			Text(tx.TryAgain),
	)
}

// leaveMessageURL returns v if it is an http(s) or mailto URL, else "".
func leaveMessageURL(v string) string {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "mailto") {
		return ""
	}
	return u.String()
}
