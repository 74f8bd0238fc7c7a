package server

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parleychat/parley/app/chat"
)

// webDir writes files into a temporary web directory; a name ending in .br
// or .gz is written an hour after the others unless it starts with "old-".
func webDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	base := time.Now().Add(-2 * time.Hour)
	for name, body := range files {
		stamp := base
		if strings.HasSuffix(name, ".br") || strings.HasSuffix(name, ".gz") {
			stamp = base.Add(time.Hour)
		}
		if after, ok := strings.CutPrefix(name, "old-"); ok {
			name, stamp = after, base.Add(-time.Hour)
		}
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, stamp, stamp); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestAssetsServeTheSmallestCopyTheClientTakes(t *testing.T) {
	t.Parallel()
	dir := webDir(t, map[string]string{
		"widget.js": "loader", "widget.js.br": "BR", "widget.js.gz": "GZ",
		"app.wasm": "\x00asm", "app.wasm.gz": "GZ",
		"widget.css": "css", "old-widget.css.br": "stale",
	})
	srv, err := New(Config{WebDir: dir}, chat.NewService(chat.NewMemoryStore()))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, path, accept string
		body, encoding     string
		contentType        string
		cache              string
	}{
		{"brotli first", "/widget.js", "gzip, deflate, br, zstd", "BR", "br", "text/javascript; charset=utf-8", cacheLoader},
		{"gzip when brotli is refused", "/widget.js", "gzip, br;q=0", "GZ", "gzip", "text/javascript; charset=utf-8", cacheLoader},
		{"identity when nothing is taken", "/widget.js", "", "loader", "", "text/javascript; charset=utf-8", cacheLoader},
		{"the wasm type", "/widget/web/app.wasm", "br", "\x00asm", "", "application/wasm", cacheRevalidate},
		{"gzip wasm", "/widget/web/app.wasm", "gzip", "GZ", "gzip", "application/wasm", cacheRevalidate},
		{"a stale copy is ignored", "/widget/web/widget.css", "br", "css", "", "text/css; charset=utf-8", cacheRevalidate},
		{"a versioned URL is immutable", srv.assets.versioned(widgetPrefix+"/web/", "widget.css"), "", "css", "", "text/css; charset=utf-8", cacheImmutable},
		{"an old version is revalidated", "/widget/web/widget.css?v=0123456789abcdef", "", "css", "", "text/css; charset=utf-8", cacheRevalidate},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(http.MethodGet, tc.path, nil)
			req.Header.Set("Accept-Encoding", tc.accept)
			w := httptest.NewRecorder()
			srv.ServeHTTP(w, req)
			h := w.Header()
			if w.Code != http.StatusOK || w.Body.String() != tc.body || h.Get("Content-Encoding") != tc.encoding ||
				h.Get("Content-Type") != tc.contentType || h.Get("Cache-Control") != tc.cache {
				t.Errorf("got %d %q encoding %q type %q cache %q", w.Code, w.Body, h.Get("Content-Encoding"), h.Get("Content-Type"), h.Get("Cache-Control"))
			}
			if tc.path == "/widget.js" && h.Get("Vary") != "Accept-Encoding" {
				t.Errorf("Vary = %q, want Accept-Encoding", h.Get("Vary"))
			}

			again := httptest.NewRequest(http.MethodGet, tc.path, nil)
			again.Header.Set("Accept-Encoding", tc.accept)
			again.Header.Set("If-None-Match", h.Get("ETag"))
			w = httptest.NewRecorder()
			srv.ServeHTTP(w, again)
			if w.Code != http.StatusNotModified {
				t.Errorf("revalidating with ETag %s got %d, want 304", h.Get("ETag"), w.Code)
			}
		})
	}
}

func TestTheWidgetDocumentIsPrerendered(t *testing.T) {
	t.Parallel()
	dir := webDir(t, map[string]string{"widget.css": "css", "app.wasm": "\x00asm"})
	srv, err := New(Config{WebDir: dir}, chat.NewService(chat.NewMemoryStore()))
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		return w
	}
	page := get("/widget/?app=demo&host=https%3A%2F%2Fshop.example")
	body := page.Body.String()
	for _, want := range []string{
		`data-testid="chat"`, `data-connection="starting"`, "Connecting…", `data-testid="composer-input"`,
		srv.assets.versioned(widgetPrefix+"/web/", "widget.css"), `src="/widget/app.js"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the document lacks %s:\n%s", want, body)
		}
	}
	if page.Code != http.StatusOK || page.Header().Get("ETag") != `"`+srv.assets.files[wasmFile].hash+`"` {
		t.Errorf("document: %d, ETag %s; want 200 with the wasm's hash as its version", page.Code, page.Header().Get("ETag"))
	}
	// The worker is ours, filled in: it keeps the wasm and passes the chat
	// API by.
	worker := get("/widget/app-worker.js").Body.String()
	for _, want := range []string{`"app-" + "` + srv.assets.files[wasmFile].hash + `"`, `"/widget/web/app.wasm"`, `request.method !== "GET"`} {
		if !strings.Contains(worker, want) {
			t.Errorf("the service worker lacks %s:\n%s", want, worker)
		}
	}
	if strings.Contains(worker, "{{") {
		t.Errorf("the service worker has a blank left:\n%s", worker)
	}
	for path, status := range map[string]int{
		"/widget":              http.StatusTemporaryRedirect,
		"/widget/app.js":       http.StatusOK,
		"/widget/wasm_exec.js": http.StatusOK,
		"/widget/robots.txt":   http.StatusNotFound,
		"/widget/web/nothing":  http.StatusNotFound,
	} {
		if got := get(path).Code; got != status {
			t.Errorf("GET %s = %d, want %d", path, got, status)
		}
	}
}

func TestAcceptsEncoding(t *testing.T) {
	t.Parallel()
	cases := []struct {
		header, coding string
		want           bool
	}{
		{"br", "br", true},
		{"gzip, deflate, br, zstd", "br", true},
		{"GZIP", "gzip", true},
		{"br;q=0", "br", false},
		{"br; q=0.000", "br", false},
		{"br;q=0.5", "br", true},
		{"brotli", "br", false},
		{"", "gzip", false},
	}
	for _, tc := range cases {
		if got := acceptsEncoding(tc.header, tc.coding); got != tc.want {
			t.Errorf("acceptsEncoding(%q, %q) = %v, want %v", tc.header, tc.coding, got, tc.want)
		}
	}
}
