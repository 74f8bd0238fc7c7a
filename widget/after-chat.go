package widget

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// AfterChat is what replaces the composer once the chat is over: the
// transcript to download, and a new chat.
type AfterChat struct {
	app.Compo

	Itexts   *Texts
	Ilines   []Line
	Inow     time.Time
	Iactions Actions
}

// NewAfterChat returns the end of a chat.
func NewAfterChat() *AfterChat { return &AfterChat{} }

// Texts sets the words, English when nil.
func (a *AfterChat) Texts(v *Texts) *AfterChat { a.Itexts = v; return a }

// Lines sets the chat's lines, for the transcript, and the time it is
// dated, by the server's clock.
func (a *AfterChat) Lines(lines []Line, now time.Time) *AfterChat {
	a.Ilines, a.Inow = lines, now
	return a
}

// Actions sets who starts the new chat.
func (a *AfterChat) Actions(v Actions) *AfterChat { a.Iactions = v; return a }

// Render draws the buttons. The transcript is in its link, so nothing is
// fetched.
func (a *AfterChat) Render() app.UI {
	tx := textsOr(a.Itexts)
	return app.Div().Class("parley-after").DataSet("testid", "after-chat").Body(
		app.A().
			Class("parley-button").
			DataSet("testid", "transcript").
			Href("data:text/plain;charset=utf-8,"+url.PathEscape(TranscriptText(tx, a.Ilines, a.Inow))).
			Attr("download", "chat-transcript.txt").
			Text(tx.Transcript),
		app.Button().
			Class("parley-button parley-primary").
			Type("button").
			DataSet("testid", "new-chat").
			OnClick(on(a.Iactions, Actions.Restart)).
			Text(tx.NewChat),
	)
}

// TranscriptText is a chat as a plain text file, for the visitor to keep,
// dated now; times are the visitor's.
func TranscriptText(tx *Texts, lines []Line, now time.Time) string {
	followZone()
	var b strings.Builder
	fmt.Fprintf(&b, tx.TranscriptOf+"\n\n", visitorTime(now).Format("2006-01-02 15:04"))
	for _, l := range lines {
		if !l.Form.IsZero() {
			continue
		}
		stamp := ""
		if !l.Time.IsZero() {
			stamp = visitorTime(l.Time).Format("15:04") + " "
		}
		text := l.Text
		if l.File != nil {
			text = "[" + l.File.FileName + "]"
		}
		if l.From == FromSystem {
			fmt.Fprintf(&b, "%s* %s\n", stamp, tx.Notice(l))
			continue
		}
		fmt.Fprintf(&b, "%s%s: %s\n", stamp, tx.Author(l), text)
	}
	return b.String()
}
