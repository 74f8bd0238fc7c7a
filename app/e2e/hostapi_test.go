package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/protocol"
)

// seen is what testdata/api.js records of the widget's events.
type seen struct {
	Name   string `json:"name"`
	Text   string `json:"text"`
	Author string `json:"author"`
	Count  int    `json:"count"`
}

func events(t *testing.T, ctx context.Context) []seen {
	t.Helper()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](`window.seen`))
	if err != nil {
		t.Fatal(err)
	}
	var out []seen
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// saw returns the last event of the name.
func saw(list []seen, name string) *seen {
	for i := len(list) - 1; i >= 0; i-- {
		if list[i].Name == name {
			return &list[i]
		}
	}
	return nil
}

// TestHostPageDrivesTheWidget goes through the page's API: calls queued
// before the loader ran (setVisitor, on), open, setLocale, theme, close with
// the unread count and the page title, hide and show, the events, and
// shutdown, which forgets the visitor.
func TestHostPageDrivesTheWidget(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	page := fixturePage(t, srv.URL, "api.html", "")
	tab := openTab(t, page)
	if err := chromedp.Do(tab.ctx, chromedp.WaitVisible(launcher), chromedp.Evaluate[chromedp.Void](`Parley("open")`)); err != nil {
		t.Fatal(err)
	}
	frame := tab.frame(srv.URL)
	if err := chromedp.Do(frame, chromedp.WaitVisible(chromedp.CSS(`[data-testid=chat][data-connection=connected]`))); err != nil {
		t.Fatal(err)
	}
	chatID := attribute(t, frame, `[data-testid=chat]`, "data-chat-id")
	c, err := srv.Chats.Chat(tab.ctx, chatID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Request.From != "Ada Lovelace" || c.Request.Parameters["email"] != "ada@example.com" || c.Request.Parameters["plan"] != "gold" {
		t.Errorf("Request Chat carried %+v; want the visitor the page set before the loader ran", c.Request)
	}
	waitJS(t, tab.ctx, "the open event", `window.seen.some(e => e.name === "open")`)

	// Language and theme, live.
	if err := chromedp.Do(tab.ctx, chromedp.Evaluate[chromedp.Void](`Parley("setLocale", "de"), Parley("theme", {brand: "rgb(10, 125, 90)", radius: "4px"})`)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, frame, "German texts", `document.querySelector("[data-testid=composer-input]").placeholder === "Nachricht schreiben…"`)
	waitJS(t, frame, "the brand colour", `getComputedStyle(document.querySelector(".parley-header")).backgroundColor === "rgb(10, 125, 90)"`)

	// Closed, the launcher counts the agent's messages and the title blinks.
	if err := chromedp.Do(tab.ctx, chromedp.Evaluate[chromedp.Void](`Parley("close")`)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, tab.ctx, "the close event", `window.seen.some(e => e.name === "close")`)
	if err := srv.Chats.Publish(tab.ctx, chatID, &protocol.Message{Msg: "Your order shipped", Meta: protocol.Meta{PartyID: "agent-1"}}); err != nil {
		t.Fatal(err)
	}
	waitJS(t, tab.ctx, "the unread badge", `document.querySelector("parley-widget").shadowRoot.querySelector("[data-testid=launcher] i").textContent === "1"`)
	waitJS(t, tab.ctx, "the title to show the unread count", `document.title.startsWith("(1) ")`)
	waitJS(t, tab.ctx, "the message event", `window.seen.some(e => e.name === "message")`)
	got := events(t, tab.ctx)
	if m := saw(got, "message"); m == nil || m.Text != "Your order shipped" {
		t.Errorf("the message event carried %+v", m)
	}
	if u := saw(got, "unread"); u == nil || u.Count != 1 {
		t.Errorf("the unread event carried %+v", u)
	}
	tab.screenshot("api-unread")
	if err := chromedp.Do(tab.ctx, chromedp.Click(launcher)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, tab.ctx, "opening to clear the badge", `document.querySelector("parley-widget").shadowRoot.querySelector("[data-testid=launcher] i").textContent === ""`)
	waitJS(t, tab.ctx, "opening to stop the title", `!document.title.startsWith("(")`)

	// hide takes the launcher away; show brings it back.
	if err := chromedp.Do(tab.ctx, chromedp.Evaluate[chromedp.Void](`Parley("hide")`)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, tab.ctx, "hide", `getComputedStyle(document.querySelector("parley-widget")).display === "none"`)
	if err := chromedp.Do(tab.ctx, chromedp.Evaluate[chromedp.Void](`Parley("show")`)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, tab.ctx, "show", `getComputedStyle(document.querySelector("parley-widget")).display === "block"`)

	// The agent ends the chat: the page hears it.
	if err := srv.Chats.Publish(tab.ctx, chatID, &protocol.Ended{}); err != nil {
		t.Fatal(err)
	}
	waitJS(t, tab.ctx, "the ended event", `window.seen.some(e => e.name === "ended")`)

	// shutdown removes everything and forgets the visitor: the next page
	// load is a new visitor.
	if err := chromedp.Do(tab.ctx, chromedp.Evaluate[chromedp.Void](`Parley("shutdown")`)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, tab.ctx, "shutdown to remove the widget", `!document.querySelector("parley-widget") && typeof window.Parley === "undefined"`)
	if err := chromedp.Do(tab.ctx, chromedp.Navigate(page), chromedp.WaitVisible(launcher), chromedp.Click(launcher)); err != nil {
		t.Fatal(err)
	}
	again := tab.frame(srv.URL)
	if err := chromedp.Do(again, chromedp.WaitVisible(chromedp.CSS(`[data-testid=chat][data-connection=connected]`))); err != nil {
		t.Fatal(err)
	}
	next, err := srv.Chats.Chat(tab.ctx, attribute(t, again, `[data-testid=chat]`, "data-chat-id"))
	if err != nil {
		t.Fatal(err)
	}
	if next.ClientID == c.ClientID {
		t.Error("after shutdown the page came back as the same visitor")
	}
}

// TestMessagesFromElsewhereAreIgnored posts the window's messages from where
// they must not come from: the page itself to the loader, and the chat
// window to itself. Neither changes anything.
func TestMessagesFromElsewhereAreIgnored(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	tab := openTab(t, srv.DemoURL)
	if err := chromedp.Do(tab.ctx, chromedp.Click(launcher)); err != nil {
		t.Fatal(err)
	}
	frame := tab.frame(srv.URL)
	if err := chromedp.Do(frame, chromedp.WaitVisible(chromedp.CSS(`[data-testid=chat][data-connection=connected]`))); err != nil {
		t.Fatal(err)
	}
	// To the loader, from the page rather than the window.
	if err := chromedp.Do(tab.ctx, chromedp.Evaluate[chromedp.Void](`window.postMessage({type: "unread", count: 7, title: "Pwned"}, "*"), window.postMessage({type: "close"}, "*")`)); err != nil {
		t.Fatal(err)
	}
	// To the window, from its own origin rather than the page's.
	if err := chromedp.Do(frame, chromedp.Evaluate[chromedp.Void](`window.postMessage({type: "theme", value: {brand: "rgb(255, 0, 0)"}}, "*"), window.postMessage({type: "shutdown"}, "*"), window.postMessage({type: "locale", value: "de"}, "*")`)); err != nil {
		t.Fatal(err)
	}
	// A legitimate round trip after them proves they were handled, and
	// ignored, before it.
	if err := chromedp.Do(tab.ctx, chromedp.Evaluate[chromedp.Void](`Parley("theme", {brand: "rgb(0, 0, 255)"})`)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, frame, "the page's own theme", `getComputedStyle(document.querySelector(".parley-header")).backgroundColor === "rgb(0, 0, 255)"`)
	checks := map[string]string{
		`document.querySelector("parley-widget").shadowRoot.querySelector("iframe").hidden === false`:                     "the window stayed open",
		`document.querySelector("parley-widget").shadowRoot.querySelector("[data-testid=launcher] i").textContent === ""`: "the badge stayed empty",
	}
	for expr, what := range checks {
		if ok, err := chromedp.Run(tab.ctx, chromedp.Evaluate[bool](expr)); err != nil || !ok {
			t.Errorf("%s: no (%v)", what, err)
		}
	}
	if ok, err := chromedp.Run(frame, chromedp.Evaluate[bool](`document.querySelector("[data-testid=composer-input]").placeholder === "Write a message…" && document.querySelector("[data-testid=chat]").dataset.connection === "connected"`)); err != nil || !ok {
		t.Errorf("the window took a message from its own origin: %v", err)
	}
}

// TestAnUnreachableChatServerLeavesThePageAlone serves the loader from a
// server that goes down before the visitor opens the chat: the window's
// error page is taken away, nothing covers the page, and the launcher says
// it can retry.
func TestAnUnreachableChatServerLeavesThePageAlone(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	// A stand-in for the chat server that serves the loader, then dies.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + ln.Addr().String()
	loaderFrom := proxyOnce(t, ln, srv.URL)
	page := fixturePage(t, down, "api.html", "")
	tab := openTab(t, page)
	if err := chromedp.Do(tab.ctx, chromedp.WaitVisible(launcher)); err != nil {
		t.Fatal(err)
	}
	loaderFrom.Close()
	if err := chromedp.Do(tab.ctx, chromedp.Click(launcher)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, tab.ctx, "the launcher to offer a retry", `document.querySelector("parley-widget").shadowRoot.querySelector("[data-testid=launcher]").ariaLabel === "Chat unavailable. Retry"`)
	if frames := inShadow[int](t, tab.ctx, `root.querySelectorAll("iframe").length`); frames != 0 {
		t.Errorf("%d windows stay on the page", frames)
	}
	covered, err := chromedp.Run(tab.ctx, chromedp.Evaluate[bool](`document.elementFromPoint(innerWidth / 2, innerHeight / 2).closest("parley-widget") !== null`))
	if err != nil || covered {
		t.Errorf("something of the widget covers the page (%v)", err)
	}
	tab.screenshot("unreachable")
}

// dying serves on ln whatever target serves, until Close, which also cuts
// the connections the browser keeps open.
type dying struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func proxyOnce(t *testing.T, ln net.Listener, target string) *dying {
	t.Helper()
	d := &dying{ln: ln}
	t.Cleanup(func() { _ = d.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", strings.TrimPrefix(target, "http://"))
			if err != nil {
				c.Close()
				continue
			}
			d.mu.Lock()
			d.conns = append(d.conns, c, s)
			d.mu.Unlock()
			go func() { _, _ = io.Copy(s, c); s.Close() }()
			go func() { _, _ = io.Copy(c, s); c.Close() }()
		}
	}()
	return d
}

func (d *dying) Close() error {
	err := d.ln.Close()
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, c := range d.conns {
		c.Close()
	}
	d.conns = nil
	return err
}
