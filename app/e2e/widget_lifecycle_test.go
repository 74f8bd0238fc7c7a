package e2e

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/app/scenario"
	"github.com/parleychat/parley/protocol"
)

// endedWindow checks what a window shows once its chat is over: the notice,
// the header's state, and the after-chat panel instead of the composer.
func (w *chatWindow) endedWindow() {
	w.t.Helper()
	w.waitVisible(`[data-testid=after-chat]`)
	w.waitVisible(`[data-testid=chat][data-connection=ended]`)
	if n := countIn(w.t, w.frame, `[data-testid=composer], [data-testid=composer-input], [data-testid=end-chat]`); n != 0 {
		w.t.Errorf("the ended chat still shows %d parts of the composer or the end button", n)
	}
	waitText(w.t, w.frame, `[data-testid=status]`, "Chat ended")
	w.waitVisible(`[data-testid=transcript]`)
	w.waitVisible(`[data-testid=new-chat]`)
}

// transcriptLines reads the transcript the after-chat panel offers: a
// data: URL that holds the text itself.
func (w *chatWindow) transcriptLines() []string {
	w.t.Helper()
	href := attribute(w.t, w.frame, `[data-testid=transcript]`, "href")
	const prefix = "data:text/plain;charset=utf-8,"
	if !strings.HasPrefix(href, prefix) {
		w.t.Fatalf("the transcript link is %.80q, want a %s URL", href, prefix)
	}
	text, err := url.PathUnescape(strings.TrimPrefix(href, prefix))
	if err != nil {
		w.t.Fatalf("the transcript link does not decode: %v", err)
	}
	if name := attribute(w.t, w.frame, `[data-testid=transcript]`, "download"); name != "chat-transcript.txt" {
		w.t.Errorf("the transcript saves as %q", name)
	}
	return splitLines(text)
}

// TestEndChat: ending asks first; "keep chatting" (or Escape) takes the
// question back, "end chat" sends chat_session_end. The window then offers
// the transcript as text and a new chat, which is a new chat.
func TestEndChat(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	w := openChat(t, srv)
	w.say("Do you ship to Oslo?")
	w.waitVisible(`[data-testid=message][data-from=visitor][data-status=sent]`)
	serverPublish(t, srv, w.chatID, agentJoined(graceID, "Grace"), agentSays(graceID, "Yes, in three days."))
	w.waitVisible(`[data-testid=message][data-from=agent]`)

	w.click(`[data-testid=end-chat]`)
	w.waitVisible(`[data-testid=confirm-end]`)
	if expanded := attribute(t, w.frame, `[data-testid=end-chat]`, "aria-expanded"); expanded != "true" {
		t.Errorf("the end button's aria-expanded is %q while its question shows", expanded)
	}
	w.tab.screenshot("lifecycle-confirm-end")
	w.click(`[data-testid=keep-chatting]`)
	w.waitGone(`[data-testid=confirm-end]`)
	w.click(`[data-testid=end-chat]`)
	w.waitVisible(`[data-testid=confirm-end]`)
	// Escape takes the question back, not the whole window.
	w.press(escape, 0)
	w.waitGone(`[data-testid=confirm-end]`)
	if hidden := evalJS[bool](t, w.tab.ctx, `document.querySelector("parley-widget").shadowRoot.querySelector("iframe").hidden`); hidden {
		t.Error("Escape on the question closed the window")
	}
	before := storedAtLeast(t, srv, w.chatID, 5)
	if len(eventsOf[*protocol.End](before)) != 0 {
		t.Fatal("keeping on chatting ended the chat")
	}

	w.click(`[data-testid=end-chat]`)
	w.click(`[data-testid=end-now]`)
	w.endedWindow()
	waitText(t, w.frame, `[data-testid=notice][data-notice=ended]`, "The chat has ended.")
	w.tab.screenshot("lifecycle-ended")

	got := storedAtLeast(t, srv, w.chatID, 6)
	reply := eventsOf[*protocol.Message](sentBy(got, graceID))[0]
	sameEvents(t, "the events the server stored", got, []protocol.Event{
		navEvent(srv, w, 1),
		visitorMsg(w, 2, "Do you ship to Oslo?"),
		agentJoined(graceID, "Grace"),
		&protocol.Message{MsgID: reply.MsgID, Msg: "Yes, in three days.", Meta: protocol.Meta{PartyID: graceID}},
		&protocol.MessageRead{RefMsgID: reply.MsgID, Meta: protocol.Meta{PartyID: w.chatID}},
		&protocol.End{Meta: protocol.Meta{PartyID: w.chatID}},
	})

	lines := w.transcriptLines()
	want := []*regexp.Regexp{
		regexp.MustCompile(`^Chat transcript, \d{4}-\d\d-\d\d \d\d:\d\d$`),
		regexp.MustCompile(`^$`),
		regexp.MustCompile(`^\d\d:\d\d You: Do you ship to Oslo\?$`),
		regexp.MustCompile(`^\d\d:\d\d \* Grace joined the chat$`),
		regexp.MustCompile(`^\d\d:\d\d Grace: Yes, in three days\.$`),
		regexp.MustCompile(`^\d\d:\d\d \* The chat has ended\.$`),
	}
	if len(lines) != len(want) {
		t.Errorf("the transcript has %d lines, want %d:\n%s", len(lines), len(want), strings.Join(lines, "\n"))
	} else {
		for i, re := range want {
			if !re.MatchString(lines[i]) {
				t.Errorf("transcript line %d is %q, want %s", i+1, lines[i], re)
			}
		}
	}

	old := w.chatID
	w.click(`[data-testid=new-chat]`)
	// A new chat connects within a second or two.
	_, err := chromedp.Run(w.frame, chromedp.Poll[chromedp.Void](`(() => { const c = document.querySelector("[data-testid=chat]");
		return !!c && c.dataset.connection === "connected" && c.dataset.chatId !== "" && c.dataset.chatId !== `+jsString(old)+`; })()`, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(8*time.Second)))
	if err != nil {
		w.tab.screenshot("lifecycle-new-chat-stuck")
		open, _ := srv.Chats.OpenChats(w.tab.ctx)
		t.Fatalf("after \"Start a new chat\" the window is %v, showing %q; the server has %d open chats (%v)",
			evalJS[map[string]string](t, w.frame, `({...document.querySelector("[data-testid=chat]").dataset})`),
			textOf(t, w.frame, `[data-testid=status]`), len(open), err)
	}
	w.learn()
	if n := countIn(t, w.frame, `[data-testid=messages] li`); n != 0 {
		t.Errorf("the new chat shows %d lines of the old one", n)
	}
	w.waitVisible(`[data-testid=composer-input]:not([disabled])`)
	w.say("One more question.")
	sameEvents(t, "the events of the new chat", storedAtLeast(t, srv, w.chatID, 2), []protocol.Event{
		navEvent(srv, w, 1),
		visitorMsg(w, 2, "One more question."),
	})
	if n := len(storedEvents(t, srv, old)); n != 6 {
		t.Errorf("the old chat has %d events after the new one started", n)
	}
	w.tab.screenshot("lifecycle-new-chat")
}

// leave asks to end the chat and takes "leave and give feedback".
func (w *chatWindow) leave() {
	w.t.Helper()
	w.click(`[data-testid=end-chat]`)
	w.click(`[data-testid=leave]`)
	waitText(w.t, w.frame, `[data-testid=notice][data-notice=disconnected]`, "You left the conversation.")
}

// TestLeaveAndAnswerTheSurvey: leaving sends chat_session_disconnect; the
// default scenario asks for the survey, whose answer ends the chat.
func TestLeaveAndAnswerTheSurvey(t *testing.T) {
	srv := parleytest.Start(t)
	w := openChat(t, srv)
	w.waitVisible(`[data-testid=form][data-form-name=pre_chat]`)
	w.leave()
	survey := `[data-testid=form][data-form-name=survey]`
	w.waitVisible(survey + `[data-form-state=open]`)
	w.waitVisible(`[data-testid=composer-input][disabled]`)
	w.tab.screenshot("lifecycle-survey")

	w.click(field(survey, "rating") + ` input[value="5"]`)
	w.typeText(field(survey, "comment"), "Quick and friendly.")
	w.click(survey + ` [data-testid=form-submit]`)
	w.endedWindow()
	waitJS(t, w.frame, "the goodbye", `[...document.querySelectorAll("[data-testid=message][data-from=scenario] .parley-text")]
		.some(p => p.textContent === "Thank you for your feedback. Goodbye!")`)
	w.tab.screenshot("lifecycle-survey-answered")

	got := waitStored(t, srv, w.chatID, "the end", func(e []protocol.Event) bool { return len(eventsOf[*protocol.Ended](e)) == 1 })
	var surveyID protocol.ID
	for _, f := range eventsOf[*protocol.FormShow](got) {
		if f.FormName == "survey" {
			surveyID = f.FormRequestID
		}
	}
	sameEvents(t, "what the visitor sent", dropTypes(sentBy(got, w.chatID), protocol.TypeMessageRead), []protocol.Event{
		navEvent(srv, w, 1),
		&protocol.Disconnect{Meta: protocol.Meta{PartyID: w.chatID}},
		&protocol.FormData{FormRequestID: surveyID, FormName: "survey", Data: protocol.FormValues{Fields: map[string]string{
			"rating": "5", "comment": "Quick and friendly.",
		}}, Meta: protocol.Meta{PartyID: w.chatID}},
	})
	goodbye := eventsOf[*protocol.Message](sentBy(got, scenario.AssistantID))
	sameEvents(t, "how the chat ended", got[len(got)-2:], []protocol.Event{
		&protocol.Message{MsgID: goodbye[len(goodbye)-1].MsgID, Msg: "Thank you for your feedback. Goodbye!", Meta: protocol.Meta{PartyID: scenario.AssistantID}},
		&protocol.Ended{},
	})
}

// TestDeclineTheSurvey: "no thanks" to the survey ends the chat with
// chat_session_end.
func TestDeclineTheSurvey(t *testing.T) {
	srv := parleytest.Start(t)
	w := openChat(t, srv)
	w.waitVisible(`[data-testid=form][data-form-name=pre_chat]`)
	w.leave()
	survey := `[data-testid=form][data-form-name=survey]`
	w.waitVisible(survey + `[data-form-state=open]`)
	if label := textOf(t, w.frame, survey+` [data-testid=form-cancel]`); label != "No thanks" {
		t.Errorf("the survey's cancel button reads %q", label)
	}
	w.click(survey + ` [data-testid=form-cancel]`)
	w.endedWindow()
	w.waitVisible(survey + `[data-form-state=declined]`)
	w.tab.screenshot("lifecycle-survey-declined")

	got := waitStored(t, srv, w.chatID, "the end", func(e []protocol.Event) bool { return len(eventsOf[*protocol.End](e)) == 1 })
	sameEvents(t, "what the visitor sent", dropTypes(sentBy(got, w.chatID), protocol.TypeMessageRead), []protocol.Event{
		navEvent(srv, w, 1),
		&protocol.Disconnect{Meta: protocol.Meta{PartyID: w.chatID}},
		&protocol.End{Meta: protocol.Meta{PartyID: w.chatID}},
	})
	if n := len(eventsOf[*protocol.FormData](got)); n != 0 {
		t.Errorf("declining sent %d form answers", n)
	}
}

// TestIdleWarningAndTimeout: the contact center's warning shows as a
// notice; its inactivity timeout ends the chat.
func TestIdleWarningAndTimeout(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	w := openChat(t, srv)
	const warning = "Still there? We close idle chats after 15 minutes."
	serverPublish(t, srv, w.chatID, &protocol.TimeoutWarning{Msg: warning})
	waitText(t, w.frame, `[data-testid=notice][data-notice=timeout_warning]`, warning)
	w.waitVisible(`[data-testid=composer-input]:not([disabled])`)
	w.tab.screenshot("lifecycle-idle-warning")

	// Without a text of its own the timeout is worded by the window.
	serverPublish(t, srv, w.chatID, &protocol.InactivityTimeout{})
	waitText(t, w.frame, `[data-testid=notice][data-notice=inactivity]`, "The chat was closed after a period of inactivity.")
	w.endedWindow()
	w.tab.screenshot("lifecycle-inactivity-timeout")

	sameEvents(t, "the events the server stored", storedEvents(t, srv, w.chatID), []protocol.Event{
		navEvent(srv, w, 1),
		&protocol.TimeoutWarning{Msg: warning},
		&protocol.InactivityTimeout{},
	})
}

// TestAgentEndsTheChat: the agent leaving and the chat ending show as
// notices, and the window closes the chat.
func TestAgentEndsTheChat(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	w := openChat(t, srv)
	agent := srv.Agent("Grace Hopper")
	ctx := w.tab.ctx
	if err := agent.Take(ctx, w.chatID); err != nil {
		t.Fatal(err)
	}
	waitText(t, w.frame, `[data-testid=status]`, "Chatting with Grace Hopper")
	if err := agent.Say(ctx, w.chatID, "Anything else I can do?"); err != nil {
		t.Fatal(err)
	}
	w.waitVisible(`[data-testid=message][data-from=agent]`)
	if err := agent.Publish(ctx, w.chatID, &protocol.PartyLeft{Meta: protocol.Meta{PartyID: agent.PartyID}}, &protocol.Ended{}); err != nil {
		t.Fatal(err)
	}
	waitText(t, w.frame, `[data-testid=notice][data-notice=left]`, "Grace Hopper left the chat")
	waitText(t, w.frame, `[data-testid=notice][data-notice=ended]`, "The chat has ended.")
	w.endedWindow()
	w.tab.screenshot("lifecycle-agent-ended")

	got := storedEvents(t, srv, w.chatID)
	said := eventsOf[*protocol.Message](got)
	if len(said) != 1 {
		t.Fatalf("the server stored %d messages", len(said))
	}
	sameEvents(t, "the events the server stored", got, []protocol.Event{
		navEvent(srv, w, 1),
		&protocol.PartyJoined{FirstName: "Grace", LastName: "Hopper", DisplayName: "Grace Hopper", Type: protocol.PartyInternal, Meta: protocol.Meta{PartyID: agent.PartyID}},
		&protocol.Status{State: protocol.StateConnected},
		&protocol.Message{MsgID: said[0].MsgID, Msg: "Anything else I can do?", Meta: protocol.Meta{PartyID: agent.PartyID}},
		&protocol.MessageRead{RefMsgID: said[0].MsgID, Meta: protocol.Meta{PartyID: w.chatID}},
		&protocol.PartyLeft{Meta: protocol.Meta{PartyID: agent.PartyID}},
		&protocol.Ended{},
	})
}
