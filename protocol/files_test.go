package protocol_test

import (
	"errors"
	"testing"

	"github.com/parleychat/parley/protocol"
)

var (
	pngHead  = "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
	jpegHead = "\xff\xd8\xff\xe0\x00\x10JFIF\x00"
	webpHead = "RIFF\x24\x00\x00\x00WEBPVP8 "
	zipHead  = "PK\x03\x04\x14\x00\x00\x00\x08\x00"
	oleHead  = "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00"
	pdfHead  = "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
	exeHead  = "MZ\x90\x00\x03\x00\x00\x00\x04\x00"
)

func TestAcceptFile(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, file, head, hint string
		want                   string // the content type; "" for a refusal
	}{
		{"a zip as Windows reports it", "manual.zip", zipHead, "application/x-zip-compressed", "application/zip"},
		{"the same zip as others report it", "manual.zip", zipHead, "application/zip", "application/zip"},
		{"a zip with no type at all", "manual.ZIP", zipHead, "", "application/zip"},
		{"a docx, a zip inside", "offer.docx", zipHead, "application/octet-stream", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
		{"an xls, an OLE file", "prices.xls", oleHead, "application/vnd.ms-excel", "application/vnd.ms-excel"},
		{"a PNG", "photo.png", pngHead, "image/png", "image/png"},
		{"a JPEG named .jpg with a wrong type", "photo.jpg", jpegHead, "image/png", "image/jpeg"},
		{"a PNG saved as .jpg", "photo.jpg", pngHead, "image/jpeg", "image/png"},
		{"a WebP", "photo.webp", webpHead, "", "image/webp"},
		{"a PDF", "receipt.pdf", pdfHead, "application/pdf", "application/pdf"},
		{"a CSV that Windows calls a spreadsheet", "orders.csv", "id;name\n1;Zelt \xfc\n", "application/vnd.ms-excel", "text/plain; charset=utf-8"},
		{"an empty text file", "empty.txt", "", "text/plain", "text/plain; charset=utf-8"},
		{"UTF-16 text", "notes.txt", "\xff\xfeh\x00i\x00", "text/plain", "text/plain; charset=utf-16"},
		{"a pasted picture without a name's extension", "image", pngHead, "image/png", "image/png"},
		{"a program named .zip", "manual.zip", exeHead, "application/zip", ""},
		{"a program", "setup.exe", exeHead, "application/x-msdownload", ""},
		{"a zip named .exe", "setup.exe", zipHead, "application/zip", ""},
		{"a page", "page.html", "<!doctype html><script>", "text/html", ""},
		{"an SVG, which can carry script", "logo.svg", "<svg xmlns=", "image/svg+xml", ""},
		{"a PDF named .png", "photo.png", pdfHead, "image/png", ""},
		{"text named .pdf", "receipt.pdf", "hello", "application/pdf", ""},
		{"no extension and a type not taken", "blob", zipHead, "application/java-archive", ""},
		{"no extension and no type", "blob", pngHead, "", ""},
		{"binary bytes named .txt", "notes.txt", "a\x00b", "text/plain", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := protocol.AcceptFile(tc.file, []byte(tc.head), tc.hint)
			if tc.want == "" {
				var perr *protocol.Error
				if !errors.As(err, &perr) || perr.Code != protocol.CodeFileType {
					t.Fatalf("AcceptFile(%q) = %q, %v; want error %s", tc.file, got, err, protocol.CodeFileType)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("AcceptFile(%q) = %q, %v; want %q", tc.file, got, err, tc.want)
			}
		})
	}
}

func TestFileExtensions(t *testing.T) {
	t.Parallel()
	exts := protocol.FileExtensions()
	if len(exts) != 15 || exts[0] != ".csv" || exts[len(exts)-1] != ".zip" {
		t.Errorf("FileExtensions() = %v", exts)
	}
}

func FuzzAcceptFile(f *testing.F) {
	for _, seed := range []string{pngHead, zipHead, oleHead, pdfHead, exeHead, "hello", ""} {
		f.Add("file.zip", []byte(seed), "application/zip")
	}
	f.Fuzz(func(t *testing.T, name string, head []byte, hint string) {
		contentType, err := protocol.AcceptFile(name, head, hint)
		if (err == nil) == (contentType == "") {
			t.Fatalf("AcceptFile(%q, %q, %q) = %q, %v", name, head, hint, contentType, err)
		}
	})
}
