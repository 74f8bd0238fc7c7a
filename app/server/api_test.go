package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/protocol"
)

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func requestChat(t *testing.T, baseURL, auth, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, baseURL+protocol.PathChats+"?tenantUrl=tenant.example.com&nonce=1", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	req.Header.Set("UserAgent", "MobileClient")
	resp, err := http.DefaultClient.Do(req)
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

func TestRequestChatRefusesBadRequests(t *testing.T) {
	t.Parallel()
	srv := parleytest.Start(t, parleytest.Quiet())
	good := protocol.Credentials{AppID: parleytest.AppID, ClientID: protocol.NewUUID()}.Authorization()
	cases := []struct {
		name       string
		auth, body string
		status     int
		code       protocol.Code
	}{
		{"no Authorization", "", "", 401, protocol.CodeAuthMissing},
		{"another scheme", "Bearer abc", "", 401, protocol.CodeAuthScheme},
		{"no appId", "MOBILE-API-140-327-PLAIN clientId=c1", "", 401, protocol.CodeAuthAppID},
		{"no clientId", "MOBILE-API-140-327-PLAIN appId=demo", "", 401, protocol.CodeAuthClientID},
		{"an unknown launch point", "MOBILE-API-140-327-PLAIN appId=nope, clientId=c1", "", 401, protocol.CodeAppID},
		{"a body that is not JSON", good, "{phone_number:", 400, protocol.CodeBadRequest},
		{"a body of the wrong shape", good, `{"parameters":[1,2]}`, 400, protocol.CodeBadRequest},
		{"a body over the limit", good, `{"from":"` + strings.Repeat("x", protocol.MaxEnvelopeBytes) + `"}`, 413, protocol.CodeTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			status, body := requestChat(t, srv.URL, tc.auth, tc.body)
			perr := protocol.DecodeError(body)
			if status != tc.status || perr == nil || perr.Code != tc.code || perr.Message == "" {
				t.Errorf("got %d %s, want %d with error_code %s", status, body, tc.status, tc.code)
			}
		})
	}
}

func TestRequestChatReturnsTheActiveChat(t *testing.T) {
	t.Parallel()
	srv := parleytest.Start(t, parleytest.Quiet())
	clientID := protocol.NewUUID()
	// The mobile SDKs send the values without quotes, the documents with.
	quoted := protocol.Credentials{AppID: parleytest.AppID, ClientID: clientID}.Authorization()
	bare := "MOBILE-API-140-327-PLAIN appId=" + parleytest.AppID + ", clientId=" + clientID

	var wg sync.WaitGroup
	sessions := make([]protocol.ChatSession, 8)
	for i := range sessions {
		wg.Go(func() {
			auth := quoted
			if i%2 == 1 {
				auth = bare
			}
			status, body := requestChat(t, srv.URL, auth, `{"from":"Ada","parameters":{"email":"ada@example.com"}}`)
			if status != http.StatusOK {
				t.Errorf("request %d: %d %s", i, status, body)
				return
			}
			if err := json.Unmarshal(body, &sessions[i]); err != nil {
				t.Errorf("request %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	newChats := 0
	for i, s := range sessions {
		if s.ChatID != sessions[0].ChatID || s.Token == "" || s.Epoch == "" || s.State != protocol.StateQueued {
			t.Errorf("request %d got %+v; racing requests of one client must get one chat", i, s)
		}
		if s.IsNewChat {
			newChats++
		}
	}
	if newChats != 1 {
		t.Errorf("%d answers said is_new_chat; exactly one should", newChats)
	}

	status, body := requestChat(t, srv.URL, protocol.Credentials{AppID: parleytest.AppID, ClientID: protocol.NewUUID()}.Authorization(), "")
	var other protocol.ChatSession
	if status != http.StatusOK || json.Unmarshal(body, &other) != nil || other.ChatID == sessions[0].ChatID || !other.IsNewChat {
		t.Errorf("another client got %d %s; want its own new chat", status, body)
	}
}
