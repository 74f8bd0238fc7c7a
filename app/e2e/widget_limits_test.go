package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/protocol"
)

// pick gives the window's file picker a file made in the page, with the
// type the browser would report for it.
func (w *chatWindow) pick(name, contentType, content string) {
	w.t.Helper()
	evalJS[bool](w.t, w.frame, fmt.Sprintf(`(() => {
		const data = new DataTransfer();
		data.items.add(new File([Uint8Array.from(%s, c => c.charCodeAt(0))], %s, {type: %s}));
		const picker = document.querySelector("[data-testid=file-input]");
		picker.files = data.files;
		return picker.dispatchEvent(new Event("change", {bubbles: true}));
	})()`, jsString(content), jsString(name), jsString(contentType)))
}

// TestZipAsWindowsReportsIt: Windows reports a .zip as
// application/x-zip-compressed; the window decides by the content and the
// name, and it uploads, as the same bytes reported as application/zip do.
// The server agrees.
func TestZipAsWindowsReportsIt(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	w := openChat(t, srv)
	zip := "PK\x05\x06" + strings.Repeat("\x00", 18)
	w.pick("manual.zip", "application/x-zip-compressed", zip)
	waitText(t, w.frame, `[data-testid=file][data-from=visitor][data-status=sent] a[data-testid=download]`, "manual.zip")
	w.pick("manual-2.zip", "application/zip", zip)
	waitJS(t, w.frame, "the second zip", `document.querySelectorAll("[data-testid=file][data-from=visitor][data-status=sent]").length === 2`)
	if notice := textOf(t, w.frame, `[data-testid=composer-notice]`); notice != "" {
		t.Errorf("the window says %q", notice)
	}
	if files := eventsOf[*protocol.File](storedEvents(t, srv, w.chatID)); len(files) != 2 || files[0].FileName != "manual.zip" {
		t.Errorf("the server stored %v", files)
	}
}

// TestMessageLengthInTheVisitorsLanguage: in a German window, a draft of
// 4,097 emoji, and one of 16,385 ASCII characters, are each one character
// over the server's limit, counted in bytes as the server counts. The
// composer says so in German before anything is sent, the draft stays
// whole, nothing is cut; one character less sends it.
func TestMessageLengthInTheVisitorsLanguage(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	w := openChatOn(t, servePage(t, srv.URL, `data-locale="de"`, ""), srv.URL)
	waitJS(t, w.frame, "the German words", `document.querySelector("[data-testid=composer-input]").placeholder === "Nachricht schreiben…"`)
	if evalJS[bool](t, w.frame, `document.querySelector("[data-testid=composer-input]").hasAttribute("maxlength")`) {
		t.Error("the composer has a maxlength, which cuts silently and counts otherwise than the server")
	}
	for _, draft := range []string{strings.Repeat("😀", protocol.MaxTextBytes/4+1), strings.Repeat("a", protocol.MaxTextBytes+1)} {
		w.setField(composerInput, draft, "input")
		waitText(t, w.frame, `[data-testid=composer-notice]`, "Ihre Nachricht ist zu lang: Kürzen Sie sie um 1 Zeichen, um sie zu senden.")
		w.press(enter, 0)
		if got := evalJS[string](t, w.frame, `document.querySelector("[data-testid=composer-input]").value`); got != draft {
			t.Errorf("after Enter the draft of %d bytes holds %d bytes", len(draft), len(got))
		}
		if n := countIn(t, w.frame, `[data-testid=message]`); n != 0 {
			t.Fatalf("a draft over the limit was sent")
		}
	}
	w.tab.screenshot("limits-too-long-german")
	fits := strings.Repeat("a", protocol.MaxTextBytes)
	w.setField(composerInput, fits, "input")
	w.waitGone(`[data-testid=composer-notice]:not(.parley-empty)`)
	w.press(enter, 0)
	got := waitStored(t, srv, w.chatID, "the message", func(e []protocol.Event) bool { return len(eventsOf[*protocol.Message](e)) == 1 })
	if m := eventsOf[*protocol.Message](got)[0]; m.Msg != fits {
		t.Errorf("the server stored %d bytes, want the %d sent", len(m.Msg), len(fits))
	}
}

// TestArabicFormInArabic: in the Arabic window the pre-chat form has the
// configuration's Arabic words, and a required field's mark sits after its
// label, on the label's left in a right-to-left window.
func TestArabicFormInArabic(t *testing.T) {
	srv := parleytest.Start(t)
	w := openChatOn(t, servePage(t, srv.URL, `data-locale="ar"`, ""), srv.URL)
	card := `[data-testid=form][data-form-name=pre_chat]`
	w.waitVisible(card + `[data-form-state=open]`)
	waitText(t, w.frame, card+` .parley-form-title`, "قبل أن نبدأ")
	label := `label[for$="-first_name"]`
	waitText(t, w.frame, card+` `+label+` .parley-label-text`, "اسمك")
	place := evalJS[[]float64](t, w.frame, fmt.Sprintf(`(() => {
		const l = document.querySelector(%s);
		const text = l.querySelector(".parley-label-text").getBoundingClientRect(), mark = l.querySelector(".parley-required").getBoundingClientRect();
		return [text.left, text.right, mark.left, mark.right];
	})()`, jsString(card+` `+label)))
	if place[3] > place[0]+0.5 {
		t.Errorf("the required mark spans %v–%v, the label %v–%v: want the mark on the label's left", place[2], place[3], place[0], place[1])
	}
	if got := allText(t, w.frame, card+` [data-field=topic] option`); len(got) != 4 || got[1] != "طلب" {
		t.Errorf("the topic's options read %q", got)
	}
	w.tab.screenshot("limits-arabic-form")
}
