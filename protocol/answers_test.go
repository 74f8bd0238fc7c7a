package protocol_test

import (
	"strings"
	"testing"

	"github.com/parleychat/parley/protocol"
)

func TestCheckFormAnswer(t *testing.T) {
	t.Parallel()
	min2, max5 := 2.0, 5.0
	forms := []protocol.WidgetForm{
		{Name: "contact", Fields: []protocol.WidgetField{
			{FormFieldType: "name", Name: "name", Label: "Name", Required: true, MinValue: &min2},
			{FormFieldType: "email", Name: "email", Label: "Email"},
			{FormFieldType: "phone", Name: "phone", Label: "Phone"},
			{FormFieldType: "selection_list", Name: "topic", Label: "Topic", Required: true,
				Options: []protocol.WidgetOption{{Value: "order", Label: "An order"}, {Value: "other", Label: "Other"}}},
			{FormFieldType: "numerical_range_slider", Name: "stars", Label: "Stars", MinValue: new(1.0), MaxValue: &max5},
			{FormFieldType: "text", Name: "code", Label: "Code", Pattern: "[A-Z]{3}"},
			{FormFieldType: "checkbox", Name: "terms", Label: "Terms", Required: true},
			{FormFieldType: "date", Name: "day", Label: "Day"},
		}},
		{ID: "pay-1", Name: "payment", Fields: []protocol.WidgetField{
			{FormFieldType: "text", Name: "card", Label: "Card", Required: true, Pattern: "[0-9]{16}"},
		}},
	}
	show := &protocol.FormShow{FormRequestID: protocol.NumberID(7), FormName: "contact"}
	freeText := &protocol.FormShow{FormRequestID: protocol.NumberID(8)}
	unknown := &protocol.FormShow{FormRequestID: protocol.NumberID(9), FormName: "nobody-defines-it"}
	secure := &protocol.SecureFormShow{FormRequestID: protocol.TextID("s1"), FormID: "pay-1", FormName: "payment"}
	good := map[string]string{"name": "Ada", "topic": "order", "terms": "true"}
	with := func(changes map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range good {
			out[k] = v
		}
		for k, v := range changes {
			if v == "" {
				delete(out, k)
			} else {
				out[k] = v
			}
		}
		return out
	}
	data := func(id protocol.ID, name string, fields map[string]string) *protocol.FormData {
		return &protocol.FormData{FormRequestID: id, FormName: name, Data: protocol.FormValues{Fields: fields}}
	}
	cases := []struct {
		name   string
		asked  protocol.Event
		answer protocol.Event
		// refusal holds what the error must say; "" for an answer taken.
		refusal []string
	}{
		{"a good answer", show, data(show.FormRequestID, "contact", good), nil},
		{"a good answer without its form name", show, data(show.FormRequestID, "", good), nil},
		{"every field filled well", show, data(show.FormRequestID, "contact", with(map[string]string{
			"email": "ada@example.com", "phone": "+44 20 7946 0000", "stars": "4", "code": "ABC", "day": "2026-11-25"})), nil},
		{"a required field missing", show, data(show.FormRequestID, "contact", with(map[string]string{"name": ""})), []string{"name is required"}},
		{"a value that is not an option", show, data(show.FormRequestID, "contact", with(map[string]string{"topic": "<script>"})), []string{"topic is not one of its options"}},
		{"too short", show, data(show.FormRequestID, "contact", with(map[string]string{"name": "A"})), []string{"name is shorter than its minimum length"}},
		{"not an email", show, data(show.FormRequestID, "contact", with(map[string]string{"email": "ada"})), []string{"email is not an email address"}},
		{"not a phone", show, data(show.FormRequestID, "contact", with(map[string]string{"phone": "call me"})), []string{"phone is not a phone number"}},
		{"not a number", show, data(show.FormRequestID, "contact", with(map[string]string{"stars": "many"})), []string{"stars is not a number"}},
		{"out of range", show, data(show.FormRequestID, "contact", with(map[string]string{"stars": "1e9"})), []string{"stars is above its maximum"}},
		{"not the pattern", show, data(show.FormRequestID, "contact", with(map[string]string{"code": "abc"})), []string{"code does not match its pattern"}},
		{"a checkbox of another type", show, data(show.FormRequestID, "contact", with(map[string]string{"terms": "yes"})), []string{`terms is neither "true" nor "false"`}},
		{"not a date", show, data(show.FormRequestID, "contact", with(map[string]string{"day": "25/11/2026"})), []string{"day is not a date"}},
		{"a field the form does not have", show, data(show.FormRequestID, "contact", with(map[string]string{"admin": "true"})), []string{"admin is not a field of the form"}},
		{"several problems at once", show, data(show.FormRequestID, "contact", map[string]string{"email": "x"}),
			[]string{`the answer to form "contact" is refused`, "name is required", "email is not an email address", "topic is required", "terms is required"}},
		{"another form's name", show, data(show.FormRequestID, "payment", good), []string{`form_name "payment" is not "contact"`}},
		{"a request the chat never made", nil, data(protocol.NumberID(99), "contact", good), []string{"form_request_id 99 names no form this chat asked for"}},
		{"Form not found for a known form", show, &protocol.FormData{FormRequestID: show.FormRequestID, FormName: "contact", Data: protocol.FormValues{Note: protocol.FormNotFound}}, nil},
		{"another note", show, &protocol.FormData{FormRequestID: show.FormRequestID, FormName: "contact", Data: protocol.FormValues{Note: "whatever"}}, []string{"data must be the form's fields"}},
		{"the next message as the answer", freeText, data(freeText.FormRequestID, "", map[string]string{protocol.FreeTextField: "order 42"}), nil},
		{"an empty free text", freeText, data(freeText.FormRequestID, "", map[string]string{protocol.FreeTextField: " "}), []string{"text is required"}},
		{"more than the free text", freeText, data(freeText.FormRequestID, "", map[string]string{protocol.FreeTextField: "x", "extra": "y"}), []string{"extra is not a field of the form"}},
		{"Form not found for a form nobody defines", unknown, &protocol.FormData{FormRequestID: unknown.FormRequestID, FormName: unknown.FormName, Data: protocol.FormValues{Note: protocol.FormNotFound}}, nil},
		{"fields for a form nobody defines", unknown, data(unknown.FormRequestID, unknown.FormName, good), []string{"is not one this contact center defines"}},
		{"a secure form", secure, &protocol.SecureFormData{FormRequestID: secure.FormRequestID, FormName: "payment", Data: protocol.FormValues{Fields: map[string]string{"card": "4242424242424242"}}}, nil},
		{"a secure form badly filled", secure, &protocol.SecureFormData{FormRequestID: secure.FormRequestID, Data: protocol.FormValues{Fields: map[string]string{"card": "4242"}}}, []string{"card does not match its pattern"}},
		{"a secure form declined", secure, &protocol.SecureFormCancel{FormRequestID: secure.FormRequestID, FormName: "payment"}, nil},
		{"a decline of a request never made", nil, &protocol.SecureFormCancel{FormRequestID: protocol.TextID("s9")}, []string{"names no form this chat asked for"}},
		{"a form answered as a secure one", show, &protocol.SecureFormData{FormRequestID: show.FormRequestID, Data: protocol.FormValues{Fields: good}}, []string{"answer it with chat_session_form_data"}},
		{"a secure form answered as a form", secure, data(secure.FormRequestID, "", map[string]string{"card": "4242424242424242"}), []string{"answer it with chat_session_secure_form_data"}},
		{"an event that answers nothing", nil, &protocol.Message{MsgID: protocol.TextID("1"), Msg: "hi"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := protocol.CheckFormAnswer(forms, tc.asked, tc.answer)
			if len(tc.refusal) == 0 {
				if err != nil {
					t.Fatalf("CheckFormAnswer = %v, want the answer taken", err)
				}
				return
			}
			if codeOf(err) != protocol.CodeBadRequest {
				t.Fatalf("CheckFormAnswer = %v, want code %s", err, protocol.CodeBadRequest)
			}
			for _, want := range tc.refusal {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("the refusal %q does not say %q", err, want)
				}
			}
		})
	}
}
