package browser

import (
	"context"
	"fmt"
	"os"

	"github.com/chromedp/chromedp"
)

// Chromium is Debian's package; the tests never download a browser.
const Chromium = "/usr/bin/chromium"

// Options are the flags of a Chromium with its profile in profile:
// headless, without sandbox, GPU or QUIC, at a desktop window's size, with
// a fake camera and microphone that pages get without a prompt, and
// resolving no host but the loopback ones.
func Options(profile string) []chromedp.ExecAllocatorOption {
	return append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(Chromium),
		chromedp.UserDataDir(profile),
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

// Browser is a Chromium process with a profile of its own.
type Browser struct {
	// Ctx is the browser's first tab; chromedp.NewContext(Ctx) opens
	// more (see NewTab).
	Ctx     context.Context
	cancel  context.CancelFunc
	profile string
}

// Start runs Chromium until Close or until ctx ends; opts go to its first
// tab's context (chromedp.WithErrorf, say).
func Start(ctx context.Context, opts ...chromedp.ContextOption) (*Browser, error) {
	if _, err := os.Stat(Chromium); err != nil {
		return nil, fmt.Errorf("%s is missing; ./build.sh installs it (apt-get install chromium)", Chromium)
	}
	profile, err := os.MkdirTemp("", "parley-chromium-")
	if err != nil {
		return nil, err
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, Options(profile)...)
	bctx, cancelBrowser := chromedp.NewContext(allocCtx, opts...)
	b := &Browser{Ctx: bctx, profile: profile, cancel: func() { cancelBrowser(); cancelAlloc() }}
	if err := chromedp.Do(bctx); err != nil {
		b.Close()
		return nil, fmt.Errorf("starting Chromium: %w", err)
	}
	return b, nil
}

// Close ends the browser process, which cancelling its allocator waits
// for, and removes its profile.
func (b *Browser) Close() {
	b.cancel()
	os.RemoveAll(b.profile)
}
