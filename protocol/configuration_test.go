package protocol_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/parleychat/parley/protocol"
)

// brightPatternConfiguration is a widget configuration in the shape the web
// client reads (API notes §2.13), with one field of every formFieldType a
// chat client can render.
const brightPatternConfiguration = `{
  "definition": {
    "chatWidgetStyling": {"title": "Chat", "showAgentPic": "show", "videoCallEnabled": true},
    "preChat": {"title": "Hi"},
    "forms": [
      {
        "id": "f-1",
        "name": "MobileChatCustomerData",
        "title": "Before we start",
        "submitButtonText": "Start chat",
        "cancelButtonText": "Cancel",
        "fields": [
          {"formFieldType": "label", "label": "Tell us who you are"},
          {"formFieldType": "callback_phone", "name": "callback", "label": "Call me back on", "required": true},
          {"formFieldType": "phone", "name": "phone", "label": "Phone"},
          {"formFieldType": "email", "name": "email", "label": "E-mail", "required": true, "pattern": ".*@example\\.com"},
          {"formFieldType": "name", "name": "first_name", "label": "First name", "required": true, "placeholder": "Ada"},
          {"formFieldType": "text", "name": "order", "label": "Order number", "defaultValue": "ORD-"},
          {"formFieldType": "date", "name": "since", "label": "Customer since"},
          {"formFieldType": "multiline_text", "name": "question", "label": "Question", "options": [4]},
          {"formFieldType": "numerical_range_slider", "name": "rating", "label": "Rating", "minValue": 1, "maxValue": 10},
          {"formFieldType": "radio_buttons", "name": "size", "label": "Size", "options": ["S", "M", "L"]},
          {"formFieldType": "selection_list", "name": "topic", "label": "Topic", "options": ["Billing", "Sales"]}
        ]
      },
      {
        "name": "survey_form",
        "fields": [
          {"formFieldType": "checkbox", "name": "agree", "label": "I agree", "required": true},
          {"formFieldType": "number", "name": "age", "minValue": 18},
          {"formFieldType": "select", "name": "colour", "options": [{"value": "r", "label": "Red"}, {"value": "b"}, "g"]},
          {"formFieldType": "textarea", "name": "notes"},
          {"formFieldType": "radio", "name": "yes_no", "options": ["yes", "no"]}
        ]
      },
      {"name": "broken", "fields": [{"formFieldType": "captcha", "name": "captcha"}]}
    ]
  }
}`

func decodeConfiguration(t *testing.T) protocol.WidgetConfiguration {
	t.Helper()
	var c protocol.WidgetConfiguration
	if err := json.Unmarshal([]byte(brightPatternConfiguration), &c); err != nil {
		t.Fatalf("Unmarshal: %v", err)
	}
	return c
}

func TestWidgetConfigurationDecodes(t *testing.T) {
	t.Parallel()
	c := decodeConfiguration(t)
	tests := []struct {
		name      string
		got, want any
	}{
		{"title", c.Definition.ChatWidgetStyling.Title, "Chat"},
		{"agent picture", c.Definition.ChatWidgetStyling.ShowAgentPic, "show"},
		{"video", c.Definition.ChatWidgetStyling.VideoCallEnabled, true},
		{"pre-chat title", c.Definition.PreChat.Title, "Hi"},
		{"forms", len(c.Definition.Forms), 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got, want := tc.got, tc.want; got != want {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
}

func TestWidgetFormFromBrightPattern(t *testing.T) {
	t.Parallel()
	form, found, err := decodeConfiguration(t).Form("MobileChatCustomerData")
	if err != nil || !found {
		t.Fatalf("Form = found %v, %v; want the form", found, err)
	}
	head := []struct {
		name      string
		got, want string
	}{
		{"id", form.ID, "f-1"},
		{"name", form.Name, "MobileChatCustomerData"},
		{"title", form.Title, "Before we start"},
		{"submit", form.SubmitLabel, "Start chat"},
		{"cancel", form.CancelLabel, "Cancel"},
	}
	for _, tc := range head {
		if got, want := tc.got, tc.want; got != want {
			t.Errorf("%s = %q, want %q", tc.name, got, want)
		}
	}
	want := []protocol.Field{
		{Type: protocol.FieldLabel, Label: "Tell us who you are"},
		{Name: "callback", Label: "Call me back on", Type: protocol.FieldPhone, Required: true},
		{Name: "phone", Label: "Phone", Type: protocol.FieldPhone},
		{Name: "email", Label: "E-mail", Type: protocol.FieldEmail, Required: true, Pattern: `.*@example\.com`},
		{Name: "first_name", Label: "First name", Type: protocol.FieldText, Required: true, Placeholder: "Ada"},
		{Name: "order", Label: "Order number", Type: protocol.FieldText, Default: "ORD-"},
		{Name: "since", Label: "Customer since", Type: protocol.FieldDate},
		{Name: "question", Label: "Question", Type: protocol.FieldTextarea, Rows: 4},
		{Name: "rating", Label: "Rating", Type: protocol.FieldNumber, Min: ptr(1), Max: ptr(10)},
		{Name: "size", Label: "Size", Type: protocol.FieldRadio, Options: []protocol.Option{{Value: "S", Label: "S"}, {Value: "M", Label: "M"}, {Value: "L", Label: "L"}}},
		{Name: "topic", Label: "Topic", Type: protocol.FieldSelect, Options: []protocol.Option{{Value: "Billing", Label: "Billing"}, {Value: "Sales", Label: "Sales"}}},
	}
	if got, want := len(form.Fields), len(want); got != want {
		t.Fatalf("%d fields, want %d", got, want)
	}
	for i, w := range want {
		t.Run(w.Name+"/"+string(w.Type), func(t *testing.T) {
			t.Parallel()
			if got, want := form.Fields[i], w; !reflect.DeepEqual(got, want) {
				t.Errorf("field %d\n got %+v\nwant %+v", i, got, want)
			}
		})
	}
}

func TestWidgetFormParleyExtensions(t *testing.T) {
	t.Parallel()
	form, found, err := decodeConfiguration(t).Form("survey_form")
	if err != nil || !found {
		t.Fatalf("Form = found %v, %v; want the form", found, err)
	}
	want := []protocol.Field{
		{Name: "agree", Label: "I agree", Type: protocol.FieldCheckbox, Required: true},
		{Name: "age", Type: protocol.FieldNumber, Min: ptr(18)},
		{Name: "colour", Type: protocol.FieldSelect, Options: []protocol.Option{{Value: "r", Label: "Red"}, {Value: "b", Label: "b"}, {Value: "g", Label: "g"}}},
		{Name: "notes", Type: protocol.FieldTextarea},
		{Name: "yes_no", Type: protocol.FieldRadio, Options: []protocol.Option{{Value: "yes", Label: "yes"}, {Value: "no", Label: "no"}}},
	}
	if got, want := len(form.Fields), len(want); got != want {
		t.Fatalf("%d fields, want %d", got, want)
	}
	for i, w := range want {
		t.Run(w.Name, func(t *testing.T) {
			t.Parallel()
			if got, want := form.Fields[i], w; !reflect.DeepEqual(got, want) {
				t.Errorf("field %d\n got %+v\nwant %+v", i, got, want)
			}
		})
	}
}

func TestWidgetFormRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		fields []protocol.WidgetField
	}{
		{"captcha", []protocol.WidgetField{{FormFieldType: "captcha", Name: "c"}}},
		{"contact button", []protocol.WidgetField{{FormFieldType: "contact_button", Name: "b", Label: "Call us"}}},
		{"unknown type", []protocol.WidgetField{{FormFieldType: "signature", Name: "s"}}},
		{"empty type", []protocol.WidgetField{{Name: "s"}}},
		{"type names are case-sensitive", []protocol.WidgetField{{FormFieldType: "Email", Name: "e"}}},
		{"missing name", []protocol.WidgetField{{FormFieldType: "text", Label: "Name"}}},
		{"select without options", []protocol.WidgetField{{FormFieldType: "selection_list", Name: "topic"}}},
		{"radio without options", []protocol.WidgetField{{FormFieldType: "radio_buttons", Name: "size"}}},
		{"duplicate names", []protocol.WidgetField{{FormFieldType: "text", Name: "n"}, {FormFieldType: "email", Name: "n"}}},
		{"bad pattern", []protocol.WidgetField{{FormFieldType: "text", Name: "n", Pattern: `([a-z]`}}},
		{"Perl-only pattern", []protocol.WidgetField{{FormFieldType: "text", Name: "n", Pattern: `(?=a)a`}}},
		{"a bad field after good ones", []protocol.WidgetField{{FormFieldType: "label", Label: "x"}, {FormFieldType: "text", Name: "a"}, {FormFieldType: "captcha", Name: "c"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, err := protocol.WidgetForm{Name: "F", Fields: tc.fields}.Form()
			if err == nil {
				t.Errorf("Form() = %+v, want an error", f)
			}
		})
	}
}

func TestWidgetFormAllowsSeveralLabels(t *testing.T) {
	t.Parallel()
	f, err := protocol.WidgetForm{Name: "F", Fields: []protocol.WidgetField{
		{FormFieldType: "label", Label: "One"}, {FormFieldType: "label", Label: "Two"},
	}}.Form()
	if err != nil {
		t.Fatalf("Form(): %v", err)
	}
	if got, want := len(f.Fields), 2; got != want {
		t.Errorf("%d fields, want %d", got, want)
	}
}

// everyFieldForm has a field of every FieldType, as a server would build it.
var everyFieldForm = protocol.Form{
	ID: "f-9", Name: "everything", Title: "All of it", SubmitLabel: "Send", CancelLabel: "Skip",
	Fields: []protocol.Field{
		{Type: protocol.FieldLabel, Label: "Intro"},
		{Name: "t", Label: "Text", Type: protocol.FieldText, Required: true, Min: ptr(2), Max: ptr(40), Pattern: `[A-Za-z ]+`, Default: "Ada", Placeholder: "Your name"},
		{Name: "e", Label: "E-mail", Type: protocol.FieldEmail},
		{Name: "p", Label: "Phone", Type: protocol.FieldPhone},
		{Name: "n", Label: "Number", Type: protocol.FieldNumber, Min: ptr(0), Max: ptr(5)},
		{Name: "ta", Label: "Notes", Type: protocol.FieldTextarea, Rows: 6},
		{Name: "s", Label: "Select", Type: protocol.FieldSelect, Options: []protocol.Option{{Value: "r", Label: "Red"}, {Value: "b", Label: "b"}}},
		{Name: "r", Label: "Radio", Type: protocol.FieldRadio, Options: []protocol.Option{{Value: "y", Label: "Yes"}, {Value: "n", Label: "No"}}},
		{Name: "c", Label: "Check", Type: protocol.FieldCheckbox, Required: true},
		{Name: "d", Label: "Date", Type: protocol.FieldDate},
	},
}

func TestFormWidgetFormRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// viaJSON sends the widget form through JSON, as a server serving
		// the configuration does.
		viaJSON bool
	}{
		{"in memory", false},
		{"through JSON", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := everyFieldForm.WidgetForm()
			if tc.viaJSON {
				data, err := json.Marshal(w)
				if err != nil {
					t.Fatalf("Marshal: %v", err)
				}
				w = protocol.WidgetForm{}
				if err := json.Unmarshal(data, &w); err != nil {
					t.Fatalf("Unmarshal(%s): %v", data, err)
				}
			}
			got, err := w.Form()
			if err != nil {
				t.Fatalf("Form(): %v", err)
			}
			if want := everyFieldForm; !reflect.DeepEqual(got, want) {
				t.Errorf("round trip\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

// TestWidgetFormWritesBrightPatternNames matters because a Bright Pattern
// web client reading Parley's configuration knows only its own names.
func TestWidgetFormWritesBrightPatternNames(t *testing.T) {
	t.Parallel()
	w := everyFieldForm.WidgetForm()
	want := map[string]string{
		"": "label", "t": "text", "e": "email", "p": "phone", "n": "number",
		"ta": "multiline_text", "s": "selection_list", "r": "radio_buttons", "c": "checkbox", "d": "date",
	}
	for _, f := range w.Fields {
		t.Run(f.FormFieldType, func(t *testing.T) {
			t.Parallel()
			if got, want := f.FormFieldType, want[f.Name]; got != want {
				t.Errorf("field %q is written as %q, want %q", f.Name, got, want)
			}
		})
	}
}

func TestWidgetConfigurationForm(t *testing.T) {
	t.Parallel()
	c := decodeConfiguration(t)
	tests := []struct {
		name    string
		form    string
		found   bool
		wantErr bool
	}{
		{"found", "MobileChatCustomerData", true, false},
		{"found extension form", "survey_form", true, false},
		{"not found", "chat_unavailable_form", false, false},
		{"names are exact", "mobilechatcustomerdata", false, false},
		{"next message form has no definition", "", false, false},
		{"found but unusable", "broken", true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, found, err := c.Form(tc.form)
			if got, want := found, tc.found; got != want {
				t.Errorf("Form(%q) found = %v, want %v", tc.form, got, want)
			}
			if got, want := err != nil, tc.wantErr; got != want {
				t.Errorf("Form(%q) error = %v, want an error: %v", tc.form, err, want)
			}
			if found && err == nil {
				if got, want := f.Name, tc.form; got != want {
					t.Errorf("Form(%q).Name = %q", tc.form, got)
				}
			}
		})
	}
}

func TestWidgetOptionEncodes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		option protocol.WidgetOption
		want   string
	}{
		{"value is the label", protocol.WidgetOption{Value: "Sales", Label: "Sales"}, `"Sales"`},
		{"no label", protocol.WidgetOption{Value: "Sales"}, `"Sales"`},
		{"different label", protocol.WidgetOption{Value: "r", Label: "Red"}, `{"value":"r","label":"Red"}`},
		{"row count", protocol.WidgetOption{Value: "4", Label: "4"}, `"4"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			data, err := json.Marshal(tc.option)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if got, want := string(data), tc.want; got != want {
				t.Errorf("Marshal = %s, want %s", got, want)
			}
		})
	}
}

func TestWidgetOptionDecodes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		json    string
		want    protocol.WidgetOption
		wantErr bool
	}{
		{"string", `"Sales"`, protocol.WidgetOption{Value: "Sales", Label: "Sales"}, false},
		{"number, as multiline_text rows", `4`, protocol.WidgetOption{Value: "4", Label: "4"}, false},
		{"object", `{"value":"r","label":"Red"}`, protocol.WidgetOption{Value: "r", Label: "Red"}, false},
		{"object without a label", `{"value":"r"}`, protocol.WidgetOption{Value: "r", Label: "r"}, false},
		{"array", `["r"]`, protocol.WidgetOption{}, true},
		{"object with a number value", `{"value":1}`, protocol.WidgetOption{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got protocol.WidgetOption
			err := json.Unmarshal([]byte(tc.json), &got)
			if got, want := err != nil, tc.wantErr; got != want {
				t.Fatalf("Unmarshal(%s) error = %v, want an error: %v", tc.json, err, want)
			}
			if got, want := got, tc.want; got != want {
				t.Errorf("Unmarshal(%s) = %+v, want %+v", tc.json, got, want)
			}
		})
	}
}
