//go:build !js

package client

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"

	"github.com/parleychat/parley/protocol"
)

// attachmentBody is the file's bytes.
type attachmentBody struct{ data []byte }

// NewAttachment returns an attachment of bytes.
func NewAttachment(name, contentType string, data []byte) Attachment {
	return Attachment{Name: name, Size: int64(len(data)), Type: contentType, body: attachmentBody{data}}
}

// send uploads the bytes as a multipart body, all at once: Go programs and
// tests have no progress to show.
func (a Attachment) send(ctx context.Context, url, auth string, progress func(sent, total int64)) (int, []byte, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	header := textproto.MIMEHeader{}
	header.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, a.Name))
	header.Set("Content-Type", a.Type)
	part, err := mw.CreatePart(header)
	if err == nil {
		_, err = part.Write(a.body.data)
	}
	if err == nil {
		err = mw.Close()
	}
	if err != nil {
		return 0, nil, err
	}
	resp, err := request(ctx, http.MethodPost, url, map[string]string{"Authorization": auth, "Content-Type": mw.FormDataContentType()}, body.Bytes())
	if err == nil && progress != nil {
		progress(a.Size, a.Size)
	}
	return resp.status, resp.body, err
}

// Check decides, as the server will, whether the bytes are a kind of file
// the chat takes; it returns the content's MIME type, or a *protocol.Error
// with CodeFileType.
func (a Attachment) Check(context.Context) (string, error) {
	return protocol.AcceptFile(a.Name, a.body.data[:min(len(a.body.data), protocol.SniffBytes)], a.Type)
}
