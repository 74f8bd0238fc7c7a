package widget

import "github.com/maxence-charriere/go-app/v10/pkg/app"

// Announcer is a live region: screen readers read out what it says, and
// nobody sees it.
type Announcer struct {
	app.Compo

	ItestID string
	Iatomic bool
	Itext   string
}

// NewAnnouncer returns a live region.
func NewAnnouncer() *Announcer { return &Announcer{} }

// TestID names it for tests.
func (a *Announcer) TestID(v string) *Announcer { a.ItestID = v; return a }

// Atomic says it is read out whole whenever it changes.
func (a *Announcer) Atomic(v bool) *Announcer { a.Iatomic = v; return a }

// Text sets what it says.
func (a *Announcer) Text(v string) *Announcer { a.Itext = v; return a }

// Render draws the region.
func (a *Announcer) Render() app.UI {
	region := app.Div().
		Class("parley-announcer").
		DataSet("testid", a.ItestID).
		Aria("live", "polite")
	if a.Iatomic {
		region = region.Aria("atomic", "true")
	}
	return region.Text(a.Itext)
}
