package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// Launcher selects the loader's button, inside the shadow root of
// <parley-widget> on the host page.
var Launcher = chromedp.JSPath(`document.querySelector("parley-widget").shadowRoot.querySelector("[data-testid=launcher]")`)

// Window drives the chat window in its frame, as a visitor does.
type Window struct {
	// Ctx is the window's frame (see Tab.Frame).
	Ctx context.Context
}

// OpenWindow clicks the launcher of the tab's page, attaches to the window
// it opens from the chat server at server, and waits until the window is
// connected to its chat, until ctx ends.
func OpenWindow(ctx context.Context, tab *Tab, server string) (Window, error) {
	if err := chromedp.Do(tab.Ctx, chromedp.Click(Launcher)); err != nil {
		return Window{}, fmt.Errorf("clicking the launcher: %w", err)
	}
	frame, err := tab.Frame(ctx, server+"/widget/", nil)
	if err != nil {
		return Window{}, err
	}
	w := Window{Ctx: frame}
	return w, w.WaitVisible(ctx, `[data-testid=chat][data-connection=connected]`)
}

// bounded is the window's context, ending when ctx does.
func (w Window) bounded(ctx context.Context) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(w.Ctx)
	}
	return context.WithDeadline(w.Ctx, deadline)
}

// WaitVisible waits until the first element matching css is visible.
func (w Window) WaitVisible(ctx context.Context, css string) error {
	bctx, cancel := w.bounded(ctx)
	defer cancel()
	if err := chromedp.Do(bctx, chromedp.WaitVisible(chromedp.CSS(css))); err != nil {
		return fmt.Errorf("waiting for %s to show: %w", css, err)
	}
	return nil
}

// WaitGone waits until nothing matches css.
func (w Window) WaitGone(ctx context.Context, css string) error {
	bctx, cancel := w.bounded(ctx)
	defer cancel()
	if err := chromedp.Do(bctx, chromedp.WaitNotPresent(chromedp.CSS(css))); err != nil {
		return fmt.Errorf("waiting for %s to go: %w", css, err)
	}
	return nil
}

// Click clicks the first element matching css.
func (w Window) Click(css string) error {
	if err := chromedp.Do(w.Ctx, chromedp.Click(chromedp.CSS(css))); err != nil {
		return fmt.Errorf("clicking %s: %w", css, err)
	}
	return nil
}

// Type types text into the element as a person does, key by key.
func (w Window) Type(css, text string) error {
	if err := chromedp.Do(w.Ctx, chromedp.SendKeys(chromedp.CSS(css), text)); err != nil {
		return fmt.Errorf("typing into %s: %w", css, err)
	}
	return nil
}

// Say types a message into the composer and sends it with Enter.
func (w Window) Say(text string) error {
	if err := w.Type(`[data-testid=composer-input]`, text); err != nil {
		return err
	}
	return w.Press(Enter, 0)
}

// Key is a key to press.
type Key struct {
	Key, Code, Text string
	KeyCode         int64
}

// Keys for Press.
var (
	Enter  = Key{Key: "Enter", Code: "Enter", KeyCode: 13, Text: "\r"}
	TabKey = Key{Key: "Tab", Code: "Tab", KeyCode: 9}
	Escape = Key{Key: "Escape", Code: "Escape", KeyCode: 27}
)

// Shift is the Shift modifier of Press.
const Shift = 8

// Press presses a key in the window as a keyboard does: the key goes down
// with its text, so a page that cancels the keydown also cancels the
// character, then comes up. (Separate keyDown and char events, as
// chromedp.KeyEvent sends, would type the character anyway.)
func (w Window) Press(k Key, modifiers int64) error { return Press(w.Ctx, k, modifiers) }

// Press presses a key in the target of ctx (see Window.Press).
func Press(ctx context.Context, k Key, modifiers int64) error {
	for _, typ := range []input.DispatchKeyEventType{input.DispatchKeyEventTypeKeyDown, input.DispatchKeyEventTypeKeyUp} {
		params := input.DispatchKeyEventParams{Type: typ, Key: k.Key, Code: k.Code, Modifiers: modifiers,
			WindowsVirtualKeyCode: k.KeyCode, NativeVirtualKeyCode: k.KeyCode}
		if typ == input.DispatchKeyEventTypeKeyDown {
			params.Text, params.UnmodifiedText = k.Text, k.Text
		}
		if _, err := chromedp.Call(ctx, input.DispatchKeyEvent, params); err != nil {
			return fmt.Errorf("pressing %s: %w", k.Key, err)
		}
	}
	return nil
}

// SetField gives a form control a value the way the browser does when a
// person picks one (a date, an option): the value, then the event the
// window listens to.
func (w Window) SetField(css, value, event string) error {
	js := fmt.Sprintf(`(() => {
		const e = document.querySelector(%s);
		if (!e) return false;
		e.value = %s;
		e.dispatchEvent(new Event(%s, {bubbles: true}));
		return true;
	})()`, JSString(css), JSString(value), JSString(event))
	set, err := chromedp.Run(w.Ctx, chromedp.Evaluate[bool](js))
	switch {
	case err != nil:
		return fmt.Errorf("setting %s: %w", css, err)
	case !set:
		return fmt.Errorf("no %s to set", css)
	}
	return nil
}

// Attribute is the attribute name of the first element matching css in
// the target of ctx, which must have it.
func Attribute(ctx context.Context, css, name string) (string, error) {
	v, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(css), name))
	switch {
	case err != nil:
		return "", fmt.Errorf("reading %s of %s: %w", name, css, err)
	case !v.Exists:
		return "", fmt.Errorf("%s has no %s", css, name)
	}
	return v.Value, nil
}

// WaitJS waits until the expression is truthy in the target of ctx,
// polling on a timer, not on animation frames, which a hidden window does
// not get; bound is the longest wait.
func WaitJS(ctx context.Context, js string, bound time.Duration) error {
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](js,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(bound)))
	return err
}

// JSString is s as a JavaScript string literal.
func JSString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
