package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/performance"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"github.com/coder/websocket"
	"github.com/parleychat/parley/protocol"
)

// chromium is Debian's package, as the browser tests use it.
const chromium = "/usr/bin/chromium"

const (
	historyMessages = 1000
	burstMessages   = 200
	// pageIdle is how long the host page must have made no request before
	// its bytes count as all it loads by itself.
	pageIdle = 2 * time.Second
)

// browserSuite opens the widget on the demo website in headless Chromium:
// cold (a fresh profile and browser process each run) and warm (one profile
// and process, a new tab each run), then renders a long history, takes a
// burst of agent messages, and reads the window's memory.
func browserSuite(ctx context.Context, cfg config) ([]row, error) {
	if _, err := os.Stat(chromium); err != nil {
		return nil, fmt.Errorf("%s is missing; ./build.sh bench installs it", chromium)
	}
	p, err := startParley(ctx, cfg.parley, cfg.web, true)
	if err != nil {
		return nil, err
	}
	defer p.stop()

	var cold, warm []*opening
	for i := range cfg.runs {
		logf("browser: cold open %d of %d", i+1, cfg.runs)
		o, err := coldOpen(ctx, p)
		if err != nil {
			return nil, fmt.Errorf("cold open %d: %w", i+1, err)
		}
		cold = append(cold, o)
	}

	b, err := startBrowser(ctx)
	if err != nil {
		return nil, err
	}
	defer b.close()
	logf("browser: warming a profile")
	first, err := b.open(ctx, p, interactive)
	if err != nil {
		return nil, fmt.Errorf("warming: %w", err)
	}
	first.close()
	for i := range cfg.runs {
		logf("browser: warm open %d of %d", i+1, cfg.runs)
		o, err := b.open(ctx, p, interactive)
		if err != nil {
			return nil, fmt.Errorf("warm open %d: %w", i+1, err)
		}
		warm = append(warm, o)
		if i < cfg.runs-1 {
			o.close()
		}
	}
	last := warm[len(warm)-1]
	logf("browser: a burst of %d agent messages", burstMessages)
	burst, err := last.burst(ctx, p)
	last.close()
	if err != nil {
		return nil, fmt.Errorf("burst: %w", err)
	}
	logf("browser: a history of %d messages", historyMessages)
	history, receipts, err := renderHistory(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	return append(openingRows(cold, warm, burst, history), row{
		Figure: fmt.Sprintf("history of %d: read receipts for them the server took (the visitor limit is 5/s, burst 20)", historyMessages),
		Value:  float64(receipts), Ref: new(float64(historyMessages)), RefLabel: "one per message shown",
	}), nil
}

// opening is what one open of the widget measured, and the tab and the
// chat window it left open.
type opening struct {
	// launcher: from the loader's responseEnd to the launcher in the DOM.
	launcher float64
	// paint and ready: from the click to the window's first contentful
	// paint, and to the moment the window's script until resolved (a
	// connected, enabled composer, say).
	paint, ready float64
	// document and wasm: from the click to the arrival of the window's
	// document and of the wasm.
	document, wasm float64
	// Bytes of the host page before the click: its own, the chat
	// server's, and the wasm among them; and the window's through the
	// first open.
	pageOwn, pageChat, wasmBeforeOpen, window float64
	// The service worker's own fetches, and the wasm among them, read
	// after a cold open.
	worker, workerWasm float64
	// longTasks is the time the window's main thread spent in tasks over
	// 50 ms until it had been quiet for a second; busyUntil is when the
	// last of them ended, from the click.
	longTasks, busyUntil float64
	heapUsed, heapTotal  float64
	// lateAttach says the window was ready before the benchmark could
	// attach to it: ready is then an upper bound.
	lateAttach bool

	tab, frame context.Context
	closeTab   context.CancelFunc
	chatID     string
	// wasmEntry tells how the wasm came: transferred, encoded and decoded.
	wasmEntry string
}

func (o *opening) close() { o.closeTab() }

// coldOpen opens the widget once in a new browser process with a fresh
// profile, nothing cached and no service worker yet, and reads what the
// service worker fetched once it is installed.
func coldOpen(ctx context.Context, p *parley) (*opening, error) {
	b, err := startBrowser(ctx)
	if err != nil {
		return nil, err
	}
	defer b.close()
	o, err := b.open(ctx, p, interactive)
	if err != nil {
		return nil, err
	}
	defer o.close()
	o.worker, o.workerWasm, err = workerTraffic(ctx, o.tab, p.url)
	return o, err
}

// workerTraffic reads the service worker's fetches of the chat server.
func workerTraffic(ctx, tab context.Context, chatURL string) (sum, wasm float64, err error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		infos, err := chromedp.Targets(tab)
		if err != nil {
			return 0, 0, err
		}
		for _, info := range infos {
			if info.Type != "service_worker" || !strings.HasPrefix(info.URL, chatURL+"/") {
				continue
			}
			worker, _ := chromedp.NewContext(tab, chromedp.WithTargetID(info.TargetID))
			worker, stop := context.WithTimeout(worker, 30*time.Second)
			defer stop()
			var got struct{ Sum, Wasm float64 }
			raw, err := chromedp.Run(worker, chromedp.Evaluate[[]byte](workerBytes, chromedp.EvalAwaitPromise))
			if err == nil {
				err = json.Unmarshal(raw, &got)
			}
			return got.Sum, got.Wasm, err
		}
		select {
		case <-ctx.Done():
			return 0, 0, fmt.Errorf("no service worker of the chat server: %w", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

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

// probe runs in the host page before its own scripts: it notes when the
// loader's launcher is in the DOM. The loader appends its element with the
// launcher already inside, so the element's arrival is the launcher's.
const probe = `(() => {
  const bench = window.__parleyBench = {};
  new MutationObserver((_, observer) => {
    const host = document.querySelector("parley-widget");
    if (host && host.shadowRoot && host.shadowRoot.querySelector("[data-testid=launcher]")) {
      bench.launcher = performance.now();
      observer.disconnect();
    }
  }).observe(document, { childList: true, subtree: true });
})()`

// interactive is true once the composer is enabled in a connected window.
const interactive = `(() => {
  const input = document.querySelector("[data-testid=composer-input]");
  return !!(input && !input.disabled && document.querySelector("[data-testid=chat][data-connection=connected]"));
})()`

// agentLines is true once the window shows at least n agent messages.
func agentLines(n int) string {
	return fmt.Sprintf(`document.querySelectorAll("[data-testid=message][data-from=agent]").length >= %d`, n)
}

// when resolves with the moment, by the window's clock, at which the
// expression cond is first true; already says it was before this script
// ran. It checks after every change of the document.
func when(cond string) string {
	return `new Promise(resolve => {
  const ready = () => ` + cond + `;
  if (ready()) {
    resolve({ at: Date.now(), already: true });
    return;
  }
  new MutationObserver((_, observer) => {
    if (ready()) {
      observer.disconnect();
      resolve({ at: Date.now(), already: false });
    }
  }).observe(document, { childList: true, subtree: true, attributes: true });
})`
}

// firstPaint resolves with the window's first contentful paint in wall
// clock milliseconds, comparable with Date.now() in the host page.
const firstPaint = `new Promise(resolve => {
  const done = entries => {
    const e = entries.find(e => e.name === "first-contentful-paint");
    if (e) resolve(performance.timeOrigin + e.startTime);
    return !!e;
  };
  if (done(performance.getEntriesByType("paint"))) return;
  new PerformanceObserver((list, observer) => {
    if (done(list.getEntries())) observer.disconnect();
  }).observe({ type: "paint", buffered: true });
})`

// windowLoad is what the window transferred so far, its document and
// every resource, by the Performance API, which sees the window's own
// requests and not its service worker's; and when, by the wall clock, the
// document and the wasm had arrived.
const windowLoad = `(() => {
  const nav = performance.getEntriesByType("navigation")[0];
  let sum = nav.transferSize, wasm = "", wasmEnd = 0;
  for (const e of performance.getEntriesByType("resource")) {
    sum += e.transferSize;
    if (e.name.includes("app.wasm")) {
      wasm = e.transferSize + " B transferred, " + e.encodedBodySize + " B body, " + e.decodedBodySize + " B decoded";
      wasmEnd = performance.timeOrigin + e.responseEnd;
    }
  }
  return { sum, wasm, docEnd: performance.timeOrigin + nav.responseEnd, wasmEnd };
})()`

// settled resolves once the window's main thread has had no long task (over
// 50 ms) for a second, with the total of its long tasks and the wall clock
// time the last one ended.
const settled = `new Promise(resolve => {
  let total = 0, end = 0, quietSince = performance.now();
  new PerformanceObserver(list => {
    for (const e of list.getEntries()) {
      total += e.duration;
      end = Math.max(end, performance.timeOrigin + e.startTime + e.duration);
    }
    quietSince = performance.now();
  }).observe({ type: "longtask", buffered: true });
  const check = () => performance.now() - quietSince >= 1000 ? resolve({ total, end }) : setTimeout(check, 100);
  setTimeout(check, 100);
})`

// workerBytes is what the service worker fetched, once it is active: it
// precaches the window's files, the wasm among them, beside the window's
// own requests.
const workerBytes = `new Promise(resolve => {
  const done = () => {
    let sum = 0, wasm = 0;
    for (const e of performance.getEntriesByType("resource")) {
      sum += e.transferSize;
      if (e.name.includes("app.wasm")) wasm += e.transferSize;
    }
    resolve({ sum, wasm });
  };
  const sw = self.serviceWorker;
  if (!sw || sw.state === "activated") return done();
  sw.addEventListener("statechange", () => sw.state === "activated" && done());
  setTimeout(done, 10000);
})`

// pageTraffic adds up the host page's responses, by origin, from the
// network events of its target.
type pageTraffic struct {
	chatOrigin string
	mu         sync.Mutex
	urls       map[network.RequestID]string
	own, chat  float64
	wasm       float64
	last       time.Time
}

func (t *pageTraffic) listen(ev any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		t.urls[ev.RequestID] = ev.Request.URL
		t.last = time.Now()
	case *network.EventLoadingFinished:
		u := t.urls[ev.RequestID]
		if strings.HasPrefix(u, t.chatOrigin+"/") {
			t.chat += ev.EncodedDataLength
		} else {
			t.own += ev.EncodedDataLength
		}
		if strings.Contains(u, "app.wasm") {
			t.wasm += ev.EncodedDataLength
		}
		t.last = time.Now()
	case *network.EventLoadingFailed:
		t.last = time.Now()
	}
}

// idle waits until the page has made no request for pageIdle.
func (t *pageTraffic) idle(ctx context.Context) error {
	for {
		t.mu.Lock()
		quiet := time.Since(t.last)
		t.mu.Unlock()
		if quiet >= pageIdle {
			return nil
		}
		select {
		case <-time.After(pageIdle - quiet):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// open loads the demo website in a new tab, clicks the launcher and waits
// until the expression until is true in the chat window, measuring on the
// way.
func (b *browser) open(ctx context.Context, p *parley, until string) (*opening, error) {
	traffic := &pageTraffic{chatOrigin: p.url, urls: map[network.RequestID]string{}, last: time.Now()}
	tab, closeTab := chromedp.NewContext(b.ctx, chromedp.WithListener(traffic.listen))
	o := &opening{tab: tab, closeTab: closeTab}
	err := o.measure(ctx, p, traffic, until)
	if err != nil {
		closeTab()
		return nil, err
	}
	return o, nil
}

func (o *opening) measure(ctx context.Context, p *parley, traffic *pageTraffic, until string) error {
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	// The tab lives as long as b.ctx; each step here is bounded by ctx.
	stop := context.AfterFunc(ctx, o.closeTab)
	defer stop()
	if err := chromedp.Do(o.tab, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: probe})
		return err
	}), chromedp.Navigate(p.demoURL+"/")); err != nil {
		return fmt.Errorf("loading %s: %w", p.demoURL, err)
	}
	if err := traffic.idle(ctx); err != nil {
		return err
	}
	traffic.mu.Lock()
	o.pageOwn, o.pageChat, o.wasmBeforeOpen = traffic.own, traffic.chat, traffic.wasm
	traffic.mu.Unlock()

	var launch struct {
		Launcher, LoaderEnd float64
		At                  [2]float64
	}
	js := fmt.Sprintf(`(() => {
  const loader = performance.getEntriesByType("resource").find(e => e.name.startsWith(%q));
  const r = document.querySelector("parley-widget").shadowRoot.querySelector("[data-testid=launcher]").getBoundingClientRect();
  return { launcher: window.__parleyBench.launcher, loaderEnd: loader ? loader.responseEnd : 0, at: [r.x + r.width / 2, r.y + r.height / 2] };
})()`, p.url+"/widget.js")
	raw, err := chromedp.Run(o.tab, chromedp.Evaluate[[]byte](js))
	if err == nil {
		err = json.Unmarshal(raw, &launch)
	}
	if err != nil {
		return fmt.Errorf("reading the launcher: %w", err)
	}
	if launch.LoaderEnd == 0 || launch.Launcher == 0 {
		return errors.New("the page never loaded the loader or never showed the launcher")
	}
	o.launcher = launch.Launcher - launch.LoaderEnd
	if frames, err := widgetFrames(o.tab, p.url); err != nil || len(frames) > 0 {
		return fmt.Errorf("a chat window exists before the click (%d, %v)", len(frames), err)
	}

	clicked, err := chromedp.Run(o.tab, chromedp.Evaluate[float64](`Date.now()`))
	if err != nil {
		return err
	}
	if err := chromedp.Do(o.tab, chromedp.MouseClickXY(launch.At[0], launch.At[1])); err != nil {
		return fmt.Errorf("clicking the launcher: %w", err)
	}
	o.frame, err = attachWindow(ctx, o.tab, p.url, when(until))
	if err != nil {
		return err
	}
	var ready struct {
		At      float64
		Already bool
	}
	raw, err = chromedp.Run(o.frame, chromedp.Evaluate[[]byte](`window.__parleyReady = window.__parleyReady || `+when(until), chromedp.EvalAwaitPromise))
	if err == nil {
		err = json.Unmarshal(raw, &ready)
	}
	if err != nil {
		return fmt.Errorf("waiting for %s in the chat window: %w", until, err)
	}
	o.ready, o.lateAttach = ready.At-clicked, ready.Already
	var load struct {
		Sum, DocEnd, WasmEnd float64
		Wasm                 string
	}
	raw, err = chromedp.Run(o.frame, chromedp.Evaluate[[]byte](windowLoad))
	if err == nil {
		err = json.Unmarshal(raw, &load)
	}
	if err != nil {
		return fmt.Errorf("reading the window's load: %w", err)
	}
	o.window, o.wasmEntry = load.Sum, load.Wasm
	o.document, o.wasm = load.DocEnd-clicked, load.WasmEnd-clicked
	painted, err := chromedp.Run(o.frame, chromedp.Evaluate[float64](firstPaint, chromedp.EvalAwaitPromise))
	if err != nil {
		return fmt.Errorf("reading the first paint: %w", err)
	}
	o.paint = painted - clicked
	var busy struct{ Total, End float64 }
	raw, err = chromedp.Run(o.frame, chromedp.Evaluate[[]byte](settled, chromedp.EvalAwaitPromise))
	if err == nil {
		err = json.Unmarshal(raw, &busy)
	}
	if err != nil {
		return fmt.Errorf("waiting for the window to settle: %w", err)
	}
	o.longTasks, o.busyUntil = busy.Total, max(busy.End-clicked, 0)
	if o.heapUsed, o.heapTotal, err = jsHeap(o.frame); err != nil {
		return err
	}
	id, err := chromedp.Run(o.frame, chromedp.AttributeValue(chromedp.CSS(`[data-testid=chat]`), "data-chat-id"))
	if err != nil || !id.Exists {
		return fmt.Errorf("reading the chat id: %v", err)
	}
	o.chatID = id.Value
	return nil
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
// starts the script early in it first: until, a promise, is kept in
// window.__parleyReady.
func attachWindow(ctx context.Context, tab context.Context, chatURL, until string) (context.Context, error) {
	for {
		frames, err := widgetFrames(tab, chatURL)
		if err != nil {
			return nil, err
		}
		if len(frames) > 0 {
			if err := hook(ctx, tab, frames[0].TargetID, until); err != nil {
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

// hook starts "window.__parleyReady = until" in the window over a bare
// session of its own: three calls to the browser, where chromedp's attach
// enables a dozen domains one after the other while the window boots, too
// late for a warm window. The script is evaluated in the document there
// is, and added to the next one, in case the target came before its
// document.
func hook(ctx context.Context, tab context.Context, id target.ID, until string) error {
	b := chromedp.FromContext(tab).Browser
	var attached struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.Call(ctx, "Target.attachToTarget", map[string]any{"targetId": id, "flatten": false}, &attached); err != nil {
		return err
	}
	script := "window.__parleyReady = window.__parleyReady || " + until
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

// burst gives the chat to an agent who publishes burstMessages on the agent
// socket as fast as it can write them, and measures from the first write to
// the last message in the window's DOM.
func (o *opening) burst(ctx context.Context, p *parley) (float64, error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	// The window's calls are bound to the tab, which a late burst closes.
	stop := context.AfterFunc(ctx, o.closeTab)
	defer stop()
	if err := p.take(ctx, o.chatID, benchAgentParty); err != nil {
		return 0, err
	}
	conn, err := p.agentSocket(ctx, o.chatID, benchAgentParty)
	if err != nil {
		return 0, err
	}
	agent := newPeer(conn)
	defer agent.close()
	agent.drain()
	before, err := chromedp.Run(o.frame, chromedp.Evaluate[int](`document.querySelectorAll("[data-testid=message][data-from=agent]").length`))
	if err != nil {
		return 0, err
	}
	if err := chromedp.Do(o.frame, chromedp.Evaluate[chromedp.Void](`window.__parleyBurst = `+when(agentLines(before+burstMessages)))); err != nil {
		return 0, err
	}
	frames := make([][]byte, burstMessages)
	for i := range frames {
		if frames[i], err = agentFrame(fmt.Sprint("b", i), fmt.Sprintf("burst message %d", i)); err != nil {
			return 0, err
		}
	}
	start := time.Now()
	for _, f := range frames {
		if err := agent.conn.Write(ctx, websocket.MessageText, f); err != nil {
			return 0, err
		}
	}
	done, err := chromedp.Run(o.frame, chromedp.Evaluate[float64](`window.__parleyBurst.then(r => r.at)`, chromedp.EvalAwaitPromise))
	if err != nil {
		return 0, fmt.Errorf("waiting for the burst in the DOM: %w", err)
	}
	return done - float64(start.UnixNano())/1e6, nil
}

// renderHistory stores historyMessages agent messages in a chat, then
// opens the widget on it anew and measures from the click to every message
// in the DOM, and the window's JavaScript heap after; and counts the read
// receipts for them the server took by the time the window was quiet. The
// browser has a profile of its own, warmed by the first open, which makes
// the chat.
func renderHistory(ctx context.Context, p *parley) (*opening, int, error) {
	b, err := startBrowser(ctx)
	if err != nil {
		return nil, 0, err
	}
	defer b.close()
	o, err := b.open(ctx, p, interactive)
	if err != nil {
		return nil, 0, err
	}
	o.close()
	if err := p.take(ctx, o.chatID, benchAgentParty); err != nil {
		return nil, 0, err
	}
	const batch = 100
	for i := 0; i < historyMessages; i += batch {
		events := make([]protocol.Event, 0, batch)
		for j := i; j < i+batch; j++ {
			events = append(events, &protocol.Message{Msg: fmt.Sprintf("history message %d", j), Meta: protocol.Meta{PartyID: benchAgentParty}})
		}
		if err := p.publish(ctx, o.chatID, events...); err != nil {
			return nil, 0, err
		}
	}
	again, err := b.open(ctx, p, agentLines(historyMessages))
	if err != nil {
		return nil, 0, err
	}
	again.close()
	events, err := p.storedEvents(ctx, o.chatID)
	if err != nil {
		return nil, 0, err
	}
	history := map[protocol.ID]bool{}
	for _, e := range events {
		if m, ok := e.(*protocol.Message); ok && strings.HasPrefix(m.Msg, "history message ") {
			history[m.MsgID] = true
		}
	}
	receipts := 0
	for _, e := range events {
		if r, ok := e.(*protocol.MessageRead); ok && history[r.RefMsgID] {
			receipts++
		}
	}
	return again, receipts, nil
}

func openingRows(cold, warm []*opening, burst float64, history *opening) []row {
	med := func(runs []*opening, f func(*opening) float64) float64 {
		xs := make([]float64, len(runs))
		for i, o := range runs {
			xs[i] = f(o)
		}
		return median(xs)
	}
	late := 0
	for _, o := range append(append(cold, warm...), history) {
		if o.lateAttach {
			late++
		}
	}
	if late > 0 {
		logf("browser: in %d runs the window was ready before the benchmark could watch it; those times are upper bounds", late)
	}
	logf("browser: the wasm in the first cold open: %s", cold[0].wasmEntry)
	chatwoot := "Chatwoot 4.13, gzip, on page load (published)"
	rocket := "Rocket.Chat Livechat 1.13, gzip, on page load (published)"
	pageChat := med(cold, func(o *opening) float64 { return o.pageChat })
	window := med(cold, func(o *opening) float64 { return o.window })
	rows := []row{
		{Figure: "host page load (cold): the page's own bytes, demo website", Value: med(cold, func(o *opening) float64 { return o.pageOwn }), Unit: "B"},
		{Figure: "host page load (cold): bytes from the chat server, the loader only", Value: pageChat, Unit: "B", Ref: new(chatwootPageLoad), RefLabel: chatwoot},
		{Figure: "host page load (cold): bytes from the chat server, the loader only", Value: pageChat, Unit: "B", Ref: new(rocketChatPageLoad), RefLabel: rocket},
		{Figure: "host page load (cold): wasm bytes before the first open", Value: med(cold, func(o *opening) float64 { return o.wasmBeforeOpen }), Unit: "B"},
		{Figure: "first open (cold): the chat window's bytes until interactive", Value: window, Unit: "B", Ref: new(chatwootPageLoad), RefLabel: chatwoot},
		{Figure: "first open (cold): the chat window's bytes until interactive", Value: window, Unit: "B", Ref: new(rocketChatPageLoad), RefLabel: rocket},
		{Figure: "first open (cold): the service worker's precache fetches, on top", Value: med(cold, func(o *opening) float64 { return o.worker }), Unit: "B"},
		{Figure: "first open (cold): the service worker's precache fetches, of which the wasm", Value: med(cold, func(o *opening) float64 { return o.workerWasm }), Unit: "B"},
		{Figure: "first open (warm): the chat window's bytes until interactive", Value: med(warm, func(o *opening) float64 { return o.window }), Unit: "B"},
		{Figure: fmt.Sprintf("launcher in the DOM after the loader's response ends (cold, median of %d)", len(cold)), Value: med(cold, func(o *opening) float64 { return o.launcher }), Unit: "ms"},
	}
	for _, set := range []struct {
		name string
		runs []*opening
	}{{"cold", cold}, {"warm", warm}} {
		n := len(set.runs)
		rows = append(rows,
			row{Figure: fmt.Sprintf("click to the chat window's document received (%s, median of %d)", set.name, n), Value: med(set.runs, func(o *opening) float64 { return o.document }), Unit: "ms"},
			row{Figure: fmt.Sprintf("click to painted chat window (%s, median of %d)", set.name, n), Value: med(set.runs, func(o *opening) float64 { return o.paint }), Unit: "ms"},
			row{Figure: fmt.Sprintf("click to the wasm received (%s, median of %d)", set.name, n), Value: med(set.runs, func(o *opening) float64 { return o.wasm }), Unit: "ms"},
			row{Figure: fmt.Sprintf("click to interactive composer (%s, median of %d)", set.name, n), Value: med(set.runs, func(o *opening) float64 { return o.ready }), Unit: "ms"},
			row{Figure: fmt.Sprintf("chat window's long tasks, click until quiet (%s, median of %d)", set.name, n), Value: med(set.runs, func(o *opening) float64 { return o.longTasks }), Unit: "ms"},
		)
	}
	return append(rows,
		row{Figure: fmt.Sprintf("click to %d replayed history messages in the DOM (warm)", historyMessages), Value: history.ready, Unit: "ms"},
		row{Figure: fmt.Sprintf("history of %d: the window's long tasks, click until quiet", historyMessages), Value: history.longTasks, Unit: "ms"},
		row{Figure: fmt.Sprintf("history of %d: click to the end of the window's last long task", historyMessages), Value: history.busyUntil, Unit: "ms"},
		row{Figure: fmt.Sprintf("burst of %d agent messages: first publish to the last in the DOM", burstMessages), Value: burst, Unit: "ms"},
		row{Figure: "chat window JS heap used after the first open (cold; the Go wasm heap is not in it)", Value: med(cold, func(o *opening) float64 { return o.heapUsed }), Unit: "B"},
		row{Figure: "chat window JS heap total after the first open (cold; the Go wasm heap is not in it)", Value: med(cold, func(o *opening) float64 { return o.heapTotal }), Unit: "B"},
		row{Figure: fmt.Sprintf("chat window JS heap used with %d messages (the Go wasm heap is not in it)", historyMessages), Value: history.heapUsed, Unit: "B"},
		row{Figure: fmt.Sprintf("chat window JS heap total with %d messages (the Go wasm heap is not in it)", historyMessages), Value: history.heapTotal, Unit: "B"},
	)
}
