package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/coder/websocket"
	"github.com/parleychat/parley/app/instance"
	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/protocol"
)

// TestFormAnswersAreCheckedAgainstTheFormAsked: the server refuses an
// answer that the widget would not send, with the widget's own rules, over
// REST and over the socket, and stores the ones it would.
func TestFormAnswersAreCheckedAgainstTheFormAsked(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	// Every refusal below takes from the visitor's budget of messages.
	srv := parleytest.Start(t, parleytest.Quiet(), parleytest.Tune(func(i *instance.Instance) { i.Chats.VisitorBurst = 100 }))
	c := newAPIClient(t, srv.URL)
	s := c.open()
	// The built-in configuration's pre-chat form: first_name required,
	// email, topic one of order, product, other.
	preChat := &protocol.FormShow{FormName: "pre_chat"}
	freeText := &protocol.FormShow{}
	unknown := &protocol.FormShow{FormName: "not-in-the-configuration"}
	for _, e := range []*protocol.FormShow{preChat, freeText, unknown} {
		if err := srv.Chats.Publish(ctx, s.ChatID, e); err != nil {
			t.Fatal(err)
		}
	}
	answer := func(show *protocol.FormShow, fields map[string]string) *protocol.FormData {
		return &protocol.FormData{FormRequestID: show.FormRequestID, FormName: show.FormName, Data: protocol.FormValues{Fields: fields}}
	}
	refused := []struct {
		name  string
		event protocol.Event
		says  string
	}{
		{"a required field missing", answer(preChat, map[string]string{"topic": "order"}), "first_name is required"},
		{"a value that is not an option", answer(preChat, map[string]string{"first_name": "Ada", "topic": "refund"}), "topic is not one of its options"},
		{"not an email", answer(preChat, map[string]string{"first_name": "Ada", "topic": "order", "email": "ada"}), "email is not an email address"},
		{"a field the form does not have", answer(preChat, map[string]string{"first_name": "Ada", "topic": "order", "is_admin": "true"}), "is_admin is not a field of the form"},
		{"a request never made", &protocol.FormData{FormRequestID: protocol.NumberID(424242), FormName: "pre_chat", Data: protocol.FormValues{Fields: map[string]string{"first_name": "Ada", "topic": "order"}}}, "names no form this chat asked for"},
		{"another form's name", &protocol.FormData{FormRequestID: preChat.FormRequestID, FormName: "survey", Data: protocol.FormValues{Fields: map[string]string{"rating": "5"}}}, `form_name "survey" is not "pre_chat"`},
		{"fields for a form the server does not define", answer(unknown, map[string]string{"x": "y"}), "is not one this contact center defines"},
		{"a free-text answer with more", answer(freeText, map[string]string{protocol.FreeTextField: "order 42", "x": "y"}), "x is not a field of the form"},
	}
	for _, tc := range refused {
		wantError(t, tc.name+" over REST", c.sendEvents(s.ChatID, envelope(t, tc.event)), http.StatusBadRequest, protocol.CodeBadRequest)
	}
	conn := dial(ctx, t, socketURL(srv.URL, s.ChatID, s.Token), nil)
	readEnvelope(ctx, t, conn)
	for i, tc := range refused {
		env := askFrame(ctx, t, conn, protocol.Envelope{Ref: "f" + string(rune('a'+i)), Events: []protocol.Event{tc.event}})
		if env.Error == nil || env.Error.Code != protocol.CodeBadRequest || !strings.Contains(env.Error.Message, tc.says) {
			t.Errorf("%s over the socket: answered %+v, want 5003 saying %q", tc.name, env.Error, tc.says)
		}
	}
	if got := formAnswers(t, srv, s.ChatID); len(got) != 0 {
		t.Fatalf("%d refused answers were stored", len(got))
	}

	for _, e := range []protocol.Event{
		answer(preChat, map[string]string{"first_name": "Ada", "topic": "order", "email": "ada@example.com"}),
		answer(freeText, map[string]string{protocol.FreeTextField: "order 42"}),
		&protocol.FormData{FormRequestID: unknown.FormRequestID, FormName: unknown.FormName, Data: protocol.FormValues{Note: protocol.FormNotFound}},
	} {
		wantOK(t, "a good answer", c.sendEvents(s.ChatID, envelope(t, e)))
	}
	if got := formAnswers(t, srv, s.ChatID); len(got) != 3 {
		t.Errorf("%d answers stored, want the 3 good ones", len(got))
	}
}

// askFrame sends a frame on a visitor socket and returns the answer to its
// ref, whatever it says, skipping what the stream delivers meanwhile.
func askFrame(ctx context.Context, t *testing.T, conn *websocket.Conn, env protocol.Envelope) protocol.Envelope {
	t.Helper()
	data, err := env.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.Write(ctx, websocket.MessageText, data); err != nil {
		t.Fatal(err)
	}
	for {
		if got := readEnvelope(ctx, t, conn); got.Ref == env.Ref {
			return got
		}
	}
}

// formAnswers are the answers to forms stored in the chat.
func formAnswers(t *testing.T, srv *parleytest.Server, chatID string) []protocol.Event {
	t.Helper()
	events, err := srv.Chats.History(context.Background(), chatID, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []protocol.Event
	for _, e := range events {
		if _, ok := e.(*protocol.FormData); ok {
			out = append(out, e)
		}
	}
	return out
}
