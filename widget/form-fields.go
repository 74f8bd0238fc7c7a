package widget

import (
	"strconv"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/parleychat/parley/protocol"
)

// formField draws one field of a form with its label and, once the visitor
// tried to send, what is wrong with it (problem); set keeps what the
// visitor enters.
func formField(tx *Texts, request protocol.ID, field protocol.Field, value string, problem protocol.Problem, set func(string)) app.UI {
	if field.Type == protocol.FieldLabel {
		return app.P().Class("parley-form-label").Text(field.Label)
	}
	id := fieldID(request, field.Name)
	errID := id + "-error"
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
