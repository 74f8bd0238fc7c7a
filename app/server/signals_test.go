package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/protocol"
)

// wireSignal is a signaling event as it travels, with what the documents
// say it carries.
type wireSignal struct {
	Event       string `json:"event"`
	PartyID     string `json:"party_id"`
	Destination string `json:"destination_party_id"`
	MsgID       string `json:"msg_id"`
	SignalSeq   uint64 `json:"signal_seq"`
	Timestamp   string `json:"timestamp"`
	Data        struct {
		Type          string `json:"type"`
		SDP           string `json:"sdp"`
		OfferVideo    string `json:"offerVideo"`
		Candidate     string `json:"candidate"`
		SDPMid        string `json:"sdpMid"`
		SDPMLineIndex string `json:"sdpMLineIndex"`
	} `json:"data"`
}

// wireSignals picks the signaling events out of a frame or an answer, as
// they were written.
func wireSignals(t *testing.T, body []byte) []wireSignal {
	t.Helper()
	var env struct {
		Events []json.RawMessage `json:"events"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatalf("%s is not an envelope: %v", body, err)
	}
	var out []wireSignal
	for _, raw := range env.Events {
		var s wireSignal
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatalf("%s: the signal's fields are not the documents' strings: %v", raw, err)
		}
		if s.Event == protocol.TypeSignaling {
			out = append(out, s)
		}
	}
	return out
}

// rawSocket reads the frames of a chat socket as they were written.
type rawSocket struct {
	t    *testing.T
	conn *websocket.Conn
}

func dialRaw(ctx context.Context, t *testing.T, u string) *rawSocket {
	t.Helper()
	conn, _, err := websocket.Dial(ctx, u, nil)
	if err != nil {
		t.Fatalf("dialing %s: %v", u, err)
	}
	conn.SetReadLimit(16 << 20)
	t.Cleanup(func() { conn.CloseNow() })
	return &rawSocket{t: t, conn: conn}
}

// nextSignals reads frames until one carries signals, and returns them; a
// frame with a message first fails the test with what it said.
func (s *rawSocket) nextSignals(ctx context.Context) []wireSignal {
	s.t.Helper()
	for {
		_, data, err := s.conn.Read(ctx)
		if err != nil {
			s.t.Fatalf("reading the socket: %v", err)
		}
		if sigs := wireSignals(s.t, data); len(sigs) > 0 {
			return sigs
		}
	}
}

// untilMessage reads frames until one carries the message text, and fails
// the test if a signal comes first.
func (s *rawSocket) untilMessage(ctx context.Context, who, text string) {
	s.t.Helper()
	for {
		_, data, err := s.conn.Read(ctx)
		if err != nil {
			s.t.Fatalf("%s: reading the socket: %v", who, err)
		}
		if sigs := wireSignals(s.t, data); len(sigs) > 0 {
			s.t.Fatalf("%s got %+v, a signal meant for another party", who, sigs)
		}
		env, err := protocol.DecodeEnvelope(data)
		if err != nil {
			s.t.Fatal(err)
		}
		if slicesContain(texts(env.Events), text) {
			return
		}
	}
}

func slicesContain(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func wsURL(base, path string, query url.Values) string {
	return strings.Replace(base, "http", "ws", 1) + path + "?" + query.Encode()
}

func agentCallSocketURL(srv *parleytest.Server, chatID, party string, signal uint64) string {
	return agentSocketURL(srv.URL, chatID, url.Values{
		"token": {parleytest.AgentToken}, "party_id": {party}, "signal": {strconv.FormatUint(signal, 10)},
	})
}

// TestSignalsReachOnlyTheirPartyOnTheWire: the agent calls the visitor
// through the agent API; the visitor's socket gets the offer and the
// candidate in the documents' shape, and answers on it; the agent who has
// the chat gets the answer on its socket. Another agent following the
// chat, and the agent's own socket, get none of the other's signals.
func TestSignalsReachOnlyTheirPartyOnTheWire(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	srv, _, s := startChat(t)
	grace, alan := takeChat(ctx, t, srv, "Grace Hopper", s.ChatID), srv.Agent("Alan Turing")
	visitorSocket := dialRaw(ctx, t, wsURL(srv.URL, protocol.Path(protocol.PathChatSocket, s.ChatID), url.Values{"token": {s.Token}}))
	graceSocket := dialRaw(ctx, t, agentCallSocketURL(srv, s.ChatID, grace.PartyID, 0))
	alanSocket := dialRaw(ctx, t, agentCallSocketURL(srv, s.ChatID, alan.PartyID, 0))

	me := protocol.Meta{PartyID: grace.PartyID}
	wantOK(t, "the agent's offer", agentRequest(t, srv, http.MethodPost, agentChatPath(s.ChatID, "/events"), agentAuth, envelope(t,
		&protocol.Signaling{MsgID: protocol.TextID("1"), DestinationPartyID: s.ChatID, Data: protocol.SignalData{Type: protocol.SignalOfferCall, SDP: "v=0\r\noffer", OfferVideo: true}, Meta: me},
		&protocol.Signaling{MsgID: protocol.TextID("2"), DestinationPartyID: s.ChatID, Data: protocol.SignalData{Type: protocol.SignalICECandidate, Candidate: "candidate:1 1 udp 1 127.0.0.1 5000 typ host", SDPMid: "0", SDPMLineIndex: new(0)}, Meta: me},
	)))
	var got []wireSignal
	for len(got) < 2 {
		got = append(got, visitorSocket.nextSignals(ctx)...)
	}
	offer, candidate := got[0], got[1]
	if offer.Data.Type != protocol.SignalOfferCall || offer.Data.SDP != "v=0\r\noffer" || offer.Data.OfferVideo != "true" ||
		offer.PartyID != grace.PartyID || offer.Destination != s.ChatID || offer.MsgID != "1" || offer.Timestamp == "" || offer.SignalSeq == 0 {
		t.Errorf("the visitor got the offer %+v", offer)
	}
	if candidate.Data.Type != protocol.SignalICECandidate || candidate.Data.SDPMid != "0" || candidate.Data.SDPMLineIndex != "0" ||
		candidate.SignalSeq <= offer.SignalSeq {
		t.Errorf("the visitor got the candidate %+v after the offer %+v", candidate, offer)
	}

	answer := `{"ref":"a1","events":[{"event":"chat_session_signaling","msg_id":"7","destination_party_id":"` + grace.PartyID +
		`","data":{"type":"ANSWER_CALL","sdp":"v=0\r\nanswer"}}]}`
	if err := visitorSocket.conn.Write(ctx, websocket.MessageText, []byte(answer)); err != nil {
		t.Fatal(err)
	}
	fromVisitor := graceSocket.nextSignals(ctx)
	if len(fromVisitor) != 1 || fromVisitor[0].Data.Type != protocol.SignalAnswerCall || fromVisitor[0].Data.SDP != "v=0\r\nanswer" ||
		fromVisitor[0].PartyID != s.ChatID || fromVisitor[0].Destination != grace.PartyID || fromVisitor[0].MsgID != "7" {
		t.Errorf("the agent got %+v, want the visitor's answer", fromVisitor)
	}

	if err := grace.Say(ctx, s.ChatID, "can you hear me?"); err != nil {
		t.Fatal(err)
	}
	alanSocket.untilMessage(ctx, "another agent", "can you hear me?")
	graceSocket.untilMessage(ctx, "the calling agent", "can you hear me?")
	visitorSocket.untilMessage(ctx, "the visitor", "can you hear me?")
}

// TestHeldSignalsReachThePollingVisitorOnce: the API's long poll, as the
// SDKs send it, gets what was signalled between two polls, and each signal
// once: the poll after carries only what came since. A positioned poll
// resumes after the signal it names.
func TestHeldSignalsReachThePollingVisitorOnce(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	srv, c, s := startChat(t, pollWait(200*time.Millisecond))
	grace := takeChat(ctx, t, srv, "Grace Hopper", s.ChatID)
	poll := func(query string) []wireSignal {
		t.Helper()
		a := c.get(protocol.Path(protocol.PathChatEvents, s.ChatID) + query)
		wantOK(t, "polling", a)
		return wireSignals(t, a.body)
	}
	poll("") // what taking the chat said
	candidate := func(text string) *protocol.Signaling {
		return &protocol.Signaling{DestinationPartyID: s.ChatID, Data: protocol.SignalData{Type: protocol.SignalICECandidate, Candidate: text, SDPMid: "0"}, Meta: protocol.Meta{PartyID: grace.PartyID}}
	}
	if err := grace.Publish(ctx, s.ChatID, &protocol.Signaling{DestinationPartyID: s.ChatID, Data: protocol.SignalData{Type: protocol.SignalOfferCall, SDP: "v=0"}, Meta: protocol.Meta{PartyID: grace.PartyID}}, candidate("c1")); err != nil {
		t.Fatal(err)
	}
	between := poll("")
	if len(between) != 2 || between[0].Data.Type != protocol.SignalOfferCall || between[1].Data.Candidate != "c1" {
		t.Fatalf("the poll after the offer got %+v, want the offer and its candidate", between)
	}
	if again := poll(""); len(again) != 0 {
		t.Errorf("the next poll got %+v again", again)
	}
	if err := grace.Publish(ctx, s.ChatID, candidate("c2")); err != nil {
		t.Fatal(err)
	}
	if next := poll(""); len(next) != 1 || next[0].Data.Candidate != "c2" {
		t.Errorf("the poll after the second candidate got %+v, want it alone", next)
	}
	positioned := poll("?after=100&signal=" + strconv.FormatUint(between[0].SignalSeq, 10))
	if len(positioned) != 2 || positioned[0].Data.Candidate != "c1" || positioned[1].Data.Candidate != "c2" {
		t.Errorf("a positioned poll after the offer got %+v, want both candidates", positioned)
	}
	wantError(t, "a signal position that is no number", c.get(protocol.Path(protocol.PathChatEvents, s.ChatID)+"?after=0&signal=x"),
		http.StatusBadRequest, protocol.CodeBadRequest)
}

// TestHeldSignalsReachAnAgentThatComesBack: the visitor asks for a call
// while the agent's console is away; the agent's next long poll gets the
// request, and one that resumes after it does not.
func TestHeldSignalsReachAnAgentThatComesBack(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	srv, c, s := startChat(t, pollWait(200*time.Millisecond))
	grace := takeChat(ctx, t, srv, "Grace Hopper", s.ChatID)
	wantOK(t, "the visitor's request", c.sendEvents(s.ChatID, `{"events":[{"event":"chat_session_signaling","msg_id":"3","destination_party_id":"`+grace.PartyID+`","data":{"type":"REQUEST_CALL","offerVideo":true}}]}`))
	wantError(t, "a request to another party", c.sendEvents(s.ChatID, `{"events":[{"event":"chat_session_signaling","destination_party_id":"agent-alan-turing","data":{"type":"REQUEST_CALL"}}]}`),
		http.StatusBadRequest, protocol.CodeBadRequest)

	var seq uint64
	for {
		a := agentRequest(t, srv, http.MethodGet, agentChatPath(s.ChatID, "/events?after=100&party_id="+grace.PartyID), agentAuth, "")
		wantOK(t, "the agent's poll", a)
		if sigs := wireSignals(t, a.body); len(sigs) > 0 {
			if sigs[0].Data.Type != protocol.SignalRequestCall || sigs[0].Data.OfferVideo != "true" || sigs[0].PartyID != s.ChatID {
				t.Fatalf("the agent got %+v, want the visitor's request for a video call", sigs)
			}
			seq = sigs[0].SignalSeq
			break
		}
	}
	a := agentRequest(t, srv, http.MethodGet, agentChatPath(s.ChatID, "/events?after=100&party_id="+grace.PartyID+"&signal="+strconv.FormatUint(seq, 10)), agentAuth, "")
	if sigs := wireSignals(t, a.body); len(sigs) > 0 {
		t.Errorf("a poll after the request got %+v again", sigs)
	}
	if !reflect.DeepEqual(wireSignals(t, agentRequest(t, srv, http.MethodGet, agentChatPath(s.ChatID, "/events?after=100&party_id=agent-alan-turing"), agentAuth, "").body), []wireSignal(nil)) {
		t.Error("another agent got the visitor's request")
	}
}

// TestALostPollAnswerBringsItsSignalsAgain: the network loses an answer
// that carried an offer; the next poll brings the offer again, and the one
// after that not.
func TestALostPollAnswerBringsItsSignalsAgain(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	srv := parleytest.Start(t, parleytest.Quiet(), pollWait(200*time.Millisecond))
	network := parleytest.StartNetwork(t, strings.TrimPrefix(srv.URL, "http://"))
	c := newAPIClient(t, srv.URL)
	s := c.open()
	grace := takeChat(ctx, t, srv, "Grace Hopper", s.ChatID)
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	poll := func(client *http.Client) ([]wireSignal, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, network.URL()+protocol.Path(protocol.PathChatEvents, s.ChatID), nil)
		req.Header.Set("Authorization", c.creds.Authorization())
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return nil, err
		}
		return wireSignals(t, body), nil
	}
	// What taking the chat said, on a connection that closes after its
	// answer, which therefore counts as delivered.
	if _, err := poll(&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}); err != nil {
		t.Fatal(err)
	}
	if err := grace.Publish(ctx, s.ChatID, &protocol.Signaling{DestinationPartyID: s.ChatID, Data: protocol.SignalData{Type: protocol.SignalOfferCall, SDP: "v=0"}, Meta: protocol.Meta{PartyID: grace.PartyID}}); err != nil {
		t.Fatal(err)
	}
	lose := make(chan bool, 1)
	lose <- true
	network.LoseAnswers(func(string) bool {
		select {
		case <-lose:
			return true
		default:
			return false
		}
	})
	if got, err := poll(client); err == nil {
		t.Fatalf("the network was to lose the answer, yet it brought %+v", got)
	}
	if got, err := poll(client); err != nil || len(got) != 1 || got[0].Data.Type != protocol.SignalOfferCall {
		t.Fatalf("the poll after the lost answer brought %+v (%v), want the offer again", got, err)
	}
	if got, err := poll(client); err != nil || len(got) != 0 {
		t.Errorf("the next poll brought %+v (%v), want nothing again", got, err)
	}
}
