package protocol_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/parleychat/parley/protocol"
)

func TestWidgetFormIn(t *testing.T) {
	t.Parallel()
	var form protocol.WidgetForm
	if err := json.Unmarshal([]byte(`{
		"name": "pre_chat", "title": "Before we start", "submitButtonText": "Start",
		"fields": [
			{"formFieldType": "label", "label": "Tell us a little."},
			{"formFieldType": "name", "name": "first_name", "label": "Your name", "required": true, "placeholder": "Ada"},
			{"formFieldType": "selection_list", "name": "topic", "label": "Topic", "options": [{"value": "order", "label": "An order"}, "other"]}
		],
		"parleyTexts": {
			"de": {"title": "Bevor wir beginnen", "fields": {
				"0": {"label": "Erzählen Sie uns etwas."},
				"first_name": {"label": "Ihr Name"},
				"topic": {"label": "Thema", "options": {"order": "Eine Bestellung"}}}},
			"de-ch": {"submitButtonText": "Los"}
		}}`), &form); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, lang                   string
		title, submit, label0, name1 string
		placeholder, topic, order    string
	}{
		{"English, the form's own words", "en", "Before we start", "Start", "Tell us a little.", "Your name", "Ada", "Topic", "An order"},
		{"German", "de", "Bevor wir beginnen", "Start", "Erzählen Sie uns etwas.", "Ihr Name", "Ada", "Thema", "Eine Bestellung"},
		{"German of Austria, by its base", "de-AT", "Bevor wir beginnen", "Start", "Erzählen Sie uns etwas.", "Ihr Name", "Ada", "Thema", "Eine Bestellung"},
		{"Swiss German, its own words only", "de-CH", "Before we start", "Los", "Tell us a little.", "Your name", "Ada", "Topic", "An order"},
		{"a language the form lacks", "ar", "Before we start", "Start", "Tell us a little.", "Your name", "Ada", "Topic", "An order"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, err := form.In(tc.lang).Form()
			if err != nil {
				t.Fatal(err)
			}
			got := []string{f.Title, f.SubmitLabel, f.Fields[0].Label, f.Fields[1].Label, f.Fields[1].Placeholder, f.Fields[2].Label, f.Fields[2].Options[0].Label}
			want := []string{tc.title, tc.submit, tc.label0, tc.name1, tc.placeholder, tc.topic, tc.order}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %q, want %q", got, want)
			}
			if f.Fields[1].Name != "first_name" || !f.Fields[1].Required || f.Fields[2].Options[0].Value != "order" || f.Fields[2].Options[1].Label != "other" {
				t.Errorf("names, rules or values changed with the language: %+v", f.Fields)
			}
		})
	}
	if form.Fields[1].Label != "Your name" {
		t.Error("In changed the form it was called on")
	}
}
