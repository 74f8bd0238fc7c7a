package protocol

import (
	"fmt"
	"strings"
)

// FreeTextField is the one field of the answer to a [FormShow] without a
// form name, which asks for the visitor's next message: the message's text.
const FreeTextField = "text"

// freeTextForm is what a FormShow without a form name asks for.
var freeTextForm = Form{Fields: []Field{{Name: FreeTextField, Type: FieldTextarea, Required: true}}}

// problemWords says each [Problem] in the words of an error message.
var problemWords = map[Problem]string{
	ProblemRequired:   "is required",
	ProblemEmail:      "is not an email address",
	ProblemPhone:      "is not a phone number",
	ProblemNumber:     "is not a number",
	ProblemDate:       "is not a date (YYYY-MM-DD)",
	ProblemOption:     "is not one of its options",
	ProblemTooSmall:   "is below its minimum",
	ProblemTooLarge:   "is above its maximum",
	ProblemTooShort:   "is shorter than its minimum length",
	ProblemTooLong:    "is longer than its maximum length",
	ProblemPattern:    "does not match its pattern",
	ProblemCheckbox:   `is neither "true" nor "false"`,
	ProblemUnexpected: "is not a field of the form",
}

// CheckFormAnswer checks a visitor's answer to a form request (a [FormData],
// [SecureFormData] or [SecureFormCancel]) against the request it answers,
// asked (the chat's [FormShow] or [SecureFormShow] with the same
// form_request_id; nil when the chat has none), and the forms a contact
// center asks for, with the rules a widget checks before it sends:
// [Form.Validate], one implementation for both. A form is found by its name,
// a secure form by its id. An answer to a form the forms do not hold may
// only say [FormNotFound], as a client that does not know the form does; a
// request without a form name takes the one field [FreeTextField]. Any
// other event passes. The error is an *Error with [CodeBadRequest] that
// names every field refused and why.
func CheckFormAnswer(forms []WidgetForm, asked, answer Event) error {
	var requestID ID
	var name string
	var data FormValues
	secure := false
	switch a := answer.(type) {
	case *FormData:
		requestID, name, data = a.FormRequestID, a.FormName, a.Data
	case *SecureFormData:
		requestID, name, data, secure = a.FormRequestID, a.FormName, a.Data, true
	case *SecureFormCancel:
		requestID, name, secure = a.FormRequestID, a.FormName, true
	default:
		return nil
	}
	var askedName, askedID string
	switch s := asked.(type) {
	case *FormShow:
		if secure {
			return Errorf(CodeBadRequest, "form_request_id %s asked for a form, not a secure form: answer it with %s", requestID, TypeFormData)
		}
		askedName = s.FormName
	case *SecureFormShow:
		if !secure {
			return Errorf(CodeBadRequest, "form_request_id %s asked for a secure form: answer it with %s", requestID, TypeSecureFormData)
		}
		askedName, askedID = s.FormName, s.FormID
	default:
		return Errorf(CodeBadRequest, "form_request_id %s names no form this chat asked for", requestID)
	}
	if name != "" && askedName != "" && name != askedName {
		return Errorf(CodeBadRequest, "form_name %q is not %q, the form asked for with form_request_id %s", name, askedName, requestID)
	}
	if _, cancel := answer.(*SecureFormCancel); cancel {
		return nil
	}
	if data.Note != "" {
		if data.Note == FormNotFound {
			return nil
		}
		return Errorf(CodeBadRequest, "data must be the form's fields, or %q from a client that does not know the form", FormNotFound)
	}
	form, ok := askedForm(forms, askedName, askedID, secure)
	if !ok {
		return Errorf(CodeBadRequest, "the form asked for with form_request_id %s is not one this contact center defines, so its fields cannot be checked: answer %q", requestID, FormNotFound)
	}
	problems := form.Validate(data.Fields)
	if len(problems) == 0 {
		return nil
	}
	words := make([]string, len(problems))
	for i, p := range problems {
		words[i] = fmt.Sprintf("%s %s", p.Field, problemWords[p.Problem])
	}
	what := "the answer"
	if askedName != "" {
		what = fmt.Sprintf("the answer to form %q", askedName)
	}
	return Errorf(CodeBadRequest, "%s is refused: %s", what, strings.Join(words, "; "))
}

// askedForm finds the form a request asked for: a secure form by its id, a
// form by its name, the free-text form for a request without a name.
func askedForm(forms []WidgetForm, name, id string, secure bool) (Form, bool) {
	if !secure && name == "" {
		return freeTextForm, true
	}
	for _, wf := range forms {
		if secure && wf.ID == id || !secure && wf.Name == name {
			f, err := wf.Form()
			return f, err == nil
		}
	}
	return Form{}, false
}
