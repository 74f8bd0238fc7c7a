package live

import (
	"github.com/parleychat/parley/protocol"
	"github.com/parleychat/parley/widget"
)

// schema finds the form a request names in the widget configuration: by
// name, or by id for a secure form; in the visitor's language.
func (c *Chat) schema(f *widget.FormRequest) (protocol.Form, bool) {
	lang := c.words.lang
	if lang == "" {
		lang = "en"
	}
	for _, wf := range c.config.Definition.Forms {
		if (f.Secure && wf.ID == f.ID) || (!f.Secure && f.Name != "" && wf.Name == f.Name) {
			form, err := wf.In(lang).Form()
			return form, err == nil
		}
	}
	return protocol.Form{}, false
}

// expired says whether a form's time is up, by the server's clock, which
// set it.
func (c *Chat) expired(f *widget.FormRequest) bool {
	return !f.Expires.IsZero() && !c.serverNow().Before(f.Expires)
}

// formViews are the chat's form requests as their cards show them.
func (c *Chat) formViews() map[protocol.ID]widget.FormView {
	views := make(map[protocol.ID]widget.FormView, len(c.transcript.Forms))
	for id, f := range c.transcript.Forms {
		form, known := c.schema(f)
		views[id] = widget.FormView{Request: *f, Form: form, Known: known, Loaded: c.configLoaded, Expired: c.expired(f)}
	}
	return views
}

// answerUnknownForms answers a request for a form the configuration does
// not have as Bright Pattern's web client does: chat_session_form_data
// whose data is "Form not found" (a secure form is declined).
func (c *Chat) answerUnknownForms() {
	if !c.configLoaded || c.session == nil || c.transcript.State.Over() {
		return
	}
	// In the order they were asked, so the answers are too.
	for _, l := range c.transcript.Lines {
		f := c.transcript.Forms[l.Form]
		if l.Form.IsZero() || f == nil || f.Answered || (f.Name == "" && !f.Secure) || c.expired(f) {
			continue
		}
		if _, ok := c.schema(f); ok {
			continue
		}
		var answer protocol.Event = &protocol.FormData{FormRequestID: f.RequestID, FormName: f.Name, Data: protocol.FormValues{Note: protocol.FormNotFound}}
		if f.Secure {
			answer = &protocol.SecureFormCancel{FormRequestID: f.RequestID, FormName: f.Name}
		}
		if c.session.Send(answer) == nil {
			f.Answered = true
		}
	}
}

// freeTextRequest is the form that wants the next message, if any.
func (c *Chat) freeTextRequest() protocol.ID {
	for _, l := range c.transcript.Lines {
		if f := c.transcript.Forms[l.Form]; f != nil && f.Name == "" && !f.Secure && !f.Answered && !c.expired(f) {
			return f.RequestID
		}
	}
	return protocol.ID{}
}

// SubmitForm sends the visitor's answer to a form, which the form checked
// with the same rules the server uses.
func (c *Chat) SubmitForm(request protocol.ID, values map[string]string) bool {
	f := c.transcript.Forms[request]
	if f == nil || c.session == nil {
		return false
	}
	var e protocol.Event = &protocol.FormData{FormRequestID: f.RequestID, FormName: f.Name, Data: protocol.FormValues{Fields: values}}
	if f.Secure {
		e = &protocol.SecureFormData{FormRequestID: f.RequestID, FormName: f.Name, Data: protocol.FormValues{Fields: values}}
	}
	if c.session.Send(e) != nil {
		return false
	}
	f.Answered, f.NotSent = true, false
	return true
}

// DeclineForm says no to a form: a secure form is cancelled; a survey
// after the visitor left ends the chat; any other form is only put away.
func (c *Chat) DeclineForm(request protocol.ID) {
	f := c.transcript.Forms[request]
	if f == nil || c.session == nil {
		return
	}
	switch {
	case f.Secure:
		_ = c.session.Send(&protocol.SecureFormCancel{FormRequestID: f.RequestID, FormName: f.Name})
	case c.transcript.Left:
		_ = c.session.Send(&protocol.End{})
	}
}
