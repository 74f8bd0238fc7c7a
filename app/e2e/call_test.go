package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/app/parleytest/browser"
	"github.com/parleychat/parley/app/scenario"
	"github.com/parleychat/parley/protocol"
)

// peersScript keeps every RTCPeerConnection a page makes in
// window.parleyPeers, so a test can read their statistics; it runs before
// the page's own scripts.
const peersScript = `(() => {
	const Native = window.RTCPeerConnection;
	if (!Native || window.parleyPeers) return;
	window.parleyPeers = [];
	window.RTCPeerConnection = function (...args) {
		const pc = new Native(...args);
		window.parleyPeers.push(pc);
		return pc;
	};
	window.RTCPeerConnection.prototype = Native.prototype;
	Object.setPrototypeOf(window.RTCPeerConnection, Native);
})()`

// countPackets is a JavaScript function of a list of RTCPeerConnections: it
// counts the RTP packets of the open ones, as "inbound-rtp:audio" (packets
// received) and "outbound-rtp:video" (packets sent).
const countPackets = `async (peers) => {
	const out = {};
	for (const pc of peers) {
		if (pc.connectionState === "closed") continue;
		(await pc.getStats()).forEach((r) => {
			if (r.type !== "inbound-rtp" && r.type !== "outbound-rtp") return;
			const k = r.type + ":" + r.kind;
			out[k] = (out[k] || 0) + (r.type === "inbound-rtp" ? r.packetsReceived : r.packetsSent);
		});
	}
	return out;
}`

// statsScript counts the RTP packets of the page's open connections
// (countPackets).
const statsScript = `(` + countPackets + `)(window.parleyPeers || [])`

// callPageBuild builds app/e2e/callpage once for the test binary.
var callPageBuild = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "parley-callpage-")
	if err != nil {
		return "", err
	}
	callPageDir = dir
	root := filepath.Dir(parleytest.WebDir())
	cmd := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(dir, "callpage.wasm"), "./app/e2e/callpage")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the call page: %v\n%s", err, out)
	}
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return "", err
	}
	runtime, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(goroot)), "lib", "wasm", "wasm_exec.js"))
	if err != nil {
		return "", err
	}
	return dir, os.WriteFile(filepath.Join(dir, "wasm_exec.js"), runtime, 0o644)
})

// callPageDir is where callPageBuild put its files; TestMain removes it.
var callPageDir string

// callPageURL serves the call page on "localhost", another site than the
// chat server's 127.0.0.1, for a visitor of its own of the server at api.
func callPageURL(t *testing.T, api string) string {
	t.Helper()
	dir, err := callPageBuild()
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"callpage.html": filepath.Join("testdata", "callpage.html"),
		"callpage.js":   filepath.Join("testdata", "callpage.js"),
		"callpage.wasm": filepath.Join(dir, "callpage.wasm"),
		"wasm_exec.js":  filepath.Join(dir, "wasm_exec.js"),
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path, ok := files[strings.TrimPrefix(r.URL.Path, "/")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if strings.HasSuffix(path, ".wasm") {
			w.Header().Set("Content-Type", "application/wasm")
		}
		http.ServeFile(w, r, path)
	})}}
	srv.Start()
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	q := url.Values{"api": {api}, "app": {parleytest.AppID}, "client": {protocol.NewUUID()}}
	return "http://localhost:" + port + "/callpage.html?" + q.Encode()
}

// wire keeps the chat_session_signaling events that went over a tab's
// sockets, each way, as JSON.
type wire struct {
	mu       sync.Mutex
	received []map[string]any
	sent     []map[string]any
}

func (w *wire) record(frame *network.WebSocketFrame, sent bool) {
	var env struct {
		Events []map[string]any `json:"events"`
	}
	if frame == nil || json.Unmarshal(frame.PayloadData, &env) != nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, e := range env.Events {
		if e["event"] != protocol.TypeSignaling {
			continue
		}
		if sent {
			w.sent = append(w.sent, e)
		} else {
			w.received = append(w.received, e)
		}
	}
}

// listen records the signals on the sockets of the target of ctx.
func (w *wire) listen(t *testing.T, ctx context.Context) {
	t.Helper()
	if err := chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *network.EventWebSocketFrameReceived:
			w.record(ev.Response, false)
		case *network.EventWebSocketFrameSent:
			w.record(ev.Response, true)
		}
	}); err != nil {
		t.Fatalf("listening to the sockets: %v", err)
	}
}

func (w *wire) signals() (received, sent []map[string]any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]map[string]any(nil), w.received...), append([]map[string]any(nil), w.sent...)
}

// callTab is a tab whose RTCPeerConnections the test can read, and whose
// sockets' signals it records.
type callTab struct {
	*tab
	wire *wire
}

// openCallTab opens url in a tab of a browser context of its own.
func openCallTab(t *testing.T, url string) *callTab {
	t.Helper()
	return openCallTabIn(t, chromium.Ctx, url)
}

// openCallTabIn is openCallTab in the Chromium of parent.
func openCallTabIn(t *testing.T, parent context.Context, url string) *callTab {
	t.Helper()
	bt, cancel := browser.NewTab(parent, chromedp.WithNewBrowserContext())
	ctx, cancelTimeout := context.WithTimeout(bt.Ctx, 90*time.Second)
	bt.Ctx = ctx
	ct := &callTab{tab: &tab{t: t, ctx: ctx, Tab: bt}, wire: &wire{}}
	t.Cleanup(func() {
		for _, e := range bt.Exceptions() {
			t.Errorf("JavaScript exception: %s", e)
		}
	})
	t.Cleanup(cancel)
	t.Cleanup(cancelTimeout)
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: peersScript})
		return err
	})); err != nil {
		t.Fatalf("preparing the tab: %v", err)
	}
	ct.wire.listen(t, ctx)
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("opening %s: %v", url, err)
	}
	return ct
}

// stats counts the RTP packets of the tab's calls.
func (ct *callTab) stats() map[string]float64 {
	ct.t.Helper()
	return evalAwait[map[string]float64](ct.t, ct.ctx, statsScript)
}

// waitPackets waits until the tab's counter key passed n.
func (ct *callTab) waitPackets(what, key string, n float64) {
	ct.t.Helper()
	waitJS(ct.t, ct.ctx, what, fmt.Sprintf(`%s.then((s) => (s[%s] || 0) > %v)`, statsScript, jsString(key), n))
}

func (ct *callTab) click(css string) {
	ct.t.Helper()
	if err := chromedp.Do(ct.ctx, chromedp.Click(chromedp.CSS(css))); err != nil {
		ct.t.Fatalf("clicking %s: %v", css, err)
	}
}

// visitorPage is the call page of a visitor, connected to its chat.
type visitorPage struct {
	*callTab
	chatID string
}

func openVisitorPage(t *testing.T, api string) *visitorPage {
	t.Helper()
	p := &visitorPage{callTab: openCallTab(t, callPageURL(t, api))}
	waitText(t, p.ctx, `[data-testid=conn]`, "connected")
	p.chatID = textOf(t, p.ctx, `[data-testid=chat-id]`)
	return p
}

func (p *visitorPage) phase(want string) {
	p.t.Helper()
	waitText(p.t, p.ctx, `[data-testid=call-phase]`, want)
}

// console is an agent in the console, on one chat.
type console struct {
	*callTab
	party string
}

// openConsole signs name in to the console of srv and opens the chat;
// take takes it.
func openConsole(t *testing.T, srv *parleytest.Server, name, chatID string, take bool) *console {
	t.Helper()
	c := &console{callTab: openCallTab(t, srv.URL+"/agent?token="+parleytest.AgentToken), party: srv.Agent(name).PartyID}
	steps := []chromedp.Action[chromedp.Void]{
		chromedp.SendKeys(chromedp.CSS(`[data-testid=agent-name]`), name),
		chromedp.Click(chromedp.CSS(`[data-testid=agent-name-save]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=agent-chat][data-chat-id="` + chatID + `"]`)),
	}
	if take {
		steps = append(steps, chromedp.Click(chromedp.CSS(`[data-testid=take]`)), chromedp.WaitEnabled(chromedp.CSS(`[data-testid=agent-call-video]`)))
	}
	if err := chromedp.Do(c.ctx, steps...); err != nil {
		t.Fatalf("signing in and opening the chat: %v", err)
	}
	return c
}

func (c *console) phase(want string) {
	c.t.Helper()
	waitJS(c.t, c.ctx, "the console's call "+want, fmt.Sprintf(`document.querySelector("[data-testid=agent-call]").dataset.phase === %s`, jsString(want)))
}

// callsOn is a contact center that offers calls, with the visitor's video.
func callsOn() parleytest.Option {
	contact := scenario.Default()
	contact.AppIDs = []string{parleytest.AppID}
	contact.Widget.VideoCallEnabled, contact.Widget.VisitorVideoEnabled = true, true
	return parleytest.Contact(contact)
}

// callServer is a quiet server that offers calls to pages on localhost.
func callServer(t *testing.T) *parleytest.Server {
	t.Helper()
	return parleytest.Start(t, parleytest.Quiet(), callsOn(), parleytest.AllowOrigins("localhost:*"))
}

// quiet checks that a counter stays put while another runs on: key of
// still does not move while the tab's running counter passes 100 more
// packets (a second or two of video).
func quiet(t *testing.T, what string, still *callTab, key string, running *callTab, runningKey string) {
	t.Helper()
	before := still.stats()[key]
	running.waitPackets(what, runningKey, running.stats()[runningKey]+100)
	if after := still.stats()[key]; after != before {
		t.Errorf("%s: %s went from %v to %v", what, key, before, after)
	}
}

// TestACallBetweenTheConsoleAndTheEngine: the agent calls with video, the
// visitor accepts with video; media flows both ways; each side's mute stops
// its outbound audio; the visitor hangs up, then the agent calls again and
// hangs up. Every signal on the wire has the documented shape and reached
// only its party: another agent following the chat hears none.
func TestACallBetweenTheConsoleAndTheEngine(t *testing.T) {
	srv := callServer(t)
	visitor := openVisitorPage(t, srv.URL)
	grace := openConsole(t, srv, "Grace Hopper", visitor.chatID, true)
	alan := openConsole(t, srv, "Alan Turing", visitor.chatID, false)
	waitText(t, visitor.ctx, `[data-testid=call-can-request]`, "true")

	grace.click(`[data-testid=agent-call-video]`)
	visitor.phase("ringing")
	waitText(t, visitor.ctx, `[data-testid=call-video]`, "true")
	visitor.screenshot("call-visitor-ringing")
	visitor.click(`[data-testid=call-accept-video]`)
	visitor.phase("in-call")
	grace.phase("in-call")

	// Media both ways, sound and pictures.
	for _, side := range []struct {
		name string
		tab  *callTab
	}{{"the visitor", visitor.callTab}, {"the agent", grace.callTab}} {
		side.tab.waitPackets(side.name+" receiving sound", "inbound-rtp:audio", 50)
		side.tab.waitPackets(side.name+" receiving video", "inbound-rtp:video", 50)
	}
	waitText(t, visitor.ctx, `[data-testid=call-remote-video]`, "true")
	waitJS(t, visitor.ctx, "the timer", `document.querySelector("[data-testid=call-timer]").textContent !== "0s"`)
	waitJS(t, grace.ctx, "the console's timer", `/^\d+:\d\d$/.test(document.querySelector("[data-testid=agent-call-timer]").textContent)`)
	visitor.screenshot("call-visitor-in-call")
	grace.screenshot("call-console-in-call")

	// Muting stops the sound that leaves, on each side; the pictures go on.
	visitor.click(`[data-testid=call-mute]`)
	waitText(t, visitor.ctx, `[data-testid=call-muted]`, "true")
	visitor.waitPackets("video after muting", "outbound-rtp:video", visitor.stats()["outbound-rtp:video"]+30)
	quiet(t, "the visitor muted", visitor.callTab, "outbound-rtp:audio", visitor.callTab, "outbound-rtp:video")
	quiet(t, "the visitor muted, as the agent hears it", grace.callTab, "inbound-rtp:audio", grace.callTab, "inbound-rtp:video")
	visitor.click(`[data-testid=call-unmute]`)
	grace.waitPackets("the visitor's sound again", "inbound-rtp:audio", grace.stats()["inbound-rtp:audio"]+50)

	grace.click(`[data-testid=agent-call-mute]`)
	waitJS(t, grace.ctx, "the console muted", `document.querySelector("[data-testid=agent-call-mute]").getAttribute("aria-pressed") === "true"`)
	grace.waitPackets("video after muting", "outbound-rtp:video", grace.stats()["outbound-rtp:video"]+30)
	quiet(t, "the agent muted", grace.callTab, "outbound-rtp:audio", grace.callTab, "outbound-rtp:video")
	quiet(t, "the agent muted, as the visitor hears it", visitor.callTab, "inbound-rtp:audio", visitor.callTab, "inbound-rtp:video")
	grace.click(`[data-testid=agent-call-mute]`)

	visitor.click(`[data-testid=call-camera-off]`)
	waitText(t, visitor.ctx, `[data-testid=call-camera-paused]`, "true")

	// The visitor hangs up.
	visitor.click(`[data-testid=call-hangup]`)
	visitor.phase("ended")
	waitText(t, visitor.ctx, `[data-testid=call-reason]`, "hung-up")
	grace.phase("ended")
	waitText(t, grace.ctx, `[data-testid=agent-call-status]`, "The visitor hung up")

	// The agent calls again, without video this time, and hangs up.
	grace.click(`[data-testid=agent-call-audio]`)
	visitor.phase("ringing")
	waitText(t, visitor.ctx, `[data-testid=call-video]`, "false")
	visitor.click(`[data-testid=call-accept-audio]`)
	grace.phase("in-call")
	grace.waitPackets("the visitor's sound in the second call", "inbound-rtp:audio", 50)
	grace.click(`[data-testid=agent-call-hangup]`)
	visitor.phase("ended")
	waitText(t, visitor.ctx, `[data-testid=call-reason]`, "remote-ended")

	checkWire(t, visitor, grace, alan)
}

var digits = regexp.MustCompile(`^[0-9]+$`)

// checkWire checks every signal the three tabs' sockets carried: the
// documented shape, and each delivered only to its party.
func checkWire(t *testing.T, visitor *visitorPage, agent, other *console) {
	t.Helper()
	visitorGot, visitorSent := visitor.wire.signals()
	agentGot, agentSent := agent.wire.signals()
	otherGot, _ := other.wire.signals()
	if len(otherGot) > 0 {
		t.Errorf("another agent following the chat got %d signals, first %v", len(otherGot), otherGot[0])
	}
	if len(visitorGot) == 0 || len(agentGot) == 0 || len(visitorSent) == 0 || len(agentSent) == 0 {
		t.Fatalf("signals: the visitor got %d and sent %d, the agent got %d and sent %d", len(visitorGot), len(visitorSent), len(agentGot), len(agentSent))
	}
	types := map[string]bool{}
	for _, c := range []struct {
		what      string
		signals   []map[string]any
		from, to  string
		delivered bool // written by the server: stamped, numbered
	}{
		{"the agent's, as the visitor got them", visitorGot, agent.party, visitor.chatID, true},
		{"the visitor's, as the agent got them", agentGot, visitor.chatID, agent.party, true},
		{"the visitor's, as it sent them", visitorSent, "", agent.party, false},
		{"the agent's, as it sent them", agentSent, agent.party, visitor.chatID, false},
	} {
		for _, s := range c.signals {
			data, ok := s["data"].(map[string]any)
			kind, _ := data["type"].(string)
			types[kind] = true
			switch {
			case !ok || !map[string]bool{"OFFER_CALL": true, "ANSWER_CALL": true, "ICE_CANDIDATE": true, "END_CALL": true, "CALL_REJECTED": true, "REQUEST_CALL": true}[kind]:
				t.Errorf("%s: %v has no data object of a documented type", c.what, s)
			case s["destination_party_id"] != c.to:
				t.Errorf("%s: %v is for %v, want %s", c.what, s, s["destination_party_id"], c.to)
			case c.from != "" && s["party_id"] != c.from:
				t.Errorf("%s: %v is from %v, want %s", c.what, s, s["party_id"], c.from)
			case c.delivered && !isString(s["timestamp"]):
				t.Errorf("%s: %v has no timestamp string", c.what, s)
			case c.delivered && !isNumber(s["signal_seq"]):
				t.Errorf("%s: %v has no signal_seq", c.what, s)
			}
			for _, field := range []string{"sdp", "candidate", "sdpMid", "offerVideo", "sdpMLineIndex"} {
				if v, present := data[field]; present && !isString(v) {
					t.Errorf("%s: data.%s of %v is %T, not the documents' string", c.what, field, s, v)
				}
			}
			if (kind == "OFFER_CALL" || kind == "ANSWER_CALL") && !strings.HasPrefix(fmt.Sprint(data["sdp"]), "v=0") {
				t.Errorf("%s: %s without its SDP", c.what, kind)
			}
			if kind == "OFFER_CALL" && data["offerVideo"] != "true" && data["offerVideo"] != "false" {
				t.Errorf("%s: the offer's offerVideo is %v", c.what, data["offerVideo"])
			}
			if kind == "ICE_CANDIDATE" && c.delivered && !digits.MatchString(fmt.Sprint(data["sdpMLineIndex"])) {
				t.Errorf("%s: sdpMLineIndex %v is not a string of digits", c.what, data["sdpMLineIndex"])
			}
		}
	}
	for _, kind := range []string{"OFFER_CALL", "ANSWER_CALL", "ICE_CANDIDATE", "END_CALL"} {
		if !types[kind] {
			t.Errorf("no %s went over the wire", kind)
		}
	}
}

func isString(v any) bool { _, ok := v.(string); return ok }
func isNumber(v any) bool { _, ok := v.(float64); return ok }

// TestTheVisitorDeclinesACall: the agent's console hears the rejection.
func TestTheVisitorDeclinesACall(t *testing.T) {
	srv := callServer(t)
	visitor := openVisitorPage(t, srv.URL)
	grace := openConsole(t, srv, "Grace Hopper", visitor.chatID, true)
	grace.click(`[data-testid=agent-call-audio]`)
	visitor.phase("ringing")
	visitor.click(`[data-testid=call-decline]`)
	visitor.phase("ended")
	waitText(t, visitor.ctx, `[data-testid=call-reason]`, "declined")
	grace.phase("ended")
	waitText(t, grace.ctx, `[data-testid=agent-call-status]`, "The visitor declined the call")
	grace.screenshot("call-console-declined")
}

// TestTheVisitorAsksForACall: the visitor asks for a video call, the agent
// accepts it, and the call comes up without a second question to the
// visitor.
func TestTheVisitorAsksForACall(t *testing.T) {
	srv := callServer(t)
	visitor := openVisitorPage(t, srv.URL)
	grace := openConsole(t, srv, "Grace Hopper", visitor.chatID, true)
	waitText(t, visitor.ctx, `[data-testid=call-can-request]`, "true")
	visitor.click(`[data-testid=call-request-video]`)
	visitor.phase("requesting")
	grace.phase("requested")
	waitText(t, grace.ctx, `[data-testid=agent-call-status]`, "The visitor asks for a video call")
	grace.screenshot("call-console-requested")
	grace.click(`[data-testid=agent-call-accept]`)
	visitor.phase("in-call")
	grace.phase("in-call")
	grace.waitPackets("the visitor's video", "inbound-rtp:video", 50)
	visitor.waitPackets("the agent's video", "inbound-rtp:video", 50)
}

// refusingBrowser is a Chromium of the test's own that refuses the
// microphone and the camera to every page, as a visitor who clicks "Block"
// does.
func refusingBrowser(t *testing.T) context.Context {
	t.Helper()
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		append(browser.Options(t.TempDir()), chromedp.Flag("use-fake-ui-for-media-stream", "deny"))...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return ctx
}

// TestTheMicrophoneRefused: the browser refuses the page the microphone;
// the visitor is told why, and the agent gets the rejection.
func TestTheMicrophoneRefused(t *testing.T) {
	srv := callServer(t)
	ct := openCallTabIn(t, refusingBrowser(t), callPageURL(t, srv.URL))
	waitText(t, ct.ctx, `[data-testid=conn]`, "connected")
	visitor := &visitorPage{callTab: ct, chatID: textOf(t, ct.ctx, `[data-testid=chat-id]`)}
	grace := openConsole(t, srv, "Grace Hopper", visitor.chatID, true)
	grace.click(`[data-testid=agent-call-video]`)
	visitor.phase("ringing")
	visitor.click(`[data-testid=call-accept-video]`)
	visitor.phase("ended")
	waitText(t, visitor.ctx, `[data-testid=call-reason]`, "permission-denied")
	if msg := textOf(t, visitor.ctx, `[data-testid=call-error]`); !strings.Contains(msg, "refused") {
		t.Errorf("the visitor is told %q, want why", msg)
	}
	grace.phase("ended")
	waitText(t, grace.ctx, `[data-testid=agent-call-status]`, "The visitor declined the call")
	visitor.screenshot("call-visitor-permission-denied")
}

// TestAWidgetWithCallsOffDeclines: the widget itself, on a contact center
// that does not offer calls, declines the agent's call at once.
func TestAWidgetWithCallsOffDeclines(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	w := openChat(t, srv)
	grace := openConsole(t, srv, "Grace Hopper", w.chatID, true)
	grace.click(`[data-testid=agent-call-audio]`)
	grace.phase("ended")
	waitText(t, grace.ctx, `[data-testid=agent-call-status]`, "The visitor declined the call")
}

// TestACallSurvivesReconnects: the visitor's network goes away before the
// agent calls and comes back: the offer held for it rings; during the call
// it goes away again, the sound goes on, and hanging up reaches the agent
// once the socket is back.
func TestACallSurvivesReconnects(t *testing.T) {
	srv := callServer(t)
	network := parleytest.StartNetwork(t, strings.TrimPrefix(srv.URL, "http://"))
	visitor := openVisitorPage(t, network.URL())
	grace := openConsole(t, srv, "Grace Hopper", visitor.chatID, true)
	waitText(t, visitor.ctx, `[data-testid=call-can-request]`, "true")

	network.Block(true)
	network.Cut()
	waitJS(t, visitor.ctx, "the visitor's socket gone", `document.querySelector("[data-testid=conn]").textContent !== "connected"`)
	grace.click(`[data-testid=agent-call-video]`)
	waitText(t, grace.ctx, `[data-testid=agent-call-status]`, "Calling the visitor…")
	network.Block(false)
	visitor.phase("ringing")
	visitor.click(`[data-testid=call-accept-audio]`)
	visitor.phase("in-call")
	grace.phase("in-call")
	grace.waitPackets("the visitor's sound", "inbound-rtp:audio", 50)

	network.Block(true)
	network.Cut()
	waitJS(t, visitor.ctx, "the visitor's socket gone", `document.querySelector("[data-testid=conn]").textContent !== "connected"`)
	grace.waitPackets("the visitor's sound, the socket gone", "inbound-rtp:audio", grace.stats()["inbound-rtp:audio"]+50)
	visitor.click(`[data-testid=call-hangup]`)
	visitor.phase("ended")
	network.Block(false)
	grace.phase("ended")
	waitText(t, grace.ctx, `[data-testid=agent-call-status]`, "The visitor hung up")
}

// TestACallEndsWithItsChat: the chat ends during a call; both sides let go
// of the call.
func TestACallEndsWithItsChat(t *testing.T) {
	srv := callServer(t)
	visitor := openVisitorPage(t, srv.URL)
	grace := openConsole(t, srv, "Grace Hopper", visitor.chatID, true)
	grace.click(`[data-testid=agent-call-audio]`)
	visitor.phase("ringing")
	visitor.click(`[data-testid=call-accept-audio]`)
	grace.phase("in-call")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Agent("Grace Hopper").Publish(ctx, visitor.chatID, &protocol.Ended{}); err != nil {
		t.Fatal(err)
	}
	visitor.phase("ended")
	waitText(t, visitor.ctx, `[data-testid=call-reason]`, "chat-ended")
	grace.phase("ended")
	waitText(t, grace.ctx, `[data-testid=agent-call-status]`, "The chat ended, and the call with it")
	waitJS(t, visitor.ctx, "the visitor's devices let go", `window.parleyPeers.every((pc) => pc.connectionState === "closed")`)
}
