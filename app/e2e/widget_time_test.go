package e2e

import (
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/protocol"
)

// skewClock makes a document's clock run off by skew: Date, and Go's own
// clock in the wasm, which reads it.
func skewClock(skew time.Duration) string {
	return fmt.Sprintf(`(() => {
		const Real = Date, skew = %d;
		function Skewed(...args) {
			if (!new.target) return new Real(Real.now() + skew).toString();
			return args.length ? new Real(...args) : new Real(Real.now() + skew);
		}
		Skewed.prototype = Real.prototype;
		Skewed.now = () => Real.now() + skew;
		Skewed.UTC = Real.UTC;
		Skewed.parse = Real.parse;
		window.Date = Skewed;
	})()`, skew.Milliseconds())
}

// TestVisitorClockOff: the visitor's clock runs 11 minutes ahead of the
// server's, or 15 behind. The pre-chat form (10 minutes to answer) is not
// expired, the wait counts down from the server's estimate, a reload says
// nothing again of what the visitor has seen, and new messages still reach
// the page's listeners.
func TestVisitorClockOff(t *testing.T) {
	for _, skew := range []time.Duration{11 * time.Minute, -15 * time.Minute} {
		t.Run(fmt.Sprint(skew), func(t *testing.T) {
			srv := parleytest.Start(t)
			tb := openPrivateTab(t, fixturePage(t, srv.URL, "api.html", ""))
			w := tb.openWindow(srv.URL)
			form := `[data-testid=form][data-form-name=pre_chat]`
			w.waitVisible(form + `[data-form-state=open]`)
			waitJS(t, tb.ctx, "the greeting's message event", `window.seen.filter(e => e.name === "message").length === 1`)

			beforeEachDocument(t, w.frame, skewClock(skew))
			w.reloadWindow()
			if off := evalJS[float64](t, w.frame, `Date.now() - performance.timeOrigin - performance.now()`); time.Duration(off)*time.Millisecond-skew > time.Minute {
				t.Fatalf("the window's clock is off by %v, want %v", time.Duration(off)*time.Millisecond, skew)
			}
			w.waitConnected()
			w.waitVisible(form + `:not([data-form-state=loading])`)
			if state := attribute(t, w.frame, form, "data-form-state"); state != "open" {
				t.Errorf("the pre-chat form shows as %s", state)
			}
			wait := regexp.MustCompile(`^Waiting for an agent, about (1 min|2 min|\d+ s)$`)
			if status := textOf(t, w.frame, `[data-testid=status]`); !wait.MatchString(status) {
				t.Errorf("the status reads %q, want the server's estimate of 2 minutes, counted down", status)
			}
			if said := textOf(t, w.frame, `[data-testid=announcer]`); said != "" {
				t.Errorf("after the reload the live region reads %q", said)
			}
			if n := evalJS[int](t, tb.ctx, `window.seen.filter(e => e.name === "message").length`); n != 1 {
				t.Errorf("after the reload the page heard %d message events, want the greeting's once", n)
			}
			w.tab.screenshot(fmt.Sprintf("time-clock-off-%v", skew))

			serverPublish(t, srv, w.chatID, agentJoined(graceID, "Grace"), agentSays(graceID, "Sorry for the wait."))
			waitJS(t, tb.ctx, "the new message's event", `window.seen.some(e => e.name === "message" && e.text === "Sorry for the wait.")`)
			waitText(t, w.frame, `[data-testid=announcer]`, "Grace: Sorry for the wait.")
		})
	}
}

// TestShownTimesFollowTheVisitorsOffset: the visitor's UTC offset changes
// (daylight saving time, a journey) while the window runs; the times it
// shows follow the new offset.
func TestShownTimesFollowTheVisitorsOffset(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	w := openChat(t, srv)
	zone := func(name string) *time.Location {
		t.Helper()
		if _, err := chromedp.Call(w.frame, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: name}); err != nil {
			t.Fatalf("setting the time zone %s: %v", name, err)
		}
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		return loc
	}
	// The window starts in Berlin's time, as Go's clock reads it at start.
	zone("Europe/Berlin")
	w.reloadWindow()
	w.waitConnected()
	newYork := zone("America/New_York")
	serverPublish(t, srv, w.chatID, agentJoined(graceID, "Grace"), agentSays(graceID, "What time is it there?"))
	meta := `[data-testid=message][data-from=agent] [data-testid=meta]`
	w.waitVisible(meta)
	events, err := srv.Chats.History(w.tab.ctx, w.chatID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var at time.Time
	for _, e := range events {
		if m, ok := e.(*protocol.Message); ok {
			at = m.Timestamp.Time
		}
	}
	if got, want := textOf(t, w.frame, meta), at.In(newYork).Format("15:04"); got != want {
		t.Errorf("the message shows %s, want %s, New York's time", got, want)
	}
}

// TestSilentSocketNoticedInSeconds: the network drops what travels on the
// socket without closing it. The message the visitor writes is not
// answered, so the window gives the socket up within seconds and sends it
// over a new one; the browser's online event makes it check at once.
func TestSilentSocketNoticedInSeconds(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	w, net, _ := viaProxy(t, srv)
	net.Lose(true, true)
	w.say("Is the line still open?")
	// waitVisible gives up after 20 s, half the time a heartbeat took.
	w.waitVisible(`[data-testid=message][data-from=visitor][data-status=sent]`)

	before := net.Connections()
	net.Lose(true, true)
	w.networkBack()
	waitUntil(t, "a new connection after the online event", func() bool { return net.Connections() > before })
	w.waitConnected()
}

// TestChatEndsDuringAnOutage: the visitor writes while the network is
// down, and the chat ends meanwhile. After the reconnect the window says
// the chat ended, and the line shows as not sent, with its text.
func TestChatEndsDuringAnOutage(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	w, net, _ := viaProxy(t, srv)
	net.Block(true)
	net.Cut()
	w.waitVisible(`[data-testid=chat][data-connection=reconnecting]`)
	w.say("Are you still there?")
	w.waitVisible(`[data-testid=message][data-from=visitor][data-status=pending]`)
	serverPublish(t, srv, w.chatID, &protocol.Ended{})
	net.Block(false)
	w.networkBack()
	w.waitVisible(`[data-testid=notice][data-notice=ended]`)
	line := `[data-testid=message][data-from=visitor]`
	w.waitVisible(line + `[data-status=failed]`)
	if text, meta := textOf(t, w.frame, line+` .parley-text`), textOf(t, w.frame, line+` [data-testid=meta]`); text != "Are you still there?" || meta != "Not sent" {
		t.Errorf("the line reads %q, marked %q", text, meta)
	}
	w.tab.screenshot("time-ended-during-outage")
}

// TestTypingGoesAway: an agent who closes the console mid-word stops
// typing for the visitor (the server says so when the console's socket
// goes); a not_typing lost in a network cut does not leave the line after
// the reconnect. Typing is announced politely, once, apart from the last
// message.
func TestTypingGoesAway(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	w, net, _ := viaProxy(t, srv)
	agents := newProfile(t)
	agent, closeConsole := agents.open(srv.URL + "/agent?token=" + parleytest.AgentToken)
	takeInConsole(t, agent, w.chatID)
	serverPublish(t, srv, w.chatID, agentSays("agent-grace-hopper", "Let me look."))
	waitText(t, w.frame, `[data-testid=announcer]`, "Grace Hopper: Let me look.")

	if err := chromedp.Do(agent.ctx, chromedp.SendKeys(chromedp.CSS(`[data-testid=agent-input]`), "The order")); err != nil {
		t.Fatal(err)
	}
	w.waitVisible(`[data-testid=typing]`)
	waitText(t, w.frame, `[data-testid=typing-announcer]`, "Grace Hopper is typing…")
	if live := attribute(t, w.frame, `[data-testid=typing-announcer]`, "aria-live"); live != "polite" {
		t.Errorf("the typing announcer is aria-live=%q", live)
	}
	if said := textOf(t, w.frame, `[data-testid=announcer]`); said != "Grace Hopper: Let me look." {
		t.Errorf("the message announcer reads %q while the agent types", said)
	}
	closeConsole()
	w.waitGone(`[data-testid=typing]`)

	serverPublish(t, srv, w.chatID, &protocol.Typing{Meta: protocol.Meta{PartyID: "agent-grace-hopper"}})
	w.waitVisible(`[data-testid=typing]`)
	net.Block(true)
	net.Cut()
	serverPublish(t, srv, w.chatID, &protocol.NotTyping{Meta: protocol.Meta{PartyID: "agent-grace-hopper"}})
	net.Block(false)
	w.networkBack()
	w.waitConnected()
	w.waitGone(`[data-testid=typing]`)
}
