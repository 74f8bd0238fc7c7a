package widget

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/parleychat/parley/protocol"
)

// Attachment is a file the visitor picked, dropped or pasted: the browser's
// File object in the widget, bytes in Go programs and tests.
type Attachment struct {
	Name string
	Size int64
	// Type is the MIME type the browser reports for it.
	Type string
	file app.Value
	data []byte
}

// NewAttachment returns an attachment of bytes.
func NewAttachment(name, contentType string, data []byte) Attachment {
	return Attachment{Name: name, Size: int64(len(data)), Type: contentType, data: data}
}

// attachments reads a browser FileList, from a file input, a drop or a
// paste.
func attachments(list app.Value) []Attachment {
	if !list.Truthy() {
		return nil
	}
	var out []Attachment
	for i := range list.Get("length").Int() {
		f := list.Call("item", i)
		out = append(out, Attachment{Name: f.Get("name").String(), Size: int64(f.Get("size").Float()), Type: f.Get("type").String(), file: f})
	}
	return out
}

// acceptedTypes are the kinds of file the widget sends: pictures,
// documents and archives, never pages or programs.
var acceptedTypes = map[string]bool{
	"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true,
	"application/pdf": true, "text/plain": true, "text/csv": true, "application/zip": true,
	"application/msword": true, "application/vnd.openxmlformats-officedocument.wordprocessingml.document": true,
	"application/vnd.ms-excel": true, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": true,
	"application/vnd.oasis.opendocument.text": true, "application/vnd.oasis.opendocument.spreadsheet": true,
}

// problem says why the attachment cannot be sent, in the visitor's words,
// or "" when it can.
func (a Attachment) problem(tx *Texts) string {
	switch {
	case a.Size > protocol.MaxFileBytes:
		return fmt.Sprintf(tx.FileTooLarge, a.Name, protocol.MaxFileBytes>>20)
	case !acceptedTypes[strings.ToLower(a.Type)]:
		return fmt.Sprintf(tx.FileType, a.Name)
	}
	return ""
}

// fileType is the file_type a shared file is announced with.
func (a Attachment) fileType() string {
	if strings.HasPrefix(a.Type, "image/") {
		return protocol.FileImage
	}
	return protocol.FileAttachment
}

// errUploadFailed is an upload the network lost.
var errUploadFailed = errors.New("the upload failed")

// Upload sends an attachment with the Upload File method, reporting its
// progress, and returns what the server answered. It stops when ctx ends.
// Share the file afterwards by sending a chat_session_file event with the
// file_id: only then does anyone see it.
func (s *Session) Upload(ctx context.Context, a Attachment, progress func(sent, total int64)) (protocol.UploadedFile, error) {
	url := strings.TrimRight(s.cfg.BaseURL, "/") + protocol.PathFiles
	auth := s.cfg.Credentials.Authorization()
	var status int
	var data []byte
	var err error
	if a.file != nil {
		status, data, err = uploadFromBrowser(ctx, url, auth, a, progress)
	} else {
		status, data, err = uploadBytes(ctx, url, auth, a)
	}
	if err != nil {
		return protocol.UploadedFile{}, err
	}
	if status != http.StatusOK {
		if perr := protocol.DecodeError(data); perr != nil {
			return protocol.UploadedFile{}, perr
		}
		return protocol.UploadedFile{}, fmt.Errorf("uploading: HTTP status %d", status)
	}
	var up protocol.UploadedFile
	if err := json.Unmarshal(data, &up); err != nil || up.FileID == "" {
		return protocol.UploadedFile{}, fmt.Errorf("uploading: the answer %.100q has no file_id", data)
	}
	return up, nil
}

func uploadBytes(ctx context.Context, url, auth string, a Attachment) (int, []byte, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	header := textproto.MIMEHeader{}
	header.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, a.Name))
	header.Set("Content-Type", a.Type)
	part, err := mw.CreatePart(header)
	if err == nil {
		_, err = part.Write(a.data)
	}
	if err == nil {
		err = mw.Close()
	}
	if err != nil {
		return 0, nil, err
	}
	return request(ctx, http.MethodPost, url, map[string]string{"Authorization": auth, "Content-Type": mw.FormDataContentType()}, body.Bytes())
}

// uploadFromBrowser sends the File with XMLHttpRequest, the one browser API
// that reports an upload's progress; the bytes never pass through Go.
func uploadFromBrowser(ctx context.Context, url, auth string, a Attachment, progress func(sent, total int64)) (int, []byte, error) {
	xhr := app.Window().Get("XMLHttpRequest").New()
	xhr.Call("open", "POST", url)
	xhr.Call("setRequestHeader", "Authorization", auth)
	form := app.Window().Get("FormData").New()
	form.Call("append", "file", a.file, a.Name)
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
