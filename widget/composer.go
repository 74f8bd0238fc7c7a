package widget

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/parleychat/parley/protocol"
)

// composerState is what the message box holds besides the draft, which
// lives in the textarea itself.
type composerState struct {
	uploads  []*upload
	lastKey  int
	notice   string
	dragging bool
}

// upload is a file on its way to the server.
type upload struct {
	key         int
	attachment  Attachment
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
	if c.transcript.State.Over() || c.conn == ConnEnded {
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
	// A disabled control gets the attribute only when it is disabled:
	// go-app writes Disabled(false) into a prerendered page as
	// disabled="false", which disables it.
	input := app.Textarea().
		ID(inputID).
		Class("parley-input").
		DataSet("testid", "composer-input").
		Aria("label", tx.Placeholder).
		Placeholder(placeholder).
		Rows(1).
		MaxLength(protocol.MaxTextBytes).
		OnInput(c.onInput).
		OnKeyDown(c.onKeyDown).
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
		Accept(strings.Join(acceptList(), ",")).
		DataSet("testid", "file-input").
		OnChange(c.onPick)
	if !c.canWrite() {
		input = input.Disabled(true)
	}
	if !c.canSend() {
		send = send.Disabled(true)
	}
	if !c.canAttach() {
		picker = picker.Disabled(true)
	}
	return app.Div().Class("parley-bottom").Body(
		app.If(c.composer.notice != "", func() app.UI {
			return app.P().Class("parley-notice").Role("alert").DataSet("testid", "composer-notice").Text(c.composer.notice)
		}),
		app.If(c.composer.dragging, func() app.UI {
			return app.Div().Class("parley-dropzone").DataSet("testid", "dropzone").Text(tx.DropHere)
		}),
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

// paperclip is the attach button's icon: a constant, the one markup the
// window writes as markup.
const paperclip = `<svg class="parley-icon" viewBox="0 0 24 24" aria-hidden="true" width="22" height="22"><path fill="currentColor" d="M16.5 6.5v10.2a4.5 4.5 0 0 1-9 0V5.8a3 3 0 0 1 6 0v9.9a1.5 1.5 0 0 1-3 0V6.5H9v9.2a3 3 0 0 0 6 0V5.8a4.5 4.5 0 0 0-9 0v10.9a6 6 0 0 0 12 0V6.5z"/></svg>`

func acceptList() []string {
	types := make([]string, 0, len(acceptedTypes))
	for t := range acceptedTypes {
		types = append(types, t)
	}
	slices.Sort(types) // the same page for every render
	return types
}

func (c *Chat) onInput(ctx app.Context, e app.Event) {
	draft := ctx.JSSrc().Get("value").String()
	c.sendTyping(c.typing.input(draft, time.Now()))
	c.ctx.After(typingIdle, func(app.Context) { c.sendTyping(c.typing.tick(time.Now())) })
}

func (c *Chat) onKeyDown(ctx app.Context, e app.Event) {
	if e.Get("key").String() != "Enter" || e.Get("shiftKey").Bool() || e.Get("isComposing").Bool() {
		return
	}
	e.PreventDefault()
	c.send(ctx)
}

func (c *Chat) onSubmit(ctx app.Context, e app.Event) {
	e.PreventDefault()
	c.send(ctx)
}

// send sends the draft. When the contact center asked for the visitor's
// next message as a form's answer (a form without a name), the message
// answers it too.
func (c *Chat) send(ctx app.Context) {
	input := app.Window().GetElementByID(inputID)
	text := strings.TrimSpace(input.Get("value").String())
	if text == "" || c.session == nil || !c.canSend() {
		return
	}
	id, err := c.session.SendMessage(text)
	var perr *protocol.Error
	if errors.As(err, &perr) {
		c.composer.notice = perr.Message
		return
	}
	if err != nil {
		return
	}
	c.composer.notice = ""
	c.transcript.AddPending(id, text, time.Now())
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

func (c *Chat) onPaste(ctx app.Context, e app.Event) {
	files := attachments(e.Get("clipboardData").Get("files"))
	if len(files) > 0 {
		e.PreventDefault()
		c.attach(files)
	}
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

// attach checks each file's size and type before anything is sent, then
// uploads it; the file event goes out only once the server answered with a
// file_id.
func (c *Chat) attach(files []Attachment) {
	ctx := c.ctx
	tx := c.texts()
	c.composer.notice = ""
	for _, a := range files {
		if problem := a.problem(tx); problem != "" {
			c.composer.notice = problem
			continue
		}
		if !c.canAttach() {
			return
		}
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
				if err != nil {
					if upCtx.Err() != nil {
						c.dropUpload(u)
					} else {
						u.failed = fmt.Sprintf(tx.UploadFailed, a.Name)
					}
					return
				}
				c.dropUpload(u)
				file := &protocol.File{FileID: up.FileID, FileName: a.Name, FileType: a.fileType()}
				if sess.Send(file) == nil {
					c.transcript.AddPendingEvent(file, time.Now())
				}
			})
		})
	}
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
