package live

import (
	"context"

	"github.com/parleychat/parley/widget"
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
