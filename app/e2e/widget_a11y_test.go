package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/chromedp"
	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/app/parleytest/browser"
	"github.com/parleychat/parley/protocol"
)

// axControl is a control of the accessibility tree, as a screen reader
// meets it.
type axControl struct{ role, name string }

// axControls lists the controls of ctx's document that a screen reader
// reaches: its buttons, links, text boxes and the like, with the names
// the browser computed for them.
func axControls(t *testing.T, ctx context.Context) []axControl {
	t.Helper()
	tree, err := chromedp.Call(ctx, accessibility.GetFullAXTree, accessibility.GetFullAXTreeParams{})
	if err != nil {
		t.Fatalf("reading the accessibility tree: %v", err)
	}
	text := func(v *accessibility.Value) string {
		if v == nil || len(v.Value) == 0 {
			return ""
		}
		var s string
		_ = json.Unmarshal([]byte(v.Value), &s)
		return strings.TrimSpace(s)
	}
	var controls []axControl
	for _, n := range tree.Nodes {
		switch role := text(n.Role); role {
		case "button", "link", "textbox", "combobox", "checkbox", "radio", "log", "status":
			if !n.Ignored {
				controls = append(controls, axControl{role, text(n.Name)})
			}
		}
	}
	return controls
}

// activeTestID names the element that has the focus in ctx's document,
// looking into the loader's shadow root.
func activeTestID(t *testing.T, ctx context.Context) string {
	t.Helper()
	return evalJS[string](t, ctx, `(() => {
		let e = document.activeElement;
		while (e && e.shadowRoot && e.shadowRoot.activeElement) e = e.shadowRoot.activeElement;
		if (!e || e === document.body) return "body";
		return e.dataset.testid || e.tagName.toLowerCase();
	})()`)
}

// focusedSoon reports whether the element matching css gets the focus in
// the window within three seconds.
func (w *chatWindow) focusedSoon(css string) bool {
	w.t.Helper()
	_, err := chromedp.Run(w.frame, chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.activeElement === document.querySelector(%s)`, jsString(css)),
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(3*time.Second)))
	return err == nil
}

// TestAccessibleWindow: the list is a log, the live region reads the
// contact center's latest message, every control has a name, and the
// window works from the keyboard: open it and type, Tab to the composer,
// Escape back to the launcher.
func TestAccessibleWindow(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	w := openChat(t, srv)

	// Opened with a click, the window is ready to type in.
	if !w.focusedSoon(composerInput) {
		w.tab.screenshot("a11y-opened-without-focus")
		t.Errorf("after the window opened and connected, the focus is on %q in it and on %q in the page; want the composer",
			activeTestID(t, w.frame), activeTestID(t, w.tab.ctx))
	}
	pressIn(t, w.tab.ctx, browser.Key{Key: "h", Code: "KeyH", KeyCode: 72, Text: "h"}, 0)
	pressIn(t, w.tab.ctx, browser.Key{Key: "i", Code: "KeyI", KeyCode: 73, Text: "i"}, 0)
	if draft := evalJS[string](t, w.frame, `document.querySelector("[data-testid=composer-input]").value`); draft != "hi" {
		t.Errorf("keys typed after opening the window went elsewhere: the composer holds %q", draft)
	}
	w.setField(composerInput, "", "input")

	list := `[data-testid=messages]`
	for name, want := range map[string]string{"role": "log", "aria-label": "Messages"} {
		if got := attribute(t, w.frame, list, name); got != want {
			t.Errorf("the message list has %s=%q, want %q", name, got, want)
		}
	}
	if live := attribute(t, w.frame, `[data-testid=announcer]`, "aria-live"); live != "polite" {
		t.Errorf("the announcer is aria-live=%q, want polite", live)
	}
	serverPublish(t, srv, w.chatID, agentJoined(graceID, "Grace"), agentSays(graceID, "We have the Ridgeline in green."))
	waitText(t, w.frame, `[data-testid=announcer]`, "Grace: We have the Ridgeline in green.")
	serverPublish(t, srv, w.chatID, agentSays(graceID, "And in orange."))
	waitText(t, w.frame, `[data-testid=announcer]`, "Grace: And in orange.")
	w.say("Green, please.")
	w.waitVisible(`[data-testid=message][data-from=visitor][data-status=sent]`)
	if said := textOf(t, w.frame, `[data-testid=announcer]`); said != "Grace: And in orange." {
		t.Errorf("after the visitor's message the announcer reads %q; it reads the contact center's messages", said)
	}

	// Every control has a name, with the question before the end open too.
	w.click(`[data-testid=end-chat]`)
	w.waitVisible(`[data-testid=confirm-end]`)
	controls := axControls(t, w.frame)
	roles := map[string]int{}
	for _, c := range controls {
		roles[c.role]++
		if c.name == "" && c.role != "status" {
			t.Errorf("a %s of the window has no accessible name", c.role)
		}
	}
	if roles["button"] < 6 || roles["textbox"] != 1 || roles["log"] != 1 {
		t.Errorf("the window's accessibility tree has %v; want the header's, the question's and the composer's buttons, one text box and one log", roles)
	}
	for _, c := range axControls(t, w.tab.ctx) {
		if c.role == "button" && c.name != "Close chat" && c.name != "Open chat" {
			t.Errorf("the launcher is a button named %q", c.name)
		}
	}
	t.Logf("the window's controls: %v", controls)
	w.press(escape, 0)
	w.waitGone(`[data-testid=confirm-end]`)

	// Tab goes from the top of the window to the composer.
	evalJS[chromedp.Void](t, w.frame, `document.activeElement.blur()`)
	var path []string
	for range 8 {
		w.press(tabKey, 0)
		id := activeTestID(t, w.frame)
		path = append(path, id)
		if id == "composer-input" {
			break
		}
	}
	if path[len(path)-1] != "composer-input" {
		t.Errorf("Tab went %v and never reached the composer", path)
	}

	// Escape closes the window and gives the focus back to the launcher.
	w.press(escape, 0)
	waitJS(t, w.tab.ctx, "the window to close", `document.querySelector("parley-widget").shadowRoot.querySelector("iframe").hidden`)
	if focused := activeTestID(t, w.tab.ctx); focused != "launcher" {
		t.Errorf("after Escape the focus is on %q, want the launcher", focused)
	}
	if expanded := evalJS[string](t, w.tab.ctx, `document.querySelector("parley-widget").shadowRoot.querySelector("[data-testid=launcher]").getAttribute("aria-expanded")`); expanded != "false" {
		t.Errorf("the closed window's launcher has aria-expanded=%q", expanded)
	}
	w.tab.screenshot("a11y-closed-with-escape")

	// Enter on the focused launcher opens the window again, ready to type.
	pressIn(t, w.tab.ctx, enter, 0)
	waitJS(t, w.tab.ctx, "the window to open", `!document.querySelector("parley-widget").shadowRoot.querySelector("iframe").hidden`)
	if !w.focusedSoon(composerInput) {
		t.Errorf("after reopening the window from the keyboard the focus is on %q in it and on %q in the page; want the composer",
			activeTestID(t, w.frame), activeTestID(t, w.tab.ctx))
	}
	pressIn(t, w.tab.ctx, browser.Key{Key: "o", Code: "KeyO", KeyCode: 79, Text: "o"}, 0)
	if draft := evalJS[string](t, w.frame, `document.querySelector("[data-testid=composer-input]").value`); draft != "o" {
		t.Errorf("a key typed after reopening the window went elsewhere: the composer holds %q", draft)
	}
	w.tab.screenshot("a11y-reopened")

	got := storedEvents(t, srv, w.chatID)
	if messages := eventsOf[*protocol.Message](sentBy(got, w.chatID)); len(messages) != 1 || messages[0].Msg != "Green, please." {
		t.Errorf("the visitor's messages on the server are %s; the keys typed to test the focus must not be sent", dumpEvents(sentBy(got, w.chatID)))
	}
}

// contrastJS computes the WCAG contrast ratio of an element's text on the
// background it is drawn on: its own, else the nearest ancestor's, with
// translucent backgrounds laid over what is beneath.
const contrastJS = `(css => {
	const parse = c => { const m = c.match(/[\d.]+/g).map(Number); return {r: m[0], g: m[1], b: m[2], a: m.length > 3 ? m[3] : 1}; };
	const over = (top, below) => ({r: top.r * top.a + below.r * (1 - top.a), g: top.g * top.a + below.g * (1 - top.a), b: top.b * top.a + below.b * (1 - top.a), a: 1});
	const el = document.querySelector(css);
	if (!el) return -1;
	const layers = [];
	for (let e = el; e; e = e.parentElement) {
		const bg = parse(getComputedStyle(e).backgroundColor);
		if (bg.a > 0) layers.push(bg);
		if (bg.a === 1) break;
	}
	let bg = {r: 255, g: 255, b: 255, a: 1};
	for (const layer of layers.reverse()) bg = over(layer, bg);
	const fg = over(parse(getComputedStyle(el).color), bg);
	const lum = c => { const ch = v => { v /= 255; return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
		return 0.2126 * ch(c.r) + 0.7152 * ch(c.g) + 0.0722 * ch(c.b); };
	const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
	return (hi + 0.05) / (lo + 0.05);
})`

// TestContrast: the window's texts stand out from their backgrounds by
// WCAG's 4.5:1 for normal text.
func TestContrast(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	w := openChat(t, srv)
	w.say("Do the boots run small?")
	// Stored before the contact center answers: the test's order.
	w.waitVisible(`[data-testid=message][data-from=visitor][data-status=sent]`)
	serverPublish(t, srv, w.chatID, agentJoined(graceID, "Grace"), agentSays(graceID, "A little: take half a size up."))
	w.waitVisible(`[data-testid=message][data-from=agent]`)
	w.waitVisible(`[data-testid=message][data-from=visitor][data-status=sent]`)
	w.tab.screenshot("a11y-contrast")

	for _, c := range []struct{ what, css string }{
		{"the header's title on the header", `[data-testid=title]`},
		{"the header's status on the header", `[data-testid=status]`},
		{"the end-chat button on the header", `[data-testid=end-chat]`},
		{"the visitor's bubble", `[data-testid=message][data-from=visitor] .parley-text`},
		{"the agent's bubble", `[data-testid=message][data-from=agent] .parley-text`},
		{"a message's time and mark", `[data-testid=message][data-from=visitor] [data-testid=meta]`},
		{"the author's name", `[data-testid=message][data-from=agent] .parley-author`},
		{"a notice", `[data-testid=notice]`},
		{"the send button", `[data-testid=send]`},
		{"the message box", `[data-testid=composer-input]`},
	} {
		ratio := evalJS[float64](t, w.frame, fmt.Sprintf(`%s(%s)`, contrastJS, jsString(c.css)))
		switch {
		case ratio < 0:
			t.Errorf("%s (%s) is not there", c.what, c.css)
		case ratio < 4.5:
			t.Errorf("%s has a contrast of %.2f:1, below 4.5:1", c.what, ratio)
		default:
			t.Logf("%s: %.2f:1", c.what, ratio)
		}
	}

	got := waitStored(t, srv, w.chatID, "the read receipt", func(e []protocol.Event) bool { return len(e) == 5 })
	reply := eventsOf[*protocol.Message](sentBy(got, graceID))[0]
	sameEvents(t, "the events the server stored", got, []protocol.Event{
		navEvent(srv, w, 1),
		visitorMsg(w, 2, "Do the boots run small?"),
		agentJoined(graceID, "Grace"),
		&protocol.Message{MsgID: reply.MsgID, Msg: "A little: take half a size up.", Meta: protocol.Meta{PartyID: graceID}},
		&protocol.MessageRead{RefMsgID: reply.MsgID, Meta: protocol.Meta{PartyID: w.chatID}},
	})
}
