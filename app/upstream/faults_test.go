package upstream_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/app/instance"
	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/protocol"
	"github.com/parleychat/parley/widget/client"
)

// shortTimeouts makes the bridge give up on calls sooner, so that faults
// that hold an answer show as timeouts.
func shortTimeouts(poll, call time.Duration) parleytest.Option {
	return parleytest.Tune(func(inst *instance.Instance) {
		inst.Bridge.Client().PollTimeout = poll
		inst.Bridge.Client().CallTimeout = call
	})
}

func TestPollFaultsLoseNothingAndRepeatNothing(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		fault parleytest.Fault
	}{
		{"a slow answer", parleytest.Fault{Delay: 300 * time.Millisecond, Times: 5}},
		{"an answer later than the bridge waits", parleytest.Fault{Delay: 5 * time.Second, Times: 2}},
		{"502 from a proxy", parleytest.Fault{Kind: parleytest.FaultStatus, Status: http.StatusBadGateway, Times: 4}},
		{"503 for a while", parleytest.Fault{Kind: parleytest.FaultStatus, Status: http.StatusServiceUnavailable, Times: 10}},
		{"the tenant's own 5500", parleytest.Fault{Kind: parleytest.FaultError, Code: protocol.CodeInternal, Times: 3}},
		{"5509: another poll waits", parleytest.Fault{Kind: parleytest.FaultError, Code: protocol.CodeConcurrentPoll, Times: 3}},
		{"empty answers", parleytest.Fault{Kind: parleytest.FaultEmptyBody, Times: 3}},
		{"answers cut short", parleytest.Fault{Kind: parleytest.FaultDrop, Times: 3}},
		{"events repeated in the next answer", parleytest.Fault{Kind: parleytest.FaultDuplicate, Times: 4}},
		{"numbers and strings swapped", parleytest.Fault{Kind: parleytest.FaultSwapTypes}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t)
			br := startBridged(t, parleytest.BrightPatternConfig{}, shortTimeouts(time.Second, 2*time.Second))
			v, up, agent := br.chatWithAgent(ctx, t)
			converse(ctx, t, br, v, up, agent, "before", 3)
			tc.fault.Method = parleytest.MethodGetNewChatEvents
			br.bp.Misbehave(tc.fault)
			converse(ctx, t, br, v, up, agent, "during", 8)
			br.bp.Behave()
			checkSpoiled(t, br.bp, tc.fault)
			converse(ctx, t, br, v, up, agent, "after", 3)
		})
	}
}

func TestSwappedTypesKeepTheTextsAndIDs(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	br := startBridged(t, parleytest.BrightPatternConfig{NumericIDs: true})
	v, up, agent := br.chatWithAgent(ctx, t)
	br.bp.Misbehave(parleytest.Fault{Method: parleytest.MethodGetNewChatEvents, Kind: parleytest.FaultSwapTypes})
	// A poll held before the fault answers as it was: wait for one it
	// spoils.
	if _, err := br.bp.WaitForRequest(ctx, func(r parleytest.BrightPatternRequest) bool {
		return r.API == parleytest.MethodGetNewChatEvents && len(r.Faults) > 0 && r.Status == 0
	}); err != nil {
		t.Fatal(err)
	}
	msgID := up.Say("42")
	requestID := up.ShowForm("pre_chat", 60)
	msg := v.waitForEvents(ctx, "the message", protocol.TypeMessage, 1)[0].(*protocol.Message)
	form := v.waitForEvents(ctx, "the form", protocol.TypeFormShow, 1)[0].(*protocol.FormShow)
	if msg.Text() != "42" || msg.PartyID != agent || msg.MsgID.String() != msgID || msg.MsgID.IsNumber() {
		t.Errorf("the widget got %+v, want %q from the agent with the msg_id %s as the swapped string", msg, "42", msgID)
	}
	v.send(&protocol.FormData{FormRequestID: form.FormRequestID, FormName: "pre_chat", Data: protocol.FormValues{Fields: map[string]string{"first_name": "Ada"}}})
	answer := visitorEvent(ctx, t, up, protocol.TypeFormData)
	// The poll wrote the number as a string: it goes back as one.
	if !bytes.Contains(answer.Raw, []byte(`"form_request_id":"`+requestID+`"`)) {
		t.Errorf("the tenant got %s, want form_request_id %q as it came", answer.Raw, requestID)
	}
}

func TestSendFaultsLoseNothingAndRepeatNothing(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		faults []parleytest.Fault
		// unsure says the faults leave the bridge unsure whether the
		// tenant took an event, which its history then says.
		unsure bool
	}{
		{"503 from a proxy", []parleytest.Fault{{Kind: parleytest.FaultStatus, Status: http.StatusServiceUnavailable, Times: 3}}, true},
		{"the tenant's own 5500", []parleytest.Fault{{Kind: parleytest.FaultError, Code: protocol.CodeInternal, Times: 3}}, false},
		{"empty answers", []parleytest.Fault{{Kind: parleytest.FaultEmptyBody, Times: 3}}, false},
		{"answers cut short", []parleytest.Fault{{Kind: parleytest.FaultDrop, Times: 3}}, false},
		{"answers lost after the tenant took the events", []parleytest.Fault{
			{Kind: parleytest.FaultEmptyBody, Times: 3}, {Kind: parleytest.FaultDrop, Times: 3},
		}, true},
		// The fake leaves a request undone when its client gave up: well
		// after the bridge does, so it has surely noticed.
		{"answers later than the bridge waits", []parleytest.Fault{{Delay: 5 * time.Second, Times: 2}}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t)
			br := startBridged(t, parleytest.BrightPatternConfig{}, shortTimeouts(2*time.Second, time.Second))
			v, up, agent := br.chatWithAgent(ctx, t)
			converse(ctx, t, br, v, up, agent, "before", 2)
			for i := range tc.faults {
				tc.faults[i].Method = parleytest.MethodSendEvents
				br.bp.Misbehave(tc.faults[i])
			}
			converse(ctx, t, br, v, up, agent, "during", 6)
			br.bp.Behave()
			for _, f := range tc.faults {
				checkSpoiled(t, br.bp, f)
			}
			if asked := len(br.bp.RequestsTo(parleytest.MethodChatHistory)) > 0; asked != tc.unsure {
				t.Errorf("the bridge asked the history whether an event arrived: %v, want %v", asked, tc.unsure)
			}
			converse(ctx, t, br, v, up, agent, "after", 2)
		})
	}
}

func TestAnOutageOfTheTenant(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	br := startBridged(t, parleytest.BrightPatternConfig{})
	v, up, agent := br.chatWithAgent(ctx, t)
	converse(ctx, t, br, v, up, agent, "before", 3)

	br.bp.Disappear()
	v.waitFor(ctx, "reconnecting", func() bool { return v.conn == client.ConnReconnecting })
	sent, said := numbered("during visitor", 5), numbered("during agent", 5)
	for i := range sent {
		v.say(sent[i])
		up.Say(said[i])
	}
	// What the visitor sent waits on the server, in the chat's outbox.
	parleytest.Eventually(ctx, t, "the visitor's messages in the server's outbox", func() bool {
		queued, err := br.srv.Instance.Store.Queue(ctx, v.chatID(), chat.Outbox, 3, 100)
		return err == nil && len(queued) == len(sent)
	})
	if err := br.bp.Reappear(); err != nil {
		t.Fatal(err)
	}
	v.waitFor(ctx, "connected again", func() bool { return v.conn == client.ConnConnected })
	checkConversation(ctx, t, br, v, up, agent, "during", sent, said)
	converse(ctx, t, br, v, up, agent, "after", 3)
	v.mu.Lock()
	conns := v.conns
	v.mu.Unlock()
	if !containsInOrder(conns, client.ConnReconnecting, client.ConnConnected) {
		t.Errorf("the widget went through %v, want reconnecting, then connected", conns)
	}
}

func containsInOrder(states []client.ConnState, want ...client.ConnState) bool {
	for _, s := range states {
		if len(want) > 0 && s == want[0] {
			want = want[1:]
		}
	}
	return len(want) == 0
}

func TestABlipShowsNothing(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	br := startBridged(t, parleytest.BrightPatternConfig{}, parleytest.Tune(func(inst *instance.Instance) { inst.Bridge.Grace = 5 * time.Second }))
	v, up, agent := br.chatWithAgent(ctx, t)
	br.bp.Misbehave(parleytest.Fault{Method: parleytest.MethodGetNewChatEvents, Kind: parleytest.FaultStatus, Status: http.StatusBadGateway, Times: 2})
	converse(ctx, t, br, v, up, agent, "blip", 3)
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, c := range v.conns[1:] {
		if c != client.ConnConnected {
			t.Errorf("a fault shorter than the grace showed %v", v.conns)
			break
		}
	}
}

func TestTheTenantDownWhenTheChatStarts(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	br := startBridged(t, parleytest.BrightPatternConfig{}, parleytest.Tune(func(inst *instance.Instance) { inst.Bridge.OpenWait = 200 * time.Millisecond }))
	br.bp.Disappear()
	v := br.runVisitor(ctx, t, protocol.NewUUID(), protocol.ChatRequest{From: "Ada"})
	v.waitFor(ctx, "the chat, reconnecting", func() bool { return v.chat.ChatID != "" && v.conn == client.ConnReconnecting })
	v.say("are you there?")
	if err := br.bp.Reappear(); err != nil {
		t.Fatal(err)
	}
	up, err := br.bp.WaitForChat(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	v.waitFor(ctx, "connected", func() bool { return v.conn == client.ConnConnected })
	if err := br.bp.WaitFor(ctx, func() bool { return len(up.VisitorMessages()) == 1 }); err != nil {
		t.Fatal(err)
	}
	if up.Request.From != "Ada" {
		t.Errorf("the chat was requested as %+v", up.Request)
	}
	if got := visitorTexts(up); !equal(got, []string{"are you there?"}) {
		t.Errorf("the tenant got %q", got)
	}
	if n := len(br.bp.Chats()); n != 1 {
		t.Errorf("the tenant has %d chats, want one", n)
	}
}

func TestRequestChatFaults(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	br := startBridged(t, parleytest.BrightPatternConfig{})
	br.bp.Misbehave(parleytest.Fault{Method: parleytest.MethodRequestChat, Kind: parleytest.FaultStatus, Status: http.StatusBadGateway, Times: 2})
	br.bp.Misbehave(parleytest.Fault{Method: parleytest.MethodRequestChat, Kind: parleytest.FaultDrop, Times: 1})
	v := br.startVisitor(ctx, t)
	if _, err := br.bp.WaitForChat(ctx, nil); err != nil {
		t.Fatal(err)
	}
	v.say("hello")
	if err := br.bp.WaitFor(ctx, func() bool { return len(br.bp.Chats()[0].VisitorMessages()) == 1 }); err != nil {
		t.Fatal(err)
	}
	// A cut answer was a chat made: asked again, the tenant answers the
	// same one.
	if n := len(br.bp.Chats()); n != 1 {
		t.Errorf("the tenant has %d chats, want one", n)
	}
}

func TestAClosedTenant(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	br := startBridged(t, parleytest.BrightPatternConfig{})
	br.bp.SetAvailable(false)
	v := br.runVisitor(ctx, t, protocol.NewUUID(), protocol.ChatRequest{})
	v.waitFor(ctx, "the refusal", func() bool { return v.conn == client.ConnFailed })
	v.stop()
	if !client.Closed(v.failure) {
		t.Errorf("the session failed with %v, want 5001 (closed)", v.failure)
	}
	if open, err := br.srv.Chats.OpenChats(ctx); err != nil || len(open) != 0 {
		t.Errorf("open chats here: %v, %v; want none", open, err)
	}
	br.bp.SetAvailable(true)
	next := br.startVisitor(ctx, t)
	if next.chatID() == "" {
		t.Error("no chat once the tenant opened")
	}
}

func TestTheTenantEndsTheChatWith5005(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	br := startBridged(t, parleytest.BrightPatternConfig{})
	v, up, agent := br.chatWithAgent(ctx, t)
	converse(ctx, t, br, v, up, agent, "before", 2)
	br.bp.Misbehave(parleytest.Fault{Method: parleytest.MethodGetNewChatEvents, Kind: parleytest.FaultError, Code: protocol.CodeChatNotFound})
	v.waitFor(ctx, "the end", func() bool { return v.conn == client.ConnEnded })
	v.mu.Lock()
	defer v.mu.Unlock()
	if n := len(v.eventsOf(protocol.TypeEnded)); n != 1 {
		t.Errorf("the stream holds %d chat_session_ended, want one", n)
	}
}

// logs records what the bridge tells the operator.
type logs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func logTo(l *logs) parleytest.Option {
	return parleytest.Tune(func(inst *instance.Instance) { inst.Bridge.Log = slog.New(slog.NewTextHandler(l, nil)) })
}

func TestRefusedCredentialsStopTheChat(t *testing.T) {
	t.Parallel()
	for _, code := range []protocol.Code{protocol.CodeAppID, protocol.CodeAuthFormat, protocol.CodeTenantURL} {
		t.Run(string(code), func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t)
			var log logs
			br := startBridged(t, parleytest.BrightPatternConfig{}, logTo(&log))
			v, _, _ := br.chatWithAgent(ctx, t)
			br.bp.Misbehave(parleytest.Fault{Method: parleytest.MethodGetNewChatEvents, Kind: parleytest.FaultError, Code: code})
			v.waitFor(ctx, "the end", func() bool { return v.conn == client.ConnEnded })
			v.mu.Lock()
			statuses := v.eventsOf(protocol.TypeStatus)
			v.mu.Unlock()
			if last := statuses[len(statuses)-1].(*protocol.Status); last.State != protocol.StateFailed {
				t.Errorf("the chat's last status is %s, want failed", last.State)
			}
			text := log.String()
			if !strings.Contains(text, "level=ERROR") || !strings.Contains(text, "refused Parley's credentials") || !strings.Contains(text, string(code)) {
				t.Errorf("the operator's log says %q, want an error naming the refusal %s", text, code)
			}
			parleytest.Eventually(ctx, t, "the chat stopped for the refusal", func() bool {
				up, err := br.srv.Instance.Store.Upstream(ctx, v.chatID())
				return err == nil && strings.Contains(up.Stopped, "refused Parley's credentials")
			})
		})
	}
}

func TestRefusedCredentialsAtTheStart(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	var log logs
	br := startBridged(t, parleytest.BrightPatternConfig{}, logTo(&log))
	br.bp.Misbehave(parleytest.Fault{Method: parleytest.MethodRequestChat, Kind: parleytest.FaultError, Code: protocol.CodeAppID})
	v := br.runVisitor(ctx, t, protocol.NewUUID(), protocol.ChatRequest{})
	v.waitFor(ctx, "the refusal", func() bool { return v.conn == client.ConnFailed })
	v.stop()
	if client.Closed(v.failure) || v.failure == nil {
		t.Errorf("the session failed with %v, want a launch point that cannot take chats", v.failure)
	}
	if !strings.Contains(log.String(), "refused Parley's credentials") {
		t.Errorf("the operator's log says %q", log.String())
	}
}

func TestProxiedDownloadsWhileTheTenantIsDown(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	br := startBridged(t, parleytest.BrightPatternConfig{})
	v, up, _ := br.chatWithAgent(ctx, t)
	fileID := up.SendFile("notes.txt", "text/plain", []byte("agent notes"))
	v.waitForEvents(ctx, "the agent's file", protocol.TypeFile, 1)
	br.bp.Disappear()
	status, body, _ := br.getAsVisitor(t, v, protocol.Path(protocol.PathChatFile, v.chatID(), fileID))
	if perr := protocol.DecodeError(body); status != http.StatusBadGateway || perr == nil || perr.Code != protocol.CodeServerGone {
		t.Errorf("Get File with the tenant down = %d %s, want 502 and error 5004", status, body)
	}
	if err := br.bp.Reappear(); err != nil {
		t.Fatal(err)
	}
	if status, body, _ := br.getAsVisitor(t, v, protocol.Path(protocol.PathChatFile, v.chatID(), fileID)); status != http.StatusOK || string(body) != "agent notes" {
		t.Errorf("Get File once the tenant is back = %d %q", status, body)
	}
}

func TestUploadFaults(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	br := startBridged(t, parleytest.BrightPatternConfig{})
	v, up, _ := br.chatWithAgent(ctx, t)
	br.bp.Misbehave(parleytest.Fault{Method: parleytest.MethodUploadFile, Kind: parleytest.FaultStatus, Status: http.StatusServiceUnavailable, Times: 2})
	br.shareFile(ctx, t, v, up, "a.txt", "text/plain", []byte("visitor's notes"))
	v.waitForEvents(ctx, "the file shown as sent", protocol.TypeFile, 1)
	files := 0
	for _, e := range up.VisitorEvents() {
		if e.Event.EventType() == protocol.TypeFile {
			files++
		}
	}
	if files != 1 {
		t.Errorf("the tenant got %d file events, want one", files)
	}
}

// checkSpoiled fails the test unless the fake spoiled a request with the
// fault: a test of a fault that never happened proves nothing.
func checkSpoiled(t *testing.T, bp *parleytest.BrightPattern, f parleytest.Fault) {
	t.Helper()
	for _, r := range bp.RequestsTo(f.Method) {
		for _, got := range r.Faults {
			if got.Kind == f.Kind && got.Delay == f.Delay && got.Status == f.Status && got.Code == f.Code {
				return
			}
		}
	}
	t.Errorf("no %s request was spoiled with %+v", f.Method, f)
}

func TestEveryAnswerWithItsTypesSwapped(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	widgetCfg := parleytest.DefaultBrightPatternWidget()
	widgetCfg.Definition.ChatWidgetStyling.Title = "2024"
	br := startBridged(t, parleytest.BrightPatternConfig{NumericIDs: true, Widget: &widgetCfg})
	br.bp.Misbehave(parleytest.Fault{Kind: parleytest.FaultSwapTypes})
	v, up, agent := br.chatWithAgent(ctx, t)
	converse(ctx, t, br, v, up, agent, "swapped", 4)
	br.shareFile(ctx, t, v, up, "2024", "text/plain", []byte("a file named by its year"))
	cfg, err := v.session.Configuration(ctx)
	if err != nil || cfg.Definition.ChatWidgetStyling.Title != "2024" || cfg.Definition.Forms[0].ID != "1" {
		t.Errorf("the widget configuration is %+v, %v; want the tenant's, read through the swap", cfg.Definition, err)
	}
	checkSpoiled(t, br.bp, parleytest.Fault{Method: parleytest.MethodRequestChat, Kind: parleytest.FaultSwapTypes})
	checkSpoiled(t, br.bp, parleytest.Fault{Method: parleytest.MethodUploadFile, Kind: parleytest.FaultSwapTypes})
}
