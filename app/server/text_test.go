package server_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/coder/websocket"
	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/protocol"
)

// badMessage is a visitor message whose msg_id is "CHAT:1" and the byte
// b: encoding/json reads both 0xfe and 0xfc as U+FFFD.
func badMessage(b byte, text string) []byte {
	return []byte("{\"event\":\"chat_session_message\",\"msg_id\":\"CHAT:1" + string([]byte{b}) + "\",\"msg\":\"" + text + "\"}")
}

// TestInvalidUTF8IsRefusedNeverRepaired is the input: two visitor
// messages whose msg_ids differ only in an invalid byte were both answered
// 200, and the second dropped as a resend of the first. Each is refused
// with 5003 naming the field, over REST and over the socket, and nothing is
// stored; the same for the other methods' JSON and a file's name.
func TestInvalidUTF8IsRefusedNeverRepaired(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	srv := parleytest.Start(t, parleytest.Quiet())
	c := newAPIClient(t, srv.URL)
	s := c.open()
	before := len(c.history(s.ChatID))

	for _, b := range []byte{0xfe, 0xfc} {
		a := c.sendEvents(s.ChatID, `{"events":[`+string(badMessage(b, "hello"))+`]}`)
		wantError(t, "Send Events with a msg_id ending in an invalid byte", a, http.StatusBadRequest, protocol.CodeBadRequest)
		if perr := protocol.DecodeError(a.body); perr == nil || !strings.Contains(perr.Message, "msg_id is not valid UTF-8 text") {
			t.Errorf("Send Events: %s, want a message that names msg_id", a)
		}
	}

	conn := dial(ctx, t, socketURL(srv.URL, s.ChatID, s.Token), nil)
	readEnvelope(ctx, t, conn) // the first frame: the stream's epoch
	for i, frame := range [][]byte{
		[]byte(`{"ref":"a","events":[` + string(badMessage(0xfe, "hello")) + `]}`),
		[]byte(`{"ref":"b","events":[` + string(badMessage(0xfc, "hello")) + `]}`),
		[]byte("{\"ref\":\"c\",\"events\":[{\"event\":\"chat_session_message\",\"msg_id\":\"CHAT:2\",\"msg\":\"caf\xc3\"}]}"),
		[]byte(`{"ref":"d","events":[{"event":"chat_session_navigation","page":"https://shop.example/","title":"\ud800"}]}`),
	} {
		if err := conn.Write(ctx, websocket.MessageText, frame); err != nil {
			t.Fatal(err)
		}
		env := readEnvelope(ctx, t, conn)
		if env.Error == nil || env.Error.Code != protocol.CodeBadRequest || !strings.Contains(env.Error.Message, "is not valid UTF-8 text") {
			t.Errorf("socket frame %d: answered %+v (error %+v), want 5003 saying the text is not UTF-8", i, env, env.Error)
		}
	}

	others := []struct {
		name, method, path string
		header             http.Header
		body               []byte
	}{
		{"Request Chat's from", "POST", protocol.PathChats, c.header("application/json"), []byte("{\"from\":\"Ad\xffa\"}")},
		{"Request Chat's parameters", "POST", protocol.PathChats, c.header("application/json"), []byte(`{"parameters":{"first_name":"\udead"}}`)},
		{"Request Chat's initial message", "POST", protocol.PathChats, c.header("application/json"),
			[]byte(`{"initial_message":` + string(badMessage(0xfe, "hi")) + `}`)},
		{"a notification token", "POST", protocol.Path(protocol.PathNotifications, s.ChatID), c.header("application/json"), []byte("{\"firebase_token\":\"t\xfe\"}")},
		{"the contact center's warning", "POST", "/agent/api/chats/" + s.ChatID + "/events", http.Header{"Authorization": {"Bearer " + parleytest.AgentToken}},
			[]byte("{\"events\":[{\"event\":\"chat_session_timeout_warning\",\"msg\":\"\xfe\"}]}")},
		{"an agent's name", "POST", "/agent/api/chats/" + s.ChatID + "/take", http.Header{"Authorization": {"Bearer " + parleytest.AgentToken}},
			[]byte("{\"party_id\":\"agent-x\",\"display_name\":\"Gr\xfcce\"}")},
	}
	for _, tc := range others {
		a := mustFetch(t, tc.method, c.url(tc.path), tc.header, bytes.NewReader(tc.body))
		wantError(t, tc.name, a, http.StatusBadRequest, protocol.CodeBadRequest)
	}

	ct := "multipart/form-data; boundary=B"
	body := "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"r\xe9sum\xe9.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--B--\r\n"
	wantError(t, "a file name in Latin-1", c.upload(ct, []byte(body)), http.StatusBadRequest, protocol.CodeBadRequest)

	if after := c.history(s.ChatID); len(after) != before {
		t.Errorf("the chat went from %d to %d events: %v", before, len(after), eventTypes(after))
	}
}
