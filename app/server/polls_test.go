package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/protocol"
)

// cursorPoll is one Get New Chat Events without a position, as the SDKs
// send it, on client; it returns the texts of the messages it brought, and
// an error when the network lost the answer.
func cursorPoll(ctx context.Context, client *http.Client, url string, creds protocol.Credentials, header http.Header) ([]string, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	req.Header.Set("Authorization", creds.Authorization())
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", resp.Status, data)
	}
	var env struct {
		Events []struct {
			Msg string `json:"msg"`
		} `json:"events"`
	}
	if err := json.Unmarshal(data, &env); err != nil {
		return nil, err
	}
	var texts []string
	for _, e := range env.Events {
		if e.Msg != "" {
			texts = append(texts, e.Msg)
		}
	}
	return texts, nil
}

// firstPoll starts a chat in which an agent said "one", and has the
// visitor's first cursor poll, on client, bring it. It returns the server,
// the visitor's client, the chat's id and its events URL.
func firstPoll(ctx context.Context, t *testing.T, client *http.Client) (*parleytest.Server, *apiClient, string, string) {
	t.Helper()
	srv, c, s := startChat(t, pollWait(time.Second))
	url := srv.URL + protocol.Path(protocol.PathChatEvents, s.ChatID)
	if err := srv.Chats.Publish(ctx, s.ChatID, &protocol.Message{Msg: "one", Meta: protocol.Meta{PartyID: "agent-1"}}); err != nil {
		t.Fatal(err)
	}
	if got, err := cursorPoll(ctx, client, url, c.creds, nil); err != nil || !slices.Equal(got, []string{"one"}) {
		t.Fatalf("first poll: %q (%v)", got, err)
	}
	return srv, c, s.ChatID, url
}

// TestALostPollAnswerComesAgain: the network loses an answer after the
// server wrote it; the client's next poll, on a new connection, gets the
// same events again, and the one after that nothing twice.
func TestALostPollAnswerComesAgain(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	srv, c, s := startChat(t, pollWait(time.Second))
	network := parleytest.StartNetwork(t, strings.TrimPrefix(srv.URL, "http://"))
	chatID := s.ChatID
	url := network.URL() + protocol.Path(protocol.PathChatEvents, chatID)
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()

	say := func(text string) {
		t.Helper()
		if err := srv.Chats.Publish(ctx, chatID, &protocol.Message{Msg: text, Meta: protocol.Meta{PartyID: "agent-1"}}); err != nil {
			t.Fatal(err)
		}
	}
	say("one")
	var lose atomic.Bool
	lose.Store(true)
	network.LoseAnswers(func(string) bool { return lose.Swap(false) })
	if got, err := cursorPoll(ctx, client, url, c.creds, nil); err == nil {
		t.Fatalf("the network was to lose the first answer, yet it brought %q", got)
	}
	got, err := cursorPoll(ctx, client, url, c.creds, nil)
	if err != nil || !slices.Equal(got, []string{"one"}) {
		t.Fatalf("the poll after the lost answer brought %q (%v), want it again", got, err)
	}
	say("two")
	got, err = cursorPoll(ctx, client, url, c.creds, nil)
	if err != nil || !slices.Equal(got, []string{"two"}) {
		t.Fatalf("the next poll brought %q (%v), want only the new message", got, err)
	}
}

// TestAPollThatAskedToCloseCountsAsDelivered: an answer whose request asked
// to close the connection leaves nothing to watch, and is not sent again.
func TestAPollThatAskedToCloseCountsAsDelivered(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	closing := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	_, c, _, url := firstPoll(ctx, t, closing)
	if got, err := cursorPoll(ctx, closing, url, c.creds, nil); err != nil || len(got) != 0 {
		t.Errorf("the poll after an answer on a closed connection brought %q (%v), want nothing again", got, err)
	}
}

// TestPollCursorIsStored: the cursor is stored with the chat, so a server
// started again on the same data answers only what is new (the restarts
// themselves are app/parley's TestCursorPollNeitherLosesNorReplays).
func TestPollCursorIsStored(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	srv, _, chatID, _ := firstPoll(ctx, t, http.DefaultClient)
	stored, err := srv.Chats.Chat(ctx, chatID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.PollCursor == 0 {
		t.Errorf("the chat's stored cursor is 0 after an answer; a restart would replay it")
	}
}
