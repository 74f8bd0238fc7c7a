package widget

import (
	"testing"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/parleychat/parley/widget/call"
)

func TestCallPanelDrawsEachPhase(t *testing.T) {
	t.Parallel()
	button := func(testid, class string) app.HTMLButton {
		return app.Button().Type("button").Class(class).DataSet("testid", testid).OnClick(nothing)
	}
	status := func(role string) app.UI {
		return app.P().Class("parley-call-status").DataSet("testid", "call-status").Role(role)
	}
	offered := call.State{Phase: call.Idle, Enabled: true, VisitorVideo: true, CanRequest: true}
	cases := []struct {
		name  string
		state call.State
		check func(t *testing.T, p *CallPanel)
	}{
		{"nothing without calls", call.State{Phase: call.Idle}, func(t *testing.T, p *CallPanel) {
			match(t, app.Div().Class("parley-call-none").DataSet("testid", "call").DataSet("phase", "idle"), p, 0)
		}},
		{"nothing before an agent has the chat", call.State{Phase: call.Idle, Enabled: true}, func(t *testing.T, p *CallPanel) {
			match(t, app.Div().Class("parley-call-none").DataSet("testid", "call").DataSet("phase", "idle"), p, 0)
		}},
		{"a call or a video call to ask for", offered, func(t *testing.T, p *CallPanel) {
			match(t, app.Section().Class("parley-call").DataSet("testid", "call").DataSet("phase", "idle").DataSet("reason", "").Aria("label", "Call"), p, 0)
			match(t, button("call-request-audio", ""), p, 0, 0, 0)
			match(t, app.Text("Call us"), p, 0, 0, 0, 0)
			match(t, button("call-request-video", ""), p, 0, 0, 1)
		}},
		{"an audio call only where the visitor's video is off", call.State{Phase: call.Idle, Enabled: true, CanRequest: true}, func(t *testing.T, p *CallPanel) {
			match(t, button("call-request-audio", ""), p, 0, 0, 0)
			if err := app.Match(button("call-request-video", ""), p, 0, 0, 1); err == nil {
				t.Error("a video call offered where the visitor's video is off")
			}
		}},
		{"asking, with a way to take it back", call.State{Phase: call.Requesting, Enabled: true}, func(t *testing.T, p *CallPanel) {
			match(t, status("status"), p, 0, 0)
			match(t, app.Text("Asking the agent for a call…"), p, 0, 0, 0)
			match(t, button("call-cancel", "parley-danger"), p, 0, 1, 0)
		}},
		{"a video call rings: an alert, answer, with video, decline", call.State{Phase: call.Ringing, Video: true, VisitorVideo: true}, func(t *testing.T, p *CallPanel) {
			match(t, status("alert"), p, 0, 0)
			match(t, app.Text("The agent is calling you with video"), p, 0, 0, 0)
			match(t, button("call-accept-audio", "parley-call-accept").ID(CallAnswerID), p, 0, 1, 0)
			match(t, app.Text("Answer"), p, 0, 1, 0, 0)
			match(t, button("call-accept-video", "parley-call-accept"), p, 0, 1, 1)
			match(t, button("call-decline", "parley-danger"), p, 0, 1, 2)
		}},
		{"connecting: mute, camera, hang up, the videos", call.State{Phase: call.Connecting, Camera: true}, func(t *testing.T, p *CallPanel) {
			match(t, app.Text("Connecting the call…"), p, 0, 0, 0)
			match(t, app.Video().ID(call.RemoteVideoID).Class("parley-call-remote").Class("parley-call-novideo").DataSet("testid", "call-remote").Aria("label", "The agent's video").AutoPlay(true).Attr("playsinline", true), p, 0, 1, 0)
			match(t, app.Video().ID(call.LocalVideoID).Class("parley-call-local").DataSet("testid", "call-local").Aria("label", "Your camera").AutoPlay(true).Muted(true).Attr("playsinline", true), p, 0, 1, 1)
			match(t, button("call-mute", "parley-call-toggle").Aria("pressed", false), p, 0, 2, 0)
			match(t, button("call-camera", "parley-call-toggle").Aria("pressed", false), p, 0, 2, 1)
			match(t, button("call-hangup", "parley-danger"), p, 0, 2, 2)
		}},
		{"in a call, muted, the camera paused, the timer", call.State{Phase: call.InCall, Camera: true, CameraOff: true, Muted: true, RemoteVideo: true}, func(t *testing.T, p *CallPanel) {
			match(t, app.Text("In a call, 1:05"), p, 0, 0, 0)
			match(t, app.Video().ID(call.RemoteVideoID).Class("parley-call-remote").DataSet("testid", "call-remote").Aria("label", "The agent's video").AutoPlay(true).Attr("playsinline", true), p, 0, 1, 0)
			match(t, app.Video().ID(call.LocalVideoID).Class("parley-call-local").Class("parley-call-novideo").DataSet("testid", "call-local").Aria("label", "Your camera").AutoPlay(true).Muted(true).Attr("playsinline", true), p, 0, 1, 1)
			match(t, button("call-mute", "parley-call-toggle").Aria("pressed", true), p, 0, 2, 0)
			match(t, button("call-camera", "parley-call-toggle").Aria("pressed", true), p, 0, 2, 1)
		}},
		{"an audio call has no camera button and no own video", call.State{Phase: call.InCall}, func(t *testing.T, p *CallPanel) {
			match(t, button("call-hangup", "parley-danger"), p, 0, 2, 1)
			if err := app.Match(app.Video().ID(call.LocalVideoID), p, 0, 1, 1); err == nil {
				t.Error("an audio call shows the visitor's camera")
			}
		}},
		{"the microphone refused: an alert that says why, and another try", call.State{Phase: call.Ended, Reason: call.PermissionDenied, Enabled: true, CanRequest: true}, func(t *testing.T, p *CallPanel) {
			match(t, app.Section().Class("parley-call").DataSet("testid", "call").DataSet("phase", "ended").DataSet("reason", "permission-denied").Aria("label", "Call"), p, 0)
			match(t, status("alert"), p, 0, 0)
			match(t, app.Text(English().CallDenied), p, 0, 0, 0)
			match(t, button("call-request-audio", ""), p, 0, 1, 0)
		}},
		{"the agent ended it", call.State{Phase: call.Ended, Reason: call.RemoteEnded}, func(t *testing.T, p *CallPanel) {
			match(t, status("status"), p, 0, 0)
			match(t, app.Text("The call has ended."), p, 0, 0, 0)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := NewCallPanel().State(tc.state).Elapsed(65 * time.Second).Actions(&noActions{})
			mount(t, p)
			tc.check(t, p)
		})
	}
}

func TestDuration(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0:00"}, {999 * time.Millisecond, "0:00"}, {65 * time.Second, "1:05"}, {time.Hour + 2*time.Minute + 3*time.Second, "1:02:03"}, {-time.Second, "0:00"},
	} {
		if got := Duration(tc.d); got != tc.want {
			t.Errorf("Duration(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestWindowDrawsItsCall(t *testing.T) {
	t.Parallel()
	actions := &noActions{}
	ringing := call.State{Phase: call.Ringing, VisitorVideo: true}
	w := NewWindow().Connection("connected").Call(ringing, 0).Actions(actions)
	mount(t, w)
	match(t, NewCallPanel().State(ringing).Actions(actions), w, 0, 1)
}
