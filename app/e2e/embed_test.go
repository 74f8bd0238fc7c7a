package e2e

import (
	"bytes"
	"context"
	"html/template"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/app/server"
	"github.com/parleychat/parley/protocol"
)

// fixturePage serves a page of testdata as a website on "localhost" (another
// site than the chat server's 127.0.0.1) that embeds the widget from
// widgetURL, with the strict Content-Security-Policy of server.CSP. attrs
// are more attributes for the loader's tag.
func fixturePage(t *testing.T, widgetURL, page string, attrs template.HTMLAttr) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/")
		if name == "" {
			name = page
		}
		body, err := os.ReadFile(filepath.Join("testdata", filepath.Base(name)))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		switch filepath.Ext(name) {
		case ".html":
			var out bytes.Buffer
			tmpl := template.Must(template.New(name).Parse(string(body)))
			if err := tmpl.Execute(&out, map[string]any{"WidgetURL": widgetURL, "AppID": parleytest.AppID, "Attributes": attrs}); err != nil {
				t.Error(err)
			}
			body = out.Bytes()
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Content-Security-Policy", server.CSP(widgetURL))
		case ".css":
			w.Header().Set("Content-Type", "text/css")
		case ".js":
			w.Header().Set("Content-Type", "text/javascript")
		}
		_, _ = w.Write(body)
	})}}
	srv.Start()
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return "http://localhost:" + port + "/"
}

// TestNothingLoadsBeforeTheVisitorReaches tracks the host page's requests:
// until the pointer reaches the launcher the page has loaded the loader and
// nothing else from the chat server, and there is no chat window at all.
func TestNothingLoadsBeforeTheVisitorReaches(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	ctx, cancel := chromedp.NewContext(chromium.Ctx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, time.Minute)
	defer cancelTimeout()
	requests := chromedp.Events(ctx, network.RequestWillBeSent)
	var mu sync.Mutex
	var urls []string
	go func() {
		for ev, err := range requests {
			if err != nil {
				return
			}
			mu.Lock()
			urls = append(urls, ev.Request.URL)
			mu.Unlock()
		}
	}()
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.DemoURL), chromedp.WaitVisible(launcher)); err != nil {
		t.Fatal(err)
	}
	// Nothing would start by itself after the page loaded; two seconds is
	// more than any timer of the loader.
	time.Sleep(2 * time.Second)
	if frames := inShadow[int](t, ctx, `root.querySelectorAll("iframe").length`); frames != 0 {
		t.Errorf("the page has %d chat windows before the visitor came near the launcher", frames)
	}
	mu.Lock()
	got := slices.Clone(urls)
	mu.Unlock()
	for _, u := range got {
		if strings.HasPrefix(u, srv.URL) && u != srv.URL+"/widget.js" {
			t.Errorf("the page requested %s from the chat server before the visitor came near the launcher", u)
		}
	}
	if !slices.Contains(got, srv.URL+"/widget.js") {
		t.Errorf("the page never requested the loader: %v", got)
	}

	// The pointer on the launcher starts the window, hidden, as a head start.
	at := inShadow[[]float64](t, ctx, `(() => { const r = root.querySelector("[data-testid=launcher]").getBoundingClientRect(); return [r.x + r.width/2, r.y + r.height/2]; })()`)
	if err := chromedp.Do(ctx, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, at[0], at[1])); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, "the window to load hidden on hover", `document.querySelector("parley-widget").shadowRoot.querySelectorAll("iframe[hidden]").length === 1`)
	if err := chromedp.Do(ctx, chromedp.Click(launcher)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, "the window to show", `!document.querySelector("parley-widget").shadowRoot.querySelector("iframe").hidden`)
}

// TestHostilePageStillGetsAWorkingWidget embeds the widget in a page with
// global CSS resets that hide every button, iframe and svg, a full-page
// layer at the highest z-index, a strict CSP, and its own window.Parley. The
// launcher shows and works, the chat works, the page keeps its global, and
// the API answers under the name the tag gives it.
func TestHostilePageStillGetsAWorkingWidget(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	page := fixturePage(t, srv.URL, "hostile.html", `data-global="ParleyChat"`)
	tab := openTab(t, page)
	if err := chromedp.Do(tab.ctx, chromedp.WaitVisible(launcher)); err != nil {
		t.Fatalf("the launcher never showed: %v", err)
	}
	// The launcher is what a click at its place reaches, above the layer.
	if on := inShadow[bool](t, tab.ctx, `(() => { const r = root.querySelector("[data-testid=launcher]").getBoundingClientRect();
		return document.elementFromPoint(r.x + r.width/2, r.y + r.height/2) === document.querySelector("parley-widget"); })()`); !on {
		t.Error("something of the page covers the launcher")
	}
	tab.screenshot("hostile-closed")
	if err := chromedp.Do(tab.ctx, chromedp.Click(launcher)); err != nil {
		t.Fatal(err)
	}
	frame := tab.frame(srv.URL)
	if err := chromedp.Do(frame,
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=chat][data-connection=connected]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=composer-input]`), "Hello from a hostile page"),
		chromedp.Click(chromedp.CSS(`[data-testid=send]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=message][data-status=sent]`)),
	); err != nil {
		t.Fatalf("chatting on the hostile page: %v", err)
	}
	chatID := attribute(t, frame, `[data-testid=chat]`, "data-chat-id")
	history, err := srv.Chats.History(tab.ctx, chatID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if !hasMessage(history, "Hello from a hostile page") {
		t.Errorf("the server has %d events and not the message", len(history))
	}
	tab.screenshot("hostile-open")

	mine, err := chromedp.Run(tab.ctx, chromedp.Evaluate[bool](`window.Parley.mine === true && typeof window.ParleyChat === "function"`))
	if err != nil || !mine {
		t.Errorf("the page lost its window.Parley, or the API is not at window.ParleyChat (%v)", err)
	}
	if err := chromedp.Do(tab.ctx, chromedp.Evaluate[chromedp.Void](`ParleyChat("close")`)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, tab.ctx, `ParleyChat("close") to close the window`, `document.querySelector("parley-widget").shadowRoot.querySelector("iframe").hidden`)
	// The page itself stays usable: its button clicks, it scrolls.
	if err := chromedp.Do(tab.ctx, chromedp.Click(chromedp.ID("mine"))); err != nil {
		t.Fatal(err)
	}
	usable, _ := chromedp.Run(tab.ctx, chromedp.Evaluate[bool](`window.scrollTo(0, 500), window.Parley.clicks === 1 && document.scrollingElement.scrollTop > 0`))
	if !usable {
		t.Error("the page's own button or scrolling stopped working")
	}
}

func hasMessage(events []protocol.Event, text string) bool {
	for _, e := range events {
		if m, ok := e.(*protocol.Message); ok && m.Msg == text {
			return true
		}
	}
	return false
}
