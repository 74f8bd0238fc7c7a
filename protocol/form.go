package protocol

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// FieldType is the kind of a form field, which decides how it is shown and
// what values it accepts.
type FieldType string

// Field types of a [Form].
const (
	FieldText     FieldType = "text"
	FieldEmail    FieldType = "email"
	FieldPhone    FieldType = "phone"
	FieldNumber   FieldType = "number"
	FieldTextarea FieldType = "textarea"
	FieldSelect   FieldType = "select"
	FieldRadio    FieldType = "radio"
	FieldCheckbox FieldType = "checkbox"
	FieldDate     FieldType = "date"
	// FieldLabel is text shown in the form; it takes no value.
	FieldLabel FieldType = "label"
)

// Form is a named form a server can ask a visitor to fill in with
// chat_session_form_show. Clients get forms from the widget configuration.
type Form struct {
	// ID names the form for chat_session_secure_form_show.
	ID          string
	Name        string
	Title       string
	Fields      []Field
	SubmitLabel string
	CancelLabel string
}

// Field is one field of a [Form].
type Field struct {
	Name     string
	Label    string
	Type     FieldType
	Required bool
	// Options are the choices of a select or radio field.
	Options []Option
	// Min and Max bound a number's value, or the length in characters of a
	// text or textarea field. nil means no bound.
	Min, Max *float64
	// Pattern is a regular expression (RE2 syntax) the whole value must
	// match.
	Pattern     string
	Default     string
	Placeholder string
	// Rows is the height of a textarea in lines.
	Rows int
}

// Option is one choice of a select or radio field.
type Option struct {
	Value string
	Label string
}

// Problem says what is wrong with a field's value. User interfaces turn it
// into words in the visitor's language.
type Problem string

// Problems a field's value can have.
const (
	ProblemRequired   Problem = "required"
	ProblemEmail      Problem = "email"
	ProblemPhone      Problem = "phone"
	ProblemNumber     Problem = "number"
	ProblemDate       Problem = "date"
	ProblemOption     Problem = "option"
	ProblemTooSmall   Problem = "too_small"
	ProblemTooLarge   Problem = "too_large"
	ProblemTooShort   Problem = "too_short"
	ProblemTooLong    Problem = "too_long"
	ProblemPattern    Problem = "pattern"
	ProblemCheckbox   Problem = "checkbox"
	ProblemUnexpected Problem = "unexpected"
)

// FieldError is a problem with one field of a form answer.
type FieldError struct {
	Field   string
	Problem Problem
}

// Checkbox values in a form answer.
const (
	Checked   = "true"
	Unchecked = "false"
)

var phoneChars = regexp.MustCompile(`^\+?[0-9 ()./-]+$`)

// emailAddress is HTML's "valid email address", what browsers check an
// email field against, with a dot in the domain, as a real address has.
var emailAddress = regexp.MustCompile("^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)+$")

// Validate checks an answer to the form, field by field in form order. An
// answer naming a field the form does not have is refused as well, so what
// is stored is what the form asked for.
func (f Form) Validate(values map[string]string) []FieldError {
	var problems []FieldError
	known := make(map[string]bool, len(f.Fields))
	for _, field := range f.Fields {
		known[field.Name] = true
		if p := field.Check(values[field.Name]); p != "" {
			problems = append(problems, FieldError{Field: field.Name, Problem: p})
		}
	}
	for name := range values {
		if !known[name] {
			problems = append(problems, FieldError{Field: name, Problem: ProblemUnexpected})
		}
	}
	return problems
}

// Check returns the problem with value for this field, or "" when it is fine.
func (f Field) Check(value string) Problem {
	if f.Type == FieldLabel {
		if value != "" {
			return ProblemUnexpected
		}
		return ""
	}
	if f.Type == FieldCheckbox {
		switch {
		case value != "" && value != Checked && value != Unchecked:
			return ProblemCheckbox
		case f.Required && value != Checked:
			return ProblemRequired
		}
		return ""
	}
	if strings.TrimSpace(value) == "" {
		if f.Required {
			return ProblemRequired
		}
		return ""
	}
	if p := f.checkType(value); p != "" {
		return p
	}
	if f.Pattern != "" {
		// Compiled alone first: a broken pattern such as "x)|(.*" would
		// otherwise escape its anchors and match anything.
		if _, err := regexp.Compile(f.Pattern); err != nil {
			return ProblemPattern
		}
		if !regexp.MustCompile(`^(?:` + f.Pattern + `)$`).MatchString(value) {
			return ProblemPattern
		}
	}
	return ""
}

func (f Field) checkType(value string) Problem {
	switch f.Type {
	case FieldEmail:
		if !emailAddress.MatchString(value) {
			return ProblemEmail
		}
	case FieldPhone:
		digits := 0
		for _, r := range value {
			if r >= '0' && r <= '9' {
				digits++
			}
		}
		if !phoneChars.MatchString(value) || digits < 5 || digits > 20 {
			return ProblemPhone
		}
	case FieldNumber:
		n, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		switch {
		case err != nil || math.IsNaN(n) || math.IsInf(n, 0):
			return ProblemNumber
		case f.Min != nil && n < *f.Min:
			return ProblemTooSmall
		case f.Max != nil && n > *f.Max:
			return ProblemTooLarge
		}
	case FieldDate:
		if _, err := time.Parse(time.DateOnly, value); err != nil {
			return ProblemDate
		}
	case FieldSelect, FieldRadio:
		for _, o := range f.Options {
			if o.Value == value {
				return ""
			}
		}
		return ProblemOption
	case FieldText, FieldTextarea:
		n := float64(utf8.RuneCountInString(value))
		switch {
		case f.Min != nil && n < *f.Min:
			return ProblemTooShort
		case f.Max != nil && n > *f.Max:
			return ProblemTooLong
		case len(value) > MaxTextBytes:
			return ProblemTooLong
		}
	}
	return ""
}
