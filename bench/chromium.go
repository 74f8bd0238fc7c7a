package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/performance"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"github.com/parleychat/parley/app/parleytest/browser"
)

// startBrowser starts the harness's Chromium (a profile of its own,
// loopback only), its log filtered of what is not the benchmark's.
func startBrowser(ctx context.Context) (*browser.Browser, error) {
	return browser.Start(ctx, chromedp.WithErrorf(func(format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		// The bare sessions of hook are not chromedp's: it finds no
		// executor for them when they end. And an iframe target has no
		// top-level frame of its own when chromedp attaches to it.
		if strings.HasPrefix(msg, "executor for") && strings.HasSuffix(msg, "doesn't exist") ||
			msg == "received DOM.documentUpdated when there's no top-level frame" {
			return
		}
		logf("chromedp: %s", msg)
	}))
}

// widgetFrames lists the chat windows of the tab.
func widgetFrames(tab context.Context, chatURL string) ([]*target.Info, error) {
	return browser.Frames(tab, chatURL+"/widget/")
}

// attachWindow attaches to the chat window as soon as it exists, and
// starts script in it first (see hook).
func attachWindow(ctx context.Context, tab context.Context, chatURL, script string) (context.Context, error) {
	for {
		frames, err := widgetFrames(tab, chatURL)
		if err != nil {
			return nil, err
		}
		if len(frames) > 0 {
			if err := hook(ctx, tab, frames[0].TargetID, script); err != nil {
				return nil, fmt.Errorf("starting the script in the chat window: %w", err)
			}
			// The window's context ends with the tab's.
			frame, _ := chromedp.NewContext(tab, chromedp.WithTargetID(frames[0].TargetID))
			if err := chromedp.Do(frame); err != nil {
				return nil, fmt.Errorf("attaching to the chat window: %w", err)
			}
			return frame, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("no chat window appeared: %w", ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// hook starts script in the window over a bare session of its own: three
// calls to the browser, where chromedp's attach enables a dozen domains one
// after the other while the window boots, too late for a warm window. The
// script is evaluated in the document there is, and added to the next one,
// in case the target came before its document; scripts made with keep run
// once in each document however often they are started.
func hook(ctx context.Context, tab context.Context, id target.ID, script string) error {
	b := chromedp.FromContext(tab).Browser
	var attached struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.Call(ctx, "Target.attachToTarget", map[string]any{"targetId": id, "flatten": false}, &attached); err != nil {
		return err
	}
	for i, m := range []map[string]any{
		{"method": "Page.addScriptToEvaluateOnNewDocument", "params": map[string]any{"source": script}},
		{"method": "Runtime.evaluate", "params": map[string]any{"expression": script}},
	} {
		m["id"] = i + 1
		msg, err := json.Marshal(m)
		if err != nil {
			return err
		}
		if err := b.Call(ctx, "Target.sendMessageToTarget", map[string]any{"sessionId": attached.SessionID, "message": string(msg)}, nil); err != nil {
			return err
		}
	}
	return nil
}

// keep is a script that keeps the promise, started once, in window.name.
func keep(name, promise string) string {
	return "window." + name + " = window." + name + " || " + promise
}

// jsHeap reads the window's JavaScript heap. The Go program's heap lives in
// the wasm linear memory, which these figures leave out.
func jsHeap(frame context.Context) (used, total float64, err error) {
	if _, err := chromedp.Call(frame, performance.Enable, performance.EnableParams{}); err != nil {
		return 0, 0, err
	}
	res, err := chromedp.Call(frame, performance.GetMetrics, cdp.Empty{})
	if err != nil {
		return 0, 0, err
	}
	for _, m := range res.Metrics {
		switch m.Name {
		case "JSHeapUsedSize":
			used = m.Value
		case "JSHeapTotalSize":
			total = m.Value
		}
	}
	return used, total, nil
}
