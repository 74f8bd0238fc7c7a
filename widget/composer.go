package widget

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/parleychat/parley/protocol"
	"github.com/parleychat/parley/widget/client"
)

// composerState is what the message box holds besides the draft, which
// lives in the textarea itself: only sending it empties it.
type composerState struct {
	uploads []*upload
	lastKey int
	// notice says what the visitor should know about what they sent or
	// are about to send: a file refused, a message too long.
	notice   string
	dragging bool
	// tooLong says how many characters the draft is over the limit.
	tooLong int
	// composing says an input method is composing text in the draft.
	composing bool
}

// upload is a file on its way to the server.
type upload struct {
	key         int
	attachment  client.Attachment
	sent, total int64
	cancel      context.CancelFunc
	failed      string
}

// renderComposer draws the message box; once the chat is over, the
// transcript download and a new chat instead; while the contact center is
// closed, a way to leave a message and to try again.
func (c *Chat) renderComposer(tx *Texts) app.UI {
	if c.closed {
		leave := leaveMessageURL(c.config.Definition.ChatWidgetStyling.LeaveMessageURL)
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
				OnClick(func(app.Context, app.Event) { c.restart() }).
				Text(tx.TryAgain),
		)
	}
	if c.transcript.State.Over() || c.conn == client.ConnEnded {
		return app.Div().Class("parley-after").DataSet("testid", "after-chat").Body(
			app.A().
				Class("parley-button").
				DataSet("testid", "transcript").
				Href(c.transcriptLink(tx)).
				Attr("download", "chat-transcript.txt").
				Text(tx.Transcript),
			app.Button().
				Class("parley-button parley-primary").
				Type("button").
				DataSet("testid", "new-chat").
				OnClick(func(app.Context, app.Event) { c.restart() }).
				Text(tx.NewChat),
		)
	}
	placeholder := tx.Placeholder
	if !c.freeTextRequest().IsZero() {
		placeholder = tx.AnswerHere
	}
	// The draft is never limited by the element (maxlength counts UTF-16
	// units and cuts silently); the window counts as the server does and
	// says so.
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
		On("compositionstart", func(app.Context, app.Event) { c.composer.composing = true }).
		On("compositionend", func(app.Context, app.Event) { c.composer.composing = false }).
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
		Accept(strings.Join(protocol.FileExtensions(), ",")).
		DataSet("testid", "file-input").
		OnChange(c.onPick)
	// A disabled control gets the attribute only when it is disabled:
	// go-app writes Disabled(false) into a prerendered page as
	// disabled="false", which disables it.
	if !c.canWrite() {
		input = input.Disabled(true)
	}
	if !c.canSend() {
		send = send.Disabled(true)
	}
	if !c.canAttach() {
		picker = picker.Disabled(true)
	}
	notice := c.composer.notice
	if c.composer.tooLong > 0 {
		notice = fmt.Sprintf(tx.TooLong, c.composer.tooLong)
	}
	// Every part is always there, shown or not: go-app matches children by
	// place, so a notice or a drop zone that came and went before the
	// form would replace the form, and the draft with it.
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
			Class(classIf(!c.composer.dragging, "parley-empty")).
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

// noticeID names the composer's notice, which describes the message box.
const noticeID = "parley-composer-notice"

// paperclip is the attach button's icon: a constant, the one markup the
// window writes as markup.
const paperclip = `<svg class="parley-icon" viewBox="0 0 24 24" aria-hidden="true" width="22" height="22"><path fill="currentColor" d="M16.5 6.5v10.2a4.5 4.5 0 0 1-9 0V5.8a3 3 0 0 1 6 0v9.9a1.5 1.5 0 0 1-3 0V6.5H9v9.2a3 3 0 0 0 6 0V5.8a4.5 4.5 0 0 0-9 0v10.9a6 6 0 0 0 12 0V6.5z"/></svg>`

func (c *Chat) onInput(ctx app.Context, e app.Event) {
	c.drafted(ctx.JSSrc().Get("value").String())
}

// drafted follows the draft: whether it fits a message, and whether the
// visitor is typing.
func (c *Chat) drafted(draft string) {
	c.composer.tooLong = overLimit(strings.TrimSpace(draft))
	c.sendTyping(c.typing.input(draft, time.Now()))
	c.ctx.After(typingIdle, func(app.Context) { c.sendTyping(c.typing.tick(time.Now())) })
}

// onKeyDown sends on Enter, but not the Enter that confirms an input
// method's conversion: some browsers send it after compositionend, with
// isComposing false, and only its keyCode, 229, tells.
func (c *Chat) onKeyDown(ctx app.Context, e app.Event) {
	if e.Get("key").String() != "Enter" || e.Get("shiftKey").Bool() || composing(e) || c.composer.composing {
		return
	}
	e.PreventDefault()
	c.send(ctx)
}

// composing reports whether a keydown belongs to an input method's
// composition.
func composing(e app.Event) bool {
	return e.Get("isComposing").Bool() || e.Get("keyCode").Int() == 229
}

func (c *Chat) onSubmit(ctx app.Context, e app.Event) {
	e.PreventDefault()
	c.send(ctx)
}

// send sends the draft. When the contact center asked for the visitor's
// next message as a form's answer (a form without a name), the message
// answers it too. A draft that cannot go stays, and the notice says why.
func (c *Chat) send(ctx app.Context) {
	input := app.Window().GetElementByID(inputID)
	text := strings.TrimSpace(input.Get("value").String())
	if text == "" || !c.canSend() || c.session == nil {
		return
	}
	if c.composer.tooLong = overLimit(text); c.composer.tooLong > 0 {
		return
	}
	id, err := c.session.SendMessage(text)
	if err != nil {
		var perr *protocol.Error
		errors.As(err, &perr)
		c.composer.notice = c.refusal(perr)
		return
	}
	c.composer.notice = ""
	c.transcript.AddPending(id, text, c.serverNow())
	if req := c.freeTextRequest(); !req.IsZero() {
		answer := &protocol.FormData{FormRequestID: req, Data: protocol.FormValues{Fields: map[string]string{"text": text}}}
		if c.session.Send(answer) == nil {
			c.transcript.answered(req)
		}
	}
	input.Set("value", "")
	c.sendTyping(c.typing.sent())
	c.scroll.away = false
	ctx.Defer(func(app.Context) { scrollToEnd() })
}

// refusal words why something the visitor sent was refused, in the
// visitor's language.
func (c *Chat) refusal(err *protocol.Error) string {
	tx := c.texts()
	if err == nil {
		return tx.NotSentReason
	}
	switch err.Code {
	case protocol.CodeTooLarge:
		return fmt.Sprintf(tx.TooLong, 1)
	case protocol.CodeRateLimited:
		return tx.TooFast
	}
	return tx.NotSentReason
}

// freeTextRequest is the form that wants the next message, if any.
func (c *Chat) freeTextRequest() protocol.ID {
	for _, l := range c.transcript.Lines {
		if f := c.transcript.Forms[l.Form]; f != nil && f.Name == "" && !f.Secure && !f.Answered && !c.expired(f) {
			return f.RequestID
		}
	}
	return protocol.ID{}
}

func (c *Chat) sendTyping(e protocol.Event) {
	if e != nil && c.session != nil {
		_ = c.session.Send(e)
	}
}

func (c *Chat) onPick(ctx app.Context, e app.Event) {
	input := ctx.JSSrc()
	c.attach(attachments(input.Get("files")))
	input.Set("value", "")
}

// onPaste puts what the visitor pasted where they pasted it. Text wins:
// cells copied from a spreadsheet come with a picture of themselves too,
// and the visitor wanted the text. A file is attached only when the
// clipboard holds no text; while the connection is down it waits, and the
// notice says so.
func (c *Chat) onPaste(ctx app.Context, e app.Event) {
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
	if files := attachments(data.Get("files")); len(files) > 0 {
		c.attach(files)
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

func (c *Chat) onDragOver(ctx app.Context, e app.Event) {
	if !c.canAttach() || !draggingFiles(e) {
		return
	}
	e.PreventDefault()
	c.composer.dragging = true
}

func (c *Chat) onDragLeave(ctx app.Context, e app.Event) {
	// Leaving a child for another child is not leaving the window.
	if related := e.Get("relatedTarget"); !related.Truthy() {
		c.composer.dragging = false
	}
}

func (c *Chat) onDrop(ctx app.Context, e app.Event) {
	c.composer.dragging = false
	if !c.canAttach() {
		return
	}
	e.PreventDefault()
	c.attach(attachments(e.Get("dataTransfer").Get("files")))
}

func draggingFiles(e app.Event) bool {
	types := e.Get("dataTransfer").Get("types")
	if !types.Truthy() {
		return false
	}
	for i := range types.Get("length").Int() {
		if types.Index(i).String() == "Files" {
			return true
		}
	}
	return false
}

// attach checks each file's size and kind (protocol.AcceptFile, as the
// server does) before anything is sent, then uploads it; the file event
// goes out only once the server answered with a file_id.
func (c *Chat) attach(files []client.Attachment) {
	c.composer.notice = ""
	if !c.canAttach() {
		c.composer.notice = c.texts().FilesWait
		return
	}
	for _, a := range files {
		if a.Size > protocol.MaxFileBytes {
			c.composer.notice = fmt.Sprintf(c.texts().FileTooLarge, a.Name, protocol.MaxFileBytes>>20)
			continue
		}
		c.ctx.Async(func() {
			kind, err := a.Check(c.ctx)
			c.ctx.Dispatch(func(app.Context) {
				if err != nil {
					c.composer.notice = fmt.Sprintf(c.texts().FileType, a.Name)
					return
				}
				a.Type = kind
				c.upload(a)
			})
		})
	}
}

// upload sends a file that passed the checks, showing its progress.
func (c *Chat) upload(a client.Attachment) {
	ctx := c.ctx
	c.composer.lastKey++
	u := &upload{key: c.composer.lastKey, attachment: a, total: a.Size}
	upCtx, cancel := context.WithCancel(ctx)
	u.cancel = cancel
	c.composer.uploads = append(c.composer.uploads, u)
	if c.scroll.added(1) {
		ctx.Defer(func(app.Context) { scrollToEnd() })
	}
	sess := c.session
	ctx.Async(func() {
		up, err := sess.Upload(upCtx, a, func(sent, total int64) {
			ctx.Dispatch(func(app.Context) { u.sent, u.total = sent, total })
		})
		ctx.Dispatch(func(ctx app.Context) {
			defer cancel()
			var perr *protocol.Error
			switch {
			case errors.As(err, &perr) && perr.Code == protocol.CodeFileType:
				c.dropUpload(u)
				c.composer.notice = fmt.Sprintf(c.texts().FileType, a.Name)
				return
			case err != nil && upCtx.Err() != nil:
				c.dropUpload(u)
				return
			case err != nil:
				u.failed = fmt.Sprintf(c.texts().UploadFailed, a.Name)
				return
			}
			c.dropUpload(u)
			file := &protocol.File{FileID: up.FileID, FileName: up.FileName, FileType: a.FileType()}
			if sess.Send(file) == nil {
				c.transcript.AddPendingEvent(file, c.serverNow())
			}
		})
	})
}

func (c *Chat) dropUpload(u *upload) {
	for i, other := range c.composer.uploads {
		if other == u {
			c.composer.uploads = append(c.composer.uploads[:i], c.composer.uploads[i+1:]...)
			return
		}
	}
}

// renderUpload shows a file on its way: its progress and a way to stop it,
// or why it failed.
func (c *Chat) renderUpload(tx *Texts, u *upload) app.UI {
	percent := 0
	if u.total > 0 {
		percent = int(u.sent * 100 / u.total)
	}
	return app.Li().
		Class("parley-line parley-visitor parley-uploading").
		DataSet("testid", "upload").
		DataSet("failed", u.failed != "").
		Body(
			app.If(u.failed == "", func() app.UI {
				return app.Div().Body(
					app.P().Class("parley-text").Text(fmt.Sprintf(tx.Uploading, u.attachment.Name, percent)),
					app.Progress().Max(100).Value(percent).Aria("label", u.attachment.Name),
				)
			}).Else(func() app.UI {
				return app.P().Class("parley-text").Role("alert").Text(u.failed)
			}),
			app.Button().
				Class("parley-link").
				Type("button").
				DataSet("testid", "cancel-upload").
				OnClick(func(app.Context, app.Event) {
					u.cancel()
					c.dropUpload(u)
				}).
				Text(tx.CancelUpload),
		)
}

// leaveMessageURL returns the configuration's page for leaving a message if
// it is an http(s) or mailto URL, else "".
func leaveMessageURL(v string) string {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "mailto") {
		return ""
	}
	return u.String()
}
