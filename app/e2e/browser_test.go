package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/parleychat/parley/app/parleytest"
)

// chromium is Debian's package; the tests never download a browser.
const chromium = "/usr/bin/chromium"

// browser is the one Chromium the package's tests share, a tab each.
var browser context.Context

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if _, err := os.Stat(chromium); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %s is missing; ./build.sh test installs it (apt-get install chromium)\n", chromium)
		return 1
	}
	if err := ensureWasm(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	if err := ensureAxe(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer func() {
		if callPageDir != "" {
			os.RemoveAll(callPageDir)
		}
	}()
	profile, err := os.MkdirTemp("", "parley-chromium-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(profile)
	opts := chromiumOptions(profile)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(allocCtx)
	defer cancel()
	if err := chromedp.Do(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: starting Chromium:", err)
		return 1
	}
	browser = ctx
	return m.Run()
}

// chromiumOptions start Chromium for the tests, with its profile in dir.
func chromiumOptions(dir string) []chromedp.ExecAllocatorOption {
	return append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.UserDataDir(dir),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.WindowSize(1280, 800),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		// Calls: a fake camera and microphone, taken without a prompt, and
		// their sound played without a click.
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		// Nothing leaves the machine: every host but the loopback ones fails.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"),
	)
}

// ensureWasm builds web/app.wasm when it is missing or older than a source
// it is built from, so the browser never runs a stale widget.
func ensureWasm() error {
	root := filepath.Dir(parleytest.WebDir())
	wasm := filepath.Join(parleytest.WebDir(), "app.wasm")
	if info, err := os.Stat(wasm); err == nil && !sourcesNewer(root, info.ModTime()) {
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

func sourcesNewer(root string, than time.Time) bool {
	newer := false
	for _, dir := range []string{"protocol", "widget", "app/parley", "go.mod", "go.sum"} {
		_ = filepath.WalkDir(filepath.Join(root, dir), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			if info, err := d.Info(); err == nil && (strings.HasSuffix(p, ".go") || strings.HasPrefix(d.Name(), "go.")) && info.ModTime().After(than) {
				newer = true
				return fs.SkipAll
			}
			return nil
		})
	}
	return newer
}

// tab is one browser tab of a test, with the console of every target it
// watches checked for JavaScript exceptions when the test ends.
type tab struct {
	t   *testing.T
	ctx context.Context

	mu         sync.Mutex
	exceptions []string
}

// openTab opens url in a new tab that closes when the test ends.
func openTab(t *testing.T, url string) *tab {
	t.Helper()
	return openTabWith(t, url)
}

// openTabWith opens url in a new tab made with opts; a JavaScript exception
// in it fails the test.
func openTabWith(t *testing.T, url string, opts ...chromedp.ContextOption) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, opts...)
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	tb := &tab{t: t, ctx: ctx}
	tb.watch(ctx)
	t.Cleanup(func() {
		tb.mu.Lock()
		defer tb.mu.Unlock()
		for _, e := range tb.exceptions {
			t.Errorf("JavaScript exception: %s", e)
		}
	})
	t.Cleanup(cancel)
	t.Cleanup(cancelTimeout)
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("opening %s: %v", url, err)
	}
	return tb
}

// watch records the exceptions of the target of ctx, and logs its console.
func (tb *tab) watch(ctx context.Context) {
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.IsException() {
				tb.mu.Lock()
				tb.exceptions = append(tb.exceptions, fmt.Sprintf("%s (%s:%d)", m.Text, m.URL, m.Line))
				tb.mu.Unlock()
			}
		}
	}()
}

// framesTaken are the iframe targets a tab attached to, so that two tabs on
// one page never take the same.
var framesTaken sync.Map

// frame attaches to the cross-site iframe of the tab whose URL starts with
// prefix: Chromium runs it in its own process, out of reach of the page's
// selectors.
func (tb *tab) frame(prefix string) context.Context {
	tb.t.Helper()
	own := chromedp.FromContext(tb.ctx).Target.TargetID
	for {
		infos, err := chromedp.Targets(tb.ctx)
		if err != nil {
			tb.t.Fatalf("listing targets: %v", err)
		}
		for _, info := range infos {
			if info.Type == "iframe" && strings.HasPrefix(info.URL, prefix) && (info.ParentID == "" || info.ParentID == own) {
				if _, taken := framesTaken.LoadOrStore(info.TargetID, true); taken {
					continue
				}
				ctx, cancel := chromedp.NewContext(tb.ctx, chromedp.WithTargetID(info.TargetID))
				tb.t.Cleanup(cancel)
				tb.watch(ctx)
				if err := chromedp.Do(ctx); err != nil {
					tb.t.Fatalf("attaching to the iframe: %v", err)
				}
				return ctx
			}
		}
		select {
		case <-tb.ctx.Done():
			tb.t.Fatalf("no iframe from %s appeared: %v", prefix, tb.ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// screenshot saves what a person would see of the tab as name.png in the
// artifacts directory.
func (tb *tab) screenshot(name string) {
	tb.t.Helper()
	// The chat window draws in its own process: give it a few frames to
	// reach the page's compositor, or the picture shows an older window.
	_ = chromedp.Do(tb.ctx, chromedp.Evaluate[chromedp.Void](`new Promise(r => setTimeout(r, 150))`, chromedp.EvalAwaitPromise))
	png, err := chromedp.Run(tb.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		tb.t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := os.Getenv("PARLEY_ARTIFACTS")
	if dir == "" {
		dir = "artifacts"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.t.Fatal(err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		tb.t.Fatal(err)
	}
	tb.t.Logf("screenshot: %s", path)
}

// waitText waits until the first element matching css has exactly the text
// want.
func waitText(t *testing.T, ctx context.Context, css, want string) {
	t.Helper()
	js := fmt.Sprintf(`(() => { const e = document.querySelector(%s); return !!e && e.textContent === %s; })()`, jsString(css), jsString(want))
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`(document.querySelector(%s) || {}).textContent || "(nothing)"`, jsString(css))))
		t.Fatalf("%s never read %q; it reads %q (%v)", css, want, got, err)
	}
}

// jsString is s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// launcher selects the loader's button inside its shadow root.
var launcher = chromedp.JSPath(`document.querySelector("parley-widget").shadowRoot.querySelector("[data-testid=launcher]")`)
