package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/parleychat/parley/app/parleytest/browser"
)

// jsString is s as a JavaScript string literal.
func jsString(s string) string { return browser.JSString(s) }

// evalJS evaluates a JavaScript expression in ctx, failing the test if it
// throws.
func evalJS[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluating %s: %v", js, err)
	}
	return v
}

// evalAwait evaluates an expression that gives a promise, and returns what
// the promise resolves to.
func evalAwait[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluating %s: %v", js, err)
	}
	return v
}

// waitJS waits until the expression is truthy, for 20 seconds at the most.
// It polls on a timer, not on animation frames, which a hidden window does
// not get.
func waitJS(t *testing.T, ctx context.Context, what, js string) {
	t.Helper()
	if err := browser.WaitJS(ctx, js, 20*time.Second); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// waitText waits until the first element matching css has exactly the text
// want.
func waitText(t *testing.T, ctx context.Context, css, want string) {
	t.Helper()
	js := fmt.Sprintf(`(() => { const e = document.querySelector(%s); return !!e && e.textContent === %s; })()`, jsString(css), jsString(want))
	if err := browser.WaitJS(ctx, js, 20*time.Second); err != nil {
		got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`(document.querySelector(%s) || {}).textContent || "(nothing)"`, jsString(css))))
		t.Fatalf("%s never read %q; it reads %q (%v)", css, want, got, err)
	}
}

// countIn is how many elements match css in ctx's document.
func countIn(t *testing.T, ctx context.Context, css string) int {
	t.Helper()
	return evalJS[int](t, ctx, fmt.Sprintf(`document.querySelectorAll(%s).length`, jsString(css)))
}

// textOf is the textContent of the first element matching css, "" if none.
func textOf(t *testing.T, ctx context.Context, css string) string {
	t.Helper()
	return evalJS[string](t, ctx, fmt.Sprintf(`(document.querySelector(%s) || {}).textContent || ""`, jsString(css)))
}

// allText are the textContents of every element matching css.
func allText(t *testing.T, ctx context.Context, css string) []string {
	t.Helper()
	return evalJS[[]string](t, ctx, fmt.Sprintf(`[...document.querySelectorAll(%s)].map(e => e.textContent)`, jsString(css)))
}

// attribute is the attribute name of the first element matching css.
func attribute(t *testing.T, ctx context.Context, css, name string) string {
	t.Helper()
	v, err := browser.Attribute(ctx, css, name)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// inShadow evaluates an expression on the loader's shadow root, bound to
// root.
func inShadow[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	return evalJS[T](t, ctx, `(() => { const root = document.querySelector("parley-widget").shadowRoot; return `+expr+`; })()`)
}
