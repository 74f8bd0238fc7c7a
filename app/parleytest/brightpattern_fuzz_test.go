package parleytest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/protocol"
)

// FuzzBrightPatternSendEvents sends any body to Send Events: the fake keeps
// every event of a body it accepts, byte for byte and in order, answers
// {"events":[]}, and refuses any other body with 5003, keeping nothing.
func FuzzBrightPatternSendEvents(f *testing.F) {
	for _, seed := range []string{
		`{"events":[{"event":"chat_session_message","msg_id":"1","msg":"hi"}]}`,
		`{"events":[{"event":"chat_session_typing"},{"event":"chat_session_not_typing"}]}`,
		`{"events":[{"event":"chat_session_form_data","form_request_id":7,"form_name":"","data":{"text":"x"}}]}`,
		`{"events":[{"event":"chat_session_file","msg_id":"","file_id":"f","file_type":"image","file_name":"a.png"}]}`,
		`{"events":[{"event":"chat_session_end"}]}`,
		`{"events":[]}`,
		`{"events":[{"event":"chat_session_ended"}]}`,
		`{"events":[{"msg":"hi"}]}`,
		`{"events":`,
		``,
		`null`,
	} {
		f.Add([]byte(seed))
	}
	bp := parleytest.StartBrightPattern(f, parleytest.BrightPatternConfig{})
	creds := protocol.Credentials{AppID: bp.AppID, ClientID: protocol.NewUUID()}
	call := func(t *testing.T, method, path string, body []byte) (int, []byte) {
		req, err := http.NewRequest(method, bp.APIURL()+"/"+path+"?tenantUrl="+url.QueryEscape(bp.TenantURL), bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", creds.Authorization())
		req.Header.Set("Content-Type", "application/json")
		resp, err := bp.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, data
	}

	f.Fuzz(func(t *testing.T, body []byte) {
		// A chat_session_end ends the chat; the client's next Request Chat
		// gets a new one.
		status, data := call(t, http.MethodPost, "chats", []byte(`{}`))
		var session protocol.ChatSession
		if status != http.StatusOK || json.Unmarshal(data, &session) != nil {
			t.Fatalf("Request Chat: %d %s", status, data)
		}
		chat := bp.Chat(session.ChatID)
		before := len(chat.VisitorEvents())

		status, data = call(t, http.MethodPost, "chats/"+session.ChatID+"/events", body)
		got := chat.VisitorEvents()[before:]
		switch status {
		case http.StatusOK:
			var env struct{ Events []json.RawMessage }
			if err := json.Unmarshal(body, &env); err != nil || string(data) != `{"events":[]}` {
				t.Fatalf("accepted %q (%v), answering %s", body, err, data)
			}
			if len(got) != len(env.Events) {
				t.Fatalf("kept %d of the %d events of %q", len(got), len(env.Events), body)
			}
			for i, e := range got {
				if !bytes.Equal(e.Raw, env.Events[i]) {
					t.Fatalf("event %d arrived as %s, kept as %s", i, env.Events[i], e.Raw)
				}
			}
		case http.StatusBadRequest:
			if e := protocol.DecodeError(data); e == nil || e.Code != protocol.CodeBadRequest {
				t.Fatalf("refused %q with %s", body, data)
			}
			if len(got) != 0 {
				t.Fatalf("refused %q but kept %d events", body, len(got))
			}
		default:
			t.Fatalf("%q answered %d %s", body, status, data)
		}
	})
}
