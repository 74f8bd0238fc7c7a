//go:build js && wasm

package client

import (
	"context"
	"errors"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/parleychat/parley/protocol"
)

// attachmentBody is the browser's File object: its bytes never pass
// through Go.
type attachmentBody struct{ file app.Value }

// Attachments reads a browser FileList, from a file input, a drop or a
// paste.
func Attachments(list app.Value) []Attachment {
	if !list.Truthy() {
		return nil
	}
	var out []Attachment
	for i := range list.Get("length").Int() {
		f := list.Call("item", i)
		out = append(out, Attachment{Name: f.Get("name").String(), Size: int64(f.Get("size").Float()), Type: f.Get("type").String(), body: attachmentBody{f}})
	}
	return out
}

// NewAttachment returns an attachment of bytes, made a browser File so it
// goes the way of the visitor's files.
func NewAttachment(name, contentType string, data []byte) Attachment {
	bytes := app.Window().Get("Uint8Array").New(len(data))
	app.CopyBytesToJS(bytes, data)
	file := app.Window().Get("File").New([]any{bytes}, name, map[string]any{"type": contentType})
	return Attachment{Name: name, Size: int64(len(data)), Type: contentType, body: attachmentBody{file}}
}

// errUploadFailed is an upload the network lost.
var errUploadFailed = errors.New("the upload failed")

// send uploads the File with XMLHttpRequest, the one browser API that
// reports an upload's progress; the bytes never pass through Go.
func (a Attachment) send(ctx context.Context, url, auth string, progress func(sent, total int64)) (int, []byte, error) {
	xhr := app.Window().Get("XMLHttpRequest").New()
	xhr.Call("open", "POST", url)
	xhr.Call("setRequestHeader", "Authorization", auth)
	form := app.Window().Get("FormData").New()
	form.Call("append", "file", a.body.file, a.Name)
	done := make(chan struct{})
	onProgress := app.FuncOf(func(_ app.Value, args []app.Value) any {
		if e := args[0]; e.Get("lengthComputable").Bool() && progress != nil {
			progress(int64(e.Get("loaded").Float()), int64(e.Get("total").Float()))
		}
		return nil
	})
	defer onProgress.Release()
	onEnd := app.FuncOf(func(app.Value, []app.Value) any {
		close(done)
		return nil
	})
	defer onEnd.Release()
	xhr.Get("upload").Set("onprogress", onProgress)
	xhr.Set("onloadend", onEnd)
	xhr.Call("send", form)
	select {
	case <-done:
	case <-ctx.Done():
		xhr.Call("abort")
		<-done
		return 0, nil, ctx.Err()
	}
	status := xhr.Get("status").Int()
	if status == 0 {
		return 0, nil, errUploadFailed
	}
	return status, []byte(xhr.Get("responseText").String()), nil
}

// Check reads the file's first bytes and decides, as the server will,
// whether it is a kind of file the chat takes; it returns the content's
// MIME type, or a *protocol.Error with CodeFileType.
func (a Attachment) Check(ctx context.Context) (string, error) {
	read := make(chan app.Value, 1)
	failed := make(chan struct{}, 1)
	onRead := app.FuncOf(func(_ app.Value, args []app.Value) any {
		read <- args[0]
		return nil
	})
	onFail := app.FuncOf(func(app.Value, []app.Value) any {
		failed <- struct{}{}
		return nil
	})
	release := func() {
		onRead.Release()
		onFail.Release()
	}
	a.body.file.Call("slice", 0, protocol.SniffBytes).Call("arrayBuffer").Call("then", onRead, onFail)
	select {
	case buffer := <-read:
		release()
		head := make([]byte, buffer.Get("byteLength").Int())
		app.CopyBytesToGo(head, app.Window().Get("Uint8Array").New(buffer))
		return protocol.AcceptFile(a.Name, head, a.Type)
	case <-failed:
		release()
		return "", errUploadFailed
	case <-ctx.Done():
		// The functions stay until the read settles, which calls one.
		go func() {
			select {
			case <-read:
			case <-failed:
			}
			release()
		}()
		return "", ctx.Err()
	}
}
