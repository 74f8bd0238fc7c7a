package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"html/template"
	"image"
	"image/color"
	"image/png"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/protocol"
)

// chatWindow is the chat window a visitor opened on a host page: the tab of the
// page, the context attached to the window's cross-site iframe, and the
// chat the window started.
type chatWindow struct {
	t      *testing.T
	tab    *tab
	frame  context.Context
	chatID string
	// tabID names the window's page among the visitor's pages: its
	// msg_ids are "tabID:n".
	tabID string
	// server is the origin the window is served from: the chat server, or
	// a proxy in front of it.
	server string
}

// openChat opens the demo website of srv and the chat window on it, and
// waits until the window is connected to its chat.
func openChat(t *testing.T, srv *parleytest.Server) *chatWindow {
	t.Helper()
	return openChatOn(t, srv.DemoURL, srv.URL)
}

// openChatOn opens the host page at pageURL, whose loader comes from
// server, clicks the launcher and waits until the window is connected.
func openChatOn(t *testing.T, pageURL, server string) *chatWindow {
	t.Helper()
	tb := openPrivateTab(t, pageURL)
	return tb.openWindow(server)
}

// openPrivateTab is openTab in a browser context of the test's own, which
// goes when the test ends and takes every connection of its pages and
// service workers with it. Otherwise Chromium keeps idle and preconnected
// sockets open, and the test's servers wait for them when they stop (Go's
// http.Server gives a connection that never sent a request 5 seconds).
func openPrivateTab(t *testing.T, url string) *tab {
	t.Helper()
	return openTabWith(t, url, chromedp.WithNewBrowserContext())
}

// openWindow clicks the launcher of the tab's page and attaches to the
// window it opens.
func (tb *tab) openWindow(server string) *chatWindow {
	tb.t.Helper()
	if err := chromedp.Do(tb.ctx, chromedp.Click(launcher)); err != nil {
		tb.t.Fatalf("clicking the launcher: %v", err)
	}
	w := &chatWindow{t: tb.t, tab: tb, frame: tb.frame(server + "/widget/"), server: server}
	w.waitConnected()
	w.learn()
	if w.chatID == "" {
		tb.t.Fatal("the connected window names no chat")
	}
	return w
}

// learn reads the chat and the page's name from a connected window.
func (w *chatWindow) learn() {
	w.t.Helper()
	w.chatID = attribute(w.t, w.frame, `[data-testid=chat]`, "data-chat-id")
	w.tabID = attribute(w.t, w.frame, `[data-testid=chat]`, "data-tab")
}

// msgID is the msg_id of the window's nth message, file or page.
func (w *chatWindow) msgID(n int) protocol.ID {
	return protocol.TextID(fmt.Sprintf("%s:%d", w.tabID, n))
}

// reopenAfterReload reloads the host page, opens the window again and
// attaches to the new iframe, never to the one of the page before.
func (w *chatWindow) reopenAfterReload() {
	w.t.Helper()
	old := chromedp.FromContext(w.frame).Target.TargetID
	if err := chromedp.Do(w.tab.ctx, chromedp.Reload()); err != nil {
		w.t.Fatalf("reloading the page: %v", err)
	}
	if err := chromedp.Do(w.tab.ctx, chromedp.Click(launcher)); err != nil {
		w.t.Fatalf("clicking the launcher after the reload: %v", err)
	}
	w.frame = w.tab.frameOtherThan(w.server+"/widget/", old)
	// The new page numbers its msg_ids under a name of its own.
	waitJS(w.t, w.frame, "the new page's session", `!!document.querySelector("[data-testid=chat]").dataset.tab`)
	w.tabID = attribute(w.t, w.frame, `[data-testid=chat]`, "data-tab")
}

// frameOtherThan is tab.frame for an iframe that replaced the target old.
func (tb *tab) frameOtherThan(prefix string, old target.ID) context.Context {
	tb.t.Helper()
	for {
		infos, err := chromedp.Targets(tb.ctx)
		if err != nil {
			tb.t.Fatalf("listing targets: %v", err)
		}
		for _, info := range infos {
			if info.Type == "iframe" && info.TargetID != old && strings.HasPrefix(info.URL, prefix) {
				if _, taken := framesTaken.LoadOrStore(info.TargetID, true); taken {
					continue
				}
				ctx, cancel := chromedp.NewContext(tb.ctx, chromedp.WithTargetID(info.TargetID))
				tb.t.Cleanup(cancel)
				tb.watch(ctx)
				if err := chromedp.Do(ctx); err != nil {
					tb.t.Fatalf("attaching to the new iframe: %v", err)
				}
				tb.watchCSP(ctx)
				return ctx
			}
		}
		select {
		case <-tb.ctx.Done():
			tb.t.Fatalf("no new iframe from %s appeared: %v", prefix, tb.ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (w *chatWindow) waitConnected() {
	w.t.Helper()
	w.waitVisible(`[data-testid=chat][data-connection=connected]`)
}

// bounded is the window's context for one wait: 20 seconds, well within
// the tab's minute, so a failed wait says what it waited for.
func (w *chatWindow) bounded() context.Context {
	ctx, cancel := context.WithTimeout(w.frame, 20*time.Second)
	w.t.Cleanup(cancel)
	return ctx
}

// waitVisible waits until the first element matching css is visible in the
// window.
func (w *chatWindow) waitVisible(css string) {
	w.t.Helper()
	if err := chromedp.Do(w.bounded(), chromedp.WaitVisible(chromedp.CSS(css))); err != nil {
		w.t.Fatalf("waiting for %s to show: %v", css, err)
	}
}

// waitGone waits until nothing matches css in the window.
func (w *chatWindow) waitGone(css string) {
	w.t.Helper()
	if err := chromedp.Do(w.bounded(), chromedp.WaitNotPresent(chromedp.CSS(css))); err != nil {
		w.t.Fatalf("waiting for %s to go: %v", css, err)
	}
}

func (w *chatWindow) click(css string) {
	w.t.Helper()
	if err := chromedp.Do(w.frame, chromedp.Click(chromedp.CSS(css))); err != nil {
		w.t.Fatalf("clicking %s: %v", css, err)
	}
}

// typeText types into the element as a person would, key by key.
func (w *chatWindow) typeText(css, text string) {
	w.t.Helper()
	if err := chromedp.Do(w.frame, chromedp.SendKeys(chromedp.CSS(css), text)); err != nil {
		w.t.Fatalf("typing into %s: %v", css, err)
	}
}

// say types a message into the composer and sends it with Enter.
func (w *chatWindow) say(text string) {
	w.t.Helper()
	w.typeText(`[data-testid=composer-input]`, text)
	w.press(enter, 0)
}

// Keys for press.
var (
	enter  = keyInfo{key: "Enter", code: "Enter", keyCode: 13, text: "\r"}
	tabKey = keyInfo{key: "Tab", code: "Tab", keyCode: 9}
	escape = keyInfo{key: "Escape", code: "Escape", keyCode: 27}
)

type keyInfo struct {
	key, code, text string
	keyCode         int64
}

// shift is the Shift modifier of press.
const shift = 8

// press presses a key in the window as a keyboard does: the key goes down
// with its text, so a page that cancels the keydown also cancels the
// character, then comes up. (Separate keyDown and char events, as
// chromedp.KeyEvent sends, would type the character anyway.)
func (w *chatWindow) press(k keyInfo, modifiers int64) {
	w.t.Helper()
	pressIn(w.t, w.frame, k, modifiers)
}

func pressIn(t *testing.T, ctx context.Context, k keyInfo, modifiers int64) {
	t.Helper()
	for _, typ := range []input.DispatchKeyEventType{input.DispatchKeyEventTypeKeyDown, input.DispatchKeyEventTypeKeyUp} {
		params := input.DispatchKeyEventParams{Type: typ, Key: k.key, Code: k.code, Modifiers: modifiers,
			WindowsVirtualKeyCode: k.keyCode, NativeVirtualKeyCode: k.keyCode}
		if typ == input.DispatchKeyEventTypeKeyDown {
			params.Text, params.UnmodifiedText = k.text, k.text
		}
		if _, err := chromedp.Call(ctx, input.DispatchKeyEvent, params); err != nil {
			t.Fatalf("pressing %s: %v", k.key, err)
		}
	}
}

// setField gives a form control a value the way the browser does when a
// person picks one (a date, an option): the value, then the event the
// window listens to.
func (w *chatWindow) setField(css, value, event string) {
	w.t.Helper()
	js := fmt.Sprintf(`(() => {
		const e = document.querySelector(%s);
		if (!e) return false;
		e.value = %s;
		e.dispatchEvent(new Event(%s, {bubbles: true}));
		return true;
	})()`, jsString(css), jsString(value), jsString(event))
	if !evalJS[bool](w.t, w.frame, js) {
		w.t.Fatalf("no %s to set", css)
	}
}

// evalJS evaluates a JavaScript expression in ctx, failing the test if it
// throws.
func evalJS[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluating %s: %v", js, err)
	}
	return v
}

// evalAwait evaluates an expression that gives a promise, and returns what
// the promise resolves to.
func evalAwait[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluating %s: %v", js, err)
	}
	return v
}

// waitJS waits until the expression is truthy. It polls on a timer, not on
// animation frames, which a hidden window does not get.
func waitJS(t *testing.T, ctx context.Context, what, js string) {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](js,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(20*time.Second)))
	if err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// countIn is how many elements match css in ctx's document.
func countIn(t *testing.T, ctx context.Context, css string) int {
	t.Helper()
	return evalJS[int](t, ctx, fmt.Sprintf(`document.querySelectorAll(%s).length`, jsString(css)))
}

// textOf is the textContent of the first element matching css, "" if none.
func textOf(t *testing.T, ctx context.Context, css string) string {
	t.Helper()
	return evalJS[string](t, ctx, fmt.Sprintf(`(document.querySelector(%s) || {}).textContent || ""`, jsString(css)))
}

// allText are the textContents of every element matching css.
func allText(t *testing.T, ctx context.Context, css string) []string {
	t.Helper()
	return evalJS[[]string](t, ctx, fmt.Sprintf(`[...document.querySelectorAll(%s)].map(e => e.textContent)`, jsString(css)))
}

// storedEvents returns the chat's stored events, in order, as copies without the
// server's clock and sequence numbers, which a test cannot predict.
func storedEvents(t *testing.T, srv *parleytest.Server, chatID string) []protocol.Event {
	t.Helper()
	events, err := srv.Chats.History(context.Background(), chatID, 0, 1000)
	if err != nil {
		t.Fatalf("reading the history of chat %s: %v", chatID, err)
	}
	out := make([]protocol.Event, 0, len(events))
	for _, e := range events {
		out = append(out, scrub(e))
	}
	return out
}

// scrub copies e without its timestamp and sequence number.
func scrub(e protocol.Event) protocol.Event {
	raw, err := protocol.MarshalEvent(e)
	if err != nil {
		panic(err)
	}
	c, err := protocol.UnmarshalEvent(raw)
	if err != nil {
		panic(err)
	}
	c.EventMeta().Timestamp = protocol.Timestamp{}
	c.EventMeta().Seq = 0
	return c
}

// waitStored waits until the chat's stored events satisfy done, and returns
// them.
func waitStored(t *testing.T, srv *parleytest.Server, chatID, what string, done func([]protocol.Event) bool) []protocol.Event {
	t.Helper()
	var events []protocol.Event
	if !poll(func() bool { events = storedEvents(t, srv, chatID); return done(events) }) {
		t.Fatalf("the server never stored %s; it has\n%s", what, dumpEvents(events))
	}
	return events
}

// waitUntil waits until cond, which the test's own side answers (the
// store, a log), holds.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	if !poll(cond) {
		t.Fatalf("waiting for %s: still not there after 20 s", what)
	}
}

// poll checks cond every 50 ms for 20 seconds and reports whether it held.
func poll(cond func() bool) bool {
	for deadline := time.Now().Add(20 * time.Second); ; {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond) // between two checks of a condition
	}
}

// storedAtLeast waits until the chat has n stored events, and returns them.
func storedAtLeast(t *testing.T, srv *parleytest.Server, chatID string, n int) []protocol.Event {
	t.Helper()
	return waitStored(t, srv, chatID, fmt.Sprintf("%d events", n), func(e []protocol.Event) bool { return len(e) >= n })
}

// sameEvents fails the test unless got and want are the same events in the
// same order.
func sameEvents(t *testing.T, what string, got, want []protocol.Event) {
	t.Helper()
	if len(got) == len(want) {
		same := true
		for i := range got {
			if !reflect.DeepEqual(scrub(got[i]), scrub(want[i])) {
				same = false
			}
		}
		if same {
			return
		}
	}
	t.Errorf("%s:\n got\n%s\nwant\n%s", what, dumpEvents(got), dumpEvents(want))
}

// dumpEvents writes events one a line, for failure messages.
func dumpEvents(events []protocol.Event) string {
	var b strings.Builder
	for i, e := range events {
		raw, _ := protocol.MarshalEvent(e)
		if len(raw) > 300 {
			raw = append(raw[:300:300], "…"...)
		}
		fmt.Fprintf(&b, "  %2d %s\n", i, raw)
	}
	return b.String()
}

// eventsOf keeps the events of type T.
func eventsOf[T protocol.Event](events []protocol.Event) []T {
	var out []T
	for _, e := range events {
		if v, ok := e.(T); ok {
			out = append(out, v)
		}
	}
	return out
}

// waitReadToLast waits until the visitor's latest read receipt names the
// latest message or file the party sent, which stands for all before it,
// and returns the chat's events then.
func waitReadToLast(t *testing.T, srv *parleytest.Server, chatID, party string) []protocol.Event {
	t.Helper()
	return waitStored(t, srv, chatID, "a read receipt for the last message of "+party, func(e []protocol.Event) bool {
		var last protocol.ID
		for _, ev := range sentBy(e, party) {
			switch ev := ev.(type) {
			case *protocol.Message:
				last = ev.MsgID
			case *protocol.File:
				last = ev.MsgID
			}
		}
		receipts := eventsOf[*protocol.MessageRead](sentBy(e, chatID))
		return !last.IsZero() && len(receipts) > 0 && receipts[len(receipts)-1].RefMsgID == last
	})
}

// sentBy keeps the events the party sent.
func sentBy(events []protocol.Event, party string) []protocol.Event {
	var out []protocol.Event
	for _, e := range events {
		if e.EventMeta().PartyID == party {
			out = append(out, e)
		}
	}
	return out
}

// dropTypes drops the events of the given wire types.
func dropTypes(events []protocol.Event, types ...string) []protocol.Event {
	var out []protocol.Event
	for _, e := range events {
		drop := false
		for _, typ := range types {
			drop = drop || e.EventType() == typ
		}
		if !drop {
			out = append(out, e)
		}
	}
	return out
}

// navEvent is the chat_session_navigation a window on the demo website
// sends when it connects, numbered n.
func navEvent(srv *parleytest.Server, w *chatWindow, n int) *protocol.Navigation {
	return &protocol.Navigation{MsgID: w.msgID(n), Page: srv.DemoURL + "/", Title: demoTitle, Meta: protocol.Meta{PartyID: w.chatID}}
}

// visitorMsg is a message the window sent as its nth.
func visitorMsg(w *chatWindow, n int, text string) *protocol.Message {
	return &protocol.Message{MsgID: w.msgID(n), Msg: text, Meta: protocol.Meta{PartyID: w.chatID}}
}

// serverPublish posts events to the chat from the contact center's side.
func serverPublish(t *testing.T, srv *parleytest.Server, chatID string, events ...protocol.Event) {
	t.Helper()
	if err := srv.Chats.Publish(context.Background(), chatID, events...); err != nil {
		t.Fatalf("publishing %s: %v", dumpEvents(events), err)
	}
}

// agentJoined is the chat_session_party_joined of an agent.
func agentJoined(party, first string) *protocol.PartyJoined {
	return &protocol.PartyJoined{FirstName: first, Type: protocol.PartyInternal, Meta: protocol.Meta{PartyID: party}}
}

// agentSays is a message from an agent's party.
func agentSays(party, text string) *protocol.Message {
	return &protocol.Message{Msg: text, Meta: protocol.Meta{PartyID: party}}
}

// servePage serves a web page on "localhost", another site than the chat
// server's 127.0.0.1 as a customer's website would be, that embeds the
// loader from loaderOrigin with the demo website's tag plus attrs (such as
// data-locale="de"), after body.
func servePage(t *testing.T, loaderOrigin, attrs string, body template.HTML) string {
	t.Helper()
	page := template.Must(template.New("host").Parse(`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>A host page</title>
<style>body { margin: 0; font: 16px/1.5 Georgia, serif; } main { padding: 24px; }</style></head>
<body><main><h1>A host page</h1>{{.Body}}</main>
<script src="{{.Origin}}/widget.js" data-app-id="{{.AppID}}" {{.Attrs}} async></script>
</body></html>`))
	var rendered bytes.Buffer
	if err := page.Execute(&rendered, map[string]any{
		"Origin": loaderOrigin, "AppID": parleytest.AppID, "Attrs": template.HTMLAttr(attrs), "Body": body,
	}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(rendered.Bytes())
	}))
	t.Cleanup(srv.Close)
	// httptest listens on 127.0.0.1; the page is reached by another name.
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	return "http://localhost:" + port + "/"
}

// noSocketProxy is an HTTP proxy in front of the chat server that refuses
// every WebSocket upgrade, as some corporate proxies do, and counts them.
type noSocketProxy struct {
	URL     string
	refused atomic.Int32
}

func startNoSocketProxy(t *testing.T, target string) *noSocketProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &noSocketProxy{}
	rp := httputil.NewSingleHostReverseProxy(u)
	// Long polls and uploads must not wait on a buffer.
	rp.FlushInterval = -1
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			p.refused.Add(1)
			http.Error(w, "WebSockets are not allowed here", http.StatusForbidden)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// makePNG is a small real PNG: a red and blue picture of w×h pixels.
func makePNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.RGBA{R: 200, G: 40, B: 40, A: 255}
			if x > w/2 {
				c = color.RGBA{R: 30, G: 80, B: 200, A: 255}
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// tinyPDF is a tiny but well-formed PDF.
var tinyPDF = []byte("%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n" +
	"trailer<</Root 1 0 R>>\n%%EOF\n")

// tempFile writes a file named name in a directory of the test and
// returns its path.
func tempFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// fetchURL fetches a URL the window shows, with no credentials of the
// browser: the URL itself must carry the right to it.
func fetchURL(t *testing.T, u string) []byte {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatalf("downloading %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("downloading %s: %s %v", u, resp.Status, err)
	}
	return body
}

// netLog records the network events of a target in the order they come.
type netLog struct {
	mu     sync.Mutex
	events []any
}

// logNetwork starts recording the network of the target of ctx.
func logNetwork(t *testing.T, ctx context.Context) *netLog {
	t.Helper()
	l := &netLog{}
	if err := chromedp.Listen(ctx, func(ev any) {
		switch ev.(type) {
		case *network.EventRequestWillBeSent, *network.EventLoadingFinished, *network.EventLoadingFailed,
			*network.EventWebSocketFrameSent, *network.EventWebSocketCreated, *network.EventResponseReceived:
			l.mu.Lock()
			l.events = append(l.events, ev)
			l.mu.Unlock()
		}
	}); err != nil {
		t.Fatalf("listening to the network: %v", err)
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("enabling the network domain: %v", err)
	}
	return l
}

// snapshot returns the events recorded so far.
func (l *netLog) snapshot() []any {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]any(nil), l.events...)
}

// requests are the URLs of the requests recorded so far, in order.
func (l *netLog) requests() []string {
	var urls []string
	for _, ev := range l.snapshot() {
		if r, ok := ev.(*network.EventRequestWillBeSent); ok {
			urls = append(urls, r.Request.Method+" "+r.Request.URL)
		}
	}
	return urls
}

// splitLines splits text into lines, for transcripts.
func splitLines(text string) []string {
	var lines []string
	s := bufio.NewScanner(strings.NewReader(text))
	for s.Scan() {
		lines = append(lines, s.Text())
	}
	return lines
}
