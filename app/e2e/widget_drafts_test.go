package e2e

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/app/parleytest/browser"
	"github.com/parleychat/parley/protocol"
)

// enterAfterComposition is the Enter that confirms an input method's
// conversion as one major browser sends it: after compositionend, with
// isComposing false, and keyCode 229; it types nothing.
var enterAfterComposition = browser.Key{Key: "Enter", Code: "Enter", KeyCode: 229}

// compose types text in the element as an input method does: it composes
// it, then confirms it.
func compose(t *testing.T, ctx context.Context, css, text string) {
	t.Helper()
	evalJS[chromedp.Void](t, ctx, fmt.Sprintf(`(() => {
		const box = document.querySelector(%s);
		box.focus();
		box.dispatchEvent(new CompositionEvent("compositionstart", {bubbles: true}));
		box.value = %s;
		box.dispatchEvent(new InputEvent("input", {bubbles: true, isComposing: true}));
		box.dispatchEvent(new CompositionEvent("compositionend", {bubbles: true, data: %s}));
	})()`, jsString(css), jsString(text), jsString(text)))
}

// TestInputMethodEnterDoesNotSend: the Enter that confirms an input
// method's conversion only ends the composition, in the window and in the
// agent console; the next Enter sends.
func TestInputMethodEnterDoesNotSend(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	w := openChat(t, srv)
	compose(t, w.frame, composerInput, "日本語で")
	w.press(enterAfterComposition, 0)
	if draft := evalJS[string](t, w.frame, `document.querySelector("[data-testid=composer-input]").value`); draft != "日本語で" {
		t.Errorf("after the input method's Enter the draft is %q", draft)
	}
	if n := countIn(t, w.frame, `[data-testid=message]`); n != 0 {
		t.Errorf("the input method's Enter sent %d messages", n)
	}
	w.press(enter, 0)
	waitText(t, w.frame, `[data-testid=message][data-from=visitor][data-status=sent] .parley-text`, "日本語で")

	agent := consoleOn(t, srv.URL, w.chatID)
	compose(t, agent.ctx, `[data-testid=agent-input]`, "少々お待ちください")
	pressIn(t, agent.ctx, enterAfterComposition, 0)
	if draft := evalJS[string](t, agent.ctx, `document.querySelector("[data-testid=agent-input]").value`); draft != "少々お待ちください" {
		t.Errorf("after the input method's Enter the console's reply is %q", draft)
	}
	if n := len(eventsOf[*protocol.Message](sentBy(storedEvents(t, srv, w.chatID), "agent-grace-hopper"))); n != 0 {
		t.Errorf("the input method's Enter sent %d of the agent's messages", n)
	}
	pressIn(t, agent.ctx, enter, 0)
	waitText(t, w.frame, `[data-testid=message][data-from=agent] .parley-text`, "少々お待ちください")
}

// pasteInto pastes what a clipboard holds into the element: text, and a
// PNG named image.png when png is set, as a spreadsheet's copied cells
// come. It reports whether the window let the browser paste by itself.
func pasteInto(t *testing.T, ctx context.Context, css, text string, png []byte) bool {
	t.Helper()
	return evalJS[bool](t, ctx, fmt.Sprintf(`(() => {
		const data = new DataTransfer();
		if (%s) data.setData("text/plain", %s);
		if (%s) data.items.add(new File([Uint8Array.from(atob(%s), c => c.charCodeAt(0))], "image.png", {type: "image/png"}));
		const box = document.querySelector(%s);
		box.focus();
		return box.dispatchEvent(new ClipboardEvent("paste", {clipboardData: data, bubbles: true, cancelable: true}));
	})()`, jsString(text), jsString(text), jsString(string(png)), jsString(base64.StdEncoding.EncodeToString(png)), jsString(css)))
}

// TestPasteTextWinsOverItsPicture: cells copied from a spreadsheet hold
// their text and a picture of themselves; the text goes into the draft,
// where the caret is, and nothing is uploaded. While the window
// reconnects, a paste still reaches the draft.
func TestPasteTextWinsOverItsPicture(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	w, net, _ := viaProxy(t, srv)
	log := logNetwork(t, w.frame)
	w.typeText(composerInput, "Order: ")
	pasteInto(t, w.frame, composerInput, "A-1\t3 tents", makePNG(t, 20, 10))
	waitJS(t, w.frame, "the pasted text in the draft", `document.querySelector("[data-testid=composer-input]").value === "Order: A-1\t3 tents"`)
	if n := countIn(t, w.frame, `[data-testid=upload], [data-testid=file]`); n != 0 {
		t.Errorf("the paste attached %d files", n)
	}
	for _, r := range log.requests() {
		if strings.Contains(r, protocol.PathFiles) {
			t.Errorf("the paste uploaded: %s", r)
		}
	}

	net.Block(true)
	net.Cut()
	w.waitVisible(`[data-testid=chat][data-connection=reconnecting]`)
	pasteInto(t, w.frame, composerInput, " and 2 packs", nil)
	waitJS(t, w.frame, "the text pasted while reconnecting", `document.querySelector("[data-testid=composer-input]").value === "Order: A-1\t3 tents and 2 packs"`)
	w.tab.screenshot("drafts-pasted-while-reconnecting")
	net.Block(false)
	w.networkBack()
	w.waitConnected()
	w.press(enter, 0)
	waitText(t, w.frame, `[data-testid=message][data-from=visitor][data-status=sent] .parley-text`, "Order: A-1\t3 tents and 2 packs")
}

// TestDraftSurvivesNoticesAndDrags: the first notice (a message too long, a
// file refused) and a file dragged over the window leave the draft and the
// focus where they were; only sending empties the draft.
func TestDraftSurvivesNoticesAndDrags(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	w := openChat(t, srv)
	w.typeText(composerInput, "Hello, I have a question")
	// The element is the same one throughout: mark it.
	evalJS[chromedp.Void](t, w.frame, `document.querySelector("[data-testid=composer-input]").parleyMark = "draft"`)
	same := func(what, want string) {
		t.Helper()
		got := evalJS[[]string](t, w.frame, `(() => { const b = document.querySelector("[data-testid=composer-input]");
			return [b.parleyMark || "", b.value, document.activeElement === b ? "focused" : "not focused"]; })()`)
		if got[0] != "draft" || got[1] != want || got[2] != "focused" {
			t.Errorf("after %s the message box is %q with %q, %s; want the same box with %q, focused", what, got[0], got[1], got[2], want)
		}
	}

	// Over the limit, as the visitor types: the notice shows, the draft
	// stays.
	long := "Hello, I have a question" + strings.Repeat(".", protocol.MaxTextBytes)
	w.setField(composerInput, long, "input")
	waitText(t, w.frame, `[data-testid=composer-notice]`, "Your message is too long: shorten it by 24 characters to send it.")
	same("the length notice", long)
	w.press(enter, 0)
	same("Enter on a draft over the limit", long)
	if n := countIn(t, w.frame, `[data-testid=message]`); n != 0 {
		t.Errorf("a draft over the limit was sent as %d messages", n)
	}
	w.setField(composerInput, "Hello, I have a question", "input")
	w.waitGone(`[data-testid=composer-notice]:not(.parley-empty)`)

	// A file refused, picked from the window.
	evalJS[chromedp.Void](t, w.frame, `(() => {
		const data = new DataTransfer();
		data.items.add(new File(["MZ\x90\x00"], "setup.exe", {type: "application/x-msdownload"}));
		const picker = document.querySelector("[data-testid=file-input]");
		picker.files = data.files;
		picker.dispatchEvent(new Event("change", {bubbles: true}));
		document.querySelector("[data-testid=composer-input]").focus();
	})()`)
	waitText(t, w.frame, `[data-testid=composer-notice]`, "setup.exe is not a kind of file we can take.")
	same("a refused file", "Hello, I have a question")

	// A file dragged over the window, and away again.
	evalJS[chromedp.Void](t, w.frame, `(() => {
		const data = new DataTransfer();
		data.items.add(new File(["%PDF-1.4"], "a.pdf", {type: "application/pdf"}));
		document.querySelector("[data-testid=messages]").dispatchEvent(new DragEvent("dragover", {dataTransfer: data, bubbles: true, cancelable: true}));
	})()`)
	w.waitVisible(`[data-testid=dropzone]`)
	same("a file dragged over the window", "Hello, I have a question")
	evalJS[chromedp.Void](t, w.frame, `document.querySelector("[data-testid=messages]").dispatchEvent(new DragEvent("dragleave", {bubbles: true}))`)
	w.waitGone(`[data-testid=dropzone]:not(.parley-empty)`)
	same("the drag leaving", "Hello, I have a question")

	w.press(enter, 0)
	waitText(t, w.frame, `[data-testid=message][data-from=visitor][data-status=sent] .parley-text`, "Hello, I have a question")
	if draft := evalJS[string](t, w.frame, `document.querySelector("[data-testid=composer-input]").value`); draft != "" {
		t.Errorf("after sending, the draft is %q", draft)
	}
}

// slowChats is a proxy in front of the chat server that holds Request Chat
// until released, as a slow network does.
type slowChats struct {
	URL     string
	release func()
}

func startSlowChats(t *testing.T, target string) *slowChats {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	held := make(chan struct{})
	var once sync.Once
	s := &slowChats{release: func() { once.Do(func() { close(held) }) }}
	t.Cleanup(s.release)
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.FlushInterval = -1
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == protocol.PathChats {
			<-held
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// TestSendBeforeTheChatExists: on a slow network the visitor presses Send
// before the chat exists (and its pre-chat form with it). The message
// shows on its way, and is sent once the chat is there; a Send is never
// ignored.
func TestSendBeforeTheChatExists(t *testing.T) {
	srv := parleytest.Start(t)
	slow := startSlowChats(t, srv.URL)
	page := servePage(t, slow.URL, "", "")
	tb := openPrivateTab(t, page)
	if err := chromedp.Do(tb.ctx, chromedp.Click(launcher)); err != nil {
		t.Fatal(err)
	}
	w := &chatWindow{t: t, tab: tb, frame: tb.frame(slow.URL + "/widget/"), server: slow.URL}
	w.waitVisible(`[data-testid=chat][data-connection=connecting]`)
	w.waitVisible(`[data-testid=composer-input]:not([disabled])`)
	w.say("Hi, I need help with my order.")
	w.waitVisible(`[data-testid=message][data-from=visitor][data-status=pending]`)
	w.tab.screenshot("drafts-sent-before-the-chat")
	if draft := evalJS[string](t, w.frame, `document.querySelector("[data-testid=composer-input]").value`); draft != "" {
		t.Errorf("the sent message stayed in the composer as %q", draft)
	}

	slow.release()
	w.waitConnected()
	w.learn()
	w.waitVisible(`[data-testid=message][data-from=visitor][data-status=sent]`)
	w.waitVisible(`[data-testid=form][data-form-name=pre_chat][data-form-state=open]`)
	got := waitStored(t, srv, w.chatID, "the message", func(e []protocol.Event) bool { return len(eventsOf[*protocol.Message](sentBy(e, w.chatID))) == 1 })
	if m := eventsOf[*protocol.Message](sentBy(got, w.chatID)); m[0].Msg != "Hi, I need help with my order." {
		t.Errorf("the server stored %q", m[0].Msg)
	}
}

// TestConsoleKeepsTheReplyWhenItCannotSend: an agent whose connection is
// gone keeps the reply typed; it goes once the connection is back.
func TestConsoleKeepsTheReplyWhenItCannotSend(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	w := openChat(t, srv)
	net := parleytest.StartNetwork(t, srv.URL[len("http://"):])
	agent := consoleOn(t, net.URL(), w.chatID)
	net.Block(true)
	net.Cut()
	if err := chromedp.Do(agent.ctx, chromedp.SendKeys(chromedp.CSS(`[data-testid=agent-input]`), "One moment, please.")); err != nil {
		t.Fatal(err)
	}
	pressIn(t, agent.ctx, enter, 0)
	waitJS(t, agent.ctx, "a note that the reply did not go", `[...document.querySelectorAll("[data-testid=agent-note]")].some(n => /kept|Not connected/.test(n.textContent))`)
	if reply := evalJS[string](t, agent.ctx, `document.querySelector("[data-testid=agent-input]").value`); reply != "One moment, please." {
		t.Errorf("the console's reply box holds %q after a failed send", reply)
	}
	agent.screenshot("console-reply-kept")
	net.Block(false)
	waitJS(t, agent.ctx, "the console back", `!document.querySelector("[data-testid=agent-input]").disabled`)
	// Enter again only once the last one was refused (a new note): a reply
	// on its way stays in the box until the server answers, and a second
	// Enter meanwhile would send it twice.
	notes := `document.querySelectorAll("[data-testid=agent-note]").length`
	refused := -1
	waitUntil(t, "the reply to go", func() bool {
		if n := evalJS[int](t, agent.ctx, notes); n != refused {
			refused = n
			pressIn(t, agent.ctx, enter, 0)
		}
		return len(eventsOf[*protocol.Message](sentBy(storedEvents(t, srv, w.chatID), "agent-grace-hopper"))) > 0
	})
	if n := len(eventsOf[*protocol.Message](sentBy(storedEvents(t, srv, w.chatID), "agent-grace-hopper"))); n != 1 {
		t.Errorf("the reply was stored %d times", n)
	}
	waitText(t, w.frame, `[data-testid=message][data-from=agent] .parley-text`, "One moment, please.")
	waitJS(t, agent.ctx, "the reply box to empty", `document.querySelector("[data-testid=agent-input]").value === ""`)
}
