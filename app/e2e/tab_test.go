package e2e

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"github.com/parleychat/parley/app/parleytest/browser"
)

// launcher selects the loader's button inside its shadow root.
var launcher = browser.Launcher

// tab is one browser tab of a test: a JavaScript exception in any target
// it watches fails the test when it ends.
type tab struct {
	t   *testing.T
	ctx context.Context
	*browser.Tab
}

// openTab opens url in a new tab that closes when the test ends.
func openTab(t *testing.T, url string) *tab {
	t.Helper()
	return openTabWith(t, url)
}

// openPrivateTab is openTab in a browser context of the test's own, which
// goes when the test ends and takes every connection of its pages and
// service workers with it. Otherwise Chromium keeps idle and preconnected
// sockets open, and the test's servers wait for them when they stop (Go's
// http.Server gives a connection that never sent a request 5 seconds).
func openPrivateTab(t *testing.T, url string) *tab {
	t.Helper()
	return openTabWith(t, url, chromedp.WithNewBrowserContext())
}

// openTabWith opens url in a new tab made with opts.
func openTabWith(t *testing.T, url string, opts ...chromedp.ContextOption) *tab {
	t.Helper()
	tb, _ := openTabIn(t, chromium.Ctx, url, opts...)
	return tb
}

// openTabIn opens url in a new tab of the browser (context) of parent, made
// with opts, for a minute at the most; close closes it, as the visitor
// does, and the test's end does.
func openTabIn(t *testing.T, parent context.Context, url string, opts ...chromedp.ContextOption) (tb *tab, close func()) {
	t.Helper()
	bt, cancel := browser.NewTab(parent, opts...)
	ctx, cancelTimeout := context.WithTimeout(bt.Ctx, 60*time.Second)
	bt.Ctx = ctx
	tb = &tab{t: t, ctx: ctx, Tab: bt}
	t.Cleanup(func() {
		for _, e := range bt.Exceptions() {
			t.Errorf("JavaScript exception: %s", e)
		}
	})
	t.Cleanup(cancel)
	t.Cleanup(cancelTimeout)
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("opening %s: %v", url, err)
	}
	return tb, cancel
}

// frame attaches to the cross-site iframe of the tab whose URL starts with
// prefix.
func (tb *tab) frame(prefix string) context.Context {
	tb.t.Helper()
	ctx, err := tb.Frame(tb.ctx, prefix, nil)
	if err != nil {
		tb.t.Fatal(err)
	}
	return ctx
}

// frameOtherThan is frame for an iframe that replaced the target old.
func (tb *tab) frameOtherThan(prefix string, old target.ID) context.Context {
	tb.t.Helper()
	ctx, err := tb.Frame(tb.ctx, prefix, func(id target.ID) bool { return id == old })
	if err != nil {
		tb.t.Fatal(err)
	}
	return ctx
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
