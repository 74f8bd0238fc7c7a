package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/protocol"
)

const fileInput = `[data-testid=file-input]`

// attach picks files in the window's file input, as the file dialog would.
func (w *chatWindow) attach(paths ...string) {
	w.t.Helper()
	if err := chromedp.Do(w.frame, chromedp.SetUploadFiles(chromedp.CSS(fileInput), paths)); err != nil {
		w.t.Fatalf("picking %v: %v", paths, err)
	}
}

// storedFile reads a file's bytes from the chat server's store.
func storedFile(t *testing.T, srv *parleytest.Server, chatID, fileID string) []byte {
	t.Helper()
	_, body, err := srv.Chats.OpenFile(context.Background(), chatID, fileID)
	if err != nil {
		t.Fatalf("opening file %s of chat %s: %v", fileID, chatID, err)
	}
	defer body.Close()
	data, err := io.ReadAll(body)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// filesOf counts the files a party uploaded to the chat.
func filesOf(t *testing.T, srv *parleytest.Server, chatID, party string) int {
	t.Helper()
	n, err := srv.Instance.Store.CountFiles(context.Background(), chatID, party)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// uploadThenShare checks the network log of the window: one upload, which
// finished before the window sent the chat_session_file that shares it.
// DevTools may report the end of a request after later events, so the
// order is the events' clock, not their arrival.
func uploadThenShare(t *testing.T, log *netLog, name string) {
	t.Helper()
	var uploads []network.RequestID
	var finished, shared float64
	for _, ev := range log.snapshot() {
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			if ev.Request.Method == "POST" && strings.HasSuffix(ev.Request.URL, protocol.PathFiles) {
				uploads = append(uploads, ev.RequestID)
			}
		case *network.EventLoadingFinished:
			if len(uploads) > 0 && ev.RequestID == uploads[len(uploads)-1] {
				finished = ev.Timestamp.Float64()
			}
		case *network.EventWebSocketFrameSent:
			if payload := string(ev.Response.PayloadData); strings.Contains(payload, protocol.TypeFile) && strings.Contains(payload, name) {
				shared = ev.Timestamp.Float64()
			}
		}
	}
	switch {
	case len(uploads) != 1:
		t.Errorf("the window made %d uploads for %s, want 1", len(uploads), name)
	case finished == 0 || shared == 0:
		t.Errorf("the network log of %s has the upload finishing at %v and the file event at %v", name, finished, shared)
	case shared < finished:
		t.Errorf("the window shared %s %.3f s before its upload finished", name, finished-shared)
	}
}

// TestAttachImageAndDocuments: a picture the visitor picks shows as a
// preview of the very bytes; a PDF and a text file as download links. Each
// is uploaded first, then shared with exactly one chat_session_file.
func TestAttachImageAndDocuments(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	w := openChat(t, srv)
	picture := makePNG(t, 64, 48)
	text := []byte("tent\nsleeping bag\nstove\n")
	files := []struct {
		name     string
		data     []byte
		fileType string
	}{
		{"ridgeline.png", picture, protocol.FileImage},
		{"size chart.pdf", tinyPDF, protocol.FileAttachment},
		{"packing-list.txt", text, protocol.FileAttachment},
	}
	want := []protocol.Event{navEvent(srv, w, 1)}
	for i, f := range files {
		log := logNetwork(t, w.frame)
		w.attach(tempFile(t, f.name, f.data))
		got := waitStored(t, srv, w.chatID, f.name, func(e []protocol.Event) bool { return len(e) == i+2 })
		shared, ok := got[i+1].(*protocol.File)
		if !ok {
			t.Fatalf("the server stored %s for %s, want a chat_session_file", dumpEvents(got[i+1:]), f.name)
		}
		want = append(want, &protocol.File{MsgID: w.msgID(i + 2), FileID: shared.FileID, FileType: f.fileType, FileName: f.name, Meta: protocol.Meta{PartyID: w.chatID}})
		sameEvents(t, "the events the server stored after "+f.name, got, want)
		if !bytes.Equal(storedFile(t, srv, w.chatID, shared.FileID), f.data) {
			t.Errorf("the server holds other bytes for %s", f.name)
		}
		line := fmt.Sprintf(`[data-testid=file][data-from=visitor][data-msg-id="%s"]`, w.msgID(i+2))
		w.waitVisible(line + `[data-status=sent]`)
		uploadThenShare(t, log, f.name)

		if f.fileType == protocol.FileImage {
			img := line + ` img[data-testid=image]`
			waitJS(t, w.frame, "the preview to load", fmt.Sprintf(`(() => { const i = document.querySelector(%q); return i && i.complete && i.naturalWidth === 64; })()`, img))
			if !bytes.Equal(fetchURL(t, attribute(t, w.frame, img, "src")), picture) {
				t.Error("the preview's address gives other bytes than the picture")
			}
			if alt := attribute(t, w.frame, img, "alt"); alt != f.name {
				t.Errorf("the preview's alt is %q", alt)
			}
			continue
		}
		link := line + ` a[data-testid=download]`
		if name := textOf(t, w.frame, link); name != f.name {
			t.Errorf("the download link reads %q, want %q", name, f.name)
		}
		if name := attribute(t, w.frame, link, "download"); name != f.name {
			t.Errorf("the download link saves as %q, want %q", name, f.name)
		}
		if !bytes.Equal(fetchURL(t, attribute(t, w.frame, link, "href")), f.data) {
			t.Errorf("the link to %s gives other bytes", f.name)
		}
	}
	if n := countIn(t, w.frame, `[data-testid=file]`); n != 3 {
		t.Errorf("the window shows %d files, want 3", n)
	}
	w.tab.screenshot("files-visitor-image-and-documents")
}

// TestFilesRefusedBeforeSending: a file over 25 MB and files that are
// pages or programs are refused in the window, with a notice; nothing is
// uploaded or sent.
func TestFilesRefusedBeforeSending(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	w := openChat(t, srv)
	log := logNetwork(t, w.frame)

	big := sparseFile(t, "catalogue.pdf", 26<<20)
	cases := []struct{ path, notice string }{
		{big, "catalogue.pdf is larger than 25 MB."},
		{tempFile(t, "setup.exe", []byte("MZ\x90\x00")), "setup.exe is not a kind of file we can take."},
		{tempFile(t, "offer.html", []byte("<script>alert(1)</script>")), "offer.html is not a kind of file we can take."},
		{tempFile(t, "logo.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`)), "logo.svg is not a kind of file we can take."},
	}
	for _, c := range cases {
		w.attach(c.path)
		waitText(t, w.frame, `[data-testid=composer-notice]`, c.notice)
		if c.path == big {
			w.tab.screenshot("files-too-large")
		}
	}
	// A message after them goes through: anything the window had sent for
	// the files would be stored before it.
	w.say("Never mind, I will describe it.")
	got := storedAtLeast(t, srv, w.chatID, 2)
	sameEvents(t, "the events the server stored", got, []protocol.Event{
		navEvent(srv, w, 1),
		visitorMsg(w, 2, "Never mind, I will describe it."),
	})
	for _, r := range log.requests() {
		if strings.Contains(r, protocol.PathFiles) {
			t.Errorf("the window made the request %s for a refused file", r)
		}
	}
	if n := filesOf(t, srv, w.chatID, w.chatID); n != 0 {
		t.Errorf("the server holds %d files of the visitor", n)
	}
	if n := countIn(t, w.frame, `[data-testid=file], [data-testid=upload]`); n != 0 {
		t.Errorf("the window shows %d files or uploads", n)
	}
	w.waitGone(`[data-testid=composer-notice]:not(.parley-empty)`)
}

// TestAgentFiles: a picture and a document the agent shares show in the
// window, by the agent's name, as a preview and a download link.
func TestAgentFiles(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	w := openChat(t, srv)
	agent := srv.Agent("Grace Hopper")
	ctx := w.tab.ctx
	if err := agent.Take(ctx, w.chatID); err != nil {
		t.Fatal(err)
	}
	picture := makePNG(t, 80, 60)
	png, err := agent.SendFile(ctx, w.chatID, "tent-in-the-rain.png", picture)
	if err != nil {
		t.Fatal(err)
	}
	pdf, err := agent.SendFile(ctx, w.chatID, "warranty.pdf", tinyPDF)
	if err != nil {
		t.Fatal(err)
	}

	img := `[data-testid=file][data-from=agent] img[data-testid=image]`
	waitJS(t, w.frame, "the agent's picture", fmt.Sprintf(`(() => { const i = document.querySelector(%q); return i && i.complete && i.naturalWidth === 80; })()`, img))
	if !bytes.Equal(fetchURL(t, attribute(t, w.frame, img, "src")), picture) {
		t.Error("the agent's picture shows other bytes")
	}
	link := `[data-testid=file][data-from=agent] a[data-testid=download]`
	waitText(t, w.frame, link, "warranty.pdf")
	if !bytes.Equal(fetchURL(t, attribute(t, w.frame, link, "href")), tinyPDF) {
		t.Error("the agent's document downloads other bytes")
	}
	if authors := allText(t, w.frame, `[data-testid=file][data-from=agent] .parley-author`); len(authors) != 2 || authors[0] != "Grace Hopper" || authors[1] != "Grace Hopper" {
		t.Errorf("the files show as from %q", authors)
	}
	w.tab.screenshot("files-from-agent")

	got := waitReadToLast(t, srv, w.chatID, agent.PartyID)
	files := eventsOf[*protocol.File](got)
	if len(files) != 2 {
		t.Fatalf("the server stored %d files", len(files))
	}
	sameEvents(t, "the events the server stored", dropTypes(got, protocol.TypeMessageRead), []protocol.Event{
		navEvent(srv, w, 1),
		&protocol.PartyJoined{FirstName: "Grace", LastName: "Hopper", DisplayName: "Grace Hopper", Type: protocol.PartyInternal, Meta: protocol.Meta{PartyID: agent.PartyID}},
		&protocol.Status{State: protocol.StateConnected},
		&protocol.File{MsgID: files[0].MsgID, FileID: png.FileID, FileType: protocol.FileImage, FileName: "tent-in-the-rain.png", Meta: protocol.Meta{PartyID: agent.PartyID}},
		&protocol.File{MsgID: files[1].MsgID, FileID: pdf.FileID, FileType: protocol.FileAttachment, FileName: "warranty.pdf", Meta: protocol.Meta{PartyID: agent.PartyID}},
	})
	for _, r := range eventsOf[*protocol.MessageRead](got) {
		if r.PartyID != w.chatID || r.RefMsgID != files[0].MsgID && r.RefMsgID != files[1].MsgID {
			t.Errorf("the receipt %s is not the visitor's for one of the files %s", dumpEvents([]protocol.Event{r}), dumpEvents([]protocol.Event{files[0], files[1]}))
		}
	}
}

// TestDropAndPasteFiles: a file dragged onto the window, and a picture
// pasted into the message box, are sent like picked ones.
func TestDropAndPasteFiles(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	w := openChat(t, srv)
	picture := makePNG(t, 40, 30)

	// A real drag from outside the browser, aimed at the middle of the
	// chat window in the host page's coordinates.
	at := evalJS[[]float64](t, w.tab.ctx, `(() => { const r = document.querySelector("parley-widget").shadowRoot.querySelector("iframe").getBoundingClientRect();
		return [r.left + r.width / 2, r.top + r.height / 2]; })()`)
	dropped := tempFile(t, "dropped.pdf", tinyPDF)
	drag := func(typ input.DispatchDragEventType) {
		t.Helper()
		_, err := chromedp.Call(w.tab.ctx, input.DispatchDragEvent, input.DispatchDragEventParams{
			Type: typ, X: at[0], Y: at[1],
			Data: &input.DragData{Items: []*input.DragDataItem{}, Files: []string{dropped}, DragOperationsMask: 1},
		})
		if err != nil {
			t.Fatalf("dispatching %s: %v", typ, err)
		}
	}
	drag(input.DispatchDragEventTypeDragEnter)
	drag(input.DispatchDragEventTypeDragOver)
	w.waitVisible(`[data-testid=dropzone]`)
	w.tab.screenshot("files-drop-zone")
	drag(input.DispatchDragEventTypeDrop)
	w.waitVisible(`[data-testid=file][data-from=visitor][data-status=sent] a[data-testid=download]`)
	w.waitGone(`[data-testid=dropzone]:not(.parley-empty)`)
	waitText(t, w.frame, `[data-testid=file][data-from=visitor] a[data-testid=download]`, "dropped.pdf")

	// A picture from the clipboard, as a browser hands it to a paste.
	js := fmt.Sprintf(`(() => {
		const bytes = Uint8Array.from(atob(%q), c => c.charCodeAt(0));
		const data = new DataTransfer();
		data.items.add(new File([bytes], "pasted.png", {type: "image/png"}));
		const box = document.querySelector("[data-testid=composer-input]");
		box.focus();
		return box.dispatchEvent(new ClipboardEvent("paste", {clipboardData: data, bubbles: true, cancelable: true}));
	})()`, base64.StdEncoding.EncodeToString(picture))
	if notCancelled := evalJS[bool](t, w.frame, js); notCancelled {
		t.Error("the window let the browser paste the picture as text too")
	}
	waitJS(t, w.frame, "the pasted picture", `(() => { const i = document.querySelector("[data-testid=file][data-from=visitor] img[data-testid=image]"); return i && i.complete && i.naturalWidth === 40; })()`)
	if draft := evalJS[string](t, w.frame, `document.querySelector("[data-testid=composer-input]").value`); draft != "" {
		t.Errorf("the paste left %q in the message box", draft)
	}
	w.tab.screenshot("files-dropped-and-pasted")

	got := waitStored(t, srv, w.chatID, "both files", func(e []protocol.Event) bool { return len(eventsOf[*protocol.File](e)) == 2 })
	files := eventsOf[*protocol.File](got)
	sameEvents(t, "the events the server stored", got, []protocol.Event{
		navEvent(srv, w, 1),
		&protocol.File{MsgID: w.msgID(2), FileID: files[0].FileID, FileType: protocol.FileAttachment, FileName: "dropped.pdf", Meta: protocol.Meta{PartyID: w.chatID}},
		&protocol.File{MsgID: w.msgID(3), FileID: files[1].FileID, FileType: protocol.FileImage, FileName: "pasted.png", Meta: protocol.Meta{PartyID: w.chatID}},
	})
	if !bytes.Equal(storedFile(t, srv, w.chatID, files[0].FileID), tinyPDF) || !bytes.Equal(storedFile(t, srv, w.chatID, files[1].FileID), picture) {
		t.Error("the server holds other bytes than were dropped and pasted")
	}
}

// throttleUploads slows what the window uploads to rate bytes a second.
// The window makes its own requests (its service worker leaves all but its
// own files to the browser), so the throttle goes on the iframe's target.
func throttleUploads(t *testing.T, w *chatWindow, rate float64) {
	t.Helper()
	if _, err := chromedp.Call(w.frame, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
		MatchedNetworkConditions: []*network.Conditions{{DownloadThroughput: -1, UploadThroughput: rate}},
	}); err != nil {
		t.Fatalf("throttling the uploads: %v", err)
	}
}

// sparseFile makes a PDF of size bytes: a PDF's first line, then zeros
// that are sparse, so the test does not write them.
func sparseFile(t *testing.T, name string, size int64) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte("%PDF-1.4\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, size); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestCancelUpload: a file on its way shows with a progress bar and a
// cancel button; cancelling stops it, and nothing is shared.
func TestCancelUpload(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	w := openChat(t, srv)
	throttleUploads(t, w, 1<<20)
	requests := logNetwork(t, w.frame)

	// 3 MB at 1 MB/s: three seconds on the way.
	w.attach(sparseFile(t, "tent-manual.pdf", 3<<20))
	w.waitVisible(`[data-testid=upload] progress`)
	if status := textOf(t, w.frame, `[data-testid=upload] .parley-text`); !strings.HasPrefix(status, "Sending tent-manual.pdf… ") {
		t.Errorf("the upload reads %q", status)
	}
	w.tab.screenshot("files-upload-in-progress")
	w.click(`[data-testid=cancel-upload]`)
	w.waitGone(`[data-testid=upload]`)

	// The request for the upload must end without finishing.
	var upload network.RequestID
	var ended any
	waitUntil(t, "the end of the cancelled upload", func() bool {
		for _, ev := range requests.snapshot() {
			switch ev := ev.(type) {
			case *network.EventRequestWillBeSent:
				if ev.Request.Method == http.MethodPost && strings.HasSuffix(ev.Request.URL, protocol.PathFiles) {
					upload = ev.RequestID
				}
			case *network.EventLoadingFailed:
				if ev.RequestID == upload {
					ended = ev
				}
			case *network.EventLoadingFinished:
				if ev.RequestID == upload {
					ended = ev
				}
			}
		}
		return ended != nil
	})
	if _, ok := ended.(*network.EventLoadingFinished); ok {
		t.Error("the cancelled upload went on to the end")
	}

	w.say("I will send it later.")
	got := storedAtLeast(t, srv, w.chatID, 2)
	sameEvents(t, "the events the server stored", got, []protocol.Event{
		navEvent(srv, w, 1),
		visitorMsg(w, 2, "I will send it later."),
	})
	if n := filesOf(t, srv, w.chatID, w.chatID); n != 0 {
		t.Errorf("the server holds %d files of the visitor after the cancel", n)
	}
	if n := countIn(t, w.frame, `[data-testid=file]`); n != 0 {
		t.Errorf("the window shows %d files after the cancel", n)
	}
}

// TestUploadProgressMoves: on a slow network the progress bar of an upload
// moves before the upload is done.
func TestUploadProgressMoves(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	w := openChat(t, srv)
	throttleUploads(t, w, 1<<20)

	w.attach(sparseFile(t, "tent-manual.pdf", 3<<20))
	w.waitVisible(`[data-testid=upload] progress`)
	// The progress bar's value, each time it changes, until the upload is
	// done.
	values := evalAwait[[]float64](t, w.frame, `new Promise(resolve => {
		const seen = [];
		const look = () => {
			const bar = document.querySelector("[data-testid=upload] progress");
			if (!bar) { resolve(seen); return; }
			if (seen[seen.length - 1] !== bar.value) seen.push(bar.value);
			setTimeout(look, 20);
		};
		look();
	})`)
	w.waitVisible(`[data-testid=file][data-status=sent]`)
	moved := false
	for _, v := range values {
		moved = moved || (v > 0 && v < 100)
	}
	if !moved {
		t.Errorf("during a three-second upload the progress bar showed only %v; it never moved between 0 and 100", values)
	}
	got := storedAtLeast(t, srv, w.chatID, 2)
	if files := eventsOf[*protocol.File](got); len(files) == 1 {
		sameEvents(t, "the events the server stored", got, []protocol.Event{
			navEvent(srv, w, 1),
			&protocol.File{MsgID: w.msgID(2), FileID: files[0].FileID, FileType: protocol.FileAttachment, FileName: "tent-manual.pdf", Meta: protocol.Meta{PartyID: w.chatID}},
		})
		if n := len(storedFile(t, srv, w.chatID, files[0].FileID)); n != 3<<20 {
			t.Errorf("the server holds %d bytes of the 3 MB file", n)
		}
	} else {
		t.Errorf("the server stored %d files: %s", len(files), dumpEvents(got))
	}
}
