package live

import (
	"testing"
	"time"

	"github.com/parleychat/parley/protocol"
	"github.com/parleychat/parley/widget"
	"github.com/parleychat/parley/widget/client"
)

const chatID = "c1"

var at = protocol.Timestamp{Time: time.Unix(1700000000, 0)}

func stamped(party string, seq uint64) protocol.Meta {
	return protocol.Meta{PartyID: party, Timestamp: at, Seq: seq}
}

// TestChatSetsTheWindowFromWhatTheSessionSays applies what a session
// reports and looks at the inputs the live window gives the window's
// components (package widget's tests look at how they are drawn).
func TestChatSetsTheWindowFromWhatTheSessionSays(t *testing.T) {
	t.Parallel()
	session := &protocol.ChatSession{ChatID: chatID, Token: "tok", State: protocol.StateQueued, EWT: 150}
	grace := &protocol.PartyJoined{FirstName: "Grace", Type: protocol.PartyInternal, Meta: stamped("a7", 1)}
	type want struct {
		connection, status, position string
		canWrite, canSend, canAttach bool
		canEnd, ended, closed        bool
		lines                        int
	}
	cases := []struct {
		name    string
		updates []client.Update
		pending string
		want    want
	}{
		{
			name: "before the session runs",
			want: want{status: "Connecting…", position: ":0"},
		},
		{
			name:    "connecting, before the chat exists: the message waits for the chat, files cannot",
			updates: []client.Update{{Conn: client.ConnConnecting}},
			want:    want{connection: "connecting", status: "Connecting…", position: ":0", canWrite: true, canSend: true},
		},
		{
			name:    "queued with a wait",
			updates: []client.Update{{Conn: client.ConnConnected}, {Chat: session}},
			want:    want{connection: "connected", status: "Waiting for an agent, about 3 min", position: ":0", canWrite: true, canSend: true, canAttach: true},
		},
		{
			name: "an agent's message",
			updates: []client.Update{{Conn: client.ConnConnected}, {Chat: session}, {
				Events:   []protocol.Event{grace, &protocol.Message{MsgID: protocol.TextID("m1"), Msg: "hello", Meta: stamped("a7", 2)}},
				Position: protocol.Position{Epoch: "e", Seq: 2},
			}},
			want: want{connection: "connected", status: "Chatting with Grace", position: "e:2", canWrite: true, canSend: true, canAttach: true, lines: 2},
		},
		{
			name:    "a message on its way",
			updates: []client.Update{{Conn: client.ConnConnected}, {Chat: session}},
			pending: "on its way",
			want:    want{connection: "connected", status: "Waiting for an agent, about 3 min", position: ":0", canWrite: true, canSend: true, canAttach: true, lines: 1},
		},
		{
			name:    "reconnecting: messages go to the outbox, files wait",
			updates: []client.Update{{Conn: client.ConnConnected}, {Chat: session}, {Conn: client.ConnReconnecting}},
			want:    want{connection: "reconnecting", status: "Connection lost. Retrying…", position: ":0", canWrite: true, canSend: true},
		},
		{
			name:    "ended",
			updates: []client.Update{{Conn: client.ConnConnected}, {Chat: session}, {Events: []protocol.Event{&protocol.Ended{Meta: stamped("", 1)}}}, {Conn: client.ConnEnded}},
			want:    want{connection: "ended", status: "Chat ended", position: ":0", ended: true, lines: 1},
		},
		{
			name:    "refused to start",
			updates: []client.Update{{Conn: client.ConnFailed}},
			want:    want{connection: "failed", status: "Chat is not available right now", position: ":0"},
		},
		{
			name:    "closed: 5001",
			updates: []client.Update{{Conn: client.ConnFailed, Err: protocol.Errorf(protocol.CodeNoServer, "closed")}},
			want:    want{connection: "failed", status: "We are closed right now", position: ":0", closed: true},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := &Chat{}
			for _, u := range tc.updates {
				c.apply(u)
			}
			if tc.pending != "" {
				c.transcript.AddPending(protocol.TextID("tab:1"), tc.pending, at.Time)
			}
			w, ok := c.Render().(*widget.Window)
			if !ok {
				t.Fatalf("Render() = %T, want the window", c.Render())
			}
			got := want{
				connection: w.Iconnection, status: w.Istatus, position: w.Iposition,
				canWrite: w.IcanWrite, canSend: w.IcanSend, canAttach: w.IcanAttach,
				canEnd: w.IcanEnd, ended: w.Iended, closed: w.Iclosed, lines: len(w.Ilines),
			}
			if got != tc.want {
				t.Errorf("the window's inputs are\n %+v, want\n %+v", got, tc.want)
			}
			if w.Iactions != c {
				t.Error("the window does not act through the live window")
			}
		})
	}
}

func TestHostOriginTakesOnlyAnOrigin(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"https://shop.example":          "https://shop.example",
		"http://localhost:8080":         "http://localhost:8080",
		"https://shop.example/":         "https://shop.example",
		"":                              "",
		"*":                             "",
		"javascript:alert(1)":           "",
		"https://shop.example/path":     "",
		"https://user@shop.example":     "",
		"https://shop.example?x=1":      "",
		"ftp://shop.example":            "",
		"//shop.example":                "",
		"https://shop.example#fragment": "",
	}
	for in, want := range cases {
		if got := hostOrigin(in); got != want {
			t.Errorf("hostOrigin(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestConnectionStatusCountsDown(t *testing.T) {
	t.Parallel()
	tx := widget.English()
	now := at.Time
	queued := &widget.Transcript{State: protocol.StateQueued, EWT: 90, EWTAt: now}
	cases := []struct {
		name       string
		conn       connection
		transcript *widget.Transcript
		serverNow  time.Time
		want       string
	}{
		{"starting", connection{}, &widget.Transcript{}, now, "Connecting…"},
		{"retrying in a while", connection{state: client.ConnReconnecting, retry: now.Add(4500 * time.Millisecond)}, &widget.Transcript{}, now, "Connection lost. Retrying in 5 s…"},
		{"retrying now", connection{state: client.ConnReconnecting, retry: now.Add(time.Second)}, &widget.Transcript{}, now, "Connection lost. Retrying…"},
		{"a wait in minutes", connection{state: client.ConnConnected}, queued, now, "Waiting for an agent, about 2 min"},
		{"a wait in seconds, by the server's clock", connection{state: client.ConnConnected}, queued, now.Add(50 * time.Second), "Waiting for an agent, about 40 s"},
		{"the wait is over", connection{state: client.ConnConnected}, queued, now.Add(2 * time.Minute), "Waiting for an agent"},
		{"an agent", connection{state: client.ConnConnected}, &widget.Transcript{Agent: "Grace"}, now, "Chatting with Grace"},
		{"the chat is over", connection{state: client.ConnConnected}, &widget.Transcript{State: protocol.StateCompleted}, now, "Chat ended"},
		{"connected", connection{state: client.ConnConnected}, &widget.Transcript{State: protocol.StateConnected}, now, "Connected"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := tc.conn.status(tx, tc.transcript, tc.serverNow, now); got != tc.want {
				t.Errorf("status = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestReceiptsArePaced(t *testing.T) {
	t.Parallel()
	var r receipts
	now := at.Time
	if wait, ok := r.wait(now); !ok || wait != 0 {
		t.Fatalf("the first receipt waits %v (%v), want none", wait, ok)
	}
	r.went(now, true)
	wait, ok := r.wait(now.Add(300 * time.Millisecond))
	if !ok || wait != 700*time.Millisecond {
		t.Errorf("a receipt right after waits %v (%v), want the rest of the gap", wait, ok)
	}
	if _, ok := r.wait(now.Add(400 * time.Millisecond)); ok {
		t.Error("a second receipt was due while one waited: the one due stands for both")
	}
	r.went(now.Add(time.Second), false)
	if wait, ok := r.wait(now.Add(1100 * time.Millisecond)); !ok || wait != 0 {
		t.Errorf("after a receipt that could not go, the next waits %v (%v), want none", wait, ok)
	}
}

func TestNavigatorTellsEachPageOnce(t *testing.T) {
	t.Parallel()
	var n navigator
	if _, due := n.due(); due {
		t.Error("a page is due before the visitor was anywhere")
	}
	home := place{page: "https://shop.example/", title: "Shop"}
	if !n.at(home) {
		t.Fatal("a page was refused")
	}
	if p, due := n.due(); !due || p != home {
		t.Errorf("due = %v, %v; want the home page", p, due)
	}
	n.told(home)
	if _, due := n.due(); due {
		t.Error("a page was due twice")
	}
	if n.at(place{page: "https://shop.example/" + string(make([]byte, protocol.MaxURLBytes))}) {
		t.Error("a page over the API's limit was taken")
	}
	n.told(place{})
	if p, due := n.due(); !due || p != home {
		t.Errorf("after a new chat, due = %v, %v; want the home page again", p, due)
	}
}
