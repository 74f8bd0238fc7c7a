package protocol

import (
	"bytes"
	"path"
	"slices"
	"strings"
)

// SniffBytes is how many of a file's first bytes [AcceptFile] reads.
const SniffBytes = 512

// fileKind is what a file's first bytes show it to be.
type fileKind int

const (
	kindUnknown fileKind = iota
	kindImage
	kindPDF
	kindZip // also the container of .docx, .xlsx, .odt and .ods
	kindOLE // the container of .doc and .xls
	kindText
)

// extensionKinds are the file name extensions Parley takes, each with the
// kind its content must be. It is the whole list: pictures, documents and
// archives, never pages or programs.
var extensionKinds = map[string]fileKind{
	".png": kindImage, ".jpg": kindImage, ".jpeg": kindImage, ".gif": kindImage, ".webp": kindImage,
	".pdf": kindPDF,
	".zip": kindZip, ".docx": kindZip, ".xlsx": kindZip, ".odt": kindZip, ".ods": kindZip,
	".doc": kindOLE, ".xls": kindOLE,
	".txt": kindText, ".csv": kindText,
}

// hintKinds are the MIME types browsers report for the same files, among
// them the names one platform or another uses for the same kind
// (application/x-zip-compressed for a .zip on Windows). A file without an
// extension is judged by its type.
var hintKinds = map[string]fileKind{
	"image/png": kindImage, "image/jpeg": kindImage, "image/gif": kindImage, "image/webp": kindImage,
	"application/pdf": kindPDF,
	"application/zip": kindZip, "application/x-zip-compressed": kindZip, "application/x-zip": kindZip,
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document": kindZip,
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":       kindZip,
	"application/vnd.oasis.opendocument.text":                                 kindZip,
	"application/vnd.oasis.opendocument.spreadsheet":                          kindZip,
	"application/msword": kindOLE, "application/vnd.ms-excel": kindOLE,
	"text/plain": kindText, "text/csv": kindText,
}

// imageTypes are the pictures Parley takes, by their first bytes.
var imageTypes = []struct {
	magic, contentType string
}{
	{"\x89PNG\r\n\x1a\n", "image/png"},
	{"\xff\xd8\xff", "image/jpeg"},
	{"GIF87a", "image/gif"},
	{"GIF89a", "image/gif"},
}

// FileExtensions lists the extensions [AcceptFile] takes, sorted, for a
// file picker's accept attribute.
func FileExtensions() []string {
	exts := make([]string, 0, len(extensionKinds))
	for ext := range extensionKinds {
		exts = append(exts, ext)
	}
	slices.Sort(exts)
	return exts
}

// AcceptFile decides whether a file may be shared in a chat, the same way
// for the widget (before it uploads) and the server (when it stores). The
// content decides, with the name: head is the file's first [SniffBytes]
// bytes (or all of it, if shorter), and its kind must be a picture (PNG,
// JPEG, GIF, WebP), a PDF, a ZIP container, an OLE container or text, and
// the one its name's extension stands for (see [FileExtensions]). The MIME
// type the browser reported, hint, stands in for an extension only when
// the name has none: browsers differ in what they call the same file.
//
// It returns the content's MIME type, or an *Error with [CodeFileType].
func AcceptFile(name string, head []byte, hint string) (contentType string, err error) {
	kind, contentType := sniff(head)
	if kind == kindUnknown {
		return "", Errorf(CodeFileType, "%s is not a picture, a PDF, a document, an archive or text", name)
	}
	ext := strings.ToLower(path.Ext(name))
	want, named := extensionKinds[ext]
	if !named {
		if ext != "" {
			return "", Errorf(CodeFileType, "files named *%s are not taken", ext)
		}
		base, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(hint)), ";")
		if want, named = hintKinds[base]; !named {
			return "", Errorf(CodeFileType, "%s has neither an extension nor a type that is taken", name)
		}
	}
	if want != kind {
		return "", Errorf(CodeFileType, "the content of %s is not what its name says", name)
	}
	if kind == kindOLE || kind == kindZip {
		contentType = extensionTypes[ext]
	}
	if contentType == "" {
		contentType = "application/octet-stream"
	}
	return contentType, nil
}

// extensionTypes name the documents whose containers all look alike.
var extensionTypes = map[string]string{
	".zip":  "application/zip",
	".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	".odt":  "application/vnd.oasis.opendocument.text",
	".ods":  "application/vnd.oasis.opendocument.spreadsheet",
	".doc":  "application/msword",
	".xls":  "application/vnd.ms-excel",
}

// sniff tells a file's kind by its first bytes.
func sniff(head []byte) (fileKind, string) {
	for _, t := range imageTypes {
		if bytes.HasPrefix(head, []byte(t.magic)) {
			return kindImage, t.contentType
		}
	}
	switch {
	case len(head) >= 12 && string(head[:4]) == "RIFF" && string(head[8:12]) == "WEBP":
		return kindImage, "image/webp"
	case bytes.HasPrefix(head, []byte("%PDF-")):
		return kindPDF, "application/pdf"
	case bytes.HasPrefix(head, []byte("PK\x03\x04")), bytes.HasPrefix(head, []byte("PK\x05\x06")):
		return kindZip, "application/zip"
	case bytes.HasPrefix(head, []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")):
		return kindOLE, ""
	case bytes.HasPrefix(head, []byte("\xfe\xff")), bytes.HasPrefix(head, []byte("\xff\xfe")):
		return kindText, "text/plain; charset=utf-16"
	case isText(head):
		return kindText, "text/plain; charset=utf-8"
	}
	return kindUnknown, ""
}

// isText reports whether b holds none of the control bytes that never occur
// in text, as the WHATWG MIME sniffing standard defines "binary data bytes".
// Text in any 8-bit encoding passes: a spreadsheet's CSV is often not UTF-8.
func isText(b []byte) bool {
	for _, c := range b {
		if c <= 0x08 || c == 0x0b || (c >= 0x0e && c <= 0x1a) || (c >= 0x1c && c <= 0x1f) {
			return false
		}
	}
	return true
}
