package parleytest

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime"
	"mime/multipart"
	"net/http"

	"github.com/parleychat/parley/protocol"
)

// uploadFile takes the first part of a multipart body that carries a file,
// whatever its form field is called ("file" in the documents,
// "file-upload-input" in Bright Pattern's own clients).
func (bp *BrightPattern) uploadFile(w http.ResponseWriter, r *http.Request, c *call) {
	_, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || params["boundary"] == "" {
		bp.fail(w, c, protocol.CodeBadRequest, "the upload must be multipart/form-data with a boundary")
		return
	}
	mr := multipart.NewReader(bytes.NewReader(c.rec.Body), params["boundary"])
	for {
		part, err := mr.NextPart()
		if err != nil {
			bp.fail(w, c, protocol.CodeBadRequest, "the upload has no file part")
			return
		}
		if part.FileName() == "" {
			continue
		}
		content, err := io.ReadAll(io.LimitReader(part, protocol.MaxFileBytes+1))
		if err != nil {
			bp.fail(w, c, protocol.CodeBadRequest, "the file part is broken: %v", err)
			return
		}
		if len(content) > protocol.MaxFileBytes {
			bp.fail(w, c, protocol.CodeUploadTooLarge, "the file is over %d bytes", protocol.MaxFileBytes)
			return
		}
		f := &BrightPatternFile{
			ID: protocol.NewUUID(), Name: part.FileName(), ContentType: part.Header.Get("Content-Type"),
			Content: content, Owner: c.creds,
		}
		if f.ContentType == "" {
			f.ContentType = http.DetectContentType(content)
		}
		bp.mu.Lock()
		bp.keepFile(f)
		bp.touch()
		bp.mu.Unlock()
		bp.replyJSON(w, c, protocol.UploadedFile{FileID: f.ID, FileName: f.Name})
		return
	}
}

// getFile serves a file to the chat's client: one it uploaded itself, or
// one an agent shared in the chat.
func (bp *BrightPattern) getFile(w http.ResponseWriter, r *http.Request, c *call) {
	bp.mu.Lock()
	chat := bp.ownChat(c, r.PathValue("chatId"))
	f := bp.fileLocked(r.PathValue("fileId"))
	bp.mu.Unlock()
	switch {
	case chat == nil:
		bp.fail(w, c, protocol.CodeChatNotFound, "chat %s not found", r.PathValue("chatId"))
	case f == nil || (f.Owner != c.creds && f.ChatID != chat.ID):
		bp.fail(w, c, protocol.CodeFileNotFound, "file %s not found", r.PathValue("fileId"))
	default:
		bp.reply(w, c, http.StatusOK, f.ContentType, f.Content)
	}
}

// profilePhoto serves the photo of an agent that joined the chat.
func (bp *BrightPattern) profilePhoto(w http.ResponseWriter, r *http.Request, c *call) {
	bp.mu.Lock()
	chat := bp.ownChat(c, r.PathValue("chatId"))
	agent := chat != nil && chat.parties[r.PathValue("partyId")] == protocol.PartyInternal
	bp.mu.Unlock()
	switch {
	case chat == nil:
		bp.fail(w, c, protocol.CodeChatNotFound, "chat %s not found", r.PathValue("chatId"))
	case !agent:
		bp.fail(w, c, protocol.CodeFileNotFound, "party %s has no photo in this chat", r.PathValue("partyId"))
	default:
		bp.reply(w, c, http.StatusOK, "image/png", bp.photo)
	}
}

// drawProfilePhoto draws the one photo every agent of the fake has: a small
// square PNG.
func drawProfilePhoto() []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 16, 16))
	for y := range 16 {
		for x := range 16 {
			img.Set(x, y, color.NRGBA{R: 0x1f, G: 0x5f, B: 0xd1, A: 0xff})
		}
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img) // encoding to memory does not fail
	return b.Bytes()
}
