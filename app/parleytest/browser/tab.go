package browser

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/audits"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// Tab is a browser tab that records the JavaScript exceptions and the
// Content-Security-Policy violations of every target it watches: itself,
// and the frames it attaches to.
type Tab struct {
	// Ctx is the tab's; it ends when the tab closes.
	Ctx context.Context

	mu         sync.Mutex
	exceptions []string
	violations []string
}

// NewTab opens a tab of the browser of parent, made with opts (say
// chromedp.WithNewBrowserContext, for a tab with cookies, storage and
// connections of its own); cancel closes it.
func NewTab(parent context.Context, opts ...chromedp.ContextOption) (tab *Tab, cancel context.CancelFunc) {
	ctx, cancel := chromedp.NewContext(parent, opts...)
	tab = &Tab{Ctx: ctx}
	tab.Watch(ctx)
	return tab, cancel
}

// Watch records the exceptions of the target of ctx.
func (t *Tab) Watch(ctx context.Context) {
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.IsException() {
				t.mu.Lock()
				t.exceptions = append(t.exceptions, fmt.Sprintf("%s (%s:%d)", m.Text, m.URL, m.Line))
				t.mu.Unlock()
			}
		}
	}()
}

// WatchCSP records the Content-Security-Policy violations of the target of
// ctx, which must be running: the issues the browser raised for them (its
// issues domain hands over the ones raised before it was enabled too, as
// the log does not, so a frame attached after it loaded tells all).
func (t *Tab) WatchCSP(ctx context.Context) error {
	issues := chromedp.Events(ctx, audits.IssueAdded)
	if _, err := chromedp.Call(ctx, audits.Enable, cdp.Empty{}); err != nil {
		return fmt.Errorf("enabling the browser's issues: %w", err)
	}
	go func() {
		for ev, err := range issues {
			if err != nil {
				return
			}
			if ev.Issue == nil || ev.Issue.Code != audits.InspectorIssueCodeContentSecurityPolicyIssue || ev.Issue.Details == nil {
				continue
			}
			d := ev.Issue.Details.ContentSecurityPolicyIssueDetails
			if d == nil || d.IsReportOnly {
				continue
			}
			where := d.BlockedURL
			if d.SourceCodeLocation != nil {
				where += fmt.Sprintf(" at %s:%d", d.SourceCodeLocation.URL, d.SourceCodeLocation.LineNumber+1)
			}
			t.mu.Lock()
			t.violations = append(t.violations, fmt.Sprintf("%s of %s%s", d.ContentSecurityPolicyViolationType, d.ViolatedDirective, where))
			t.mu.Unlock()
		}
	}()
	return nil
}

// Violations are the Content-Security-Policy violations the tab's watched
// targets reported.
func (t *Tab) Violations() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.violations)
}

// Exceptions are the JavaScript exceptions the tab's targets threw.
func (t *Tab) Exceptions() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.exceptions)
}

// Frames lists the iframes of the tab whose URL starts with prefix:
// cross-site frames, which Chromium runs as targets of their own.
func Frames(tab context.Context, prefix string) ([]*target.Info, error) {
	infos, err := chromedp.Targets(tab)
	if err != nil {
		return nil, err
	}
	own := chromedp.FromContext(tab).Target.TargetID
	var frames []*target.Info
	for _, info := range infos {
		if info.Type == "iframe" && strings.HasPrefix(info.URL, prefix) && (info.ParentID == "" || info.ParentID == own) {
			frames = append(frames, info)
		}
	}
	return frames, nil
}

// taken are the frames some tab attached to, so that two tabs on one page
// never take the same.
var taken sync.Map

// Frame waits for an iframe of the tab whose URL starts with prefix and
// that skip does not refuse (nil takes any), attaches to it and watches
// it, until ctx ends. The frame's context ends with the tab's.
func (t *Tab) Frame(ctx context.Context, prefix string, skip func(target.ID) bool) (context.Context, error) {
	var lastErr error
	for {
		frames, err := Frames(t.Ctx, prefix)
		if err != nil {
			return nil, fmt.Errorf("listing targets: %w", err)
		}
		for _, info := range frames {
			if skip != nil && skip(info.TargetID) {
				continue
			}
			if _, was := taken.LoadOrStore(info.TargetID, true); was {
				continue
			}
			// An iframe the page just removed is still listed for a
			// moment, and attaching to it fails: its successor comes next.
			frame, cancel := chromedp.NewContext(t.Ctx, chromedp.WithTargetID(info.TargetID))
			t.Watch(frame)
			if lastErr = chromedp.Do(frame); lastErr != nil {
				cancel()
				continue
			}
			if lastErr = t.WatchCSP(frame); lastErr != nil {
				cancel()
				continue
			}
			return frame, nil
		}
		select {
		case <-ctx.Done():
			if lastErr != nil {
				return nil, fmt.Errorf("no iframe from %s could be attached: %w", prefix, lastErr)
			}
			return nil, fmt.Errorf("no iframe from %s appeared: %w", prefix, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}
