// Command precompress writes a brotli (.br) and a gzip (.gz) copy of each
// compressible file in the directories it is given, at the highest levels,
// so the server sends the smallest bytes without compressing on every
// request. A copy newer than its file is kept.
//
//	go run ./app/precompress web
package main

import (
	"compress/gzip"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/andybalholm/brotli"
)

// compressible lists the extensions worth compressing; images are already
// compressed.
var compressible = map[string]bool{".wasm": true, ".js": true, ".css": true, ".html": true, ".svg": true, ".json": true}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: precompress DIR...")
		os.Exit(2)
	}
	for _, dir := range os.Args[1:] {
		if err := filepath.WalkDir(dir, visit); err != nil {
			fmt.Fprintln(os.Stderr, "precompress:", err)
			os.Exit(1)
		}
	}
}

func visit(path string, d fs.DirEntry, err error) error {
	if err != nil || d.IsDir() || !compressible[strings.ToLower(filepath.Ext(path))] {
		return err
	}
	info, err := d.Info()
	if err != nil {
		return err
	}
	for _, c := range []struct {
		ext  string
		with func(io.Writer) io.WriteCloser
	}{
		{".br", func(w io.Writer) io.WriteCloser { return brotli.NewWriterLevel(w, brotli.BestCompression) }},
		{".gz", func(w io.Writer) io.WriteCloser { z, _ := gzip.NewWriterLevel(w, gzip.BestCompression); return z }},
	} {
		if copied, err := os.Stat(path + c.ext); err == nil && copied.ModTime().After(info.ModTime()) {
			continue
		}
		if err := compress(path, path+c.ext, c.with); err != nil {
			return err
		}
	}
	return nil
}

// compress writes the compressed copy to a temporary file first, so a
// server never reads half a copy.
func compress(src, dst string, with func(io.Writer) io.WriteCloser) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.CreateTemp(filepath.Dir(dst), ".precompress-*")
	if err != nil {
		return err
	}
	defer os.Remove(out.Name())
	w := with(out)
	if _, err := io.Copy(w, in); err != nil {
		out.Close()
		return err
	}
	if err := w.Close(); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	if err := os.Chmod(out.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(out.Name(), dst)
}
