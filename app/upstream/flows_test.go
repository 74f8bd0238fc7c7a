package upstream_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/protocol"
	"github.com/parleychat/parley/widget/client"
)

func TestMessagesBothWays(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	b := startBridged(t, parleytest.BrightPatternConfig{})
	v, up, agent := b.chatWithAgent(ctx, t)
	converse(ctx, t, b, v, up, agent, "both ways", 10)
	// converse looks at its own messages only: there must be no others.
	if got := visitorTexts(up); len(got) != 10 {
		t.Errorf("the tenant got %q, want the visitor's 10 messages only", got)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if got := v.messages(); len(got) != 20 {
		t.Errorf("the widget shows %q, want the 20 messages said only", got)
	}
}

func TestTheVisitorsRequestGoesUpstream(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	b := startBridged(t, parleytest.BrightPatternConfig{})
	req := protocol.ChatRequest{From: "Ada Lovelace", PhoneNumber: "+15550100", Parameters: map[string]any{"first_name": "Ada", "email": "ada@example.com", "vip": true}}
	clientID := protocol.NewUUID()
	v := b.runVisitor(ctx, t, clientID, req)
	v.waitFor(ctx, "the chat", func() bool { return v.conn == client.ConnConnected })
	up, err := b.bp.WaitForChat(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(up.Request, req) {
		t.Errorf("the tenant's chat was requested with %+v, want %+v", up.Request, req)
	}
	if up.ClientID() == clientID {
		t.Error("the tenant knows the visitor by the widget's own clientId; it should be Parley's")
	}
	requests := b.bp.RequestsTo(parleytest.MethodRequestChat)
	if len(requests) != 1 {
		t.Errorf("Request Chat was called %d times, want once", len(requests))
	}
	for _, r := range b.bp.Requests() {
		if r.Status >= 400 {
			t.Errorf("the tenant refused %s %s with %d", r.Method, r.Path, r.Status)
		}
	}
}

func TestTypingBothWays(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	b := startBridged(t, parleytest.BrightPatternConfig{})
	v, up, agent := b.chatWithAgent(ctx, t)
	up.Typing()
	v.waitFor(ctx, "the agent typing", func() bool {
		typing := v.eventsOf(protocol.TypeTyping)
		return len(typing) == 1 && typing[0].EventMeta().PartyID == agent
	})
	up.NotTyping()
	v.waitForEvents(ctx, "the agent no longer typing", protocol.TypeNotTyping, 1)
	v.send(&protocol.Typing{})
	visitorEvent(ctx, t, up, protocol.TypeTyping)
	v.send(&protocol.NotTyping{})
	visitorEvent(ctx, t, up, protocol.TypeNotTyping)
}

func TestFilesBothWays(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	b := startBridged(t, parleytest.BrightPatternConfig{})
	v, up, _ := b.chatWithAgent(ctx, t)

	receipt := []byte("%PDF-1.4 the visitor's receipt")
	uploaded, shared := b.shareFile(ctx, t, v, up, "receipt.pdf", "application/pdf", receipt)
	if shared.FileName != "receipt.pdf" || shared.MsgID.IsZero() {
		t.Errorf("the tenant got the file event %+v, want its name and msg_id", shared)
	}
	v.waitFor(ctx, "the visitor's file shown as sent", func() bool {
		files := v.eventsOf(protocol.TypeFile)
		return len(files) == 1 && files[0].(*protocol.File).FileID == uploaded.FileID
	})
	if n := len(b.bp.RequestsTo(parleytest.MethodUploadFile)); n != 1 {
		t.Errorf("Upload File was called %d times, want once", n)
	}

	png := pngBytes()
	fileID := up.SendFile("screenshot.png", "image/png", png)
	agentFile := v.waitForEvents(ctx, "the agent's file", protocol.TypeFile, 2)[1].(*protocol.File)
	if agentFile.FileID != fileID || agentFile.FileType != protocol.FileImage || agentFile.FileName != "screenshot.png" {
		t.Errorf("the widget got %+v, want the agent's image %s", agentFile, fileID)
	}
	for _, tc := range []struct {
		name, fileID string
		want         []byte
		// contentType is the Content-Type due, where Parley sets it.
		contentType string
	}{
		{"the agent's, proxied", fileID, png, "image/png"},
		{"the visitor's own", uploaded.FileID, receipt, ""},
	} {
		status, body, header := b.getAsVisitor(t, v, protocol.Path(protocol.PathChatFile, v.chatID(), tc.fileID))
		if status != http.StatusOK || !bytes.Equal(body, tc.want) {
			t.Errorf("%s: Get File = %d, %d bytes; want 200 and the file", tc.name, status, len(body))
		}
		if got := header.Get("Content-Type"); tc.contentType != "" && got != tc.contentType {
			t.Errorf("%s: Content-Type %q, want %s", tc.name, got, tc.contentType)
		}
	}
	if status, _, _ := b.getAsVisitor(t, v, protocol.Path(protocol.PathChatFile, v.chatID(), "not-shared")); status != http.StatusNotFound {
		t.Errorf("Get File of a file not shared in the chat = %d, want 404", status)
	}
}

func TestFormsGoBackWithTheTenantsIDs(t *testing.T) {
	t.Parallel()
	for _, numeric := range []bool{false, true} {
		t.Run(fmt.Sprintf("numeric ids %v", numeric), func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t)
			b := startBridged(t, parleytest.BrightPatternConfig{NumericIDs: numeric})
			v, up, _ := b.chatWithAgent(ctx, t)
			msgID := up.Say("Please tell us about you")
			requestID := up.ShowForm("pre_chat", 300)
			agentMsg := v.waitForEvents(ctx, "the agent's message", protocol.TypeMessage, 1)[0].(*protocol.Message)
			form := v.waitForEvents(ctx, "the form", protocol.TypeFormShow, 1)[0].(*protocol.FormShow)
			if !form.FormRequestID.IsNumber() || form.FormRequestID.String() != requestID || form.FormName != "pre_chat" || form.FormTimeout != 300 {
				t.Errorf("the widget got form %+v, want request %s as a number, pre_chat, 300 s", form, requestID)
			}
			if agentMsg.MsgID.String() != msgID || agentMsg.MsgID.IsNumber() != numeric {
				t.Errorf("the widget got msg_id %v, want %s as the tenant wrote it", agentMsg.MsgID, msgID)
			}
			v.send(&protocol.FormData{FormRequestID: form.FormRequestID, FormName: "pre_chat", Data: protocol.FormValues{Fields: map[string]string{"first_name": "Ada"}}})
			v.send(&protocol.MessageRead{RefMsgID: agentMsg.MsgID})
			answer := visitorEvent(ctx, t, up, protocol.TypeFormData)
			read := visitorEvent(ctx, t, up, protocol.TypeMessageRead)
			want := strconv.Quote(requestID)
			wantMsg := strconv.Quote(msgID)
			if numeric {
				want, wantMsg = requestID, msgID
			}
			if !bytes.Contains(answer.Raw, []byte(`"form_request_id":`+want)) || !bytes.Contains(answer.Raw, []byte(`"first_name":"Ada"`)) {
				t.Errorf("the tenant got %s, want form_request_id %s and the visitor's answer", answer.Raw, want)
			}
			if !bytes.Contains(read.Raw, []byte(`"ref_msg_id":`+wantMsg)) {
				t.Errorf("the tenant got %s, want ref_msg_id %s", read.Raw, wantMsg)
			}
		})
	}
}

func TestMessagesAreHTMLUpstreamAndTextHere(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	b := startBridged(t, parleytest.BrightPatternConfig{})
	v, up, agent := b.chatWithAgent(ctx, t)
	v.say("a <b> & c\nsecond line")
	if m := visitorEvent(ctx, t, up, protocol.TypeMessage).Event.(*protocol.Message); m.Msg != "a &lt;b&gt; &amp; c<br>second line" || m.MsgText != "a <b> & c\nsecond line" {
		t.Errorf("the tenant got msg %q, msg_text %q; want HTML and the text", m.Msg, m.MsgText)
	}
	// Stored once the tenant took it: then the agent answers.
	v.waitFor(ctx, "the visitor's message stored", func() bool { return len(v.messages()) == 1 })
	up.Say("1 < 2\nyes")
	up.SendRaw(json.RawMessage(`{"event":"chat_session_message","msg_id":"html-only","party_id":"` + agent + `","msg":"<p>Bold <b>claim</b> &amp; more<br/>next</p>","timestamp":"1700000000"}`))
	v.waitFor(ctx, "the agent's messages", func() bool { return len(v.messages()) == 3 })
	v.mu.Lock()
	defer v.mu.Unlock()
	msgs := v.messages()
	want := []string{"visitor: a <b> & c\nsecond line", agent + ": 1 < 2\nyes", agent + ": Bold claim & more\nnext\n"}
	if !equal(msgs, want) {
		t.Errorf("the widget shows %q, want %q", msgs, want)
	}
}

func TestTheVisitorEndsTheChat(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	b := startBridged(t, parleytest.BrightPatternConfig{})
	v, up, _ := b.chatWithAgent(ctx, t)
	v.say("thanks, bye")
	v.send(&protocol.End{})
	v.waitFor(ctx, "the end", func() bool { return v.conn == client.ConnEnded })
	if got := up.State(); got != protocol.StateCompleted {
		t.Errorf("the tenant's chat is %s, want completed", got)
	}
	if got := visitorTexts(up); !equal(got, []string{"thanks, bye"}) {
		t.Errorf("the tenant got %q", got)
	}
	c, err := b.srv.Chats.Chat(ctx, v.chatID())
	if err != nil || !c.State.Over() {
		t.Errorf("the chat here is %v (%v), want over", c.State, err)
	}
	// A new visit is a new chat, here and upstream.
	next := b.startVisitor(ctx, t)
	if next.chatID() == v.chatID() {
		t.Error("a new visitor got the ended chat")
	}
	if err := b.bp.WaitFor(ctx, func() bool { return len(b.bp.Chats()) == 2 }); err != nil {
		t.Fatal(err)
	}
}

func TestDisconnectThenTheSurvey(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	b := startBridged(t, parleytest.BrightPatternConfig{})
	v, up, _ := b.chatWithAgent(ctx, t)
	v.send(&protocol.Disconnect{})
	visitorEvent(ctx, t, up, protocol.TypeDisconnect)
	up.Leave()
	up.ShowForm("survey_form", 120)
	survey := v.waitForEvents(ctx, "the survey", protocol.TypeFormShow, 1)[0].(*protocol.FormShow)
	v.send(&protocol.FormData{FormRequestID: survey.FormRequestID, FormName: "survey_form", Data: protocol.FormValues{Fields: map[string]string{"rating": "good"}}})
	visitorEvent(ctx, t, up, protocol.TypeFormData)
	up.End()
	v.waitFor(ctx, "the end", func() bool { return v.conn == client.ConnEnded })
	v.mu.Lock()
	defer v.mu.Unlock()
	if n := len(v.eventsOf(protocol.TypeDisconnect)); n != 1 {
		t.Errorf("the stream holds %d disconnects, want the visitor's one", n)
	}
	if n := len(v.eventsOf(protocol.TypeFormData)); n != 1 {
		t.Errorf("the stream holds %d survey answers, want one", n)
	}
	v.checkSeqs()
}

func TestInactivityEndsTheChat(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	b := startBridged(t, parleytest.BrightPatternConfig{})
	v, up, _ := b.chatWithAgent(ctx, t)
	up.WarnInactivity("Are you still there?")
	v.waitForEvents(ctx, "the warning", protocol.TypeTimeoutWarning, 1)
	up.TimeOut("Closed for inactivity.")
	v.waitFor(ctx, "the end", func() bool { return v.conn == client.ConnEnded })
	v.mu.Lock()
	defer v.mu.Unlock()
	if got := v.eventsOf(protocol.TypeInactivityTimeout); len(got) != 1 || got[0].(*protocol.InactivityTimeout).Msg != "Closed for inactivity." {
		t.Errorf("the stream holds %v, want the inactivity timeout once", got)
	}
}

func TestConfigurationAndPhotosComeFromTheTenant(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	widgetCfg := parleytest.DefaultBrightPatternWidget()
	widgetCfg.Definition.ChatWidgetStyling.Title = "Tenant's title"
	b := startBridged(t, parleytest.BrightPatternConfig{Widget: &widgetCfg})
	v, _, agent := b.chatWithAgent(ctx, t)
	cfg, err := v.session.Configuration(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Definition.ChatWidgetStyling.Title != "Tenant's title" || len(cfg.Definition.Forms) != 2 || cfg.Definition.Forms[1].Name != "survey_form" {
		t.Errorf("the widget configuration is %+v, want the tenant's", cfg.Definition)
	}
	status, photo, header := b.getAsVisitor(t, v, protocol.Path(protocol.PathProfilePhoto, v.chatID(), agent))
	if status != http.StatusOK || header.Get("Content-Type") != "image/png" || !bytes.HasPrefix(photo, []byte("\x89PNG")) {
		t.Errorf("the agent's photo is %d %s, %d bytes; want the tenant's PNG", status, header.Get("Content-Type"), len(photo))
	}
	if n := len(b.bp.RequestsTo(parleytest.MethodProfilePhoto)); n != 1 {
		t.Errorf("Get Agent Profile Photo was called %d times, want once", n)
	}
}

func TestAPIv1(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	b := startBridged(t, parleytest.BrightPatternConfig{Version: 1})
	v, up, agent := b.chatWithAgent(ctx, t)
	msgID := up.Say("hello from v1")
	v.say("hello back")
	v.waitFor(ctx, "both messages", func() bool { return len(v.messages()) == 2 })
	var ref protocol.ID
	v.mu.Lock()
	for _, e := range v.eventsOf(protocol.TypeMessage) {
		if e.EventMeta().PartyID == agent {
			ref = e.(*protocol.Message).MsgID
		}
	}
	v.mu.Unlock()
	v.send(&protocol.MessageRead{RefMsgID: ref})
	v.say("after the receipt")
	if err := b.bp.WaitFor(ctx, func() bool { return len(up.VisitorMessages()) == 2 }); err != nil {
		t.Fatal(err)
	}
	for _, e := range up.VisitorEvents() {
		if e.Event.EventType() == protocol.TypeMessageRead {
			t.Errorf("a v1 tenant got a read receipt %s, which v1 does not have", e.Raw)
		}
	}
	for _, r := range b.bp.Requests() {
		if !strings.HasPrefix(r.Path, "/clientweb/api/v1/") || r.Status >= 400 {
			t.Errorf("%s %s answered %d; want v1 paths only, each taken", r.Method, r.Path, r.Status)
		}
	}
	cfg, err := v.session.Configuration(ctx)
	if err != nil || len(cfg.Definition.Forms) == 0 {
		t.Errorf("the widget configuration under v1 = %+v, %v; want the server's own forms", cfg, err)
	}
	if ref.String() != msgID {
		t.Errorf("the widget got msg_id %s, want %s", ref, msgID)
	}
}

// pngBytes is a small PNG image.
func pngBytes() []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 4, 4))
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return b.Bytes()
}
