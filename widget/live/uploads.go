package live

import (
	"context"
	"errors"
	"fmt"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/parleychat/parley/protocol"
	"github.com/parleychat/parley/widget"
	"github.com/parleychat/parley/widget/client"
)

// upload is a file on its way to the server.
type upload struct {
	key         int
	name        string
	sent, total int64
	cancel      context.CancelFunc
	// failed says why it failed; "" while it goes.
	failed string
}

// uploads are the files on their way, in the order the visitor sent them.
type uploads struct {
	list    []*upload
	lastKey int
}

// add starts following a file of size bytes, stopped by cancel.
func (us *uploads) add(name string, size int64, cancel context.CancelFunc) *upload {
	us.lastKey++
	u := &upload{key: us.lastKey, name: name, total: size, cancel: cancel}
	us.list = append(us.list, u)
	return u
}

// drop stops following u.
func (us *uploads) drop(u *upload) {
	for i, other := range us.list {
		if other == u {
			us.list = append(us.list[:i], us.list[i+1:]...)
			return
		}
	}
}

// view is the list as the window shows it.
func (us *uploads) view() []widget.Upload {
	out := make([]widget.Upload, 0, len(us.list))
	for _, u := range us.list {
		percent := 0
		if u.total > 0 {
			percent = int(u.sent * 100 / u.total)
		}
		out = append(out, widget.Upload{Key: u.key, Name: u.name, Percent: percent, Failed: u.failed})
	}
	return out
}

// CancelUpload stops the upload with the key.
func (c *Chat) CancelUpload(key int) {
	for _, u := range c.uploads.list {
		if u.key == key {
			u.cancel()
			c.uploads.drop(u)
			return
		}
	}
}

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
	for _, a := range attachments(files) {
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
			switch perr, ok := errors.AsType[*protocol.Error](err); {
			case ok && perr.Code == protocol.CodeFileType:
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
