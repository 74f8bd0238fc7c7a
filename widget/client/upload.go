package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/parleychat/parley/protocol"
)

// Attachment is a file the visitor picked, dropped or pasted: the browser's
// File object in the widget (see Attachments), bytes in Go programs and
// tests (see NewAttachment).
type Attachment struct {
	Name string
	Size int64
	// Type is the MIME type the browser reports for it, a hint; the
	// content decides (see protocol.AcceptFile and Check).
	Type string
	body attachmentBody
}

// FileType is the file_type a shared file is announced with; its Type is
// the content's, once checked.
func (a Attachment) FileType() string {
	if strings.HasPrefix(a.Type, "image/") {
		return protocol.FileImage
	}
	return protocol.FileAttachment
}

// Upload sends an attachment with the Upload File method, reporting its
// progress, and returns what the server answered. It stops when ctx ends.
// Share the file afterwards by sending a chat_session_file event with the
// file_id: only then does anyone see it.
func (s *Session) Upload(ctx context.Context, a Attachment, progress func(sent, total int64)) (protocol.UploadedFile, error) {
	url := strings.TrimRight(s.cfg.BaseURL, "/") + protocol.PathFiles
	status, data, err := a.send(ctx, url, s.credentials().Authorization(), progress)
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
