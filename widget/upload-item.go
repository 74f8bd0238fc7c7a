package widget

import (
	"fmt"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// Upload is a file on its way, as the list shows it.
type Upload struct {
	// Key names the upload for Actions.CancelUpload.
	Key  int
	Name string
	// Percent is how much of it went, 0 to 100.
	Percent int
	// Failed says why it failed; "" while it goes.
	Failed string
}

// UploadItem draws a file on its way: its progress and a way to stop it,
// or why it failed.
type UploadItem struct {
	app.Compo

	Itexts   *Texts
	Iupload  Upload
	Iactions Actions
}

// NewUploadItem returns an upload line.
func NewUploadItem() *UploadItem { return &UploadItem{} }

// Texts sets the words, English when nil.
func (u *UploadItem) Texts(v *Texts) *UploadItem { u.Itexts = v; return u }

// Upload sets the upload.
func (u *UploadItem) Upload(v Upload) *UploadItem { u.Iupload = v; return u }

// Actions sets who cancels it.
func (u *UploadItem) Actions(v Actions) *UploadItem { u.Iactions = v; return u }

// Render draws the line.
func (u *UploadItem) Render() app.UI {
	tx, up := textsOr(u.Itexts), u.Iupload
	return app.Li().
		Class("parley-line parley-visitor parley-uploading").
		DataSet("testid", "upload").
		DataSet("failed", up.Failed != "").
		Body(
			app.If(up.Failed == "", func() app.UI {
				return app.Div().Body(
					app.P().Class("parley-text").Text(fmt.Sprintf(tx.Uploading, up.Name, up.Percent)),
					app.Progress().Max(100).Value(up.Percent).Aria("label", up.Name),
				)
			}).Else(func() app.UI {
				return app.P().Class("parley-text").Role("alert").Text(up.Failed)
			}),
			app.Button().
				Class("parley-link").
				Type("button").
				DataSet("testid", "cancel-upload").
				OnClick(on(u.Iactions, func(a Actions) { a.CancelUpload(up.Key) })).
				Text(tx.CancelUpload),
		)
}
