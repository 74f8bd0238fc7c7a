package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// assets holds the browser files of the web directory in memory, each with
// its brotli and gzip copies when the build made them.
type assets struct {
	files map[string]*asset
}

type compressedCopy struct {
	body    []byte
	modTime time.Time
}

type asset struct {
	name        string
	contentType string
	hash        string
	modTime     time.Time
	body        []byte
	brotli      []byte
	gzip        []byte
}

// Cache lifetimes. A URL that names the file's content hash never changes,
// so browsers keep it for a year; any other URL is revalidated by ETag.
const (
	cacheImmutable  = "public, max-age=31536000, immutable"
	cacheRevalidate = "no-cache"
	// cacheLoader lets a host page's next views skip even the revalidation
	// for a few minutes: the loader's URL is fixed in every embedding page.
	cacheLoader = "public, max-age=300"
)

// loadAssets reads every file under dir. A file named x.br or x.gz is the
// compressed copy of x, not a file of its own.
func loadAssets(dir string) (*assets, error) {
	a := &assets{files: map[string]*asset{}}
	compressed := map[string]compressedCopy{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		name := filepath.ToSlash(rel)
		body, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if strings.HasSuffix(name, ".br") || strings.HasSuffix(name, ".gz") {
			compressed[name] = compressedCopy{body, info.ModTime()}
			return nil
		}
		sum := sha256.Sum256(body)
		contentType := mime.TypeByExtension(path.Ext(name))
		if contentType == "" {
			contentType = http.DetectContentType(body)
		}
		a.files[name] = &asset{name: name, contentType: contentType, hash: hex.EncodeToString(sum[:8]), modTime: info.ModTime(), body: body}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("loading the web directory: %w", err)
	}
	for name, c := range compressed {
		f, ok := a.files[name[:len(name)-3]]
		if !ok || c.modTime.Before(f.modTime) {
			continue // a copy older than its file would serve old content
		}
		if strings.HasSuffix(name, ".br") {
			f.brotli = c.body
		} else {
			f.gzip = c.body
		}
	}
	return a, nil
}

// versioned returns the URL path of a file under base with its content hash,
// which serve answers with a year-long cache lifetime.
func (a *assets) versioned(base, name string) string {
	if f, ok := a.files[name]; ok {
		return base + name + "?v=" + f.hash
	}
	return base + name
}

// serve answers with the named file, compressed if the client takes it.
// cacheControl applies unless the URL carries the file's content hash.
func (a *assets) serve(w http.ResponseWriter, r *http.Request, name, cacheControl string) {
	f, ok := a.files[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if r.URL.Query().Get("v") == f.hash {
		cacheControl = cacheImmutable
	}
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("Cache-Control", cacheControl)
	h.Set("X-Content-Type-Options", "nosniff")
	body, etag := f.body, f.hash
	if f.brotli != nil || f.gzip != nil {
		h.Add("Vary", "Accept-Encoding")
		switch accepts := r.Header.Get("Accept-Encoding"); {
		case f.brotli != nil && acceptsEncoding(accepts, "br"):
			body, etag = f.brotli, f.hash+"-br"
			h.Set("Content-Encoding", "br")
		case f.gzip != nil && acceptsEncoding(accepts, "gzip"):
			body, etag = f.gzip, f.hash+"-gz"
			h.Set("Content-Encoding", "gzip")
		}
	}
	h.Set("ETag", `"`+etag+`"`)
	http.ServeContent(w, r, "", f.modTime, bytes.NewReader(body))
}

// acceptsEncoding reports whether an Accept-Encoding header value takes the
// coding with a non-zero quality.
func acceptsEncoding(header, coding string) bool {
	for part := range strings.SplitSeq(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), coding) {
			continue
		}
		q, found := strings.CutPrefix(strings.ReplaceAll(params, " ", ""), "q=")
		return !found || (q != "0" && q != "0.0" && q != "0.00" && q != "0.000")
	}
	return false
}
