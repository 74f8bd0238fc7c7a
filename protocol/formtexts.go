package protocol

import (
	"strconv"
	"strings"
)

// WidgetFormTexts are a form's words in one language, a Parley extension
// of the widget configuration: what it leaves out keeps the form's own
// words.
//
//	"parleyTexts": {"de": {"title": "Bevor wir beginnen",
//	  "fields": {"first_name": {"label": "Ihr Name"},
//	             "topic": {"label": "Thema", "options": {"order": "Eine Bestellung"}}}}}
type WidgetFormTexts struct {
	Title            string `json:"title,omitempty"`
	SubmitButtonText string `json:"submitButtonText,omitempty"`
	CancelButtonText string `json:"cancelButtonText,omitempty"`
	// Fields are the fields' words by field name; a label field, which
	// has no name, by its place in the form, counted from 0.
	Fields map[string]WidgetFieldTexts `json:"fields,omitempty"`
}

// WidgetFieldTexts are a field's words in one language.
type WidgetFieldTexts struct {
	Label       string `json:"label,omitempty"`
	Placeholder string `json:"placeholder,omitempty"`
	// Options are the choices' labels by their value.
	Options map[string]string `json:"options,omitempty"`
}

// In returns the form in the language of a BCP 47 tag such as "de-AT": the
// words the form has for it ("de-AT", else "de"), over its own. Names,
// values and rules stay the same in every language, so an answer is the
// same whatever the visitor read.
func (w WidgetForm) In(lang string) WidgetForm {
	lang = strings.ToLower(strings.TrimSpace(lang))
	tx, ok := w.Texts[lang]
	if base, _, _ := strings.Cut(lang, "-"); !ok {
		tx, ok = w.Texts[base]
	}
	if !ok {
		return w
	}
	w.Title = or(tx.Title, w.Title)
	w.SubmitButtonText = or(tx.SubmitButtonText, w.SubmitButtonText)
	w.CancelButtonText = or(tx.CancelButtonText, w.CancelButtonText)
	fields := make([]WidgetField, len(w.Fields))
	for i, f := range w.Fields {
		key := f.Name
		if key == "" {
			key = strconv.Itoa(i)
		}
		ft := tx.Fields[key]
		f.Label = or(ft.Label, f.Label)
		f.Placeholder = or(ft.Placeholder, f.Placeholder)
		if len(ft.Options) > 0 {
			options := make([]WidgetOption, len(f.Options))
			for j, o := range f.Options {
				o.Label = or(ft.Options[o.Value], o.Label)
				options[j] = o
			}
			f.Options = options
		}
		fields[i] = f
	}
	w.Fields = fields
	return w
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
