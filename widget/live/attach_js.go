//go:build js && wasm

package live

import (
	"context"
	"errors"
	"fmt"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/parleychat/parley/protocol"
	"github.com/parleychat/parley/widget/client"
)

// Attach checks each file of a browser FileList, by its size and its
// first bytes, as the server will (protocol.AcceptFile), before anything
// is sent, then uploads it; the file event goes out only once the server
// answered with a file_id.
func (c *Chat) Attach(files app.Value) {
	c.notice = ""
	if !c.canAttach() {
		c.notice = c.texts().FilesWait
		return
	}
	for _, a := range client.Attachments(files) {
		if a.Size > protocol.MaxFileBytes {
			c.notice = fmt.Sprintf(c.texts().FileTooLarge, a.Name, protocol.MaxFileBytes>>20)
			continue
		}
		c.ctx.Async(func() {
			kind, err := a.Check(c.ctx)
			c.ctx.Dispatch(func(app.Context) {
				if err != nil {
					c.notice = fmt.Sprintf(c.texts().FileType, a.Name)
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
	upCtx, cancel := context.WithCancel(ctx)
	u := c.uploads.add(a.Name, a.Size, cancel)
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
				c.uploads.drop(u)
				c.notice = fmt.Sprintf(c.texts().FileType, a.Name)
				return
			case err != nil && upCtx.Err() != nil:
				c.uploads.drop(u)
				return
			case err != nil:
				u.failed = fmt.Sprintf(c.texts().UploadFailed, a.Name)
				return
			}
			c.uploads.drop(u)
			file := &protocol.File{FileID: up.FileID, FileName: up.FileName, FileType: a.FileType()}
			if sess.Send(file) == nil {
				c.transcript.AddPendingEvent(file, c.serverNow())
			}
		})
	})
}
