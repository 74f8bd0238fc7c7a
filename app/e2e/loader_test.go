package e2e

import (
	"html/template"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/protocol"
)

// TestTagRunTwice: the tag runs a second time, as a tag manager or a page
// that swaps its body makes it, after the page replaced the API by its
// queue. One launcher stays, the second run hands it the calls queued
// meanwhile, and there is one window, however it is opened.
func TestTagRunTwice(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	tb := openPrivateTab(t, servePage(t, srv.URL, "", ""))
	if err := chromedp.Do(tb.ctx, chromedp.WaitVisible(launcher)); err != nil {
		t.Fatal(err)
	}
	evalJS[chromedp.Void](t, tb.ctx, `(() => {
		window.Parley = function () { (Parley.q = Parley.q || []).push(arguments); };
		Parley("setLocale", "de");
		const first = document.querySelector("script[data-app-id]");
		const again = document.createElement("script");
		again.src = first.src;
		again.setAttribute("data-app-id", first.getAttribute("data-app-id"));
		document.body.appendChild(again);
	})()`)
	waitJS(t, tb.ctx, "the second run", `typeof Parley === "function" && !Parley.q`)
	if n := countIn(t, tb.ctx, `parley-widget`); n != 1 {
		t.Fatalf("the page has %d launchers", n)
	}
	w := tb.openWindow(srv.URL)
	waitJS(t, w.frame, "the German words the queued call asked for", `document.querySelector("[data-testid=composer-input]").placeholder === "Nachricht schreiben…"`)
	evalJS[chromedp.Void](t, tb.ctx, `Parley("open")`)
	if n := inShadow[int](t, tb.ctx, `root.querySelectorAll("iframe").length`); n != 1 {
		t.Errorf("the page has %d chat windows", n)
	}
	if err := chromedp.Do(tb.ctx, chromedp.Click(launcher)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, tb.ctx, "the one window to close", `document.querySelector("parley-widget").shadowRoot.querySelector("iframe").hidden`)
	if n := inShadow[int](t, tb.ctx, `root.querySelectorAll("iframe, button").length`); n != 2 {
		t.Errorf("after a click the page has %d windows and launchers, want one of each", n)
	}
	tb.screenshot("loader-run-twice")
}

// wasmGate stands between the browser and the chat server and decides what
// becomes of the widget's wasm: served, held, answered with 503, or
// replaced by one whose Go program panics as it starts.
type wasmGate struct {
	URL  string
	mode atomic.Value // "serve", "hold", "fail" or "panic"

	mu        sync.Mutex
	released  chan struct{}
	panicking string // the path of testdata/panics built for the browser
}

// buildPanickingWasm builds testdata/panics for the browser and returns
// the file's path.
func buildPanickingWasm(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "panics.wasm")
	cmd := exec.Command("go", "build", "-trimpath", "-o", out, "./testdata/panics")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building testdata/panics: %v\n%s", err, msg)
	}
	return out
}

func startWasmGate(t *testing.T, target, mode string) *wasmGate {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	g := &wasmGate{released: make(chan struct{})}
	if mode == "panic" {
		g.panicking = buildPanickingWasm(t)
	}
	g.mode.Store(mode)
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.FlushInterval = -1
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/app.wasm") {
			switch g.mode.Load() {
			case "fail":
				http.Error(w, "maintenance", http.StatusServiceUnavailable)
				return
			case "panic":
				w.Header().Set("Content-Type", "application/wasm")
				w.Header().Set("Cache-Control", "no-store")
				http.ServeFile(w, r, g.panicking)
				return
			case "hold":
				g.mu.Lock()
				released := g.released
				g.mu.Unlock()
				select {
				case <-released:
				case <-r.Context().Done():
					return
				}
			}
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(g.release)
	t.Cleanup(srv.Close)
	g.URL = srv.URL
	return g
}

func (g *wasmGate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	select {
	case <-g.released:
	default:
		close(g.released)
	}
}

// openOnPhone opens the page on a phone's screen, where the open window
// covers the page.
func openOnPhone(t *testing.T, page string) *tab {
	t.Helper()
	tb := openPrivateTab(t, "about:blank")
	if err := chromedp.Do(tb.ctx,
		chromedp.EmulateViewport(375, 700, chromedp.EmulateMobile, chromedp.EmulateTouch),
		chromedp.Navigate(page),
		chromedp.WaitVisible(launcher),
	); err != nil {
		t.Fatalf("opening %s on a phone: %v", page, err)
	}
	return tb
}

// tapLauncherAfterPaint taps the launcher once the page has painted twice
// since the window was hidden. The browser routes a touch by what the last
// frame it drew showed: on a loaded machine a tap right after the hide
// still lands in the (now hidden) window, as no person's finger can.
func tapLauncherAfterPaint(t *testing.T, tb *tab) {
	t.Helper()
	err := chromedp.Do(tb.ctx,
		chromedp.Evaluate[chromedp.Void](`new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))`, chromedp.EvalAwaitPromise),
		chromedp.Tap(launcher))
	if err != nil {
		t.Fatal(err)
	}
}

// linkAnswers reports whether a tap on the page's help link would reach
// it: nothing covers it.
func linkAnswers(t *testing.T, tb *tab) bool {
	t.Helper()
	return evalJS[bool](t, tb.ctx, `(() => { const a = document.getElementById("help"), r = a.getBoundingClientRect();
		return document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === a; })()`)
}

const helpLink = template.HTML(`<p><a id="help" href="#help">Help and contact</a></p>`)

// TestWindowThatCannotStartGivesWay: on a phone, where the window covers
// the page, the window cannot start: its wasm does not load (the server
// answers 503), or it runs and its Go program panics before go-app mounts
// anything, which would leave a blank page over the screen. The window
// goes within seconds, the page answers again, and the launcher offers to
// retry, which works once the server serves the widget again. (A wasm
// that arrived is what go-app's service worker keeps for this version: the
// retry after a panic is the next deploy's, which the 503's stands for.)
func TestWindowThatCannotStartGivesWay(t *testing.T) {
	tests := []struct {
		name, mode string
		retry      bool
	}{
		{"the wasm answered with 503", "fail", true},
		{"the Go program panics as it starts", "panic", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := parleytest.Start(t, parleytest.Quiet())
			gate := startWasmGate(t, srv.URL, tc.mode)
			tb := openOnPhone(t, servePage(t, gate.URL, "", helpLink))
			if err := chromedp.Do(tb.ctx, chromedp.Tap(launcher)); err != nil {
				t.Fatal(err)
			}
			waitJS(t, tb.ctx, "the window to give way", `!document.querySelector("parley-widget").shadowRoot.querySelector("iframe")`)
			if label := inShadow[string](t, tb.ctx, `root.querySelector("[data-testid=launcher]").getAttribute("aria-label")`); label != "Chat unavailable. Retry" {
				t.Errorf("the launcher says %q", label)
			}
			if !linkAnswers(t, tb) {
				t.Error("the page's link is covered")
			}
			tb.screenshot("loader-gave-way-" + tc.mode)
			if !tc.retry {
				return
			}
			gate.mode.Store("serve")
			tapLauncherAfterPaint(t, tb)
			w := &chatWindow{t: t, tab: tb, frame: tb.frame(gate.URL + "/widget/"), server: gate.URL}
			w.waitConnected()
		})
	}
}

// TestWindowAnswersBeforeItRuns: while the wasm is still on its way, the
// window that covers a phone's screen answers its close button and
// Escape, so the page is never covered by something that does not answer.
func TestWindowAnswersBeforeItRuns(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	gate := startWasmGate(t, srv.URL, "hold")
	tb := openOnPhone(t, servePage(t, gate.URL, "", helpLink))
	if err := chromedp.Do(tb.ctx, chromedp.Tap(launcher)); err != nil {
		t.Fatal(err)
	}
	frame := tb.frame(gate.URL + "/widget/")
	waitJS(t, tb.ctx, "the window to cover the page", `!document.querySelector("parley-widget").shadowRoot.querySelector("iframe").hidden`)
	if linkAnswers(t, tb) {
		t.Fatal("the open window does not cover the page; the test would prove nothing")
	}
	waitJS(t, frame, "the prerendered window", `!!document.querySelector("[data-testid=close]")`)
	evalJS[chromedp.Void](t, frame, `document.querySelector("[data-testid=close]").click()`)
	waitJS(t, tb.ctx, "the close button to close the window", `document.querySelector("parley-widget").shadowRoot.querySelector("iframe").hidden`)
	if !linkAnswers(t, tb) {
		t.Error("after closing, the page's link is covered")
	}

	tapLauncherAfterPaint(t, tb)
	waitJS(t, tb.ctx, "the window to open again", `!document.querySelector("parley-widget").shadowRoot.querySelector("iframe").hidden`)
	pressIn(t, frame, escape, 0)
	waitJS(t, tb.ctx, "Escape to close the window", `document.querySelector("parley-widget").shadowRoot.querySelector("iframe").hidden`)

	gate.release()
	tapLauncherAfterPaint(t, tb)
	w := &chatWindow{t: t, tab: tb, frame: frame, server: gate.URL}
	w.waitConnected()
}

// hostRewritingProxy is a reverse proxy that forwards everything,
// WebSocket upgrades included, with a Host header of its own: the chat
// server's address behind it.
func hostRewritingProxy(t *testing.T, ln net.Listener, target string) {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(u) // the outgoing Host is the target's
			r.SetXForwarded()
		},
		FlushInterval: -1,
	}
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: rp}}
	srv.Start()
	t.Cleanup(srv.Close)
}

// TestBehindAReverseProxy: the chat server runs behind a reverse proxy
// that forwards WebSocket upgrades with its own Host header, and is told
// its public URL. The widget's socket and the agent console's are taken:
// both chat over sockets through the proxy.
func TestBehindAReverseProxy(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	public := "http://" + ln.Addr().String()
	srv := parleytest.Start(t, parleytest.Quiet(), parleytest.PublicURL(public))
	hostRewritingProxy(t, ln, srv.URL)

	w := openChatOn(t, servePage(t, public, "", ""), public)
	if transport := attribute(t, w.frame, `[data-testid=chat]`, "data-transport"); transport != "socket" {
		t.Errorf("the window reaches the server by %s, want its socket", transport)
	}
	agent := consoleOn(t, public, w.chatID)
	w.say("Hello through the proxy.")
	waitText(t, agent.ctx, `[data-testid=agent-message][data-from=visitor] .text`, "Hello through the proxy.")
	if err := chromedp.Do(agent.ctx, chromedp.SendKeys(chromedp.CSS(`[data-testid=agent-input]`), "Hello back.")); err != nil {
		t.Fatal(err)
	}
	pressIn(t, agent.ctx, enter, 0)
	waitText(t, w.frame, `[data-testid=message][data-from=agent] .parley-text`, "Hello back.")
	if transport := attribute(t, agent.ctx, `#chat`, "data-transport"); transport != "socket" {
		t.Errorf("the console reaches the chat by %q, want its socket", transport)
	}
	agent.screenshot("console-behind-a-proxy")
}

// TestConsoleLongPollsWithoutWebSockets: a proxy refuses every WebSocket
// upgrade; the agent console falls back to the agent API's long poll and
// POST, and chats both ways.
func TestConsoleLongPollsWithoutWebSockets(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	w := openChat(t, srv)
	proxy := startNoSocketProxy(t, srv.URL)
	agent := consoleOn(t, proxy.URL, w.chatID)
	waitJS(t, agent.ctx, "the console to long-poll", `document.getElementById("chat").dataset.transport === "polling"`)
	w.say("Can you read me?")
	waitText(t, agent.ctx, `[data-testid=agent-message][data-from=visitor] .text`, "Can you read me?")
	if err := chromedp.Do(agent.ctx, chromedp.SendKeys(chromedp.CSS(`[data-testid=agent-input]`), "Loud and clear.")); err != nil {
		t.Fatal(err)
	}
	pressIn(t, agent.ctx, enter, 0)
	waitText(t, w.frame, `[data-testid=message][data-from=agent] .parley-text`, "Loud and clear.")
	waitJS(t, agent.ctx, "the reply box to empty", `document.querySelector("[data-testid=agent-input]").value === ""`)
	if n := len(eventsOf[*protocol.Message](sentBy(storedEvents(t, srv, w.chatID), "agent-grace-hopper"))); n != 1 {
		t.Errorf("the server stored %d of the agent's messages", n)
	}
}
