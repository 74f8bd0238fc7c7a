package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/parleychat/parley/protocol"
)

// The phone of the throttled suite: Lighthouse's emulated mobile device
// (412×823 CSS pixels at 1.75 device pixels each), with touch and no
// pointer, so the loader gets no hover to start early on.
const (
	phoneWidth, phoneHeight = 412, 823
	phoneScale              = 1.75
	// firstMessage is what the visitor sends as soon as the window lets
	// them.
	firstMessage = "Hello from a phone"
)

// takesTyping is true once the composer accepts keystrokes.
const takesTyping = `(() => {
  const input = document.querySelector("[data-testid=composer-input]");
  return !!(input && !input.disabled && !input.readOnly);
})()`

// sendEnabled is true once the send button takes a tap.
const sendEnabled = `(() => {
  const send = document.querySelector("[data-testid=send]");
  return !!(send && !send.disabled);
})()`

// chatID resolves with the window's chat id as soon as it has one.
const chatID = `new Promise(resolve => {
  const id = () => (document.querySelector("[data-testid=chat]") || { dataset: {} }).dataset.chatId;
  if (id()) {
    resolve(id());
    return;
  }
  new MutationObserver((_, observer) => {
    if (id()) {
      observer.disconnect();
      resolve(id());
    }
  }).observe(document, { childList: true, subtree: true, attributes: true });
})`

// nextFrame resolves with the wall clock time of the window's next
// animation frame. A hidden window runs none, so started before the tap in
// a prefetched window it resolves with the first frame it shows.
const nextFrame = `new Promise(resolve => requestAnimationFrame(() => resolve(Date.now())))`

// throttledSuite opens the widget cold on a phone, from the tap on the
// launcher, with the chat server behind a throttling proxy at each
// profile: the host page comes from this program on loopback, everything
// from the chat server crosses the emulated network. It measures the tap
// to a painted window, to a composer that takes typing, and to the first
// message stored by the server (the agent's socket, on loopback, sees it),
// without and with data-prefetch="idle". Beside them, the same network's
// floor: the window's document and the wasm fetched alone through it.
func throttledSuite(ctx context.Context, cfg config) ([]row, error) {
	if _, err := os.Stat(chromium); err != nil {
		return nil, fmt.Errorf("%s is missing; ./build.sh bench installs it", chromium)
	}
	p, err := startParley(ctx, cfg.parley, cfg.web, false)
	if err != nil {
		return nil, err
	}
	defer p.stop()
	target := strings.TrimPrefix(p.url, "http://")
	var rows []row
	for _, prof := range profiles {
		t, err := startThrottle(target, prof)
		if err != nil {
			return rows, err
		}
		more, err := throttledRows(ctx, cfg, p, t, prof)
		t.close()
		rows = append(rows, more...)
		if err != nil {
			return rows, fmt.Errorf("%s: %w", prof.name, err)
		}
	}
	return rows, nil
}

func throttledRows(ctx context.Context, cfg config, p *parley, t *throttle, prof profile) ([]row, error) {
	pages, closePages, err := serveHostPages(t.URL())
	if err != nil {
		return nil, err
	}
	defer closePages()
	logf("throttled, %s: the window's document and the wasm alone", prof)
	document, err := fetchThrough(ctx, t.URL()+"/widget/?app="+appID)
	if err != nil {
		return nil, fmt.Errorf("the document alone: %w", err)
	}
	wasm, err := fetchThrough(ctx, t.URL()+"/widget/web/app.wasm")
	if err != nil {
		return nil, fmt.Errorf("the wasm alone: %w", err)
	}
	var rows []row
	for _, prefetch := range []bool{false, true} {
		var runs []*slowOpening
		for i := range cfg.runs {
			logf("throttled, %s: cold open %d of %d%s", prof.name, i+1, cfg.runs, map[bool]string{true: ", data-prefetch=idle"}[prefetch])
			o, err := slowOpen(ctx, p, t, pages, prefetch)
			if err != nil {
				return rows, fmt.Errorf("cold open %d: %w", i+1, err)
			}
			runs = append(runs, o)
		}
		rows = append(rows, slowRows(prof, runs, prefetch, document, wasm)...)
	}
	return rows, nil
}

// slowRows are the medians of the runs of one profile and one way of
// loading, beside the network's floor when the window is loaded on the tap.
func slowRows(prof profile, runs []*slowOpening, prefetch bool, document, wasm float64) []row {
	med := func(f func(*slowOpening) float64) float64 {
		xs := make([]float64, len(runs))
		for i, o := range runs {
			xs[i] = f(o)
		}
		return median(xs)
	}
	late := 0
	for _, o := range runs {
		if o.late {
			late++
		}
	}
	if late > 0 {
		logf("throttled, %s: in %d runs the agent's socket opened after the message could have been stored; those times are upper bounds", prof.name, late)
	}
	how := fmt.Sprintf("cold, phone, %s: %.3g Mbit/s down, %s round trips, median of %d", prof.name, prof.down/1e6, prof.rtt, len(runs))
	docLabel := "the window's document alone through the same network (Go client, a new connection)"
	wasmLabel := "the wasm alone through the same network (Go client, brotli, a new connection)"
	paint := row{Figure: fmt.Sprintf("tap to painted chat window (%s)", how), Value: med(func(o *slowOpening) float64 { return o.paint }), Unit: "ms"}
	typing := row{Figure: fmt.Sprintf("tap to a composer that takes typing (%s)", how), Value: med(func(o *slowOpening) float64 { return o.typing }), Unit: "ms"}
	stored := row{Figure: fmt.Sprintf("tap to the first message stored by the server (%s)", how), Value: med(func(o *slowOpening) float64 { return o.stored }), Unit: "ms"}
	if !prefetch {
		paint.Ref, paint.RefLabel = new(document), docLabel
		typing.Ref, typing.RefLabel = new(wasm), wasmLabel
		stored.Ref, stored.RefLabel = new(wasm), wasmLabel
		return []row{paint, typing, stored}
	}
	how = "data-prefetch=idle, tapped once the prefetch had finished; " + how
	paint.Figure = fmt.Sprintf("tap to painted chat window (%s)", how)
	typing.Figure = fmt.Sprintf("tap to a composer that takes typing (%s)", how)
	stored.Figure = fmt.Sprintf("tap to the first message stored by the server (%s)", how)
	ready := row{
		Figure: fmt.Sprintf("page load to a window ready behind the launcher, the time a visitor must stay for the prefetch to finish (%s)", how),
		Value:  med(func(o *slowOpening) float64 { return o.prefetched }), Unit: "ms",
		Ref: new(wasm), RefLabel: wasmLabel,
	}
	return []row{ready, paint, typing, stored}
}

var hostPage = template.Must(template.New("host").Parse(`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>A shop on a phone</title></head>
<body><main><h1>Northwind Outfitters</h1><p>Tents, packs and boots since 1962.</p></main>
<script src="{{.Origin}}/widget.js" data-app-id="{{.AppID}}"{{if .Prefetch}} data-prefetch="idle"{{end}} async></script>
</body></html>`))

// serveHostPages serves the host page on "localhost", another site than
// the chat server's 127.0.0.1, with the loader from chatOrigin: at / as the
// demo website embeds it, at /prefetch with data-prefetch="idle". It
// returns the site's URL.
func serveHostPages(chatOrigin string) (string, func(), error) {
	pages := map[string][]byte{}
	for path, prefetch := range map[string]bool{"/": false, "/prefetch": true} {
		var b bytes.Buffer
		if err := hostPage.Execute(&b, map[string]any{"Origin": chatOrigin, "AppID": appID, "Prefetch": prefetch}); err != nil {
			return "", nil, err
		}
		pages[path] = b.Bytes()
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		page, ok := pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(page)
	}))
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	return "http://localhost:" + port, srv.Close, nil
}

// fetchThrough is the milliseconds a plain Go client takes, on a new
// connection, to get url's whole body, brotli where the server has it.
func fetchThrough(ctx context.Context, url string) (float64, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	// Set by hand, the transport leaves the body as it came.
	req.Header.Set("Accept-Encoding", "br")
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return ms(time.Since(start)), nil
}

// slowOpening is one cold open through the throttle, in milliseconds from
// the tap.
type slowOpening struct {
	paint, typing, stored float64
	// prefetched is, with data-prefetch="idle", from the start of the page's
	// navigation to a connected window behind the launcher.
	prefetched float64
	// late says the agent's socket opened after the message could have
	// been stored: stored is then an upper bound.
	late bool
}

// slowOpen loads the host page in a fresh browser on a phone, taps the
// launcher, and as soon as the composer takes typing inserts firstMessage
// and taps send.
func slowOpen(ctx context.Context, p *parley, t *throttle, pagesURL string, prefetch bool) (*slowOpening, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	b, err := startBrowser(ctx)
	if err != nil {
		return nil, err
	}
	defer b.close()
	traffic := &pageTraffic{chatOrigin: t.URL(), urls: map[network.RequestID]string{}, last: time.Now()}
	tab, closeTab := chromedp.NewContext(b.ctx, chromedp.WithListener(traffic.listen))
	defer closeTab()
	stop := context.AfterFunc(ctx, closeTab)
	defer stop()
	page := pagesURL + "/"
	if prefetch {
		page = pagesURL + "/prefetch"
	}
	if err := chromedp.Do(tab,
		chromedp.EmulateViewport(phoneWidth, phoneHeight, chromedp.EmulateScale(phoneScale), chromedp.EmulateMobile, chromedp.EmulateTouch),
		chromedp.Navigate(page),
	); err != nil {
		return nil, fmt.Errorf("loading %s: %w", page, err)
	}
	o := &slowOpening{}
	var frame context.Context
	if prefetch {
		// The loader loads the window hidden once the page is idle; the
		// window asks for a chat and connects behind the launcher.
		if frame, err = attachWindow(ctx, tab, t.URL(), keep("__parleyShown", nextFrame)); err != nil {
			return nil, err
		}
		ready, err := chromedp.Run(frame, chromedp.Evaluate[float64](when(interactive)+`.then(r => r.at)`, chromedp.EvalAwaitPromise))
		if err != nil {
			return nil, fmt.Errorf("waiting for the prefetched window: %w", err)
		}
		origin, err := chromedp.Run(tab, chromedp.Evaluate[float64](`performance.timeOrigin`))
		if err != nil {
			return nil, err
		}
		o.prefetched = ready - origin
	}
	if err := traffic.idle(ctx); err != nil {
		return nil, err
	}
	if frames, err := widgetFrames(tab, t.URL()); err != nil || (len(frames) > 0) != prefetch {
		return nil, fmt.Errorf("before the tap, %d chat windows (%v); want one only with the prefetch", len(frames), err)
	}

	x, y, err := launcherCenter(tab)
	if err != nil {
		return nil, err
	}
	tapped, err := chromedp.Run(tab, chromedp.Evaluate[float64](`Date.now()`))
	if err != nil {
		return nil, err
	}
	if err := chromedp.Do(tab, chromedp.TapXY(x, y)); err != nil {
		return nil, fmt.Errorf("tapping the launcher: %w", err)
	}
	if !prefetch {
		if frame, err = attachWindow(ctx, tab, t.URL(), keep("__parleyTyping", when(takesTyping))); err != nil {
			return nil, err
		}
	}
	follow := followChat(ctx, p, frame)

	typing, err := chromedp.Run(frame, chromedp.Evaluate[float64]("("+keep("__parleyTyping", when(takesTyping))+").then(r => r.at)", chromedp.EvalAwaitPromise))
	if err != nil {
		return nil, fmt.Errorf("waiting for the composer: %w", err)
	}
	painted, err := chromedp.Run(frame, chromedp.Evaluate[float64](firstPaint, chromedp.EvalAwaitPromise))
	if err != nil {
		return nil, fmt.Errorf("reading the first paint: %w", err)
	}
	if painted < tapped {
		// A prefetched window painted before it was hidden, or not at all:
		// it shows with its first frame after the tap.
		if painted, err = chromedp.Run(frame, chromedp.Evaluate[float64](`window.__parleyShown`, chromedp.EvalAwaitPromise)); err != nil {
			return nil, fmt.Errorf("reading the first frame shown: %w", err)
		}
	}
	o.paint = painted - tapped
	// The composer takes typing once it is enabled and shown.
	o.typing = max(typing, painted) - tapped

	if err := chromedp.Do(frame, chromedp.Tap(chromedp.CSS(`[data-testid=composer-input]`))); err != nil {
		return nil, fmt.Errorf("tapping the composer: %w", err)
	}
	if _, err := chromedp.Call(frame, input.InsertText, input.InsertTextParams{Text: firstMessage}); err != nil {
		return nil, fmt.Errorf("typing: %w", err)
	}
	if _, err := chromedp.Run(frame, chromedp.Evaluate[[]byte](when(sendEnabled), chromedp.EvalAwaitPromise)); err != nil {
		return nil, fmt.Errorf("waiting for the send button: %w", err)
	}
	sent := time.Now()
	if err := chromedp.Do(frame, chromedp.Tap(chromedp.CSS(`[data-testid=send]`))); err != nil {
		return nil, fmt.Errorf("tapping send: %w", err)
	}
	f := <-follow
	if f.err != nil {
		return nil, f.err
	}
	o.stored = float64(f.stored.UnixMicro())/1e3 - tapped
	// The message crosses at least half a round trip after the tap on
	// send: a socket open by then sees it stored.
	o.late = f.opened.After(sent.Add(t.rtt / 2))
	return o, nil
}

// launcherCenter is where the launcher is on the page.
func launcherCenter(tab context.Context) (x, y float64, err error) {
	raw, err := chromedp.Run(tab, chromedp.Evaluate[[]byte](`(() => {
  const r = document.querySelector("parley-widget").shadowRoot.querySelector("[data-testid=launcher]").getBoundingClientRect();
  return [r.x + r.width / 2, r.y + r.height / 2];
})()`))
	if err != nil {
		return 0, 0, fmt.Errorf("finding the launcher: %w", err)
	}
	var at [2]float64
	err = json.Unmarshal(raw, &at)
	return at[0], at[1], err
}

// followed is when the agent's socket opened, and when the visitor's first
// message arrived on it.
type followed struct {
	opened, stored time.Time
	err            error
}

// followChat waits for the window's chat id, opens the agent API's socket
// to the chat on loopback, past the throttle, and waits there for
// firstMessage: the server sends a stored event on at once.
func followChat(ctx context.Context, p *parley, frame context.Context) <-chan followed {
	out := make(chan followed, 1)
	go func() {
		var f followed
		defer func() { out <- f }()
		id, err := chromedp.Run(frame, chromedp.Evaluate[string](chatID, chromedp.EvalAwaitPromise))
		if err != nil {
			f.err = fmt.Errorf("waiting for the chat id: %w", err)
			return
		}
		conn, err := p.agentSocket(ctx, id, benchAgentParty)
		if err != nil {
			f.err = fmt.Errorf("the agent socket: %w", err)
			return
		}
		f.opened = time.Now()
		agent := newPeer(conn)
		defer agent.close()
		for {
			select {
			case a, ok := <-agent.frames:
				if !ok {
					f.err = errors.New("the agent socket closed")
					return
				}
				for _, e := range a.env.Events {
					if m, ok := e.(*protocol.Message); ok && m.PartyID == id && m.Msg == firstMessage {
						f.stored = a.at
						return
					}
				}
			case <-ctx.Done():
				f.err = fmt.Errorf("waiting for the first message: %w", ctx.Err())
				return
			}
		}
	}()
	return out
}
