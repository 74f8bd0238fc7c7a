package protocol_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/parleychat/parley/protocol"
)

func ptr(f float64) *float64 { return &f }

var (
	colours = []protocol.Option{{Value: "red", Label: "Red"}, {Value: "blue", Label: "Blue"}}
	sizes   = []protocol.Option{{Value: "s", Label: "Small"}, {Value: "m", Label: "Medium"}}
)

func TestFieldCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		field protocol.Field
		value string
		want  protocol.Problem
	}{
		{"required text given", protocol.Field{Type: protocol.FieldText, Required: true}, "Ada", ""},
		{"required text empty", protocol.Field{Type: protocol.FieldText, Required: true}, "", protocol.ProblemRequired},
		{"required text blank", protocol.Field{Type: protocol.FieldText, Required: true}, " \t\n", protocol.ProblemRequired},
		{"optional text empty", protocol.Field{Type: protocol.FieldText}, "", ""},
		{"optional email empty is not checked", protocol.Field{Type: protocol.FieldEmail}, "", ""},
		{"email good", protocol.Field{Type: protocol.FieldEmail}, "ada@example.com", ""},
		{"email with a subdomain", protocol.Field{Type: protocol.FieldEmail}, "ada.l+chat@mail.example.co.uk", ""},
		{"email without @", protocol.Field{Type: protocol.FieldEmail}, "ada.example.com", protocol.ProblemEmail},
		{"email without a dot in the domain", protocol.Field{Type: protocol.FieldEmail}, "ada@localhost", protocol.ProblemEmail},
		{"email with a display name", protocol.Field{Type: protocol.FieldEmail}, "Ada <ada@example.com>", protocol.ProblemEmail},
		{"email with two addresses", protocol.Field{Type: protocol.FieldEmail}, "ada@example.com, bob@example.com", protocol.ProblemEmail},
		{"phone good", protocol.Field{Type: protocol.FieldPhone}, "+1 (555) 123-4567", ""},
		{"phone with dots", protocol.Field{Type: protocol.FieldPhone}, "020.7946.0018", ""},
		{"phone with letters", protocol.Field{Type: protocol.FieldPhone}, "call me", protocol.ProblemPhone},
		{"phone with an extension word", protocol.Field{Type: protocol.FieldPhone}, "555 1234 ext 5", protocol.ProblemPhone},
		{"phone with too few digits", protocol.Field{Type: protocol.FieldPhone}, "12-34", protocol.ProblemPhone},
		{"phone with too many digits", protocol.Field{Type: protocol.FieldPhone}, strings.Repeat("1", 21), protocol.ProblemPhone},
		{"number good", protocol.Field{Type: protocol.FieldNumber, Min: ptr(1), Max: ptr(10)}, "7", ""},
		{"number with a fraction and spaces", protocol.Field{Type: protocol.FieldNumber}, " 2.5 ", ""},
		{"number on the bounds", protocol.Field{Type: protocol.FieldNumber, Min: ptr(1), Max: ptr(10)}, "10", ""},
		{"number that is not a number", protocol.Field{Type: protocol.FieldNumber}, "seven", protocol.ProblemNumber},
		{"number below Min", protocol.Field{Type: protocol.FieldNumber, Min: ptr(1), Max: ptr(10)}, "0", protocol.ProblemTooSmall},
		{"number above Max", protocol.Field{Type: protocol.FieldNumber, Min: ptr(1), Max: ptr(10)}, "10.5", protocol.ProblemTooLarge},
		{"negative number below Min", protocol.Field{Type: protocol.FieldNumber, Min: ptr(-5)}, "-6", protocol.ProblemTooSmall},
		// NaN compares false with everything, so it must be caught before
		// the bounds or it slips past both of them.
		{"NaN is not a number within bounds", protocol.Field{Type: protocol.FieldNumber, Min: ptr(1), Max: ptr(10)}, "NaN", protocol.ProblemNumber},
		{"date good", protocol.Field{Type: protocol.FieldDate}, "2024-02-29", ""},
		{"date in another format", protocol.Field{Type: protocol.FieldDate}, "29/02/2024", protocol.ProblemDate},
		{"date that does not exist", protocol.Field{Type: protocol.FieldDate}, "2023-02-29", protocol.ProblemDate},
		{"select listed option", protocol.Field{Type: protocol.FieldSelect, Options: colours}, "red", ""},
		{"select by label instead of value", protocol.Field{Type: protocol.FieldSelect, Options: colours}, "Red", protocol.ProblemOption},
		{"select unlisted option", protocol.Field{Type: protocol.FieldSelect, Options: colours}, "green", protocol.ProblemOption},
		{"radio listed option", protocol.Field{Type: protocol.FieldRadio, Options: sizes}, "m", ""},
		{"radio unlisted option", protocol.Field{Type: protocol.FieldRadio, Options: sizes}, "xl", protocol.ProblemOption},
		{"optional select empty", protocol.Field{Type: protocol.FieldSelect, Options: colours}, "", ""},
		{"checkbox checked", protocol.Field{Type: protocol.FieldCheckbox, Required: true}, protocol.Checked, ""},
		{"required checkbox unchecked", protocol.Field{Type: protocol.FieldCheckbox, Required: true}, protocol.Unchecked, protocol.ProblemRequired},
		{"required checkbox missing", protocol.Field{Type: protocol.FieldCheckbox, Required: true}, "", protocol.ProblemRequired},
		{"optional checkbox unchecked", protocol.Field{Type: protocol.FieldCheckbox}, protocol.Unchecked, ""},
		{"checkbox bad value", protocol.Field{Type: protocol.FieldCheckbox}, "yes", protocol.ProblemCheckbox},
		{"required checkbox bad value", protocol.Field{Type: protocol.FieldCheckbox, Required: true}, "on", protocol.ProblemCheckbox},
		{"text within Min and Max", protocol.Field{Type: protocol.FieldText, Min: ptr(2), Max: ptr(5)}, "abc", ""},
		{"text too short", protocol.Field{Type: protocol.FieldText, Min: ptr(3)}, "ab", protocol.ProblemTooShort},
		{"text too long", protocol.Field{Type: protocol.FieldText, Max: ptr(5)}, "abcdef", protocol.ProblemTooLong},
		{"Max counts characters, not bytes", protocol.Field{Type: protocol.FieldText, Max: ptr(5)}, "héllö", ""},
		{"Min counts characters, not bytes", protocol.Field{Type: protocol.FieldText, Min: ptr(3)}, "日本", protocol.ProblemTooShort},
		{"textarea too long", protocol.Field{Type: protocol.FieldTextarea, Max: ptr(3)}, "a\nbc", protocol.ProblemTooLong},
		{"text over MaxTextBytes without a Max", protocol.Field{Type: protocol.FieldText}, strings.Repeat("a", protocol.MaxTextBytes+1), protocol.ProblemTooLong},
		{"pattern match", protocol.Field{Type: protocol.FieldText, Pattern: `[A-Z]{3}-\d+`}, "ORD-42", ""},
		{"pattern mismatch", protocol.Field{Type: protocol.FieldText, Pattern: `[A-Z]{3}-\d+`}, "ord-42", protocol.ProblemPattern},
		{"pattern must match the whole value", protocol.Field{Type: protocol.FieldText, Pattern: `[A-Z]{3}`}, "ABCD", protocol.ProblemPattern},
		{"pattern with alternation is anchored as a whole", protocol.Field{Type: protocol.FieldText, Pattern: `a|b`}, "ab", protocol.ProblemPattern},
		{"pattern checked after the type", protocol.Field{Type: protocol.FieldEmail, Pattern: `.*@example\.com`}, "ada@example.org", protocol.ProblemPattern},
		{"invalid pattern refuses a value", protocol.Field{Type: protocol.FieldText, Pattern: `(`}, "anything", protocol.ProblemPattern},
		// A pattern that is not RE2 must refuse every value, even one whose
		// unbalanced parenthesis closes the anchoring group around it.
		{"invalid pattern escaping its anchors", protocol.Field{Type: protocol.FieldText, Pattern: `x)|(.*`}, "anything", protocol.ProblemPattern},
		{"label without a value", protocol.Field{Type: protocol.FieldLabel, Label: "Tell us about you"}, "", ""},
		{"label with a value", protocol.Field{Type: protocol.FieldLabel, Label: "Tell us about you"}, "x", protocol.ProblemUnexpected},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got, want := tc.field.Check(tc.value), tc.want; got != want {
				t.Errorf("Check(%q) = %q, want %q", tc.value, got, want)
			}
		})
	}
}

// contactForm is a typical pre-chat form.
var contactForm = protocol.Form{
	Name:  "MobileChatCustomerData",
	Title: "Before we start",
	Fields: []protocol.Field{
		{Type: protocol.FieldLabel, Label: "Tell us who you are"},
		{Name: "first_name", Label: "First name", Type: protocol.FieldText, Required: true},
		{Name: "email", Label: "E-mail", Type: protocol.FieldEmail, Required: true},
		{Name: "phone", Label: "Phone", Type: protocol.FieldPhone},
		{Name: "topic", Label: "Topic", Type: protocol.FieldSelect, Options: colours},
		{Name: "agree", Label: "I agree", Type: protocol.FieldCheckbox, Required: true},
	},
}

func TestFormValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		values map[string]string
		want   []protocol.FieldError
	}{
		{"good answer", map[string]string{"first_name": "Ada", "email": "ada@example.com", "agree": "true"}, nil},
		{"every optional field too", map[string]string{"first_name": "Ada", "email": "ada@example.com", "phone": "+44 20 7946 0018", "topic": "blue", "agree": "true"}, nil},
		{"nothing", nil, []protocol.FieldError{
			{Field: "first_name", Problem: protocol.ProblemRequired},
			{Field: "email", Problem: protocol.ProblemRequired},
			{Field: "agree", Problem: protocol.ProblemRequired},
		}},
		{"problems come in form order", map[string]string{"agree": "maybe", "topic": "green", "email": "nope", "first_name": "Ada"}, []protocol.FieldError{
			{Field: "email", Problem: protocol.ProblemEmail},
			{Field: "topic", Problem: protocol.ProblemOption},
			{Field: "agree", Problem: protocol.ProblemCheckbox},
		}},
		{"unexpected field name", map[string]string{"first_name": "Ada", "email": "ada@example.com", "agree": "true", "admin": "yes"}, []protocol.FieldError{
			{Field: "admin", Problem: protocol.ProblemUnexpected},
		}},
		{"unexpected names come after the form's own problems", map[string]string{"email": "ada@example.com", "agree": "true", "Email": "x"}, []protocol.FieldError{
			{Field: "first_name", Problem: protocol.ProblemRequired},
			{Field: "Email", Problem: protocol.ProblemUnexpected},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got, want := contactForm.Validate(tc.values), tc.want; !reflect.DeepEqual(got, want) {
				t.Errorf("Validate(%v) = %v, want %v", tc.values, got, want)
			}
		})
	}
}
