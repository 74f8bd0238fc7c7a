package chat

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/parleychat/parley/protocol"
)

// MaxFileBytes is the largest file the API takes.
const MaxFileBytes = protocol.MaxFileBytes

// Errors of Upload that are about the uploaded body; the server gives them
// their API codes.
var (
	// ErrFileTooLarge: the file is over MaxFileBytes.
	ErrFileTooLarge = fmt.Errorf("the file is over the limit of %d MB", MaxFileBytes>>20)
	// ErrUploadBody: the body ended or failed before the file was whole;
	// the error wraps what reading it returned.
	ErrUploadBody = errors.New("the upload was cut short")
)

// Upload stores a file that party shares in the chat, read from body, and
// returns it. It reads at most MaxFileBytes and refuses more with
// ErrFileTooLarge, a body it cannot read to the end with ErrUploadBody
// (wrapping why), a party's file beyond MaxFiles with
// CodeRateLimited, and a file that is not of a kind the chat takes with
// CodeFileType: the widget decides the same way before it uploads (see
// protocol.AcceptFile). The content type comes from the bytes and the
// name; hint, the type the client reported, counts only for a name without
// an extension.
func (s *Service) Upload(ctx context.Context, chatID, partyID, name, hint string, body io.Reader) (File, error) {
	c, err := s.Chat(ctx, chatID)
	if err != nil {
		return File{}, err
	}
	if c.State.Over() {
		return File{}, protocol.Errorf(protocol.CodeChatNotFound, "chat %s has ended", chatID)
	}
	n, err := s.store.CountFiles(ctx, chatID, partyID)
	if err != nil {
		return File{}, fmt.Errorf("counting files: %w", err)
	}
	if n >= s.MaxFiles {
		return File{}, protocol.Errorf(protocol.CodeRateLimited, "%d files is the most one party may share in a chat", s.MaxFiles)
	}
	limited := &limitedReader{r: body, left: MaxFileBytes}
	var head [protocol.SniffBytes]byte
	sniffed, _ := io.ReadFull(limited, head[:])
	if limited.err != nil {
		return File{}, uploadError(limited.err)
	}
	name = cleanFileName(name)
	contentType, err := protocol.AcceptFile(name, head[:sniffed], hint)
	if err != nil {
		return File{}, err
	}
	f := File{
		ID:          newFileID(),
		ChatID:      chatID,
		PartyID:     partyID,
		Name:        name,
		ContentType: contentType,
		Created:     s.Now(),
	}
	if err := s.store.PutFile(ctx, f, io.MultiReader(bytes.NewReader(head[:sniffed]), limited)); err != nil {
		if limited.err != nil {
			return File{}, uploadError(limited.err)
		}
		return File{}, protocol.Errorf(protocol.CodeFileIO, "the file could not be stored")
	}
	return s.fileMeta(ctx, chatID, f.ID)
}

// OpenFile returns a file of the chat with its bytes, or a protocol error
// with CodeFileNotFound: also when the file belongs to another chat.
func (s *Service) OpenFile(ctx context.Context, chatID, fileID string) (File, io.ReadSeekCloser, error) {
	f, body, err := s.store.OpenFile(ctx, chatID, fileID)
	if errors.Is(err, ErrNotFound) {
		return File{}, nil, protocol.Errorf(protocol.CodeFileNotFound, "file %s not found in this chat", fileID)
	}
	if err != nil {
		return File{}, nil, protocol.Errorf(protocol.CodeFileIO, "reading file %s: %v", fileID, err)
	}
	return f, body, nil
}

// OpenFileByID returns the file with the id, of whichever chat, with its
// bytes, or a protocol error with CodeFileNotFound. The id is the right to
// the file here: 128 random bits that only the chat's parties have seen.
func (s *Service) OpenFileByID(ctx context.Context, fileID string) (File, io.ReadSeekCloser, error) {
	f, body, err := s.store.OpenFileByID(ctx, fileID)
	if errors.Is(err, ErrNotFound) {
		return File{}, nil, protocol.Errorf(protocol.CodeFileNotFound, "file %s not found", fileID)
	}
	if err != nil {
		return File{}, nil, protocol.Errorf(protocol.CodeFileIO, "reading file %s: %v", fileID, err)
	}
	return f, body, nil
}

func (s *Service) fileMeta(ctx context.Context, chatID, fileID string) (File, error) {
	f, body, err := s.OpenFile(ctx, chatID, fileID)
	if err != nil {
		return File{}, err
	}
	body.Close()
	return f, nil
}

// checkFile makes sure a chat_session_file names a file of this chat, and
// fills in the name and type it was uploaded with when the event has none.
func (s *Service) checkFile(ctx context.Context, chatID string, e protocol.Event) error {
	fe, ok := e.(*protocol.File)
	if !ok {
		return nil
	}
	f, err := s.fileMeta(ctx, chatID, fe.FileID)
	if err != nil {
		return err
	}
	if fe.FileName == "" {
		fe.FileName = f.Name
	}
	if fe.FileType == "" {
		fe.FileType = protocol.FileAttachment
		if IsImage(f.ContentType) {
			fe.FileType = protocol.FileImage
		}
	}
	return nil
}

// IsImage reports whether browsers may show a file of this type inline: a
// raster image. SVG is not one, since it can carry script.
func IsImage(contentType string) bool {
	switch contentType {
	case "image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp":
		return true
	}
	return false
}

// cleanFileName keeps a file's base name, without directories or control
// characters, and at most protocol.MaxNameBytes long with its extension.
func cleanFileName(name string) string {
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, name)
	name = path.Base(strings.ReplaceAll(name, `\`, "/"))
	if name == "." || name == "/" || name == "" {
		name = "file"
	}
	// Too long, the name loses the end of its stem, never its extension,
	// which says what the file is.
	ext := path.Ext(name)
	if len(ext) > protocol.MaxNameBytes/2 {
		ext = ""
	}
	stem := name[:len(name)-len(ext)]
	for len(stem)+len(ext) > protocol.MaxNameBytes {
		_, size := utf8.DecodeLastRuneInString(stem)
		stem = stem[:len(stem)-size]
	}
	return stem + ext
}

// limitedReader reads the upload up to MaxFileBytes and remembers why
// reading it failed, so a failed upload is blamed on the right side: the
// client's body or the server's disk.
type limitedReader struct {
	r    io.Reader
	left int64
	err  error
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		var probe [1]byte
		if n, _ := l.r.Read(probe[:]); n > 0 {
			l.err = ErrFileTooLarge
			return 0, l.err
		}
		return 0, io.EOF
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if err != nil && !errors.Is(err, io.EOF) {
		l.err = err
	}
	return n, err
}

// uploadError is the error of an upload whose body could not be read.
func uploadError(err error) error {
	if errors.Is(err, ErrFileTooLarge) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrUploadBody, err)
}
