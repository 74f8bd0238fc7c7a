package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/andybalholm/brotli"
)

// goAppVersion is the go-app the widget is built with; the floor uses the
// same.
const goAppVersion = "v10.1.11"

// floorProgram is the least a go-app program can be: one component that
// renders a heading, routed and run in the browser.
const floorProgram = `package main

import "github.com/maxence-charriere/go-app/v10/pkg/app"

type hello struct{ app.Compo }

func (h *hello) Render() app.UI { return app.H1().Text("Hello") }

func main() {
	app.Route("/", func() app.Composer { return &hello{} })
	app.RunWhenOnBrowser()
}
`

// The widget before calls (issue 14): web/app.wasm built as build.sh builds
// it at 3715f6c (issue 12's widget as components, main's server, which the
// call panel is drawn on), with Go 1.26.8, and compressed by precompress,
// so the table shows what calls cost.
const (
	beforeCallsRaw    = 8641980
	beforeCallsGzip   = 2290173
	beforeCallsBrotli = 1659587
	beforeCallsLabel  = "web/app.wasm before calls (3715f6c, built the same way)"
)

// Published figures of other chat widgets, for the bytes a page pays.
const (
	chatwootPageLoad   = 407e3 // Chatwoot 4.13, gzip, on page load
	rocketChatPageLoad = 486e3 // Rocket.Chat Livechat 1.13, gzip, on page load
	publishedLoaderLow = 3e3   // their loaders, gzip
	publishedLoaderHi  = 10e3
)

// sizeSuite weighs the widget and its loader as built, next to the
// smallest go-app program built the same way.
func sizeSuite(ctx context.Context, cfg config) ([]row, error) {
	wasmPath := filepath.Join(cfg.web, "app.wasm")
	wasm, err := os.ReadFile(wasmPath)
	if err != nil {
		return nil, fmt.Errorf("%v (build it with ./build.sh bench)", err)
	}
	wasmGz, err := precompressed(wasmPath, ".gz", wasm, gzip9)
	if err != nil {
		return nil, err
	}
	wasmBr, err := precompressed(wasmPath, ".br", wasm, brotli11)
	if err != nil {
		return nil, err
	}
	logf("size: building the floor, a minimal go-app %s program", goAppVersion)
	floor, err := buildFloor(ctx)
	if err != nil {
		return nil, fmt.Errorf("building the floor: %w", err)
	}
	logf("size: compressing the floor (gzip -9, brotli 11)")
	floorGz, err := gzip9(floor)
	if err != nil {
		return nil, err
	}
	floorBr, err := brotli11(floor)
	if err != nil {
		return nil, err
	}
	loader, err := os.ReadFile(filepath.Join(cfg.web, "widget.js"))
	if err != nil {
		return nil, err
	}
	loaderGz, err := gzip9(loader)
	if err != nil {
		return nil, err
	}
	floorLabel := "minimal go-app " + goAppVersion + " program, built the same way"
	return []row{
		{Figure: "web/app.wasm, raw", Value: float64(len(wasm)), Unit: "B", Ref: new(float64(len(floor))), RefLabel: floorLabel},
		{Figure: "web/app.wasm, gzip -9", Value: float64(len(wasmGz)), Unit: "B", Ref: new(float64(len(floorGz))), RefLabel: floorLabel},
		{Figure: "web/app.wasm, brotli 11", Value: float64(len(wasmBr)), Unit: "B", Ref: new(float64(len(floorBr))), RefLabel: floorLabel},
		{Figure: "web/app.wasm with calls, raw", Value: float64(len(wasm)), Unit: "B", Ref: new(float64(beforeCallsRaw)), RefLabel: beforeCallsLabel},
		{Figure: "web/app.wasm with calls, gzip -9", Value: float64(len(wasmGz)), Unit: "B", Ref: new(float64(beforeCallsGzip)), RefLabel: beforeCallsLabel},
		{Figure: "web/app.wasm with calls, brotli 11", Value: float64(len(wasmBr)), Unit: "B", Ref: new(float64(beforeCallsBrotli)), RefLabel: beforeCallsLabel},
		{Figure: "web/widget.js (the loader), raw", Value: float64(len(loader)), Unit: "B"},
		{Figure: "web/widget.js (the loader), gzip -9", Value: float64(len(loaderGz)), Unit: "B",
			Ref: new(publishedLoaderLow), RefHigh: new(publishedLoaderHi), RefLabel: "Chatwoot and Rocket.Chat loaders, gzip (published)"},
	}, nil
}

// precompressed returns the build's compressed copy of a file (path+ext),
// or compresses it here when the copy is missing or older than the file.
func precompressed(path, ext string, body []byte, compress func([]byte) ([]byte, error)) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if c, err := os.Stat(path + ext); err == nil && !c.ModTime().Before(info.ModTime()) {
		return os.ReadFile(path + ext)
	}
	logf("size: %s%s is missing or stale; compressing in memory", path, ext)
	return compress(body)
}

// buildFloor builds floorProgram for js/wasm as build.sh builds the widget.
func buildFloor(ctx context.Context) ([]byte, error) {
	dir, err := goAppModule(floorProgram)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if err := goBuild(ctx, dir, "floor.wasm", true); err != nil {
		return nil, err
	}
	return os.ReadFile(filepath.Join(dir, "floor.wasm"))
}

// goAppModule writes main.go into a temporary module that requires the
// widget's go-app and takes the repository's go.sum, so the module cache
// is all its build needs; the caller removes the directory.
func goAppModule(main string) (dir string, err error) {
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	sum, err := os.ReadFile(filepath.Join(filepath.Dir(strings.TrimSpace(string(gomod))), "go.sum"))
	if err != nil {
		return "", err
	}
	dir, err = os.MkdirTemp("", "parley-bench-floor-")
	if err != nil {
		return "", err
	}
	files := map[string]string{
		"go.mod":  "module floor\n\ngo 1.26\n\nrequire github.com/maxence-charriere/go-app/v10 " + goAppVersion + "\n",
		"go.sum":  string(sum),
		"main.go": main,
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			os.RemoveAll(dir)
			return "", err
		}
	}
	return dir, nil
}

// goBuild builds the module in dir into out, for js/wasm as build.sh
// builds the widget when wasm is true, else for this machine.
func goBuild(ctx context.Context, dir, out string, wasm bool) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, ".")
	cmd.Dir = dir
	// -mod=mod completes go.mod with go-app's own requirements; GOPROXY=off
	// keeps the build to the module cache, and the benchmark off the
	// network.
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off", "GOTOOLCHAIN=local")
	if wasm {
		cmd.Env = append(cmd.Env, "GOOS=js", "GOARCH=wasm")
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%v\n%s", err, out)
	}
	return nil
}

func gzip9(data []byte) ([]byte, error) {
	var buf bytes.Buffer
	w, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(data); err != nil {
		return nil, err
	}
	err = w.Close()
	return buf.Bytes(), err
}

func brotli11(data []byte) ([]byte, error) {
	var buf bytes.Buffer
	w := brotli.NewWriterLevel(&buf, brotli.BestCompression)
	if _, err := w.Write(data); err != nil {
		return nil, err
	}
	err := w.Close()
	return buf.Bytes(), err
}
