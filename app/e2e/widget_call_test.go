package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// frameStats counts the RTP packets of the open connections of the chat
// window's frame (countPackets). The window's RTCPeerConnection is
// made by the wasm, in a cross-site frame no script of the test's runs in
// first, so it is found as DevTools' queryObjects finds it.
func frameStats(t *testing.T, frame context.Context) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	err := chromedp.Do(frame, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		proto, err := chromedp.Call(ctx, runtime.Evaluate, runtime.EvaluateParams{Expression: "RTCPeerConnection.prototype"})
		if err != nil {
			return err
		}
		if proto.ExceptionDetails != nil {
			return fmt.Errorf("%s", proto.ExceptionDetails.Text)
		}
		peers, err := chromedp.Call(ctx, runtime.QueryObjects, runtime.QueryObjectsParams{PrototypeObjectID: proto.Result.ObjectID})
		if err != nil {
			return err
		}
		yes := true
		res, err := chromedp.Call(ctx, runtime.CallFunctionOn, runtime.CallFunctionOnParams{
			FunctionDeclaration: `function () { return (` + countPackets + `)(this); }`,
			ObjectID:            peers.Objects.ObjectID,
			AwaitPromise:        &yes,
			ReturnByValue:       &yes,
		})
		if err != nil {
			return err
		}
		if res.ExceptionDetails != nil {
			return fmt.Errorf("%s", res.ExceptionDetails.Text)
		}
		return json.Unmarshal(res.Result.Value, &out)
	}))
	if err != nil {
		t.Fatalf("the window's call statistics: %v", err)
	}
	return out
}

// waitFramePackets waits until the window's counter key passed n.
func waitFramePackets(t *testing.T, w *chatWindow, what, key string, n float64) {
	t.Helper()
	ctx := w.bounded()
	for frameStats(t, w.frame)[key] <= n {
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %s stayed at %v or below", what, key, n)
		default:
		}
		_ = chromedp.Do(w.frame, chromedp.Evaluate[chromedp.Void](`new Promise(r => setTimeout(r, 100))`, chromedp.EvalAwaitPromise))
	}
}

// callPhase waits until the window's call panel is in phase.
func (w *chatWindow) callPhase(phase string) {
	w.t.Helper()
	w.waitVisible(fmt.Sprintf(`[data-testid=call][data-phase=%q]`, phase))
}

// TestACallInTheWidget: in the real widget, on a host page through the
// loader, the visitor can ask for a call once an agent has the chat; the
// agent calls with video; the panel rings with answer, answer with video and
// decline, the first focused; answered with video, media flows both ways;
// the visitor's mute stops the sound that leaves and the agent hears none;
// the agent hangs up and the panel says so; the agent calls again and the
// visitor hangs up. Every signal on the window's and the console's sockets
// has the documented shape and reached only its party: another agent who
// follows the chat gets none.
func TestACallInTheWidget(t *testing.T) {
	srv := callServer(t)
	w := openChat(t, srv)
	// The window's socket is in its frame: its signals are recorded
	// there, and checked at the end with the console's and those of
	// another agent who follows the chat without taking it.
	widgetWire := &wire{}
	widgetWire.listen(t, w.frame)
	if _, err := chromedp.Call(w.frame, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("enabling the window's network domain: %v", err)
	}
	grace := openConsole(t, srv, "Grace Hopper", w.chatID, true)
	alan := openConsole(t, srv, "Alan Turing", w.chatID, false)
	w.waitVisible(`[data-testid=call-request-audio]`)
	w.waitVisible(`[data-testid=call-request-video]`)

	grace.click(`[data-testid=agent-call-video]`)
	w.callPhase("ringing")
	w.waitVisible(`[data-testid=call-accept-video]`)
	w.waitVisible(`[data-testid=call-decline]`)
	if role := attribute(t, w.frame, `[data-testid=call-status]`, "role"); role != "alert" {
		t.Errorf("the incoming call's line is a %q, want an alert", role)
	}
	waitJS(t, w.frame, "the answer button focused", `document.activeElement === document.querySelector("[data-testid=call-accept-audio]")`)
	w.tab.screenshot("call-widget-incoming")

	w.click(`[data-testid=call-accept-video]`)
	w.callPhase("in-call")
	grace.phase("in-call")
	waitFramePackets(t, w, "the visitor receiving sound", "inbound-rtp:audio", 50)
	waitFramePackets(t, w, "the visitor receiving video", "inbound-rtp:video", 50)
	grace.waitPackets("the agent receiving sound", "inbound-rtp:audio", 50)
	grace.waitPackets("the agent receiving video", "inbound-rtp:video", 50)
	waitJS(t, w.frame, "the timer", `/In a call, \d+:\d\d/.test(document.querySelector("[data-testid=call-status]").textContent) && !document.querySelector("[data-testid=call-status]").textContent.endsWith("0:00")`)
	waitJS(t, w.frame, "the agent's picture", `(() => { const v = document.querySelector("[data-testid=call-remote]"); return v.videoWidth > 0 && !v.classList.contains("parley-call-novideo"); })()`)
	w.tab.screenshot("call-widget-in-call")

	// The visitor mutes: no sound leaves, the agent hears none, the
	// pictures go on.
	w.click(`[data-testid=call-mute]`)
	w.waitVisible(`[data-testid=call-mute][aria-pressed=true]`)
	before, heard := frameStats(t, w.frame)["outbound-rtp:audio"], grace.stats()["inbound-rtp:audio"]
	grace.waitPackets("the visitor's video after muting", "inbound-rtp:video", grace.stats()["inbound-rtp:video"]+100)
	if after := frameStats(t, w.frame)["outbound-rtp:audio"]; after != before {
		t.Errorf("muted, the window sent sound: %v packets, then %v", before, after)
	}
	if after := grace.stats()["inbound-rtp:audio"]; after != heard {
		t.Errorf("muted, the agent heard the visitor: %v packets, then %v", heard, after)
	}
	w.click(`[data-testid=call-mute]`)
	grace.waitPackets("the visitor's sound again", "inbound-rtp:audio", heard+50)
	w.click(`[data-testid=call-camera]`)
	w.waitVisible(`[data-testid=call-camera][aria-pressed=true]`)

	// The agent hangs up.
	grace.click(`[data-testid=agent-call-hangup]`)
	w.callPhase("ended")
	waitText(t, w.frame, `[data-testid=call-status]`, "The call has ended.")

	// The agent calls again, with sound only; the visitor hangs up.
	grace.click(`[data-testid=agent-call-audio]`)
	w.callPhase("ringing")
	waitText(t, w.frame, `[data-testid=call-status]`, "The agent is calling you")
	w.click(`[data-testid=call-accept-audio]`)
	grace.phase("in-call")
	grace.waitPackets("the visitor's sound in the second call", "inbound-rtp:audio", 50)
	w.click(`[data-testid=call-hangup]`)
	w.callPhase("ended")
	waitText(t, w.frame, `[data-testid=call-status]`, "You ended the call.")
	grace.phase("ended")
	waitText(t, grace.ctx, `[data-testid=agent-call-status]`, "The visitor hung up")
	checkWire(t, &visitorPage{callTab: &callTab{tab: w.tab, wire: widgetWire}, chatID: w.chatID}, grace, alan)
}

// TestTheWidgetDeclinesACall: the visitor declines; the agent is told.
func TestTheWidgetDeclinesACall(t *testing.T) {
	srv := callServer(t)
	w := openChat(t, srv)
	grace := openConsole(t, srv, "Grace Hopper", w.chatID, true)
	grace.click(`[data-testid=agent-call-audio]`)
	w.callPhase("ringing")
	w.click(`[data-testid=call-decline]`)
	w.callPhase("ended")
	waitText(t, w.frame, `[data-testid=call-status]`, "You declined the call.")
	grace.phase("ended")
	waitText(t, grace.ctx, `[data-testid=agent-call-status]`, "The visitor declined the call")
}

// TestTheWidgetAsksForACall: the visitor asks for a video call; the agent
// accepts the request, and the call connects without ringing.
func TestTheWidgetAsksForACall(t *testing.T) {
	srv := callServer(t)
	w := openChat(t, srv)
	grace := openConsole(t, srv, "Grace Hopper", w.chatID, true)
	w.click(`[data-testid=call-request-video]`)
	w.callPhase("requesting")
	grace.click(`[data-testid=agent-call-accept]`)
	w.callPhase("in-call")
	grace.phase("in-call")
	waitFramePackets(t, w, "the visitor receiving sound", "inbound-rtp:audio", 20)
	w.click(`[data-testid=call-hangup]`)
	grace.phase("ended")
}

// TestTheWidgetWithTheMicrophoneRefused: the browser refuses the window
// the microphone and the camera; the panel says why, at once, and offers
// another try; the agent gets the rejection.
func TestTheWidgetWithTheMicrophoneRefused(t *testing.T) {
	srv := callServer(t)
	tb, _ := openTabIn(t, refusingBrowser(t), srv.DemoURL)
	w := tb.openWindow(srv.URL)
	grace := openConsole(t, srv, "Grace Hopper", w.chatID, true)
	grace.click(`[data-testid=agent-call-video]`)
	w.callPhase("ringing")
	w.click(`[data-testid=call-accept-video]`)
	w.waitVisible(`[data-testid=call][data-reason=permission-denied]`)
	waitText(t, w.frame, `[data-testid=call-status]`, "The call could not start: your browser did not allow the microphone or camera. Allow them in your browser's site settings to take a call.")
	if role := attribute(t, w.frame, `[data-testid=call-status]`, "role"); role != "alert" {
		t.Errorf("the refusal is a %q, want an alert", role)
	}
	w.waitVisible(`[data-testid=call-request-audio]`)
	grace.phase("ended")
	waitText(t, grace.ctx, `[data-testid=agent-call-status]`, "The visitor declined the call")
	tb.screenshot("call-widget-refused")
}

// TestACallInTheWidgetEndsWithItsChat: the visitor ends the chat during a
// call; the call ends with it on both sides, and the window lets go of its
// connection.
func TestACallInTheWidgetEndsWithItsChat(t *testing.T) {
	srv := callServer(t)
	w := openChat(t, srv)
	grace := openConsole(t, srv, "Grace Hopper", w.chatID, true)
	grace.click(`[data-testid=agent-call-audio]`)
	w.callPhase("ringing")
	w.click(`[data-testid=call-accept-audio]`)
	w.callPhase("in-call")
	grace.phase("in-call")
	w.click(`[data-testid=end-chat]`)
	w.click(`[data-testid=end-now]`)
	w.waitVisible(`[data-testid=call][data-reason=chat-ended]`)
	waitText(t, w.frame, `[data-testid=call-status]`, "The call ended with the chat.")
	grace.phase("ended")
	waitText(t, grace.ctx, `[data-testid=agent-call-status]`, "The chat ended, and the call with it")
	if open := frameStats(t, w.frame); len(open) != 0 {
		t.Errorf("the window's connection is still open after the chat: %v", open)
	}
}
