package server

import (
	"errors"
	"fmt"
	"hash/fnv"
	"html"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode"

	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/protocol"
)

// uploadFile is Upload File: a multipart body whose first file part, under
// any field name, is shared in the caller's active chat.
func (s *Server) uploadFile(w http.ResponseWriter, r *http.Request) {
	c, err := s.callersChat(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	f, err := s.receiveFile(w, r, c.ID, c.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, protocol.UploadedFile{FileID: f.ID, FileName: f.Name})
}

// receiveFile stores the first file part of a multipart request.
func (s *Server) receiveFile(w http.ResponseWriter, r *http.Request, chatID, partyID string) (chat.File, error) {
	// Room for the multipart headers around the largest file.
	r.Body = http.MaxBytesReader(w, r.Body, chat.MaxFileBytes+64<<10)
	parts, err := r.MultipartReader()
	if err != nil {
		return chat.File{}, protocol.Errorf(protocol.CodeBadRequest, "the body is not multipart/form-data: %v", err)
	}
	for {
		part, err := parts.NextPart()
		if errors.Is(err, io.EOF) {
			return chat.File{}, protocol.Errorf(protocol.CodeBadRequest, "the body has no file part")
		}
		if err != nil {
			return chat.File{}, fmt.Errorf("%w: reading the multipart body: %w", chat.ErrUploadBody, err)
		}
		if part.FileName() == "" {
			continue
		}
		return s.chats.Upload(r.Context(), chatID, partyID, part.FileName(), part.Header.Get("Content-Type"), part)
	}
}

// downloadFile is Get File. The caller shows it owns the chat with its
// Authorization header, or, for a browser's image or link, with the chat's
// token in the query or the WebChat visitor's cookie.
func (s *Server) downloadFile(w http.ResponseWriter, r *http.Request) {
	c, err := s.anyChat(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	serveFile(w, r, s.chats, c.ID, r.PathValue("fileId"), s.writeError)
}

// fileByID is the file URL the Android SDK builds, /clientweb/file/{fileId},
// and hands to the app, which loads it as an image with no header: the
// file's id, 128 random bits only the chat's parties have seen, is the
// right to it. With an Authorization header, the file must also be of the
// caller's chat.
func (s *Server) fileByID(w http.ResponseWriter, r *http.Request) {
	f, body, err := s.chats.OpenFileByID(r.Context(), r.PathValue("fileId"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer body.Close()
	if r.Header.Get("Authorization") != "" {
		creds, err := s.credentials(w, r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		c, err := s.chats.Chat(r.Context(), f.ChatID)
		if err != nil || c.AppID != creds.AppID || c.ClientID != creds.ClientID {
			s.writeError(w, r, protocol.Errorf(protocol.CodeFileNotFound, "file %s not found", f.ID))
			return
		}
	}
	sendFile(w, r, f, body)
}

// serveFile answers with a chat's file. Only raster images are shown
// inline; everything else downloads, and a sandbox policy keeps a file that
// pretends to be a page from running anything.
func serveFile(w http.ResponseWriter, r *http.Request, chats Chats, chatID, fileID string, fail func(http.ResponseWriter, *http.Request, error)) {
	f, body, err := chats.OpenFile(r.Context(), chatID, fileID)
	if err != nil {
		fail(w, r, err)
		return
	}
	defer body.Close()
	sendFile(w, r, f, body)
}

// sendFile answers with an open file.
func sendFile(w http.ResponseWriter, r *http.Request, f chat.File, body io.ReadSeeker) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "private, max-age=31536000, immutable")
	disposition := "attachment"
	if chat.IsImage(f.ContentType) {
		h.Set("Content-Type", f.ContentType)
		disposition = "inline"
	} else {
		h.Set("Content-Type", "application/octet-stream")
	}
	h.Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": f.Name}))
	http.ServeContent(w, r, "", f.Created, body)
}

// profilePhoto is Get Agent Profile Photo: the tenant's photo of an agent
// who joined the chat, or, when there is none, one Parley draws: the
// party's initials on a colour of its own.
func (s *Server) profilePhoto(w http.ResponseWriter, r *http.Request) {
	c, err := s.anyChat(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	party, err := s.party(r, c.ID, r.PathValue("partyId"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if contentType, photo, err := s.contact.ProfilePhoto(r.Context(), c.ID, party.PartyID); err == nil {
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; sandbox")
		w.Header().Set("Cache-Control", "private, max-age=3600")
		_, _ = w.Write(photo)
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
	w.Header().Set("Cache-Control", "private, max-age=3600")
	_, _ = io.WriteString(w, avatar(party.Name(), party.PartyID))
}

// party finds who joined the chat as partyID.
func (s *Server) party(r *http.Request, chatID, partyID string) (*protocol.PartyJoined, error) {
	for after := uint64(0); ; {
		page, err := s.chats.History(r.Context(), chatID, after, 500)
		if err != nil {
			return nil, err
		}
		if len(page) == 0 {
			return nil, protocol.Errorf(protocol.CodeFileNotFound, "no party %s in this chat", partyID)
		}
		for _, e := range page {
			if p, ok := e.(*protocol.PartyJoined); ok && p.PartyID == partyID {
				return p, nil
			}
		}
		after = page[len(page)-1].EventMeta().Seq
	}
}

// avatar draws initials in a circle, coloured by the party id.
func avatar(name, partyID string) string {
	var initials []rune
	for _, word := range strings.Fields(name) {
		if r := []rune(word)[0]; unicode.IsLetter(r) && len(initials) < 2 {
			initials = append(initials, unicode.ToUpper(r))
		}
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(partyID))
	hue := h.Sum32() % 360
	return fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><circle cx="32" cy="32" r="32" fill="hsl(%d,45%%,38%%)"/>`+
		`<text x="32" y="41" font-family="system-ui,sans-serif" font-size="26" font-weight="600" fill="#fff" text-anchor="middle">%s</text></svg>`,
		hue, html.EscapeString(string(initials)))
}
