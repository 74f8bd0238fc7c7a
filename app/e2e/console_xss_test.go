package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/parleychat/parley/app/instance"
	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/app/scenario"
	"github.com/parleychat/parley/protocol"
)

// consoleNoMarkup fails the test if the console made elements of what it
// was sent, as noMarkup does for the window; the console's own links to
// files (under /agent/api/) are its own.
func consoleNoMarkup(t *testing.T, ctx context.Context) {
	t.Helper()
	found := evalJS[[]string](t, ctx, `(() => {
		const out = [];
		for (const e of document.querySelectorAll("body *")) {
			const tag = e.tagName.toLowerCase();
			if (["script", "svg", "b", "i", "iframe", "style", "object", "embed", "img"].includes(tag)) out.push(tag);
			if (tag === "a" && !(e.getAttribute("href") || "").startsWith("/agent/api/chats/")) out.push("a " + e.getAttribute("href"));
			for (const a of e.attributes) if (a.name.startsWith("on")) out.push(tag + " " + a.name);
		}
		return out;
	})()`)
	if len(found) > 0 {
		t.Errorf("the console made markup of what it was sent: %q", found)
	}
	if ran := evalJS[bool](t, ctx, `window.__xss !== undefined`); ran {
		t.Error("a payload ran in the console: window.__xss is set")
	}
}

// visitorCall is one request of a visitor's REST client to the chat
// server.
func visitorCall(t *testing.T, srv *parleytest.Server, creds protocol.Credentials, method, path, contentType string, body []byte, out any) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", creds.Authorization())
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	}
}

// TestHostileTextsInTheConsole: everything a visitor, a scenario and the
// configuration can put before an agent, hostile, shows in the console as
// text, and nothing of it runs or becomes markup: the visitor's name in the
// list, messages, a file's name, a page's title and address, a form's name
// (in the list of forms too), its fields' names and the visitor's answers,
// another party's name, a timeout warning, and the agent's own name.
func TestHostileTextsInTheConsole(t *testing.T) {
	const (
		visitorName = `<img src=x onerror="window.__xss=1">Ada`
		formName    = `"><svg onload="window.__xss=1">details`
		fieldName   = `<b onmouseover="window.__xss=1">name</b>`
		fileName    = `<img src=x onerror=window.__xss=1>.pdf`
		pageTitle   = `<script>window.__xss=1</script>Pricing`
		page        = `https://shop.example/"><img src=x onerror=window.__xss=1>`
		botName     = `<iframe src="javascript:window.__xss=1"></iframe>Bot`
		warning     = `<style>*{display:none}</style>Still there?`
		agentName   = `<img src=x onerror=window.__xss=1> Grace`
	)
	cfg := scenario.Default()
	cfg.PreChatForm, cfg.SurveyForm = "", ""
	cfg.Forms = append(cfg.Forms, protocol.WidgetForm{Name: formName, Fields: []protocol.WidgetField{
		{FormFieldType: "text", Name: fieldName, Label: "Name"},
	}})
	srv := parleytest.Start(t, parleytest.Quiet(), parleytest.Contact(cfg),
		parleytest.Tune(func(i *instance.Instance) { i.Chats.VisitorBurst = 100 }))

	creds := protocol.Credentials{AppID: parleytest.AppID, ClientID: protocol.NewUUID()}
	request, _ := json.Marshal(protocol.ChatRequest{From: visitorName, Parameters: map[string]any{"first_name": visitorName}})
	var chat protocol.ChatSession
	visitorCall(t, srv, creds, "POST", protocol.PathChats, "application/json", request, &chat)

	show := &protocol.FormShow{FormName: formName}
	serverPublish(t, srv, chat.ChatID,
		&protocol.PartyJoined{FirstName: botName, DisplayName: botName, Type: protocol.PartyScenario, Meta: protocol.Meta{PartyID: "bot"}},
		show,
		&protocol.TimeoutWarning{Msg: warning})

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	part, err := mw.CreateFormFile("file", fileName)
	if err == nil {
		_, err = part.Write(tinyPDF)
	}
	if err == nil {
		err = mw.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	var up protocol.UploadedFile
	visitorCall(t, srv, creds, "POST", protocol.PathFiles, mw.FormDataContentType(), body.Bytes(), &up)

	events := []protocol.Event{}
	for i, text := range hostile {
		events = append(events, &protocol.Message{MsgID: protocol.MessageID(chat.ChatID, i+1), Msg: text})
	}
	events = append(events,
		&protocol.Navigation{MsgID: protocol.TextID("nav"), Page: page, Title: pageTitle},
		&protocol.File{MsgID: protocol.TextID("file"), FileID: up.FileID, FileName: fileName},
		&protocol.FormData{FormRequestID: show.FormRequestID, FormName: formName, Data: protocol.FormValues{Fields: map[string]string{fieldName: hostile[1]}}},
	)
	env, err := protocol.EncodeEnvelope(events...)
	if err != nil {
		t.Fatal(err)
	}
	visitorCall(t, srv, creds, "POST", protocol.Path(protocol.PathChatEvents, chat.ChatID), "application/json", env, nil)

	agent := openPrivateTab(t, srv.URL+"/agent?token="+parleytest.AgentToken)
	item := chromedp.CSS(`[data-testid=agent-chat][data-chat-id="` + chat.ChatID + `"]`)
	if err := chromedp.Do(agent.ctx,
		chromedp.SendKeys(chromedp.CSS(`[data-testid=agent-name]`), agentName),
		chromedp.Click(chromedp.CSS(`[data-testid=agent-name-save]`)),
		chromedp.WaitVisible(item),
	); err != nil {
		t.Fatalf("signing in and finding the chat: %v", err)
	}
	if got := textOf(t, agent.ctx, `[data-testid=agent-chat][data-chat-id="`+chat.ChatID+`"] span:not(.sub):not(.badge)`); got != visitorName+" "+visitorName {
		t.Errorf("the chat list names the visitor %q", got)
	}
	if err := chromedp.Do(agent.ctx, chromedp.Click(item), chromedp.Click(chromedp.CSS(`[data-testid=take]`)),
		chromedp.WaitEnabled(chromedp.CSS(`[data-testid=agent-input]`))); err != nil {
		t.Fatalf("taking the chat: %v", err)
	}
	waitJS(t, agent.ctx, "the chat's lines", fmt.Sprintf(`document.querySelectorAll("[data-testid=agent-message][data-from=visitor]").length === %d`, len(hostile)+1))

	lines := allText(t, agent.ctx, `[data-testid=agent-message][data-from=visitor] .text`)
	if !slices.Equal(lines[:len(hostile)], hostile) {
		t.Errorf("the visitor's messages read %.300q", lines[:len(hostile)])
	}
	if want := "Form \"" + formName + "\":\n" + fieldName + ": " + hostile[1]; lines[len(hostile)] != want {
		t.Errorf("the form's answer reads %q, want %q", lines[len(hostile)], want)
	}
	if got := textOf(t, agent.ctx, `a.text`); got != fileName {
		t.Errorf("the file's link reads %q, want %q", got, fileName)
	}
	notes := strings.Join(allText(t, agent.ctx, `[data-testid=agent-note]`), "\n")
	for _, want := range []string{
		botName + " joined",
		"Form \"" + formName + "\" sent to the visitor",
		warning,
		"Visitor is on " + pageTitle + " (" + page + ")",
	} {
		if !strings.Contains(notes, want) {
			t.Errorf("the notes do not say %q:\n%s", want, notes)
		}
	}
	if got := allText(t, agent.ctx, `[data-testid=form-select] option`); !slices.Contains(got, formName) {
		t.Errorf("the forms to push are %q, want %q among them", got, formName)
	}
	if got := textOf(t, agent.ctx, `#me`); got != "Signed in as "+agentName {
		t.Errorf("the console greets the agent as %q", got)
	}
	agent.screenshot("xss-console")

	// The agent answers: the replies keep what the agent typed too.
	reply := hostile[3]
	if err := chromedp.Do(agent.ctx, chromedp.SendKeys(chromedp.CSS(`[data-testid=agent-input]`), reply),
		chromedp.Click(chromedp.CSS(`[data-testid=agent-send]`))); err != nil {
		t.Fatal(err)
	}
	waitJS(t, agent.ctx, "the agent's reply", `document.querySelectorAll("[data-testid=agent-message].mine").length === 1`)
	if got := textOf(t, agent.ctx, `[data-testid=agent-message].mine .text`); got != reply {
		t.Errorf("the agent's reply reads %q, want %q", got, reply)
	}
	consoleNoMarkup(t, agent.ctx)
}
