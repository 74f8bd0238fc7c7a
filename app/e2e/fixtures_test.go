package e2e

import (
	"bufio"
	"bytes"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// makePNG is a small real PNG: a red and blue picture of w×h pixels.
func makePNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.RGBA{R: 200, G: 40, B: 40, A: 255}
			if x > w/2 {
				c = color.RGBA{R: 30, G: 80, B: 200, A: 255}
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// tinyPDF is a tiny but well-formed PDF.
var tinyPDF = []byte("%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n" +
	"trailer<</Root 1 0 R>>\n%%EOF\n")

// tempFile writes a file named name in a directory of the test and
// returns its path.
func tempFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// fetchURL fetches a URL the window shows, with no credentials of the
// browser: the URL itself must carry the right to it.
func fetchURL(t *testing.T, u string) []byte {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatalf("downloading %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("downloading %s: %s %v", u, resp.Status, err)
	}
	return body
}

// splitLines splits text into lines, for transcripts.
func splitLines(text string) []string {
	var lines []string
	s := bufio.NewScanner(strings.NewReader(text))
	for s.Scan() {
		lines = append(lines, s.Text())
	}
	return lines
}
