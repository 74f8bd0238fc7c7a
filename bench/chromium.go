package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/performance"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// chromium is Debian's package, as the browser tests use it.
const chromium = "/usr/bin/chromium"

// browser is a headless Chromium with a profile of its own.
type browser struct {
	ctx     context.Context
	cancel  context.CancelFunc
	profile string
}

func startBrowser(ctx context.Context) (*browser, error) {
	profile, err := os.MkdirTemp("", "parley-bench-chromium-")
	if err != nil {
		return nil, err
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.UserDataDir(profile),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.WindowSize(1280, 800),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		// Nothing leaves the machine: every host but the loopback ones fails.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelBrowser := chromedp.NewContext(allocCtx, chromedp.WithErrorf(func(format string, args ...any) {
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
	b := &browser{ctx: bctx, profile: profile, cancel: func() { cancelBrowser(); cancelAlloc() }}
	if err := chromedp.Do(bctx); err != nil {
		b.close()
		return nil, fmt.Errorf("starting Chromium: %w", err)
	}
	return b, nil
}

// close ends the browser process, which cancelling its allocator waits for,
// and removes its profile.
func (b *browser) close() {
	b.cancel()
	os.RemoveAll(b.profile)
}

// widgetFrames lists the chat windows of the tab: cross-site iframes, which
// Chromium runs as targets of their own.
func widgetFrames(tab context.Context, chatURL string) ([]*target.Info, error) {
	infos, err := chromedp.Targets(tab)
	if err != nil {
		return nil, err
	}
	parent := chromedp.FromContext(tab).Target.TargetID
	var frames []*target.Info
	for _, info := range infos {
		if info.Type == "iframe" && strings.HasPrefix(info.URL, chatURL+"/widget/") && (info.ParentID == "" || info.ParentID == parent) {
			frames = append(frames, info)
		}
	}
	return frames, nil
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
