package parleytest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/protocol"
)

// faultCase is one misbehaviour: run gets a fake whose chat (of v) is
// connected to an agent, and has had its first events.
type faultCase struct {
	name string
	cfg  parleytest.BrightPatternConfig
	run  func(t *testing.T, ctx context.Context, bp *parleytest.BrightPattern, v *visitor, chat *parleytest.BrightPatternChat)
}

var faultCases = []faultCase{
	{name: "5xx", run: func(t *testing.T, ctx context.Context, bp *parleytest.BrightPattern, v *visitor, chat *parleytest.BrightPatternChat) {
		bp.Misbehave(parleytest.Fault{Method: parleytest.MethodSendEvents, Kind: parleytest.FaultStatus, Status: http.StatusBadGateway, Times: 1})
		a := v.sendEvents(ctx, chat.ID, `{"event":"chat_session_message","msg_id":"1","msg":"hello"}`)
		if a.status != http.StatusBadGateway || string(a.body) != "502 Bad Gateway\n" || a.code() != "" {
			t.Errorf("answer %d %q", a.status, a.body)
		}
		if got := chat.VisitorEvents(); len(got) != 0 {
			t.Errorf("a request answered 502 kept %d events", len(got))
		}
		if a := v.sendEvents(ctx, chat.ID, `{"event":"chat_session_message","msg_id":"1","msg":"hello"}`); a.status != http.StatusOK || len(chat.VisitorEvents()) != 1 {
			t.Errorf("the retry answered %d %s", a.status, a.body)
		}
		if r := bp.RequestsTo(parleytest.MethodSendEvents); len(r[0].Faults) != 1 || len(r[1].Faults) != 0 {
			t.Errorf("faults recorded: %v, %v", r[0].Faults, r[1].Faults)
		}
	}},
	{name: "5005 on one chat", run: func(t *testing.T, ctx context.Context, bp *parleytest.BrightPattern, v *visitor, chat *parleytest.BrightPatternChat) {
		other := newVisitor(t, bp)
		otherChat := other.requestChat(ctx)
		bp.Misbehave(parleytest.Fault{ChatID: chat.ID, Kind: parleytest.FaultError, Code: protocol.CodeChatNotFound})
		if a := v.do(ctx, http.MethodGet, "chats/"+chat.ID+"/events", nil); a.status != http.StatusNotFound || a.code() != protocol.CodeChatNotFound {
			t.Errorf("poll answered %d %s", a.status, a.body)
		}
		if a := v.sendEvents(ctx, chat.ID, `{"event":"chat_session_typing"}`); a.code() != protocol.CodeChatNotFound {
			t.Errorf("Send Events answered %d %s", a.status, a.body)
		}
		if got := names(other.events(ctx, otherChat)); !slices.Equal(got, []string{protocol.TypeStatus}) {
			t.Errorf("the other chat's poll got %v", got)
		}
	}},
	{name: "5509", run: func(t *testing.T, ctx context.Context, bp *parleytest.BrightPattern, v *visitor, chat *parleytest.BrightPatternChat) {
		bp.Misbehave(parleytest.Fault{Method: parleytest.MethodGetNewChatEvents, Kind: parleytest.FaultError, Code: protocol.CodeConcurrentPoll, Times: 1})
		if a := v.do(ctx, http.MethodGet, "chats/"+chat.ID+"/events", nil); a.status != http.StatusTooManyRequests || a.code() != protocol.CodeConcurrentPoll {
			t.Errorf("poll answered %d %s", a.status, a.body)
		}
	}},
	{name: "auth errors", run: func(t *testing.T, ctx context.Context, bp *parleytest.BrightPattern, v *visitor, chat *parleytest.BrightPatternChat) {
		for _, code := range []protocol.Code{protocol.CodeAuthMissing, protocol.CodeAuthFormat, protocol.CodeAuthScheme,
			protocol.CodeAuthAppID, protocol.CodeAuthClientID, protocol.CodeAppID} {
			bp.Misbehave(parleytest.Fault{Kind: parleytest.FaultError, Code: code, Times: 1})
			if a := v.do(ctx, http.MethodGet, "chats/"+chat.ID+"/history", nil); a.status != http.StatusUnauthorized || a.code() != code {
				t.Errorf("%s: answer %d %s", code, a.status, a.body)
			}
		}
		if a := v.do(ctx, http.MethodGet, "chats/"+chat.ID+"/history", nil); a.status != http.StatusOK {
			t.Errorf("after the faults: %d %s", a.status, a.body)
		}
	}},
	{name: "empty poll", run: func(t *testing.T, ctx context.Context, bp *parleytest.BrightPattern, v *visitor, chat *parleytest.BrightPatternChat) {
		chat.Say("hello")
		bp.Misbehave(parleytest.Fault{Method: parleytest.MethodGetNewChatEvents, Kind: parleytest.FaultEmptyBody, Times: 1})
		if a := v.do(ctx, http.MethodGet, "chats/"+chat.ID+"/events", nil); a.status != http.StatusOK || len(a.body) != 0 {
			t.Errorf("poll answered %d %q", a.status, a.body)
		}
		if got := names(v.events(ctx, chat.ID)); !slices.Equal(got, []string{protocol.TypeMessage}) {
			t.Errorf("the next poll got %v", got)
		}
	}},
	{name: "empty Send Events answer", run: func(t *testing.T, ctx context.Context, bp *parleytest.BrightPattern, v *visitor, chat *parleytest.BrightPatternChat) {
		bp.Misbehave(parleytest.Fault{Method: parleytest.MethodSendEvents, Kind: parleytest.FaultEmptyBody, Times: 1})
		if a := v.sendEvents(ctx, chat.ID, `{"event":"chat_session_typing"}`); a.status != http.StatusOK || len(a.body) != 0 {
			t.Errorf("answer %d %q", a.status, a.body)
		}
		if got := chat.VisitorEvents(); len(got) != 1 {
			t.Errorf("kept %d events", len(got))
		}
	}},
	{name: "empty Request Chat answer", run: func(t *testing.T, ctx context.Context, bp *parleytest.BrightPattern, v *visitor, chat *parleytest.BrightPatternChat) {
		w := newVisitor(t, bp)
		bp.Misbehave(parleytest.Fault{Method: parleytest.MethodRequestChat, Kind: parleytest.FaultEmptyBody, Times: 1})
		if a := w.do(ctx, http.MethodPost, "chats", []byte(`{}`)); a.status != http.StatusOK || len(a.body) != 0 {
			t.Errorf("answer %d %q", a.status, a.body)
		}
		made := bp.Chats()[1]
		var s protocol.ChatSession
		if a := w.do(ctx, http.MethodPost, "chats", []byte(`{}`)); json.Unmarshal(a.body, &s) != nil || s.ChatID != made.ID || s.IsNewChat {
			t.Errorf("asking again got %s, want chat %s with is_new_chat false", a.body, made.ID)
		}
	}},
	{name: "dropped poll", run: func(t *testing.T, ctx context.Context, bp *parleytest.BrightPattern, v *visitor, chat *parleytest.BrightPatternChat) {
		chat.Say("hello")
		bp.Misbehave(parleytest.Fault{Method: parleytest.MethodGetNewChatEvents, Kind: parleytest.FaultDrop, Times: 1})
		if _, err := v.send(v.request(ctx, http.MethodGet, "chats/"+chat.ID+"/events", nil)); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("a dropped answer read as %v", err)
		}
		if r := bp.RequestsTo(parleytest.MethodGetNewChatEvents); !r[len(r)-1].Dropped || r[len(r)-1].Status != http.StatusOK {
			t.Errorf("recorded %+v", r[len(r)-1])
		}
		if got := names(v.events(ctx, chat.ID)); !slices.Equal(got, []string{protocol.TypeMessage}) {
			t.Errorf("the next poll got %v", got)
		}
	}},
	{name: "dropped Send Events answer", run: func(t *testing.T, ctx context.Context, bp *parleytest.BrightPattern, v *visitor, chat *parleytest.BrightPatternChat) {
		bp.Misbehave(parleytest.Fault{Method: parleytest.MethodSendEvents, Kind: parleytest.FaultDrop, Times: 1})
		req := v.request(ctx, http.MethodPost, "chats/"+chat.ID+"/events", []byte(`{"events":[{"event":"chat_session_message","msg_id":"1","msg":"hi"}]}`))
		if _, err := v.send(req); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("a dropped answer read as %v", err)
		}
		if got := chat.VisitorMessages(); len(got) != 1 {
			t.Errorf("kept %d messages of a request whose answer was lost, want 1", len(got))
		}
	}},
	{name: "duplicate", run: func(t *testing.T, ctx context.Context, bp *parleytest.BrightPattern, v *visitor, chat *parleytest.BrightPatternChat) {
		bp.Misbehave(parleytest.Fault{Kind: parleytest.FaultDuplicate, Times: 1})
		if got := v.events(ctx, chat.ID); len(got) != 0 {
			t.Fatalf("idle poll got %v", got)
		}
		first := chat.Say("first")
		a := v.events(ctx, chat.ID)
		second := chat.Say("second")
		b := v.events(ctx, chat.ID)
		if len(a) != 1 || len(b) != 2 || text(t, a[0], "msg_id") != first || text(t, b[0], "msg_id") != first || text(t, b[1], "msg_id") != second {
			t.Errorf("polls got %v, then %v", a, b)
		}
		if got := v.events(ctx, chat.ID); len(got) != 0 {
			t.Errorf("the fault went on: %v", got)
		}
	}},
	{name: "swap types", cfg: parleytest.BrightPatternConfig{PollWait: 50 * time.Millisecond, NumericIDs: true}, run: func(t *testing.T, ctx context.Context, bp *parleytest.BrightPattern, v *visitor, chat *parleytest.BrightPatternChat) {
		bp.Misbehave(parleytest.Fault{Kind: parleytest.FaultSwapTypes})
		var session map[string]json.RawMessage
		if a := newVisitor(t, bp).do(ctx, http.MethodPost, "chats", []byte(`{}`)); json.Unmarshal(a.body, &session) != nil || string(session["ewt"]) != "30" {
			t.Errorf("Request Chat answered %s", a.body)
		}
		chat.Say("42")
		e := v.events(ctx, chat.ID)[0]
		if string(e["msg_id"]) != `"1"` || e["timestamp"][0] == '"' || string(e["msg"]) != "42" {
			t.Errorf("message %v", e)
		}
		if a := newVisitor(t, bp).do(ctx, http.MethodGet, "chats/"+chat.ID+"/events", nil); !bytes.Contains(a.body, []byte(`"error_code":5005`)) {
			t.Errorf("error answered %s", a.body)
		}
		bp.Misbehave(parleytest.Fault{Method: parleytest.MethodCheckAvailability, Kind: parleytest.FaultStatus, Status: http.StatusBadGateway, Times: 1})
		if a := v.do(ctx, http.MethodGet, "availability", nil); string(a.body) != "502 Bad Gateway\n" {
			t.Errorf("a text answer became %q", a.body)
		}
		file := chat.SendFile("n.txt", "text/plain", []byte("12"))
		if a := v.do(ctx, http.MethodGet, "chats/"+chat.ID+"/files/"+file, nil); string(a.body) != "12" {
			t.Errorf("a file became %q", a.body)
		}
	}},
	{name: "delay the client gives up on", run: func(t *testing.T, ctx context.Context, bp *parleytest.BrightPattern, v *visitor, chat *parleytest.BrightPatternChat) {
		bp.Misbehave(parleytest.Fault{Method: parleytest.MethodSendEvents, Delay: time.Hour, Times: 1})
		short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		req := v.request(short, http.MethodPost, "chats/"+chat.ID+"/events", []byte(`{"events":[{"event":"chat_session_typing"}]}`))
		if _, err := v.send(req); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("a client that gave up got %v", err)
		}
		if a := v.sendEvents(ctx, chat.ID, `{"event":"chat_session_not_typing"}`); a.status != http.StatusOK {
			t.Errorf("the retry answered %d %s", a.status, a.body)
		}
		if got := chat.VisitorEvents(); len(got) != 1 || got[0].Event.EventType() != protocol.TypeNotTyping {
			t.Errorf("kept %d events, the delayed one too", len(got))
		}
	}},
	{name: "delay, then the right answer", run: func(t *testing.T, ctx context.Context, bp *parleytest.BrightPattern, v *visitor, chat *parleytest.BrightPatternChat) {
		bp.Misbehave(parleytest.Fault{Method: parleytest.MethodCheckAvailability, Delay: 10 * time.Millisecond, Times: 1})
		if a := v.do(ctx, http.MethodGet, "availability", nil); a.status != http.StatusOK || string(a.body) != `{"chat":"available","ewt":"30"}` {
			t.Errorf("answer %d %s", a.status, a.body)
		}
		if r := bp.RequestsTo(parleytest.MethodCheckAvailability); len(r[0].Faults) != 1 || r[0].Faults[0].Delay != 10*time.Millisecond {
			t.Errorf("recorded faults %v", r[0].Faults)
		}
	}},
	{name: "times and behave", run: func(t *testing.T, ctx context.Context, bp *parleytest.BrightPattern, v *visitor, chat *parleytest.BrightPatternChat) {
		availability := func() int { return v.do(ctx, http.MethodGet, "availability", nil).status }
		bp.Misbehave(parleytest.Fault{Method: parleytest.MethodCheckAvailability, Kind: parleytest.FaultStatus, Status: http.StatusServiceUnavailable, Times: 2})
		if got := []int{availability(), availability(), availability()}; !slices.Equal(got, []int{503, 503, 200}) {
			t.Errorf("a fault for 2 requests answered %v", got)
		}
		bp.Misbehave(parleytest.Fault{Method: parleytest.MethodCheckAvailability, Kind: parleytest.FaultStatus, Status: http.StatusInternalServerError})
		if got := []int{availability(), availability()}; !slices.Equal(got, []int{500, 500}) {
			t.Errorf("a fault for every request answered %v", got)
		}
		bp.Behave()
		if got := availability(); got != http.StatusOK {
			t.Errorf("after Behave: %d", got)
		}
	}},
}

func TestBrightPatternFaults(t *testing.T) {
	t.Parallel()
	for _, tc := range faultCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := tc.cfg
			if cfg.PollWait == 0 {
				cfg.PollWait = fastPolls.PollWait
			}
			ctx, bp, v, chatID := startChat(t, cfg)
			chat := bp.Chat(chatID)
			chat.Join("Grace Hopper")
			v.events(ctx, chat.ID)
			tc.run(t, ctx, bp, v, chat)
		})
	}
}

func TestBrightPatternDisappears(t *testing.T) {
	t.Parallel()
	ctx, bp, v, chatID := startChat(t, parleytest.BrightPatternConfig{PollWait: time.Hour})
	chat := bp.Chat(chatID)
	v.events(ctx, chat.ID)

	held := make(chan error, 1)
	go func() {
		_, err := v.send(v.request(ctx, http.MethodGet, "chats/"+chat.ID+"/events", nil))
		held <- err
	}()
	if err := bp.WaitFor(ctx, chat.Polling); err != nil {
		t.Fatal(err)
	}
	bp.Disappear()
	if err := <-held; err == nil {
		t.Error("a held poll went on after the server disappeared")
	}
	if err := bp.WaitFor(ctx, func() bool { return !chat.Polling() }); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := v.send(v.request(ctx, http.MethodGet, "availability", nil)); !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("a request to a server that is gone: %v, want connection refused", err)
		}
	}
	chat.Say("while you were away")

	if err := bp.Reappear(); err != nil {
		t.Fatal(err)
	}
	if got := v.events(ctx, chat.ID); len(got) != 1 || text(t, got[0], "msg_text") != "while you were away" {
		t.Errorf("after the server came back: %v", got)
	}

	bp.DisappearFor(100 * time.Millisecond)
	if !bp.Gone() {
		t.Error("DisappearFor left the server on the network")
	}
	if _, err := v.send(v.request(ctx, http.MethodGet, "availability", nil)); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("a request during DisappearFor: %v, want connection refused", err)
	}
	if err := bp.WaitFor(ctx, func() bool { return !bp.Gone() }); err != nil {
		t.Fatal(err)
	}
	if a := v.do(ctx, http.MethodGet, "availability", nil); a.status != http.StatusOK {
		t.Errorf("after DisappearFor: %d %s", a.status, a.body)
	}
}
