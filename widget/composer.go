package widget

import (
	"fmt"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/parleychat/parley/protocol"
)

// Element ids of the composer.
const (
	inputID  = "parley-input"
	fileID   = "parley-file"
	noticeID = "parley-composer-notice"
)

// Composer is the message box: the draft, the send and attach buttons, the
// notice under them, and the zone files are dropped on. The draft lives in
// the textarea itself, and only sending it empties it: no notice, drag or
// failed send loses it. It counts the draft as the server does and says
// how much is too much before anything is sent.
type Composer struct {
	app.Compo

	Itexts     *Texts
	IcanWrite  bool
	IcanSend   bool
	IcanAttach bool
	Ianswering bool
	Inotice    string
	Idragging  bool
	Iactions   Actions

	// tooLong says how many characters the draft is over the limit;
	// composing that an input method is composing text in it.
	tooLong   int
	composing bool
}

// NewComposer returns a composer, closed.
func NewComposer() *Composer { return &Composer{} }

// Texts sets the words, English when nil.
func (c *Composer) Texts(v *Texts) *Composer { c.Itexts = v; return c }

// Can says whether the visitor may write, send a message and attach files
// now. The box stays open while the connection comes and goes, but not
// before the wasm runs, since go-app replaces that page and what was
// typed in it.
func (c *Composer) Can(write, send, attach bool) *Composer {
	c.IcanWrite, c.IcanSend, c.IcanAttach = write, send, attach
	return c
}

// Answering says the next message answers the contact center's question.
func (c *Composer) Answering(v bool) *Composer { c.Ianswering = v; return c }

// Notice sets what the visitor should know about what they sent or are
// about to send: a file refused, a message the server would not take.
func (c *Composer) Notice(v string) *Composer { c.Inotice = v; return c }

// Dragging says files are dragged over the window: the drop zone shows.
func (c *Composer) Dragging(v bool) *Composer { c.Idragging = v; return c }

// Actions sets who sends.
func (c *Composer) Actions(v Actions) *Composer { c.Iactions = v; return c }

// Render draws the composer. Every part is always there, shown or not:
// go-app matches children by place, so a notice or a drop zone that came
// and went before the form would replace the form, and the draft with it.
func (c *Composer) Render() app.UI {
	tx := textsOr(c.Itexts)
	placeholder := tx.Placeholder
	if c.Ianswering {
		placeholder = tx.AnswerHere
	}
	// The draft is never limited by the element (maxlength counts UTF-16
	// units and cuts silently).
	input := app.Textarea().
		ID(inputID).
		Class("parley-input").
		DataSet("testid", "composer-input").
		Aria("label", tx.Placeholder).
		Aria("describedby", noticeID).
		Placeholder(placeholder).
		Rows(1).
		OnInput(c.onInput).
		OnKeyDown(c.onKeyDown).
		On("compositionstart", func(app.Context, app.Event) { c.composing = true }).
		On("compositionend", func(app.Context, app.Event) { c.composing = false }).
		OnPaste(c.onPaste)
	send := app.Button().
		Class("parley-send").
		Type("submit").
		DataSet("testid", "send").
		Text(tx.Send)
	picker := app.Input().
		ID(fileID).
		Class("parley-file-input").
		Type("file").
		Multiple(true).
		Accept(acceptedFiles()).
		DataSet("testid", "file-input").
		OnChange(c.onPick)
	// A disabled control gets the attribute only when it is disabled:
	// go-app writes Disabled(false) into a prerendered page as
	// disabled="false", which disables it.
	if !c.IcanWrite {
		input = input.Disabled(true)
	}
	if !c.IcanSend {
		send = send.Disabled(true)
	}
	if !c.IcanAttach {
		picker = picker.Disabled(true)
	}
	notice := c.Inotice
	if c.tooLong > 0 {
		notice = fmt.Sprintf(tx.TooLong, c.tooLong)
	}
	return app.Div().Class("parley-bottom").Body(
		app.P().
			ID(noticeID).
			Class("parley-notice").
			Class(classIf(notice == "", "parley-empty")).
			Role("alert").
			DataSet("testid", "composer-notice").
			Text(notice),
		app.Div().
			Class("parley-dropzone").
			Class(classIf(!c.Idragging, "parley-empty")).
			Aria("hidden", "true").
			DataSet("testid", "dropzone").
			Text(tx.DropHere),
		app.Form().
			Class("parley-composer").
			DataSet("testid", "composer").
			OnSubmit(c.onSubmit).
			Body(
				app.Label().
					Class("parley-attach").
					For(fileID).
					Title(tx.Attach).
					DataSet("testid", "attach").
					Body(app.Span().Class("parley-visually-hidden").Text(tx.Attach), app.Raw(paperclip), picker),
				input,
				send,
			),
	)
}

// acceptedFiles are the extensions the file picker offers: those the chat
// takes (protocol.AcceptFile).
func acceptedFiles() string { return strings.Join(protocol.FileExtensions(), ",") }

// paperclip is the attach button's icon: a constant, the one markup the
// window writes as markup.
const paperclip = `<svg class="parley-icon" viewBox="0 0 24 24" aria-hidden="true" width="22" height="22"><path fill="currentColor" d="M16.5 6.5v10.2a4.5 4.5 0 0 1-9 0V5.8a3 3 0 0 1 6 0v9.9a1.5 1.5 0 0 1-3 0V6.5H9v9.2a3 3 0 0 0 6 0V5.8a4.5 4.5 0 0 0-9 0v10.9a6 6 0 0 0 12 0V6.5z"/></svg>`

func (c *Composer) onInput(ctx app.Context, e app.Event) {
	c.drafted(ctx.JSSrc().Get("value").String())
}

// drafted follows the draft: whether it fits a message, and, for the
// Actions, whether the visitor is typing.
func (c *Composer) drafted(draft string) {
	c.tooLong = overLimit(strings.TrimSpace(draft))
	if c.Iactions != nil {
		c.Iactions.Drafted(draft)
	}
}

// onKeyDown sends on Enter, but not the Enter that confirms an input
// method's conversion: some browsers send it after compositionend, with
// isComposing false, and only its keyCode, 229, tells.
func (c *Composer) onKeyDown(ctx app.Context, e app.Event) {
	if e.Get("key").String() != "Enter" || e.Get("shiftKey").Bool() || composing(e) || c.composing {
		return
	}
	e.PreventDefault()
	c.send()
}

// composing reports whether a keydown belongs to an input method's
// composition.
func composing(e app.Event) bool {
	return e.Get("isComposing").Bool() || e.Get("keyCode").Int() == 229
}

func (c *Composer) onSubmit(ctx app.Context, e app.Event) {
	e.PreventDefault()
	c.send()
}

// send hands the draft to the Actions; it empties only once they took it.
// A draft that is too long stays, and the notice says by how much.
func (c *Composer) send() {
	input := app.Window().GetElementByID(inputID)
	text := strings.TrimSpace(input.Get("value").String())
	if text == "" || !c.IcanSend || c.Iactions == nil {
		return
	}
	if c.tooLong = overLimit(text); c.tooLong > 0 {
		return
	}
	if c.Iactions.Send(text) {
		input.Set("value", "")
	}
}

func (c *Composer) onPick(ctx app.Context, e app.Event) {
	input := ctx.JSSrc()
	if c.Iactions != nil {
		c.Iactions.Attach(input.Get("files"))
	}
	input.Set("value", "")
}

// onPaste puts what the visitor pasted where they pasted it. Text wins:
// cells copied from a spreadsheet come with a picture of themselves too,
// and the visitor wanted the text. Files are attached only when the
// clipboard holds no text.
func (c *Composer) onPaste(ctx app.Context, e app.Event) {
	data := e.Get("clipboardData")
	if !data.Truthy() {
		return
	}
	e.PreventDefault()
	if text := data.Call("getData", "text/plain").String(); text != "" {
		insertText(ctx.JSSrc(), text)
		c.drafted(ctx.JSSrc().Get("value").String())
		return
	}
	if files := data.Get("files"); files.Truthy() && files.Get("length").Int() > 0 && c.Iactions != nil {
		c.Iactions.Attach(files)
	}
}

// insertText puts text at the caret of a text box, as a paste would, so
// that the browser's undo takes it back; where that is not offered, it
// sets the range itself.
func insertText(box app.Value, text string) {
	doc := app.Window().Get("document")
	if doc.Call("queryCommandSupported", "insertText").Bool() && doc.Call("execCommand", "insertText", false, text).Bool() {
		return
	}
	box.Call("setRangeText", text, box.Get("selectionStart"), box.Get("selectionEnd"), "end")
}

// FocusComposer puts the focus in the message box, as the window does when
// the visitor opens it.
func FocusComposer() { focus(inputID) }
