package widget

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/parleychat/parley/protocol"
)

// Actions is what the window's controls ask of whoever runs the window: the
// live window (widget/live) in the browser. The prerendered window has
// none, and nothing in it can be used before the wasm runs.
type Actions interface {
	// Send sends the visitor's draft, trimmed, and reports whether it
	// went; the message box empties only then, and the window's notice
	// says why it did not.
	Send(text string) bool
	// Drafted follows the draft as the visitor edits it.
	Drafted(draft string)
	// Attach sends the files of a browser FileList the visitor picked,
	// dropped or pasted.
	Attach(files app.Value)
	// CancelUpload stops the upload with the key.
	CancelUpload(key int)
	// ConfirmEnd shows or hides the question before the chat ends.
	ConfirmEnd(show bool)
	// End ends the chat for good; Leave ends the conversation but keeps
	// the chat for what the contact center still asks (a survey).
	End()
	Leave()
	// Close hides the window.
	Close()
	// Restart starts a new chat: after the end, or to try again while
	// the contact center is closed.
	Restart()
	// SubmitForm answers a form request with the values the form checked,
	// and reports whether the answer went; DeclineForm says no to it.
	SubmitForm(request protocol.ID, values map[string]string) bool
	DeclineForm(request protocol.ID)
	// RequestCall asks the agent for a call, with the visitor's camera
	// when video; AcceptCall answers the ringing call likewise;
	// DeclineCall declines it; HangUp ends the call, or takes the request
	// back.
	RequestCall(video bool)
	AcceptCall(video bool)
	DeclineCall()
	HangUp()
	// SetMuted turns the visitor's microphone off or on again; SetCamera
	// their camera on or off.
	SetMuted(muted bool)
	SetCamera(on bool)
}

// on is an event handler that does f with a, when the window has Actions.
func on(a Actions, f func(Actions)) app.EventHandler {
	return func(app.Context, app.Event) {
		if a != nil {
			f(a)
		}
	}
}
