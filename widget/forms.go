package widget

import (
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/parleychat/parley/protocol"
)

// formState is what the visitor entered in a form and what is wrong with it.
type formState struct {
	values   map[string]string
	problems map[string]protocol.Problem
	declined bool
}

func (c *Chat) formState(id protocol.ID, form protocol.Form) *formState {
	if c.forms == nil {
		c.forms = map[protocol.ID]*formState{}
	}
	s, ok := c.forms[id]
	if !ok {
		s = &formState{values: map[string]string{}}
		for _, f := range form.Fields {
			if f.Default != "" {
				s.values[f.Name] = f.Default
			}
		}
		c.forms[id] = s
	}
	return s
}

// schema finds the form a request names in the widget configuration: by
// name, or by id for a secure form; in the visitor's language.
func (c *Chat) schema(f *FormRequest) (protocol.Form, bool) {
	for _, wf := range c.config.Definition.Forms {
		if (f.Secure && wf.ID == f.ID) || (!f.Secure && f.Name != "" && wf.Name == f.Name) {
			form, err := wf.In(c.langOrDefault()).Form()
			return form, err == nil
		}
	}
	return protocol.Form{}, false
}

// expired says whether a form's time is up, by the server's clock, which
// set it.
func (c *Chat) expired(f *FormRequest) bool {
	return !f.Expires.IsZero() && !c.serverNow().Before(f.Expires)
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

// renderForm draws a form the contact center asked for, where it asked.
func (c *Chat) renderForm(tx *Texts, l Line) app.UI {
	f := c.transcript.Forms[l.Form]
	if f.Name == "" && !f.Secure {
		if f.Answered || c.expired(f) {
			return app.Text("")
		}
		return app.Li().Class("parley-line parley-system").DataSet("testid", "form-question").Text(tx.AnswerHere)
	}
	form, known := c.schema(f)
	card := app.Li().Class("parley-line parley-form").DataSet("testid", "form").DataSet("form-name", f.Name).DataSet("request-id", f.RequestID.String())
	state := c.formState(f.RequestID, form)
	title := firstNonEmpty(form.Title, f.Name)
	switch {
	case !known && c.configLoaded:
		return card.DataSet("form-state", "missing").Body(app.P().Class("parley-form-status").Text(tx.FormMissing))
	case !known:
		return card.DataSet("form-state", "loading").Body(app.P().Class("parley-form-status").Text("…"))
	case state.declined:
		return card.DataSet("form-state", "declined").Body(app.H2().Class("parley-form-title").Text(title), app.P().Class("parley-form-status").Text(tx.FormDeclined))
	case f.Answered:
		return card.DataSet("form-state", "sent").Body(app.H2().Class("parley-form-title").Text(title), app.P().Class("parley-form-status").Text(tx.FormSent))
	case f.NotSent:
		return card.DataSet("form-state", "not-sent").Body(app.H2().Class("parley-form-title").Text(title), app.P().Class("parley-form-status").Text(tx.FormNotSent))
	case c.expired(f) || c.transcript.State.Over():
		return card.DataSet("form-state", "expired").Body(app.H2().Class("parley-form-title").Text(title), app.P().Class("parley-form-status").Text(tx.FormExpired))
	}
	titleID := fieldID(f.RequestID, "title")
	return card.DataSet("form-state", "open").Body(
		app.Form().
			Class("parley-form-card").
			Aria("labelledby", titleID).
			NoValidate(true).
			OnSubmit(func(ctx app.Context, e app.Event) {
				e.PreventDefault()
				c.submitForm(f, form, state)
			}).
			Body(
				app.H2().ID(titleID).Class("parley-form-title").Text(title),
				app.Range(form.Fields).Slice(func(i int) app.UI {
					return c.renderField(tx, f.RequestID, form.Fields[i], state)
				}),
				app.Div().Class("parley-form-actions").Body(
					app.Button().Type("submit").Class("parley-button parley-primary").DataSet("testid", "form-submit").Text(firstNonEmpty(form.SubmitLabel, tx.Submit)),
					app.If(form.CancelLabel != "" || f.Secure, func() app.UI {
						return app.Button().Type("button").Class("parley-button").DataSet("testid", "form-cancel").
							OnClick(func(app.Context, app.Event) { c.declineForm(f) }).
							Text(firstNonEmpty(form.CancelLabel, tx.Cancel))
					}),
				),
			),
	)
}

// fieldID names a form element; request ids and field names come from the
// network, so only letters, digits and dashes of them are kept.
func fieldID(request protocol.ID, name string) string {
	clean := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
				return r
			}
			return '_'
		}, s)
	}
	return "parley-form-" + clean(request.String()) + "-" + clean(name)
}

// renderField draws one field with its label and, once the visitor tried
// to send, what is wrong with it.
func (c *Chat) renderField(tx *Texts, request protocol.ID, field protocol.Field, state *formState) app.UI {
	if field.Type == protocol.FieldLabel {
		return app.P().Class("parley-form-label").Text(field.Label)
	}
	id := fieldID(request, field.Name)
	errID := id + "-error"
	problem := state.problems[field.Name]
	value := state.values[field.Name]
	set := func(v string) { state.values[field.Name] = v }
	// What the visitor types stays the browser's: the fields show their
	// default and are never written again. Writing back the value kept in
	// Go would, now and then, put back a value some keystrokes old, and
	// scramble the typing.
	typed := field.Default
	label := fieldLabel(field)
	var control app.UI
	switch field.Type {
	case protocol.FieldTextarea:
		rows := field.Rows
		if rows <= 0 {
			rows = 3
		}
		control = app.Textarea().ID(id).Rows(rows).Text(typed).Required(field.Required).Placeholder(field.Placeholder).
			Aria("invalid", problem != "").Aria("describedby", errID).DataSet("field", field.Name).
			OnInput(func(ctx app.Context, e app.Event) { set(ctx.JSSrc().Get("value").String()) })
	case protocol.FieldSelect:
		control = app.Select().ID(id).Required(field.Required).Aria("invalid", problem != "").Aria("describedby", errID).DataSet("field", field.Name).
			OnChange(func(ctx app.Context, e app.Event) { set(ctx.JSSrc().Get("value").String()) }).
			Body(
				app.Option().Value("").Text(tx.Choose),
				app.Range(field.Options).Slice(func(i int) app.UI {
					o := field.Options[i]
					return app.Option().Value(o.Value).Selected(o.Value == value).Text(o.Label)
				}),
			)
	case protocol.FieldRadio:
		return app.FieldSet().Class("parley-field").DataSet("field", field.Name).Aria("describedby", errID).Body(
			app.Legend().Body(label...),
			app.Range(field.Options).Slice(func(i int) app.UI {
				o := field.Options[i]
				optID := id + "-" + strconv.Itoa(i)
				return app.Label().For(optID).Class("parley-choice").Body(
					app.Input().ID(optID).Type("radio").Name(id).Value(o.Value).Checked(o.Value == value).
						OnChange(func(app.Context, app.Event) { set(o.Value) }),
					app.Span().Text(o.Label),
				)
			}),
			fieldProblem(tx, errID, problem),
		)
	case protocol.FieldCheckbox:
		return app.Div().Class("parley-field").DataSet("field", field.Name).Body(
			app.Label().For(id).Class("parley-choice").Body(
				app.Input().ID(id).Type("checkbox").Checked(value == protocol.Checked).Aria("describedby", errID).
					OnChange(func(ctx app.Context, e app.Event) {
						set(map[bool]string{true: protocol.Checked, false: protocol.Unchecked}[ctx.JSSrc().Get("checked").Bool()])
					}),
				app.Span().Body(label...),
			),
			fieldProblem(tx, errID, problem),
		)
	default:
		input := app.Input().ID(id).Type(inputType(field.Type)).Value(typed).Required(field.Required).Placeholder(field.Placeholder).
			Aria("invalid", problem != "").Aria("describedby", errID).DataSet("field", field.Name).
			OnInput(func(ctx app.Context, e app.Event) { set(ctx.JSSrc().Get("value").String()) })
		if field.Type == protocol.FieldNumber {
			if field.Min != nil {
				input = input.Min(strconv.FormatFloat(*field.Min, 'g', -1, 64))
			}
			if field.Max != nil {
				input = input.Max(strconv.FormatFloat(*field.Max, 'g', -1, 64))
			}
		}
		control = input
	}
	return app.Div().Class("parley-field").Body(
		app.Label().For(id).Body(label...),
		control,
		fieldProblem(tx, errID, problem),
	)
}

// fieldLabel is a field's label and, for a required field, its mark. The
// label keeps its own direction and the mark follows it in the window's:
// after the label, whichever side that is, even for an English label in a
// right-to-left window. Screen readers hear "required" from the control
// itself, not a star.
func fieldLabel(field protocol.Field) []app.UI {
	label := []app.UI{app.Span().Class("parley-label-text").Text(field.Label)}
	if field.Required {
		label = append(label, app.Span().Class("parley-required").Aria("hidden", "true").Text("*"))
	}
	return label
}

func fieldProblem(tx *Texts, id string, p protocol.Problem) app.UI {
	text := ""
	if p != "" {
		text = firstNonEmpty(tx.Problems[p], english.Problems[p])
	}
	return app.P().ID(id).Class("parley-field-error").DataSet("testid", "field-error").Text(text)
}

func inputType(t protocol.FieldType) string {
	switch t {
	case protocol.FieldEmail:
		return "email"
	case protocol.FieldPhone:
		return "tel"
	case protocol.FieldNumber:
		return "number"
	case protocol.FieldDate:
		return "date"
	}
	return "text"
}

// submitForm checks the answer with the same rules the server uses, and
// sends it when it passes.
func (c *Chat) submitForm(f *FormRequest, form protocol.Form, state *formState) {
	answer := map[string]string{}
	for _, field := range form.Fields {
		if v, ok := state.values[field.Name]; ok && field.Type != protocol.FieldLabel && v != "" {
			answer[field.Name] = v
		}
	}
	state.problems = map[string]protocol.Problem{}
	for _, p := range form.Validate(answer) {
		state.problems[p.Field] = p.Problem
	}
	if len(state.problems) > 0 {
		for _, field := range form.Fields {
			if state.problems[field.Name] != "" {
				focus(fieldID(f.RequestID, field.Name))
				break
			}
		}
		return
	}
	var e protocol.Event = &protocol.FormData{FormRequestID: f.RequestID, FormName: f.Name, Data: protocol.FormValues{Fields: answer}}
	if f.Secure {
		e = &protocol.SecureFormData{FormRequestID: f.RequestID, FormName: f.Name, Data: protocol.FormValues{Fields: answer}}
	}
	if c.session != nil && c.session.Send(e) == nil {
		f.Answered, f.NotSent = true, false
	}
}

// declineForm says no to a form: a secure form is cancelled; a survey after
// the visitor left ends the chat; any other form is only put away.
func (c *Chat) declineForm(f *FormRequest) {
	c.formState(f.RequestID, protocol.Form{}).declined = true
	if c.session == nil {
		return
	}
	switch {
	case f.Secure:
		_ = c.session.Send(&protocol.SecureFormCancel{FormRequestID: f.RequestID, FormName: f.Name})
	case c.transcript.Left:
		_ = c.session.Send(&protocol.End{})
	}
}
