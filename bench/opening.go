package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/parleychat/parley/app/parleytest/browser"
)

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
	o, done, err := openInNewBrowser(ctx, p)
	if err != nil {
		return nil, err
	}
	defer done()
	o.worker, o.workerWasm, err = workerTraffic(ctx, o.tab, p.url)
	return o, err
}

// openInNewBrowser opens the widget until it is interactive in a new
// browser process with a fresh profile; done closes the tab and the
// browser.
func openInNewBrowser(ctx context.Context, p *parley) (o *opening, done func(), err error) {
	b, err := startBrowser(ctx)
	if err != nil {
		return nil, nil, err
	}
	o, err = openWidget(ctx, b, p, interactive)
	if err != nil {
		b.Close()
		return nil, nil, err
	}
	return o, func() { o.close(); b.Close() }, nil
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

// openWidget loads the demo website in a new tab, clicks the launcher and waits
// until the expression until is true in the chat window, measuring on the
// way.
func openWidget(ctx context.Context, b *browser.Browser, p *parley, until string) (*opening, error) {
	traffic := &pageTraffic{chatOrigin: p.url, urls: map[network.RequestID]string{}, last: time.Now()}
	tab, closeTab := chromedp.NewContext(b.Ctx, chromedp.WithListener(traffic.listen))
	o := &opening{tab: tab, closeTab: closeTab}
	err := o.measure(ctx, p, traffic, until)
	if err != nil {
		closeTab()
		return nil, err
	}
	return o, nil
}

func (o *opening) measure(ctx context.Context, p *parley, traffic *pageTraffic, until string) error {
	// A bound for the longest history, not a target.
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	// The tab lives as long as b.Ctx; each step here is bounded by ctx.
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
	o.frame, err = attachWindow(ctx, o.tab, p.url, keep("__parleyReady", when(until)))
	if err != nil {
		return err
	}
	var ready struct {
		At      float64
		Already bool
	}
	raw, err = chromedp.Run(o.frame, chromedp.Evaluate[[]byte](keep("__parleyReady", when(until)), chromedp.EvalAwaitPromise))
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
