package widget

import (
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/parleychat/parley/protocol"
)

// FormView is a form request as its card shows it.
type FormView struct {
	Request FormRequest
	// Form is the configuration's form for the request, in the visitor's
	// language; Known says the configuration has it, Loaded that the
	// configuration came.
	Form          protocol.Form
	Known, Loaded bool
	// Expired says the form's time is up, by the server's clock.
	Expired bool
}

// FormCard draws a form the contact center asked for, where it asked:
// while it is open, its fields, what is wrong with them once the visitor
// tried to send, and the buttons; then how it ended.
type FormCard struct {
	app.Compo

	Itexts   *Texts
	Iform    FormView
	Iover    bool
	Iactions Actions

	// request is the form the values are for; values are what the visitor
	// entered, problems what is wrong with them.
	request  protocol.ID
	values   map[string]string
	problems map[string]protocol.Problem
	declined bool
}

// NewFormCard returns a form card.
func NewFormCard() *FormCard { return &FormCard{} }

// Texts sets the words, English when nil.
func (c *FormCard) Texts(v *Texts) *FormCard { c.Itexts = v; return c }

// Form sets the form, and whether the chat is over, which closes it.
func (c *FormCard) Form(f FormView, over bool) *FormCard {
	c.Iform, c.Iover = f, over
	return c
}

// Actions sets who sends the answer.
func (c *FormCard) Actions(v Actions) *FormCard { c.Iactions = v; return c }

// entered is what the visitor entered in the card's form, starting from
// its defaults; another request starts afresh.
func (c *FormCard) entered() map[string]string {
	if c.request != c.Iform.Request.RequestID || (c.values == nil && c.Iform.Known) {
		c.request, c.problems, c.declined = c.Iform.Request.RequestID, nil, false
		c.values = map[string]string{}
		for _, f := range c.Iform.Form.Fields {
			if f.Default != "" {
				c.values[f.Name] = f.Default
			}
		}
	}
	return c.values
}

// Render draws the card.
func (c *FormCard) Render() app.UI {
	tx, f, r := textsOr(c.Itexts), c.Iform, c.Iform.Request
	values := c.entered()
	card := app.Li().Class("parley-line parley-form").DataSet("testid", "form").DataSet("form-name", r.Name).DataSet("request-id", r.RequestID.String())
	title := firstNonEmpty(f.Form.Title, r.Name)
	ended := func(state, status string) app.UI {
		return card.DataSet("form-state", state).Body(app.H2().Class("parley-form-title").Text(title), app.P().Class("parley-form-status").Text(status))
	}
	switch {
	case !f.Known && f.Loaded:
		return card.DataSet("form-state", "missing").Body(app.P().Class("parley-form-status").Text(tx.FormMissing))
	case !f.Known:
		return card.DataSet("form-state", "loading").Body(app.P().Class("parley-form-status").Text("…"))
	case c.declined:
		return ended("declined", tx.FormDeclined)
	case r.Answered:
		return ended("sent", tx.FormSent)
	case r.NotSent:
		return ended("not-sent", tx.FormNotSent)
	case f.Expired || c.Iover:
		return ended("expired", tx.FormExpired)
	}
	titleID := fieldID(r.RequestID, "title")
	return card.DataSet("form-state", "open").Body(
		app.Form().
			Class("parley-form-card").
			Aria("labelledby", titleID).
			NoValidate(true).
			OnSubmit(func(ctx app.Context, e app.Event) {
				e.PreventDefault()
				c.submit()
			}).
			Body(
				app.H2().ID(titleID).Class("parley-form-title").Text(title),
				app.Range(f.Form.Fields).Slice(func(i int) app.UI {
					field := f.Form.Fields[i]
					return formField(tx, r.RequestID, field, values[field.Name], c.problems[field.Name], func(v string) { values[field.Name] = v })
				}),
				app.Div().Class("parley-form-actions").Body(
					app.Button().Type("submit").Class("parley-button parley-primary").DataSet("testid", "form-submit").Text(firstNonEmpty(f.Form.SubmitLabel, tx.Submit)),
					app.If(f.Form.CancelLabel != "" || r.Secure, func() app.UI {
						return app.Button().Type("button").Class("parley-button").DataSet("testid", "form-cancel").
							OnClick(func(app.Context, app.Event) { c.decline() }).
							Text(firstNonEmpty(f.Form.CancelLabel, tx.Cancel))
					}),
				),
			),
	)
}

// submit checks the answer with the same rules the server uses, and sends
// it when it passes; else the focus goes to the first field that is wrong.
func (c *FormCard) submit() {
	form, values := c.Iform.Form, c.entered()
	answer := map[string]string{}
	for _, field := range form.Fields {
		if v, ok := values[field.Name]; ok && field.Type != protocol.FieldLabel && v != "" {
			answer[field.Name] = v
		}
	}
	c.problems = map[string]protocol.Problem{}
	for _, p := range form.Validate(answer) {
		c.problems[p.Field] = p.Problem
	}
	for _, field := range form.Fields {
		if c.problems[field.Name] != "" {
			focus(fieldID(c.Iform.Request.RequestID, field.Name))
			return
		}
	}
	if c.Iactions != nil {
		c.Iactions.SubmitForm(c.Iform.Request.RequestID, answer)
	}
}

// decline says no to the form.
func (c *FormCard) decline() {
	c.declined = true
	if c.Iactions != nil {
		c.Iactions.DeclineForm(c.Iform.Request.RequestID)
	}
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

func focus(id string) {
	if el := app.Window().GetElementByID(id); el.Truthy() {
		el.Call("focus")
	}
}
