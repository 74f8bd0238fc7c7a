package server_test

import (
	"bytes"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/coder/websocket"
	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/protocol"
)

// TestAttacksAreRefused tries, as another visitor, another site's page or
// someone without the agent token, to read or write a chat that is not
// theirs: ids guessed and swapped, paths that climb out, another chat's
// token, the agent API without its token or with it in a URL, sockets from
// another origin, a visitor speaking as the agent. Each is refused as the
// row says, and the victim's chat is as it was.
func TestAttacksAreRefused(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	srv := parleytest.Start(t, parleytest.Quiet(), parleytest.AllowOrigins("shop.example"))
	victim, attacker := newAPIClient(t, srv.URL), newAPIClient(t, srv.URL)
	mine, theirs := victim.open(), attacker.open()
	file := victim.uploadFile("photo.png", pngImage(t))
	ownFile := attacker.uploadFile("own.png", pngImage(t))
	agent := srv.Agent("Grace Hopper")
	if err := agent.Take(ctx, mine.ChatID); err != nil {
		t.Fatal(err)
	}
	before := victim.history(mine.ChatID)

	path := protocol.Path
	guessed := protocol.NewUUID()
	agentAuth := http.Header{"Authorization": {"Bearer " + parleytest.AgentToken}}
	withOrigin := func(h http.Header, origin string) http.Header {
		out := h.Clone()
		out.Set("Origin", origin)
		return out
	}
	message := envelope(t, visitorMessage(mine.ChatID, 99, "intruder"))
	type attack struct {
		name         string
		method, path string
		header       http.Header
		body         string
		status       int
		code         protocol.Code
	}
	attacks := []attack{
		{"another client sends events", "POST", path(protocol.PathChatEvents, mine.ChatID), attacker.header("application/json"), message, 404, protocol.CodeChatNotFound},
		{"another client polls", "GET", path(protocol.PathChatEvents, mine.ChatID), attacker.header(""), "", 404, protocol.CodeChatNotFound},
		{"another client reads the history", "GET", path(protocol.PathChatHistory, mine.ChatID), attacker.header(""), "", 404, protocol.CodeChatNotFound},
		{"another client subscribes to notifications", "POST", path(protocol.PathNotifications, mine.ChatID), attacker.header("application/json"), `{"firebase_token":"x"}`, 404, protocol.CodeChatNotFound},
		{"another client reads the case history", "GET", path(protocol.PathCaseHistory, mine.ChatID), attacker.header(""), "", 404, protocol.CodeChatNotFound},
		{"another client closes the case", "POST", path(protocol.PathCloseCase, mine.ChatID), attacker.header(""), "", 404, protocol.CodeChatNotFound},
		{"another client downloads the file", "GET", path(protocol.PathChatFile, mine.ChatID, file.FileID), attacker.header(""), "", 404, protocol.CodeChatNotFound},
		{"another client loads the agent's photo", "GET", path(protocol.PathProfilePhoto, mine.ChatID, agent.PartyID), attacker.header(""), "", 404, protocol.CodeChatNotFound},
		{"another client names the file by id", "GET", path(protocol.PathFileByID, file.FileID), attacker.header(""), "", 404, protocol.CodeFileNotFound},
		{"a guessed chat id", "GET", path(protocol.PathChatHistory, guessed), attacker.header(""), "", 404, protocol.CodeChatNotFound},
		{"a guessed chat id, to send", "POST", path(protocol.PathChatEvents, guessed), attacker.header("application/json"), message, 404, protocol.CodeChatNotFound},
		{"a guessed file id", "GET", path(protocol.PathFileByID, strings.Repeat("A", len(file.FileID))), http.Header{}, "", 404, protocol.CodeFileNotFound},
		{"its own chat with the victim's file", "GET", path(protocol.PathChatFile, theirs.ChatID, file.FileID), attacker.header(""), "", 404, protocol.CodeFileNotFound},
		{"the victim's chat with its own file", "GET", path(protocol.PathChatFile, mine.ChatID, ownFile.FileID), attacker.header(""), "", 404, protocol.CodeChatNotFound},
		{"its own chat's token for the victim's file", "GET", path(protocol.PathChatFile, mine.ChatID, file.FileID) + "?token=" + theirs.Token, http.Header{}, "", 404, protocol.CodeChatNotFound},
		{"its own chat's token for the victim's photo", "GET", path(protocol.PathProfilePhoto, mine.ChatID, agent.PartyID) + "?token=" + theirs.Token, http.Header{}, "", 404, protocol.CodeChatNotFound},
		{"a made-up token", "GET", path(protocol.PathChatFile, mine.ChatID, file.FileID) + "?token=" + strings.Repeat("A", len(mine.Token)), http.Header{}, "", 404, protocol.CodeChatNotFound},
		{"a file id that climbs out", "GET", path(protocol.PathChatFile, theirs.ChatID, "..%2F..%2F"+mine.ChatID+"%2Ffiles%2F"+file.FileID), attacker.header(""), "", 404, protocol.CodeFileNotFound},
		{"a file id that climbs out, by id", "GET", path(protocol.PathFileByID, "..%2F"+file.FileID), http.Header{}, "", 404, protocol.CodeFileNotFound},
		{"a file id of dots", "GET", path(protocol.PathFileByID, "%2e%2e"), http.Header{}, "", 404, protocol.CodeFileNotFound},
		{"a chat id that climbs out", "GET", path(protocol.PathChatHistory, "..%2F"+mine.ChatID), victim.header(""), "", 404, protocol.CodeChatNotFound},
		{"a file path to the data directory", "GET", path(protocol.PathFileByID, "..%2F..%2F..%2Fparley.db"), http.Header{}, "", 404, protocol.CodeFileNotFound},
		{"another site's page calls the API", "GET", path(protocol.PathChatHistory, mine.ChatID), withOrigin(victim.header(""), "https://evil.example"), "", 403, protocol.CodeForbidden},
		{"another site's page sends events", "POST", path(protocol.PathChatEvents, mine.ChatID), withOrigin(victim.header("application/json"), "https://evil.example"), message, 403, protocol.CodeForbidden},
		{"the agent API without the token", "GET", "/agent/api/chats", http.Header{}, "", 403, protocol.CodeForbidden},
		{"the agent API with a wrong token", "POST", "/agent/api/chats/" + mine.ChatID + "/events", http.Header{"Authorization": {"Bearer " + strings.Repeat("x", len(parleytest.AgentToken))}}, `{"events":[{"event":"chat_session_ended"}]}`, 403, protocol.CodeForbidden},
		{"the agent API with the token in the URL of a JSON call", "POST", "/agent/api/chats/" + mine.ChatID + "/events?token=" + url.QueryEscape(parleytest.AgentToken), http.Header{}, `{"events":[{"event":"chat_session_ended"}]}`, 403, protocol.CodeForbidden},
		{"the agent API with the chat's token", "GET", "/agent/api/chats/" + mine.ChatID + "/events?after=0&token=" + mine.Token, http.Header{}, "", 403, protocol.CodeForbidden},
		{"the agent API with a visitor's credentials", "POST", "/agent/api/chats/" + mine.ChatID + "/take", attacker.header("application/json"), `{"party_id":"agent-mallory"}`, 403, protocol.CodeForbidden},
		{"an agent's download that climbs out", "GET", "/agent/api/chats/" + theirs.ChatID + "/files/..%2F..%2F" + mine.ChatID + "%2Ffiles%2F" + file.FileID, agentAuth, "", 404, protocol.CodeFileNotFound},
		{"an agent's download of another chat's file", "GET", "/agent/api/chats/" + theirs.ChatID + "/files/" + file.FileID, agentAuth, "", 404, protocol.CodeFileNotFound},
		{"a visitor ends the chat as the contact center", "POST", path(protocol.PathChatEvents, mine.ChatID), victim.header("application/json"),
			`{"events":[{"event":"chat_session_ended","party_id":"agent-grace-hopper"}]}`, 400, protocol.CodeBadRequest},
		{"a visitor posts the agent's events", "POST", path(protocol.PathChatEvents, mine.ChatID), victim.header("application/json"),
			`{"events":[{"event":"chat_session_party_joined","party_id":"agent-mallory","type":"internal"}]}`, 400, protocol.CodeBadRequest},
	}
	refused := 0
	for _, a := range attacks {
		got := mustFetch(t, a.method, srv.URL+a.path, a.header, strings.NewReader(a.body))
		if perr := protocol.DecodeError(got.body); got.status != a.status || perr == nil || perr.Code != a.code {
			t.Errorf("%s: got %s, want %d with error_code %s", a.name, got, a.status, a.code)
			continue
		}
		refused++
	}

	sockets := []struct {
		name   string
		path   string
		origin string
		// status is the refusal of the handshake; 0 when the socket opens
		// and closes with code.
		status int
		code   protocol.CloseCode
	}{
		{"another site's page opens the chat's socket", path(protocol.PathChatSocket, mine.ChatID) + "?token=" + mine.Token, "https://evil.example", 403, 0},
		{"an embedding site's page opens the agent socket with the token", "/agent/api/chats/" + mine.ChatID + "/socket?token=" + url.QueryEscape(parleytest.AgentToken), "https://shop.example", 403, 0},
		{"another site's page opens the agent socket with the token", "/agent/api/chats/" + mine.ChatID + "/socket?token=" + url.QueryEscape(parleytest.AgentToken), "https://evil.example", 403, 0},
		{"the victim's socket with another chat's token", path(protocol.PathChatSocket, mine.ChatID) + "?token=" + theirs.Token, "", 0, protocol.CloseChatNotFound},
		{"the victim's socket without a token", path(protocol.PathChatSocket, mine.ChatID), "", 0, protocol.CloseChatNotFound},
		{"a guessed chat's socket", path(protocol.PathChatSocket, guessed) + "?token=" + mine.Token, "", 0, protocol.CloseChatNotFound},
		{"the agent socket without the token", "/agent/api/chats/" + mine.ChatID + "/socket", "", 0, protocol.CloseForbidden},
		{"the agent socket with the chat's token", "/agent/api/chats/" + mine.ChatID + "/socket?token=" + mine.Token, "", 0, protocol.CloseForbidden},
	}
	for _, s := range sockets {
		header := http.Header{}
		if s.origin != "" {
			header.Set("Origin", s.origin)
		}
		conn, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+s.path, &websocket.DialOptions{HTTPHeader: header})
		if s.status != 0 {
			if err == nil || resp == nil || resp.StatusCode != s.status {
				t.Errorf("%s: opened (%v, %v), want %d", s.name, resp, err, s.status)
				if conn != nil {
					conn.CloseNow()
				}
				continue
			}
			refused++
			continue
		}
		if err != nil {
			t.Errorf("%s: %v, want a socket that closes with %d", s.name, err, s.code)
			continue
		}
		_, _, err = conn.Read(ctx)
		conn.CloseNow()
		if got := protocol.CloseCode(websocket.CloseStatus(err)); got != s.code {
			t.Errorf("%s: closed with %d (%v), want %d", s.name, got, err, s.code)
			continue
		}
		refused++
	}

	// A file that pretends to be a page downloads as a file, sniffed by
	// nothing, sandboxed if opened: the upload of an HTML page as a PNG is
	// refused, and a text file holding HTML comes back inert.
	ct, body := multipartBody(t, nil, filePart{field: "file", name: "page.png", contentType: "image/png", content: []byte("<!doctype html><script>alert(1)</script>")})
	if got := victim.upload(ct, body); got.status == http.StatusOK {
		t.Errorf("an HTML page uploaded as photo.png was taken: %s", got)
	} else {
		refused++
	}
	page := victim.uploadFile("notes.txt", []byte("<html><body><script>alert(document.cookie)</script></body></html>"))
	got := mustFetch(t, "GET", srv.URL+path(protocol.PathChatFile, mine.ChatID, page.FileID), victim.header(""), nil)
	disposition, _, _ := mime.ParseMediaType(got.header.Get("Content-Disposition"))
	if got.status != 200 || disposition != "attachment" || got.header.Get("X-Content-Type-Options") != "nosniff" ||
		!strings.Contains(got.header.Get("Content-Security-Policy"), "sandbox") || got.header.Get("Content-Type") != "application/octet-stream" {
		t.Errorf("a text file holding HTML is served with %d %v", got.status, got.header)
	} else {
		refused++
	}

	after := victim.history(mine.ChatID)
	if len(after) != len(before) {
		t.Errorf("the victim's chat went from %d to %d events: %v", len(before), len(after), eventTypes(after[len(before):]))
	}
	ownBytes := mustFetch(t, "GET", srv.URL+path(protocol.PathChatFile, mine.ChatID, file.FileID), victim.header(""), nil)
	if !bytes.Equal(ownBytes.body, pngImage(t)) {
		t.Errorf("the victim's own file no longer reads back")
	}

	// A visitor's message that names the agent as its sender is stored as
	// the visitor's.
	wantOK(t, "a message naming the agent as its party", victim.sendEvents(mine.ChatID,
		`{"events":[{"event":"chat_session_message","msg_id":"spoof","msg":"I am the agent","party_id":"`+agent.PartyID+`"}]}`))
	if last := victim.history(mine.ChatID); len(last) == 0 || last[len(last)-1].EventMeta().PartyID != mine.ChatID {
		t.Errorf("a visitor's message naming the agent was stored as %+v", last[len(last)-1].EventMeta())
	} else {
		refused++
	}
	t.Logf("%d attacks tried, %d refused", len(attacks)+len(sockets)+3, refused)
}
