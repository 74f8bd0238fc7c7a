package e2e

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/parleychat/parley/app/parleytest"
)

// TestWidgetFaultsLoseNothing is app/parley's TestFaultsLoseNothing with
// the real widget in Chromium: visitors in windows of their own type and
// send while the agents write back, through a network that cuts, tears,
// stalls and loses answers at random (seeded: see parleytest.Seed), to the
// parley program, killed with SIGKILL and started again twice, whose disk
// refuses writes for a moment. Every message shows once and in order on
// the other side and is stored once, in order. ./build.sh test runs 10
// chats of 40 messages each way; PARLEY_LONG=1 runs 20 of 100, 2,000 each
// way.
func TestWidgetFaultsLoseNothing(t *testing.T) {
	chats, messages, lifetime := 10, 40, 4*time.Minute
	if parleytest.Long() {
		chats, messages, lifetime = 20, 100, 12*time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), lifetime)
	defer cancel()
	binary, err := parleytest.BuildProgram(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	prog := parleytest.StartProgram(t, binary, t.TempDir(), "-config", parleytest.NoIdleTimers(t))
	network := parleytest.StartNetwork(t, prog.Addr())
	page := servePage(t, network.URL(), "", "")
	visitors := make([]*windowVisitor, chats)
	for i := range visitors {
		tb := openTabFor(t, page, lifetime, chromedp.WithNewBrowserContext())
		visitors[i] = &windowVisitor{w: tb.openWindow(network.URL())}
	}

	report := parleytest.Faults{
		Program: prog,
		Network: network,
		Chaos:   parleytest.FaultChaos(parleytest.Seed(t)),
		Traffic: parleytest.TrafficConfig{
			Chats: chats, Messages: messages, Every: 500 * time.Millisecond,
			Open: func(_ context.Context, i int) (parleytest.VisitorSide, error) { return visitors[i], nil },
		},
		Restarts: 2,
		DiskFull: time.Second,
	}.Run(ctx, t)
	t.Logf("the widget in Chromium: %v", report)
	if !report.Traffic.Clean() {
		for _, trouble := range report.Traffic.Troubles {
			t.Error(trouble)
		}
		t.Errorf("messages went wrong: %v", report.Traffic)
	}
	visitors[0].w.tab.screenshot("faults-after")
}

// windowVisitor is a visitor in the widget's window, typing as a person
// does who pastes a line and presses Enter.
type windowVisitor struct {
	w *chatWindow

	mu     sync.Mutex
	failed []string
}

func (v *windowVisitor) ChatID() string { return v.w.chatID }

// Say puts text in the composer and submits it, as Enter does.
func (v *windowVisitor) Say(text string) error {
	js := fmt.Sprintf(`(() => {
		document.querySelector("[data-testid=composer-input]").value = %s;
		document.querySelector("[data-testid=composer]").requestSubmit();
	})()`, jsString(text))
	_, err := chromedp.Run(v.w.frame, chromedp.Evaluate[chromedp.Void](js))
	return err
}

// Heard reads the agent's messages the window shows, in order.
func (v *windowVisitor) Heard() []string {
	texts, err := chromedp.Run(v.w.frame, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll("[data-testid=message][data-from=agent] .parley-text")].map(e => e.textContent)`))
	if err != nil {
		v.trouble(fmt.Sprintf("reading the window: %v", err))
	}
	return texts
}

// Troubles lists the visitor's messages the window marks as not sent, and a
// window whose chat ended or failed.
func (v *windowVisitor) Troubles() []string {
	state, err := chromedp.Run(v.w.frame, chromedp.Evaluate[[]string](`[
		document.querySelector("[data-testid=chat]").dataset.connection,
		...[...document.querySelectorAll("[data-testid=message][data-from=visitor][data-status=failed] .parley-text")].map(e => "not sent: " + e.textContent),
	]`))
	if err != nil {
		v.trouble(fmt.Sprintf("reading the window: %v", err))
	}
	if len(state) > 0 {
		if conn := state[0]; conn == "ended" || conn == "failed" {
			v.trouble("the window's connection is " + conn)
		}
		for _, s := range state[1:] {
			v.trouble(s)
		}
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]string(nil), v.failed...)
}

func (v *windowVisitor) trouble(s string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.failed = append(v.failed, strings.TrimSpace(s))
}
