package e2e

import (
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/parleychat/parley/app/parleytest"
)

// webClientPage serves testdata/webchat.html, a page that drives the API as
// Bright Pattern's web client does, on "localhost": another site than the
// chat server's 127.0.0.1.
func webClientPage(t *testing.T, chatServer string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := filepath.Base(r.URL.Path)
		body, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil || (name != "webchat.html" && name != "webchat.js") {
			http.NotFound(w, r)
			return
		}
		if strings.HasSuffix(name, ".js") {
			w.Header().Set("Content-Type", "text/javascript")
		} else {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
		}
		_, _ = w.Write(body)
	})}}
	srv.Start()
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return "http://localhost:" + port + "/webchat.html?api=" + chatServer
}

// TestBrightPatternWebClientAcrossOrigins: a page on another site drives
// the server as Bright Pattern's web client does (XHR with credentials,
// clientId WebChat, API v1, its poll loop) and chats with an agent in the
// console; a second such visitor, in a browser of their own, gets a chat of
// their own and cannot read the first's.
//
// Chromium keeps the server's visitor cookie across sites on loopback: it
// is SameSite=None, Secure and Partitioned, and a page on http://localhost
// calling http://127.0.0.1 is a secure context on both ends. The test fails
// if it does not, as every call after Request Chat would answer 5005.
func TestBrightPatternWebClientAcrossOrigins(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet(), parleytest.AllowOrigins("localhost:*"))
	page := webClientPage(t, srv.URL)
	visitor := openTab(t, page)
	sessionID := waitChat(t, visitor)

	agent := openTab(t, srv.URL+"/agent?token="+parleytest.AgentToken)
	takeInConsole(t, agent, sessionID)
	waitText(t, visitor.ctx, `[data-testid=state]`, "connected")

	if err := chromedp.Do(visitor.ctx,
		chromedp.SendKeys(chromedp.CSS(`[data-testid=input]`), "Do you ship to Norway?"),
		chromedp.Click(chromedp.CSS(`[data-testid=send]`)),
	); err != nil {
		t.Fatal(err)
	}
	waitText(t, agent.ctx, `[data-testid=agent-message][data-from=visitor] .text`, "Do you ship to Norway?")
	if err := chromedp.Do(agent.ctx,
		chromedp.SendKeys(chromedp.CSS(`[data-testid=agent-input]`), "Yes, in 3 to 5 days."),
		chromedp.Click(chromedp.CSS(`[data-testid=agent-send]`)),
	); err != nil {
		t.Fatal(err)
	}
	waitText(t, visitor.ctx, `[data-testid=log] [data-from=agent]`, "Yes, in 3 to 5 days.")
	visitor.screenshot("webchat-visitor")
	agent.screenshot("webchat-agent")

	// A second visitor with a browser of their own: another cookie, another
	// chat, and no way into the first.
	other := openPrivateTab(t, page)
	otherID := waitChat(t, other)
	if otherID == sessionID {
		t.Fatalf("the second WebChat visitor got the first one's chat %s", sessionID)
	}
	type answer struct {
		Status int `json:"status"`
		Body   struct {
			ErrorCode string `json:"error_code"`
		} `json:"body"`
	}
	got, err := chromedp.Run(other.ctx, chromedp.Evaluate[answer](`chat.history(`+jsString(sessionID)+`)`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != http.StatusNotFound || got.Body.ErrorCode != "5005" {
		t.Errorf("the second visitor reading the first's history: %d %s, want 404 with 5005", got.Status, got.Body.ErrorCode)
	}
	own, err := chromedp.Run(visitor.ctx, chromedp.Evaluate[answer](`chat.history(`+jsString(sessionID)+`)`, chromedp.EvalAwaitPromise))
	if err != nil || own.Status != http.StatusOK {
		t.Errorf("the first visitor reading their own history: %d (%v), want 200", own.Status, err)
	}
	for _, tb := range []*tab{visitor, other} {
		if errs, err := chromedp.Run(tb.ctx, chromedp.Evaluate[[]int](`chat.errors`)); err != nil || len(errs) != 0 {
			t.Errorf("the page's calls failed with %v (%v)", errs, err)
		}
	}
}

// waitChat waits until the page has its chat and has polled it once, and
// returns the chat's id.
func waitChat(t *testing.T, tb *tab) string {
	t.Helper()
	id, err := chromedp.Run(tb.ctx, chromedp.Poll[string](`chat.sessionId || null`, chromedp.WithPollingTimeout(20*time.Second)))
	if err != nil {
		errs, _ := chromedp.Run(tb.ctx, chromedp.Evaluate[[]int](`chat.errors`))
		t.Fatalf("the page never got a chat: %v (its calls failed with %v)", err, errs)
	}
	return id
}

// TestWebClientOfAnOriginNotAllowedIsRefused: without the page's origin in
// the server's allowed origins, the browser gets no CORS grant and the page
// can make no call.
func TestWebClientOfAnOriginNotAllowedIsRefused(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	visitor := openTab(t, webClientPage(t, srv.URL))
	waitText(t, visitor.ctx, `[data-testid=state]`, "failed")
	if errs, err := chromedp.Run(visitor.ctx, chromedp.Evaluate[[]int](`chat.errors`)); err != nil || len(errs) != 1 || errs[0] != 0 {
		t.Errorf("the page's calls ended with %v (%v), want one refused by the browser", errs, err)
	}
}
