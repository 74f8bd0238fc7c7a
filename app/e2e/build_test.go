package e2e

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/parleychat/parley/app/parleytest"
)

// root is the repository.
var root = filepath.Dir(parleytest.WebDir())

// ensureWasm builds web/app.wasm when it is missing or older than a source
// it is built from, so the browser never runs a stale widget.
func ensureWasm() error {
	wasm := filepath.Join(parleytest.WebDir(), "app.wasm")
	if fresh(wasm, "protocol", "widget", "app/parley", "go.mod", "go.sum") {
		return nil
	}
	fmt.Fprintln(os.Stderr, "e2e: building web/app.wasm")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", wasm, "./app/parley")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building web/app.wasm: %v\n%s", err, out)
	}
	return nil
}

// ensureLoader minifies web/widget.js from its readable source when it is
// missing or older than the source (./build.sh does it too).
func ensureLoader() error {
	if fresh(filepath.Join(parleytest.WebDir(), "widget.js"), "app/loader") {
		return nil
	}
	fmt.Fprintln(os.Stderr, "e2e: minifying web/widget.js")
	cmd := exec.Command("go", "run", "./app/loader", "web")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("minifying web/widget.js: %v\n%s", err, out)
	}
	return nil
}

// fresh reports whether the built file exists and is newer than every Go,
// JavaScript and go.* file under the sources, paths of the repository.
func fresh(built string, sources ...string) bool {
	info, err := os.Stat(built)
	if err != nil {
		return false
	}
	newer := false
	for _, dir := range sources {
		_ = filepath.WalkDir(filepath.Join(root, dir), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			source := strings.HasSuffix(p, ".go") || strings.HasSuffix(p, ".js") || strings.HasPrefix(d.Name(), "go.")
			if fi, err := d.Info(); err == nil && source && fi.ModTime().After(info.ModTime()) {
				newer = true
				return fs.SkipAll
			}
			return nil
		})
	}
	return !newer
}
