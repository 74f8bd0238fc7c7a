package widget

import (
	"fmt"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/parleychat/parley/widget/call"
)

// CallPanel draws the chat's call from the call engine's state: the
// visitor's way to ask for a call where calls are offered, an incoming
// call with accept (audio, or with video) and decline, the call being set
// up or on with mute, camera, hang up, a timer and the videos, and why the
// last call ended. It draws nothing while there is nothing to say. The
// engine (widget/call) shows its streams in the videos it names
// (call.RemoteVideoID, call.LocalVideoID).
type CallPanel struct {
	app.Compo

	Itexts   *Texts
	Istate   call.State
	Ielapsed time.Duration
	Iactions Actions
}

// CallAnswerID is the id of the button that answers a ringing call, which
// takes the focus when the call rings.
const CallAnswerID = "parley-call-answer"

// NewCallPanel returns a call panel with no call.
func NewCallPanel() *CallPanel { return &CallPanel{} }

// Texts sets the panel's words, English when nil.
func (p *CallPanel) Texts(v *Texts) *CallPanel { p.Itexts = v; return p }

// State sets the call's state, as the engine's State gives it.
func (p *CallPanel) State(v call.State) *CallPanel { p.Istate = v; return p }

// Elapsed sets how long the call has been connected: the timer.
func (p *CallPanel) Elapsed(v time.Duration) *CallPanel { p.Ielapsed = v; return p }

// Actions sets who acts on the panel's buttons.
func (p *CallPanel) Actions(v Actions) *CallPanel { p.Iactions = v; return p }

// Render draws the panel for the call's phase.
func (p *CallPanel) Render() app.UI {
	tx, s := textsOr(p.Itexts), p.Istate
	var body []app.UI
	switch s.Phase {
	case call.Requesting:
		body = []app.UI{
			p.status(tx.CallRequesting, false),
			p.controls(p.button("call-cancel", tx.CallCancel, "parley-danger", func(a Actions) { a.HangUp() })),
		}
	case call.Ringing:
		incoming := tx.CallIncoming
		if s.Video {
			incoming = tx.CallIncomingVideo
		}
		accept := []app.UI{p.button("call-accept-audio", tx.CallAnswer, "parley-call-accept", func(a Actions) { a.AcceptCall(false) }).ID(CallAnswerID)}
		if s.VisitorVideo {
			accept = append(accept, p.button("call-accept-video", tx.CallAnswerVideo, "parley-call-accept", func(a Actions) { a.AcceptCall(true) }))
		}
		body = []app.UI{
			p.status(incoming, true),
			p.controls(append(accept, p.button("call-decline", tx.CallDecline, "parley-danger", func(a Actions) { a.DeclineCall() }))...),
		}
	case call.Connecting, call.InCall:
		status := tx.CallConnecting
		if s.Phase == call.InCall {
			status = fmt.Sprintf(tx.CallInCall, Duration(p.Ielapsed))
		}
		controls := []app.UI{p.toggle("call-mute", tx.CallMute, s.Muted, func(a Actions) { a.SetMuted(!p.Istate.Muted) })}
		if s.Camera {
			controls = append(controls, p.toggle("call-camera", tx.CallCameraOff, s.CameraOff, func(a Actions) { a.SetCamera(p.Istate.CameraOff) }))
		}
		controls = append(controls, p.button("call-hangup", tx.CallHangUp, "parley-danger", func(a Actions) { a.HangUp() }))
		body = []app.UI{p.status(status, false), p.videos(tx), p.controls(controls...)}
	default:
		if message := p.ending(tx); message != "" {
			body = append(body, p.status(message, s.Reason == call.PermissionDenied || s.Reason == call.NoDevice))
		}
		if s.CanRequest {
			request := []app.UI{p.button("call-request-audio", tx.CallRequest, "", func(a Actions) { a.RequestCall(false) })}
			if s.VisitorVideo {
				request = append(request, p.button("call-request-video", tx.CallRequestVideo, "", func(a Actions) { a.RequestCall(true) }))
			}
			body = append(body, p.controls(request...))
		}
	}
	if len(body) == 0 {
		return app.Div().Class("parley-call-none").DataSet("testid", "call").DataSet("phase", string(s.Phase))
	}
	return app.Section().
		Class("parley-call").
		DataSet("testid", "call").
		DataSet("phase", string(s.Phase)).
		DataSet("reason", string(s.Reason)).
		Aria("label", tx.Call).
		Body(body...)
}

// ending is what the panel says about the call that ended, "" for no call.
func (p *CallPanel) ending(tx *Texts) string {
	if p.Istate.Phase != call.Ended {
		return ""
	}
	return map[call.Reason]string{
		call.HungUp:           tx.CallHungUp,
		call.RemoteEnded:      tx.CallEnded,
		call.Declined:         tx.CallDeclined,
		call.Rejected:         tx.CallRejected,
		call.PermissionDenied: tx.CallDenied,
		call.NoDevice:         tx.CallNoDevice,
		call.Failed:           tx.CallFailed,
		call.ChatEnded:        tx.CallChatEnded,
	}[p.Istate.Reason]
}

// status is the panel's line: read out when it changes, at once (an
// alert) when the visitor must act or know why a call could not be.
func (p *CallPanel) status(text string, urgent bool) app.UI {
	role := "status"
	if urgent {
		role = "alert"
	}
	return app.P().Class("parley-call-status").DataSet("testid", "call-status").Role(role).Text(text)
}

func (p *CallPanel) controls(buttons ...app.UI) app.UI {
	return app.Div().Class("parley-call-controls").Body(buttons...)
}

// button is one of the panel's buttons. go-app keeps an element's handler
// across renders unless its scope changes, and the panel's buttons take
// each other's places from phase to phase: each is scoped by what it does.
func (p *CallPanel) button(testid, label, class string, f func(Actions)) app.HTMLButton {
	return app.Button().Type("button").Class(class).DataSet("testid", testid).Text(label).OnClick(on(p.Iactions, f), app.EventScope(testid))
}

// toggle is a button that stays pressed (aria-pressed) while its state is
// on: muted, the camera off. Its action reads the state when clicked, as
// its handler stays from render to render.
func (p *CallPanel) toggle(testid, label string, pressed bool, f func(Actions)) app.UI {
	return p.button(testid, label, "parley-call-toggle", f).Aria("pressed", pressed)
}

// videos are the agent's video, whose element plays the agent's sound too
// and so is there with or without video, and the visitor's own camera.
func (p *CallPanel) videos(tx *Texts) app.UI {
	s := p.Istate
	remote := app.Video().
		ID(call.RemoteVideoID).
		Class("parley-call-remote").
		Class(classIf(!s.RemoteVideo, "parley-call-novideo")).
		DataSet("testid", "call-remote").
		Aria("label", tx.CallRemoteVideo).
		AutoPlay(true).
		Attr("playsinline", true)
	items := []app.UI{remote}
	if s.Camera {
		items = append(items, app.Video().
			ID(call.LocalVideoID).
			Class("parley-call-local").
			Class(classIf(s.CameraOff, "parley-call-novideo")).
			DataSet("testid", "call-local").
			Aria("label", tx.CallOwnVideo).
			AutoPlay(true).
			Muted(true).
			Attr("playsinline", true))
	}
	return app.Div().Class("parley-call-videos").Body(items...)
}

// Duration writes a call's length as its timer shows it: m:ss, or h:mm:ss
// past an hour.
func Duration(d time.Duration) string {
	d = max(0, d.Truncate(time.Second))
	h, m, s := int(d/time.Hour), int(d/time.Minute)%60, int(d/time.Second)%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, s)
	}
	return fmt.Sprintf("%d:%02d", m, s)
}
