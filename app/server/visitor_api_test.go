package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/app/instance"
	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/app/scenario"
	"github.com/parleychat/parley/protocol"
)

func TestPreChatMethodsAcceptEveryClientsQuirks(t *testing.T) {
	t.Parallel()
	srv, c, s := startChat(t)
	def := scenario.Default()

	// The documents quote the values, the SDKs do not; the web client sends
	// a URL as tenantUrl and &timestamp=, Android a bare host and &nonce=,
	// and both SDKs a non-standard UserAgent header.
	variants := []struct {
		name   string
		header http.Header
		query  string
	}{
		{"quoted, bare tenant host, nonce", http.Header{"Authorization": {c.auth()}},
			"?tenantUrl=tenant.example.com&nonce=1700000000000"},
		{"bare values, tenant URL, timestamp", http.Header{
			"Authorization": {"MOBILE-API-140-327-PLAIN appId=" + c.creds.AppID + ", clientId=" + c.creds.ClientID},
			"Useragent":     {"MobileClient"},
			"Cache-Control": {"no-cache"},
		}, "?tenantUrl=" + url.QueryEscape("https://tenant.example.com/") + "&timestamp=1700000000000"},
		{"no tenantUrl", http.Header{"Authorization": {c.auth()}, "Useragent": {"MobileClient"}}, ""},
	}
	methods := []struct {
		name, path string
		check      func(t *testing.T, body []byte)
	}{
		{"availability", protocol.PathAvailability, func(t *testing.T, body []byte) {
			var got map[string]any
			want := map[string]any{"chat": "available", "ewt": "120"}
			if err := json.Unmarshal(body, &got); err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("availability %s, want %v", body, want)
			}
		}},
		{"parameters", protocol.PathParameters, func(t *testing.T, body []byte) {
			var got protocol.ExpectedParameters
			want := []map[string]string{{"first_name": "FIRST_NAME"}, {"email": "EMAIL"}, {"phone": "PHONE"}}
			if err := json.Unmarshal(body, &got); err != nil || !reflect.DeepEqual(got.Parameters, want) {
				t.Errorf("parameters %s, want %v", body, want)
			}
		}},
		{"configuration", protocol.PathConfiguration, func(t *testing.T, body []byte) {
			var got protocol.WidgetConfiguration
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("configuration %s: %v", body, err)
			}
			if want := def.WidgetConfiguration(); !reflect.DeepEqual(got, want) {
				t.Errorf("configuration %+v, want %+v", got, want)
			}
			for _, name := range []string{"pre_chat", "survey"} {
				f, found, err := got.Form(name)
				if !found || err != nil || f.Name != name || len(f.Fields) == 0 {
					t.Errorf("form %s: found %v, %v, %+v", name, found, err, f)
				}
			}
		}},
		{"version", protocol.PathVersion, func(t *testing.T, body []byte) {
			var got protocol.Version
			if err := json.Unmarshal(body, &got); err != nil || got.ServerVersion != def.ServerVersion {
				t.Errorf("version %s, want %q", body, def.ServerVersion)
			}
		}},
		{"active chat", protocol.PathActiveChat, func(t *testing.T, body []byte) {
			var got protocol.ActiveChat
			if err := json.Unmarshal(body, &got); err != nil || got.ChatID != s.ChatID || got.State != protocol.StateQueued {
				t.Errorf("active chat %s, want %s queued", body, s.ChatID)
			}
		}},
	}
	for _, m := range methods {
		for _, v := range variants {
			t.Run(m.name+"/"+v.name, func(t *testing.T) {
				t.Parallel()
				a := mustFetch(t, http.MethodGet, srv.URL+m.path+v.query, v.header, nil)
				if a.status != http.StatusOK {
					t.Fatalf("got %s, want 200", a)
				}
				if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
					t.Errorf("Content-Type %q, want JSON", ct)
				}
				m.check(t, a.body)
			})
		}
	}
}

func TestMalformedTenantURLIsRefused(t *testing.T) {
	t.Parallel()
	srv, c, s := startChat(t)
	methods := append(credentialedMethods(s.ChatID), apiMethod{http.MethodGet, protocol.PathVersion}, apiMethod{http.MethodPost, protocol.PathChats})
	for _, tenant := range []string{"ftp://tenant.example.com", "https://", "tenant example.com", "://tenant.example.com"} {
		for _, m := range methods {
			t.Run(m.method+" "+m.path+" "+tenant, func(t *testing.T) {
				t.Parallel()
				a := mustFetch(t, m.method, srv.URL+m.path+"?tenantUrl="+url.QueryEscape(tenant), c.header("application/json"), nil)
				wantError(t, "tenantUrl "+tenant, a, http.StatusBadRequest, protocol.CodeTenantURL)
			})
		}
	}
}

func TestMethodsRefuseMissingOrUnknownCredentials(t *testing.T) {
	t.Parallel()
	srv, c, s := startChat(t)
	methods := credentialedMethods(s.ChatID)
	creds := []struct {
		name   string
		header http.Header
		code   protocol.Code
	}{
		{"no Authorization", http.Header{}, protocol.CodeAuthMissing},
		{"an unknown launch point", http.Header{"Authorization": {protocol.Credentials{AppID: "nope", ClientID: c.creds.ClientID}.Authorization()}}, protocol.CodeAppID},
	}
	for _, m := range methods {
		for _, cr := range creds {
			t.Run(m.method+" "+m.path+"/"+cr.name, func(t *testing.T) {
				t.Parallel()
				var body io.Reader
				if m.method == http.MethodPost {
					body = strings.NewReader(envelope(t, visitorMessage(s.ChatID, 1, "sneaky")))
				}
				a := mustFetch(t, m.method, srv.URL+m.path+"?tenantUrl=tenant.example.com", cr.header, body)
				wantError(t, cr.name, a, http.StatusUnauthorized, cr.code)
			})
		}
	}
	t.Cleanup(func() {
		if events := c.history(s.ChatID); len(events) != 0 {
			t.Errorf("requests without credentials stored %v", eventTypes(events))
		}
	})
}

// TestClosedContactCenterTakesNoNewChats runs with business hours on one day
// only, three days from today, so the center is closed whatever the hour.
func TestClosedContactCenterTakesNoNewChats(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	day := [...]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}[(time.Now().UTC().Weekday()+3)%7]
	cfg := scenario.Default()
	cfg.Hours = scenario.Hours{TimeZone: "UTC", Days: map[string]string{day: "00:00-23:59"}}
	srv := parleytest.Start(t, parleytest.Quiet(), parleytest.Contact(cfg))

	newcomer := newAPIClient(t, srv.URL)
	a := newcomer.get(protocol.PathAvailability)
	var avail map[string]any
	if a.status != http.StatusOK || json.Unmarshal(a.body, &avail) != nil || !reflect.DeepEqual(avail, map[string]any{"chat": "notAvailable"}) {
		t.Errorf("availability while closed: %s, want {\"chat\":\"notAvailable\"}", a)
	}
	status, body := requestChat(t, srv.URL, newcomer.auth(), "")
	wantError(t, "a new chat while closed", answer{status: status, body: body}, http.StatusServiceUnavailable, protocol.CodeNoServer)
	wantError(t, "the newcomer's active chat", newcomer.get(protocol.PathActiveChat), http.StatusNotFound, protocol.CodeChatNotFound)

	// A chat opened before closing time (here: straight through the
	// service) stays the client's to resume.
	regular := newAPIClient(t, srv.URL)
	open, _, err := srv.Chats.Open(ctx, regular.creds, protocol.ChatRequest{})
	if err != nil {
		t.Fatal(err)
	}
	status, body = requestChat(t, srv.URL, regular.auth(), "")
	var s protocol.ChatSession
	if status != http.StatusOK || json.Unmarshal(body, &s) != nil || s.ChatID != open.ID || s.IsNewChat {
		t.Errorf("the open chat while closed: %d %s, want %s with is_new_chat false", status, body, open.ID)
	}
}

func TestActiveChat(t *testing.T) {
	t.Parallel()
	srv := parleytest.Start(t, parleytest.Quiet())
	c := newAPIClient(t, srv.URL)
	wantError(t, "before any chat", c.get(protocol.PathActiveChat), http.StatusNotFound, protocol.CodeChatNotFound)
	s := c.open()
	a := c.get(protocol.PathActiveChat)
	var got map[string]any
	if a.status != http.StatusOK || json.Unmarshal(a.body, &got) != nil ||
		!reflect.DeepEqual(got, map[string]any{"chat_id": s.ChatID, "state": string(protocol.StateQueued)}) {
		t.Errorf("after Request Chat: %s, want chat_id %s and state queued", a, s.ChatID)
	}
	wantError(t, "another client", newAPIClient(t, srv.URL).get(protocol.PathActiveChat), http.StatusNotFound, protocol.CodeChatNotFound)
}

func TestSendEvents(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	srv, c, s := startChat(t)
	id := s.ChatID
	nav := &protocol.Navigation{Page: "https://shop.example/cart", Title: "Cart"}

	steps := []struct {
		name   string
		body   string
		status int
		code   protocol.Code
		// stored is how many events the chat holds afterwards.
		stored int
	}{
		{"one event", envelope(t, visitorMessage(id, 1, "hello")), 200, "", 1},
		{"several events in one envelope", envelope(t, visitorMessage(id, 2, "two"), nav, visitorMessage(id, 3, "three")), 200, "", 4},
		{"an empty body", "", 200, "", 4},
		{"an empty envelope", emptyEnvelope, 200, "", 4},
		{"a true resend of a message the chat has", envelope(t, visitorMessage(id, 1, "hello")), 200, "", 4},
		{"typing, which is not stored", envelope(t, &protocol.Typing{}), 200, "", 4},
		{"malformed JSON", `{"events":[{"event":"chat_session_message",`, 400, protocol.CodeBadRequest, 4},
		{"events that are not a list", `{"events":{"event":"chat_session_typing"}}`, 400, protocol.CodeBadRequest, 4},
		{"a server-only event", `{"events":[{"event":"chat_session_status","state":"connected"}]}`, 400, protocol.CodeBadRequest, 4},
		{"a good event beside a server-only one", `{"events":[{"event":"chat_session_message","msg_id":"` + id + `:4","msg":"four"},` +
			`{"event":"chat_session_party_joined","party_id":"agent-1","type":"internal"}]}`, 400, protocol.CodeBadRequest, 4},
		{"an unknown event", `{"events":[{"event":"chat_session_dance"}]}`, 400, protocol.CodeBadRequest, 4},
		{"a message without msg_id", `{"events":[{"event":"chat_session_message","msg":"hi"}]}`, 400, protocol.CodeBadRequest, 4},
		{"a body over the limit", `{"events":[],"pad":"` + strings.Repeat("x", protocol.MaxEnvelopeBytes) + `"}`, 413, protocol.CodeTooLarge, 4},
	}
	for _, st := range steps {
		a := c.sendEvents(id, st.body)
		if st.status == http.StatusOK {
			if a.status != http.StatusOK || string(a.body) != emptyEnvelope {
				t.Errorf("%s: got %s, want 200 %s", st.name, a, emptyEnvelope)
			}
		} else {
			wantError(t, st.name, a, st.status, st.code)
		}
		if got := len(c.history(id)); got != st.stored {
			t.Errorf("after %s the chat holds %d events, want %d", st.name, got, st.stored)
		}
	}

	history := c.history(id)
	if got, want := texts(history), []string{"hello", "two", "three"}; !slices.Equal(got, want) {
		t.Errorf("history messages %q, want %q", got, want)
	}
	if got, want := eventTypes(history), []string{protocol.TypeMessage, protocol.TypeMessage, protocol.TypeNavigation, protocol.TypeMessage}; !slices.Equal(got, want) {
		t.Errorf("history %v, want %v", got, want)
	}
	for i, e := range history {
		meta := e.EventMeta()
		if meta.PartyID != id || meta.Timestamp.IsZero() || meta.Seq != uint64(i+1) {
			t.Errorf("history[%d] %s has party_id %q, timestamp %v, seq %d; want the chat id, a time and seq %d",
				i, e.EventType(), meta.PartyID, meta.Timestamp, meta.Seq, i+1)
		}
	}
	if m, ok := history[0].(*protocol.Message); !ok || m.MsgID != protocol.MessageID(id, 1) {
		t.Errorf("history[0] = %+v, want the first message with its msg_id", history[0])
	}

	env, err := srv.Agent("Grace Hopper").Events(ctx, id, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := seqs(env.Events); !slices.Equal(got, []uint64{1, 2, 3, 4}) || !slices.Equal(texts(env.Events), texts(history)) {
		t.Errorf("the agent saw %v %q, want the visitor's four events", got, texts(env.Events))
	}
}

func TestPollKeepsTheAPISemantics(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	const wait = 300 * time.Millisecond
	srv, c, s := startChat(t, pollWait(wait))
	path := protocol.Path(protocol.PathChatEvents, s.ChatID)

	start := time.Now()
	a := c.get(path)
	if a.status != http.StatusOK || string(a.body) != emptyEnvelope {
		t.Errorf("an empty poll: got %s, want 200 %s", a, emptyEnvelope)
	}
	if elapsed := time.Since(start); elapsed < wait {
		t.Errorf("an empty poll answered after %v, before the poll wait of %v", elapsed, wait)
	}

	wantOK(t, "sending", c.sendEvents(s.ChatID, envelope(t, visitorMessage(s.ChatID, 1, "mine"))))
	if a := c.get(path); a.status != http.StatusOK || string(a.body) != emptyEnvelope {
		t.Errorf("a poll after the visitor's own message: got %s, want 200 %s", a, emptyEnvelope)
	}

	// Typing is never stored, so a poll can only get it by waiting while
	// it is published: keep publishing until the waiting poll returns.
	a = pollWhile(ctx, t, func() (answer, error) { return fetch(http.MethodGet, c.url(path), c.header(""), nil) }, func() {
		if err := srv.Chats.Publish(ctx, s.ChatID, &protocol.Typing{Meta: protocol.Meta{PartyID: "agent-1"}}); err != nil {
			t.Error(err)
		}
	})
	wantOK(t, "a poll while the agent types", a)
	if events := decodeEvents(t, a.body); len(events) != 1 || events[0].EventType() != protocol.TypeTyping || events[0].EventMeta().PartyID != "agent-1" {
		t.Errorf("a poll while the agent types returned %v, want the agent's typing", eventTypes(events))
	}

	for _, text := range []string{"one", "two"} {
		if err := srv.Chats.Publish(ctx, s.ChatID, &protocol.Message{Msg: text, Meta: protocol.Meta{PartyID: "agent-1"}}); err != nil {
			t.Fatal(err)
		}
		a := c.get(path)
		wantOK(t, "polling for "+text, a)
		events := decodeEvents(t, a.body)
		if got := texts(events); !slices.Equal(got, []string{text}) {
			t.Errorf("the poll after %q returned %q, want only it", text, got)
			continue
		}
		if meta := events[0].EventMeta(); meta.PartyID != "agent-1" || meta.Seq == 0 || meta.Timestamp.IsZero() {
			t.Errorf("%q came with meta %+v", text, meta)
		}
	}
}

// pollWhile runs poll in a goroutine and calls act every 20ms until the poll
// returns, for what only a waiting poll can get: events that are not stored.
func pollWhile[T any](ctx context.Context, t *testing.T, poll func() (T, error), act func()) T {
	t.Helper()
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := poll()
		done <- result{v, err}
	}()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case r := <-done:
			if r.err != nil {
				t.Fatalf("polling: %v", r.err)
			}
			return r.v
		case <-tick.C:
			act()
		case <-ctx.Done():
			t.Fatalf("the poll never returned: %v", ctx.Err())
		}
	}
}

func TestPollRefusesASecondConcurrentPoll(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	// Long enough that two polls started together surely overlap.
	srv, c, s := startChat(t, pollWait(2*time.Second))
	path := protocol.Path(protocol.PathChatEvents, s.ChatID)

	answers := make([]answer, 2)
	var wg sync.WaitGroup
	for i := range answers {
		wg.Go(func() {
			a, err := fetch(http.MethodGet, c.url(path), c.header(""), nil)
			if err != nil {
				a.body = []byte(err.Error())
			}
			answers[i] = a
		})
	}
	wg.Wait()
	slices.SortFunc(answers, func(a, b answer) int { return a.status - b.status })
	if answers[0].status != http.StatusOK || string(answers[0].body) != emptyEnvelope {
		t.Errorf("the first poll: got %s, want 200 %s after waiting", answers[0], emptyEnvelope)
	}
	wantError(t, "the second poll", answers[1], http.StatusTooManyRequests, protocol.CodeConcurrentPoll)

	// The chat is free to poll again once the waiting poll answered.
	if err := srv.Chats.Publish(ctx, s.ChatID, &protocol.Message{Msg: "hi", Meta: protocol.Meta{PartyID: "agent-1"}}); err != nil {
		t.Fatal(err)
	}
	if a := c.get(path); a.status != http.StatusOK || !slices.Equal(texts(decodeEvents(t, a.body)), []string{"hi"}) {
		t.Errorf("a poll after the others: got %s, want the agent's message", a)
	}
}

func TestPositionedPollIncludesTheVisitorsOwnEvents(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	const wait = 300 * time.Millisecond
	srv, c, s := startChat(t, pollWait(wait))
	id := s.ChatID
	wantOK(t, "sending", c.sendEvents(id, envelope(t, visitorMessage(id, 1, "m1"), visitorMessage(id, 2, "m2"), visitorMessage(id, 3, "m3"))))
	if err := srv.Chats.Publish(ctx, id, &protocol.Message{Msg: "a1", Meta: protocol.Meta{PartyID: "agent-1"}}); err != nil {
		t.Fatal(err)
	}
	path := protocol.Path(protocol.PathChatEvents, id)

	cases := []struct {
		name  string
		query string
		want  []string
	}{
		{"after 1", fmt.Sprintf("?after=1&epoch=%s", s.Epoch), []string{"m2", "m3", "a1"}},
		{"after 0", fmt.Sprintf("?after=0&epoch=%s", s.Epoch), []string{"m1", "m2", "m3", "a1"}},
		{"after 3", fmt.Sprintf("?after=3&epoch=%s", s.Epoch), []string{"a1"}},
		{"another epoch starts over", "?after=3&epoch=0123456789abcdef", []string{"m1", "m2", "m3", "a1"}},
		{"after the last event", fmt.Sprintf("?after=4&epoch=%s", s.Epoch), nil},
	}
	for _, tc := range cases {
		a := c.get(path + tc.query)
		wantOK(t, tc.name, a)
		env, err := protocol.DecodeEnvelope(a.body)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := texts(env.Events); !slices.Equal(got, tc.want) || env.Epoch != s.Epoch {
			t.Errorf("%s: got %q in epoch %q, want %q in %q", tc.name, got, env.Epoch, tc.want, s.Epoch)
		}
		if len(env.Events) > 0 && env.Events[len(env.Events)-1].EventMeta().Seq != 4 {
			t.Errorf("%s: the last event has seq %d, want 4", tc.name, env.Events[len(env.Events)-1].EventMeta().Seq)
		}
	}
	wantError(t, "after that is not a number", c.get(path+"?after=x"), http.StatusBadRequest, protocol.CodeBadRequest)

	// Positioned polls leave the API's cursor alone.
	a := c.get(path)
	wantOK(t, "the API's poll", a)
	if got := texts(decodeEvents(t, a.body)); !slices.Equal(got, []string{"a1"}) {
		t.Errorf("the API's poll after positioned ones returned %q, want only the agent's message", got)
	}
}

func TestOtherClientsCannotReachAChat(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	srv := parleytest.Start(t, parleytest.Quiet())
	owner, other := newAPIClient(t, srv.URL), newAPIClient(t, srv.URL)
	mine, theirs := owner.open(), other.open()
	file := owner.uploadFile("photo.png", pngImage(t))
	agent := takeChat(ctx, t, srv, "Grace Hopper", mine.ChatID)
	before := len(owner.history(mine.ChatID))

	events := protocol.Path(protocol.PathChatEvents, mine.ChatID)
	history := protocol.Path(protocol.PathChatHistory, mine.ChatID)
	download := protocol.Path(protocol.PathChatFile, mine.ChatID, file.FileID)
	photo := protocol.Path(protocol.PathProfilePhoto, mine.ChatID, agent.PartyID)
	noAuth := http.Header{}
	cases := []struct {
		name         string
		header       http.Header
		method, path string
		status       int
		code         protocol.Code
	}{
		// The owner's own requests show the paths are right.
		{"the owner's history", owner.header(""), "GET", history, 200, ""},
		{"the owner's file", owner.header(""), "GET", download, 200, ""},
		{"the owner's file by token", noAuth, "GET", download + "?token=" + mine.Token, 200, ""},
		{"the owner's profile photo", owner.header(""), "GET", photo, 200, ""},
		{"the owner's profile photo by token", noAuth, "GET", photo + "?token=" + mine.Token, 200, ""},

		{"another client sends events", other.header("application/json"), "POST", events, 404, protocol.CodeChatNotFound},
		{"another client polls", other.header(""), "GET", events, 404, protocol.CodeChatNotFound},
		{"another client polls at a position", other.header(""), "GET", events + "?after=0&epoch=" + mine.Epoch, 404, protocol.CodeChatNotFound},
		{"another client reads the history", other.header(""), "GET", history, 404, protocol.CodeChatNotFound},
		{"another client downloads the file", other.header(""), "GET", download, 404, protocol.CodeChatNotFound},
		{"another client loads a profile photo", other.header(""), "GET", photo, 404, protocol.CodeChatNotFound},
		{"another client names the file in its own chat", other.header(""), "GET", protocol.Path(protocol.PathChatFile, theirs.ChatID, file.FileID), 404, protocol.CodeFileNotFound},
		{"another chat's token for the file", noAuth, "GET", download + "?token=" + theirs.Token, 404, protocol.CodeChatNotFound},
		{"another chat's token for the photo", noAuth, "GET", photo + "?token=" + theirs.Token, 404, protocol.CodeChatNotFound},
		{"a made-up token", noAuth, "GET", download + "?token=" + strings.Repeat("A", len(mine.Token)), 404, protocol.CodeChatNotFound},
		{"no token and no Authorization", noAuth, "GET", download, 404, protocol.CodeChatNotFound},
		{"another client with its own token", other.header(""), "GET", download + "?token=" + theirs.Token, 404, protocol.CodeChatNotFound},
		{"a chat that does not exist", owner.header(""), "GET", protocol.Path(protocol.PathChatHistory, protocol.NewUUID()), 404, protocol.CodeChatNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var body io.Reader
			if tc.method == http.MethodPost {
				body = strings.NewReader(envelope(t, visitorMessage(mine.ChatID, 1, "intruder")))
			}
			a := mustFetch(t, tc.method, srv.URL+tc.path, tc.header, body)
			if tc.status == http.StatusOK {
				wantOK(t, tc.name, a)
				return
			}
			wantError(t, tc.name, a, tc.status, tc.code)
		})
	}
	t.Cleanup(func() {
		if after := owner.history(mine.ChatID); len(after) != before {
			t.Errorf("the chat went from %d to %d events: %v", before, len(after), eventTypes(after))
		}
	})
}

func TestUploadAndDownloadFiles(t *testing.T) {
	t.Parallel()
	srv, c, s := startChat(t)
	pic := pngImage(t)
	page := []byte("<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>")
	zipBytes := []byte("PK\x05\x06" + strings.Repeat("\x00", 18))

	cases := []struct {
		name   string
		fields map[string]string
		part   filePart
		// wantName is the file_name; wantType and wantDisposition how it
		// is served.
		wantName, wantType, wantDisposition string
	}{
		{"a part named file", nil, filePart{field: "file", name: "photo.png", contentType: "image/png", content: pic},
			"photo.png", "image/png", "inline"},
		{"the Android SDK's part", nil, filePart{field: "file-upload-input", name: "IMG_0001.jpg", contentType: "image/jpeg", content: pic},
			"IMG_0001.jpg", "image/png", "inline"},
		{"a browser's FormData", map[string]string{"note": "from the widget"}, filePart{field: "attachment", name: "notes.txt", contentType: "text/plain", content: page},
			"notes.txt", "application/octet-stream", "attachment"},
		{"a zip as Windows names its type", nil, filePart{field: "file", name: "manual.zip", contentType: "application/x-zip-compressed", content: zipBytes},
			"manual.zip", "application/octet-stream", "attachment"},
		{"a name to quote", nil, filePart{field: "file", name: `naïve "quoted"; résumé.txt`, contentType: "text/plain", content: []byte("a text")},
			`naïve "quoted"; résumé.txt`, "application/octet-stream", "attachment"},
		{"a Windows path", nil, filePart{field: "file", name: `C:\Users\ada\notes.txt`, contentType: "text/plain", content: []byte("notes\n")},
			"notes.txt", "application/octet-stream", "attachment"},
	}
	ids := map[string]bool{}
	uploaded := map[string]string{}
	for _, tc := range cases {
		ct, body := multipartBody(t, tc.fields, tc.part)
		a := c.upload(ct, body)
		wantOK(t, tc.name, a)
		var up protocol.UploadedFile
		if err := json.Unmarshal(a.body, &up); err != nil {
			t.Fatalf("%s: %s: %v", tc.name, a, err)
		}
		if len(up.FileID) < 20 || ids[up.FileID] || up.FileName != tc.wantName {
			t.Errorf("%s: answered %+v; want a new file_id of 20 characters or more and file_name %q", tc.name, up, tc.wantName)
		}
		ids[up.FileID] = true
		uploaded[tc.wantName] = up.FileID

		path := protocol.Path(protocol.PathChatFile, s.ChatID, up.FileID)
		for how, get := range map[string]func() answer{
			"with the Authorization header": func() answer { return c.get(path) },
			"with the chat token":           func() answer { return mustFetch(t, http.MethodGet, srv.URL+path+"?token="+s.Token, nil, nil) },
		} {
			a := get()
			if a.status != http.StatusOK || !bytes.Equal(a.body, tc.part.content) {
				t.Errorf("%s, downloaded %s: %d with %d bytes, want 200 with the %d bytes uploaded", tc.name, how, a.status, len(a.body), len(tc.part.content))
				continue
			}
			h := a.header
			disposition, params, err := mime.ParseMediaType(h.Get("Content-Disposition"))
			if h.Get("Content-Type") != tc.wantType || err != nil || disposition != tc.wantDisposition || params["filename"] != tc.wantName {
				t.Errorf("%s, downloaded %s: Content-Type %q, Content-Disposition %q; want %q, %s with filename %q",
					tc.name, how, h.Get("Content-Type"), h.Get("Content-Disposition"), tc.wantType, tc.wantDisposition, tc.wantName)
			}
			if h.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(h.Get("Content-Security-Policy"), "sandbox") {
				t.Errorf("%s, downloaded %s: X-Content-Type-Options %q, Content-Security-Policy %q; want nosniff and a sandbox",
					tc.name, how, h.Get("X-Content-Type-Options"), h.Get("Content-Security-Policy"))
			}
		}
	}

	// Sharing a file fills in what the upload learnt about it.
	shared := []protocol.Event{&protocol.File{FileID: uploaded["photo.png"]}, &protocol.File{FileID: uploaded["notes.txt"]}}
	wantOK(t, "sharing the files", c.sendEvents(s.ChatID, envelope(t, shared...)))
	history := c.history(s.ChatID)
	want := []protocol.File{
		{FileID: uploaded["photo.png"], FileName: "photo.png", FileType: protocol.FileImage},
		{FileID: uploaded["notes.txt"], FileName: "notes.txt", FileType: protocol.FileAttachment},
	}
	if len(history) != len(want) {
		t.Fatalf("history %v, want the two files", eventTypes(history))
	}
	for i, e := range history {
		f, ok := e.(*protocol.File)
		if !ok || f.FileID != want[i].FileID || f.FileName != want[i].FileName || f.FileType != want[i].FileType || f.PartyID != s.ChatID {
			t.Errorf("history[%d] = %+v, want %+v from the visitor", i, e, want[i])
		}
	}
}

// TestUploadTakesOnlyKindsOfFileTheWidgetTakes: the server decides by the
// content and the name, as the widget does before it uploads
// (protocol.AcceptFile), so a client that skips the widget's check gets
// the same answer.
func TestUploadTakesOnlyKindsOfFileTheWidgetTakes(t *testing.T) {
	t.Parallel()
	_, c, s := startChat(t)
	page := []byte("<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>")
	for _, part := range []filePart{
		{field: "file", name: "page.html", contentType: "text/html", content: page},
		{field: "file", name: "cat.png", contentType: "image/png", content: page},
		{field: "file", name: "logo.svg", contentType: "image/svg+xml", content: []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)},
		{field: "file", name: "setup.zip", contentType: "application/zip", content: []byte("MZ\x90\x00\x03\x00\x00\x00")},
	} {
		ct, body := multipartBody(t, nil, part)
		wantError(t, part.name, c.upload(ct, body), http.StatusUnsupportedMediaType, protocol.CodeFileType)
	}
	if events := c.history(s.ChatID); len(events) != 0 {
		t.Errorf("refused files left %v in the chat", eventTypes(events))
	}
}

func TestUploadRefusesBadRequests(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	srv, c, s := startChat(t)

	ct, body := multipartBody(t, map[string]string{"file": "not a file"})
	wantError(t, "a multipart body without a file part", c.upload(ct, body), http.StatusBadRequest, protocol.CodeBadRequest)
	wantError(t, "a body that is not multipart", c.upload("application/json", []byte(`{"file":"x"}`)), http.StatusBadRequest, protocol.CodeBadRequest)

	ct, body = multipartBody(t, nil, filePart{field: "file", name: "a.txt", content: []byte("a")})
	wantError(t, "a client with no chat", newAPIClient(t, srv.URL).upload(ct, body), http.StatusNotFound, protocol.CodeChatNotFound)

	if err := srv.Chats.Publish(ctx, s.ChatID, &protocol.Ended{}); err != nil {
		t.Fatal(err)
	}
	wantError(t, "a client whose chat ended", c.upload(ct, body), http.StatusNotFound, protocol.CodeChatNotFound)
}

// TestUploadCutShortIsRefusedAsBadRequest sends a multipart body that ends
// inside the file part, as a client that loses its connection mid-upload
// does: the fault is the request's, like any other broken multipart body.
func TestUploadCutShortIsRefusedAsBadRequest(t *testing.T) {
	t.Parallel()
	srv := parleytest.Start(t, parleytest.Quiet())
	c := newAPIClient(t, srv.URL)
	c.open()
	for _, size := range []int{10, 100 << 10} {
		ct, body := multipartBody(t, nil, filePart{field: "file", name: "a.txt", content: bytes.Repeat([]byte("a"), size)})
		// The closing delimiter, "\r\n--" boundary "--\r\n", is 68 bytes:
		// the cut takes it and half the file.
		a := c.upload(ct, body[:len(body)-68-size/2])
		wantError(t, fmt.Sprintf("a body cut short in a file of %d bytes", size), a, http.StatusBadRequest, protocol.CodeBadRequest)
	}
}

// TestUploadOverTheLimit streams the body, so the test never holds the 25 MB
// in memory.
func TestUploadOverTheLimit(t *testing.T) {
	t.Parallel()
	_, c, s := startChat(t)

	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	contentType := mw.FormDataContentType()
	written := make(chan error, 1)
	go func() {
		part, err := mw.CreateFormFile("file", "big.txt")
		chunk := bytes.Repeat([]byte("a"), 1<<20)
		for left := chat.MaxFileBytes + 1; left > 0 && err == nil; left -= len(chunk) {
			chunk = chunk[:min(left, len(chunk))]
			_, err = part.Write(chunk)
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
		written <- err
	}()
	a, err := fetch(http.MethodPost, c.url(protocol.PathFiles), c.header(contentType), pr)
	pr.Close() // stops the writer if the server answered before reading it all
	<-written
	if err != nil {
		t.Fatalf("uploading %d bytes: %v", chat.MaxFileBytes+1, err)
	}
	wantError(t, "a file one byte over the limit", a, http.StatusRequestEntityTooLarge, protocol.CodeUploadTooLarge)

	// The refused file left the chat as it was, and the chat goes on.
	up := c.uploadFile("small.txt", []byte("small"))
	wantOK(t, "sharing a small file", c.sendEvents(s.ChatID, envelope(t, &protocol.File{FileID: up.FileID})))
	if got := eventTypes(c.history(s.ChatID)); !slices.Equal(got, []string{protocol.TypeFile}) {
		t.Errorf("history %v, want only the small file", got)
	}
}

func TestFileEventNeedsAFileOfTheChat(t *testing.T) {
	t.Parallel()
	srv := parleytest.Start(t, parleytest.Quiet())
	owner, other := newAPIClient(t, srv.URL), newAPIClient(t, srv.URL)
	owner.open()
	theirs := other.open()
	file := owner.uploadFile("photo.png", pngImage(t))

	for name, fileID := range map[string]string{"another chat's file": file.FileID, "a file that does not exist": "AAAAAAAAAAAAAAAAAAAAAA"} {
		a := other.sendEvents(theirs.ChatID, envelope(t, &protocol.File{FileID: fileID, FileName: "photo.png"}))
		wantError(t, name, a, http.StatusNotFound, protocol.CodeFileNotFound)
	}
	// One bad file refuses the whole envelope.
	a := other.sendEvents(theirs.ChatID, envelope(t, visitorMessage(theirs.ChatID, 1, "see attached"), &protocol.File{FileID: file.FileID}))
	wantError(t, "a message and another chat's file", a, http.StatusNotFound, protocol.CodeFileNotFound)
	if events := other.history(theirs.ChatID); len(events) != 0 {
		t.Errorf("refused file events stored %v", eventTypes(events))
	}
}

func TestVisitorFileLimit(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	srv, c, s := startChat(t, parleytest.Tune(func(i *instance.Instance) { i.Chats.MaxFiles = 2 }))
	c.uploadFile("1.txt", []byte("1"))
	c.uploadFile("2.txt", []byte("2"))
	ct, body := multipartBody(t, nil, filePart{field: "file", name: "3.txt", content: []byte("3")})
	wantError(t, "the third file", c.upload(ct, body), http.StatusTooManyRequests, protocol.CodeRateLimited)

	// The limit is the visitor's: the agent still shares files.
	agent := takeChat(ctx, t, srv, "Grace Hopper", s.ChatID)
	if _, err := agent.SendFile(ctx, s.ChatID, "terms.txt", []byte("terms")); err != nil {
		t.Errorf("the agent's file after the visitor's limit: %v", err)
	}
}

func TestProfilePhoto(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	srv, c, s := startChat(t)
	agent := srv.Agent("Eve")
	agent.Name = `<script>alert("x")</script> Eve & "Co" <img src=x onerror=alert(1)>`
	if err := agent.Take(ctx, s.ChatID); err != nil {
		t.Fatal(err)
	}
	path := protocol.Path(protocol.PathProfilePhoto, s.ChatID, agent.PartyID)

	for how, a := range map[string]answer{
		"with the Authorization header": c.get(path),
		"with the chat token":           mustFetch(t, http.MethodGet, srv.URL+path+"?token="+s.Token, nil, nil),
	} {
		if a.status != http.StatusOK || a.header.Get("Content-Type") != "image/svg+xml" {
			t.Errorf("the agent's photo %s: %s (%s), want 200 image/svg+xml", how, a, a.header.Get("Content-Type"))
			continue
		}
		if !strings.Contains(a.header.Get("Content-Security-Policy"), "sandbox") {
			t.Errorf("the agent's photo %s: Content-Security-Policy %q, want a sandbox", how, a.header.Get("Content-Security-Policy"))
		}
		if bytes.Contains(bytes.ToLower(a.body), []byte("<script")) || bytes.Contains(a.body, []byte("<img")) {
			t.Errorf("the agent's photo %s carries the agent's markup: %s", how, a.body)
		}
		// Well-formed XML with an svg root proves the name could not break
		// out of its text.
		dec := xml.NewDecoder(bytes.NewReader(a.body))
		var elements []string
		for {
			tok, err := dec.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Errorf("the agent's photo %s is not well-formed: %v\n%s", how, err, a.body)
				break
			}
			if el, ok := tok.(xml.StartElement); ok {
				elements = append(elements, el.Name.Local)
			}
		}
		if len(elements) == 0 || elements[0] != "svg" || slices.Contains(elements, "script") {
			t.Errorf("the agent's photo %s has elements %v, want an svg without script", how, elements)
		}
	}

	for _, party := range []string{"agent-nobody", s.ChatID} {
		wantError(t, "the photo of "+party, c.get(protocol.Path(protocol.PathProfilePhoto, s.ChatID, party)), http.StatusNotFound, protocol.CodeFileNotFound)
	}
}

func TestVisitorRateLimit(t *testing.T) {
	t.Parallel()
	srv := parleytest.Start(t, parleytest.Quiet(), parleytest.Tune(func(i *instance.Instance) {
		i.Chats.VisitorRate, i.Chats.VisitorBurst = 1, 3
	}))
	c := newAPIClient(t, srv.URL)
	s := c.open()
	for n := 1; n <= 4; n++ {
		start := time.Now()
		a := c.sendEvents(s.ChatID, envelope(t, visitorMessage(s.ChatID, n, fmt.Sprint("message ", n))))
		if n <= 3 {
			wantOK(t, fmt.Sprint("message ", n), a)
			continue
		}
		// Refused, and held until the budget would take it: a flood
		// waits on its own connections.
		wantError(t, "the fourth message within a second", a, http.StatusTooManyRequests, protocol.CodeRateLimited)
		if got := a.header.Get("Retry-After"); got != "1" {
			t.Errorf("the refusal's Retry-After is %q, want 1 (second)", got)
		}
		if held := time.Since(start); held < time.Second {
			t.Errorf("the refusal came after %v, before the budget (1 a second) would take the message", held)
		}
	}
	if got, want := texts(c.history(s.ChatID)), []string{"message 1", "message 2", "message 3"}; !slices.Equal(got, want) {
		t.Errorf("history %q, want %q", got, want)
	}

	// An envelope over the burst is refused whole.
	d := newAPIClient(t, srv.URL)
	ds := d.open()
	var four []protocol.Event
	for n := 1; n <= 4; n++ {
		four = append(four, visitorMessage(ds.ChatID, n, "batched"))
	}
	wantError(t, "four events in one envelope", d.sendEvents(ds.ChatID, envelope(t, four...)), http.StatusTooManyRequests, protocol.CodeRateLimited)
	if events := d.history(ds.ChatID); len(events) != 0 {
		t.Errorf("a refused envelope stored %v", eventTypes(events))
	}
}
