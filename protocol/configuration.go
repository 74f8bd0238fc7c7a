package protocol

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
)

// WidgetConfiguration is the answer of Get Chat Widget Configuration, in the
// shape Bright Pattern's web client reads. Its forms are where a client finds
// the fields of a form that chat_session_form_show names.
type WidgetConfiguration struct {
	Definition WidgetDefinition `json:"definition"`
}

// WidgetDefinition is the body of a [WidgetConfiguration].
type WidgetDefinition struct {
	ChatWidgetStyling WidgetStyling `json:"chatWidgetStyling"`
	PreChat           WidgetPreChat `json:"preChat"`
	Forms             []WidgetForm  `json:"forms"`
}

// WidgetStyling is the look of the chat widget.
type WidgetStyling struct {
	Title string `json:"title,omitempty"`
	// ShowAgentPic is "show", "always_default" or "none".
	ShowAgentPic              string `json:"showAgentPic,omitempty"`
	VideoCallEnabled          bool   `json:"videoCallEnabled,omitempty"`
	VisitorVideoEnabled       bool   `json:"visitorVideoEnabled,omitempty"`
	WidgetMinimizationEnabled bool   `json:"widgetMinimizationEnabled,omitempty"`
	WebNotificationsEnabled   bool   `json:"webNotificationsEnabled,omitempty"`
	AgentJoinSoundURL         string `json:"agentJoinSoundUrl,omitempty"`
	// LeaveMessageURL is a Parley extension: where a visitor may leave a
	// message while the contact center is closed, an http(s) or mailto
	// URL such as the site's contact form.
	LeaveMessageURL string `json:"parleyLeaveMessageUrl,omitempty"`
	// Theme is a Parley extension: design tokens of the widget (brand,
	// surface, text, visitorBubble, font, radius, mode...), which the host
	// page's own theme overrides.
	Theme map[string]string `json:"parleyTheme,omitempty"`
	// Texts is a Parley extension: the widget's words replaced per
	// language, as language -> text name -> text.
	Texts map[string]map[string]string `json:"parleyTexts,omitempty"`
}

// WidgetPreChat is the pre-chat part of the configuration.
type WidgetPreChat struct {
	Title string `json:"title,omitempty"`
}

// Form returns the form named name, converted with [WidgetForm.Form].
// found is false when the configuration has no such form.
func (c WidgetConfiguration) Form(name string) (f Form, found bool, err error) {
	for _, wf := range c.Definition.Forms {
		if wf.Name == name {
			f, err := wf.Form()
			return f, true, err
		}
	}
	return Form{}, false, nil
}

// WidgetForm is a form as the widget configuration describes it.
type WidgetForm struct {
	ID               string        `json:"id,omitempty"`
	Name             string        `json:"name"`
	Title            string        `json:"title,omitempty"`
	Fields           []WidgetField `json:"fields"`
	SubmitButtonText string        `json:"submitButtonText,omitempty"`
	CancelButtonText string        `json:"cancelButtonText,omitempty"`
	// Texts is a Parley extension: the form's words per language, as
	// language -> words (see [WidgetForm.In]).
	Texts map[string]WidgetFormTexts `json:"parleyTexts,omitempty"`
}

// WidgetField is a form field as the widget configuration describes it.
// FormFieldType takes Bright Pattern's names (see [Form] for how they map)
// and, as a Parley extension, the [FieldType] names. So do the last three
// fields.
type WidgetField struct {
	FormFieldType string         `json:"formFieldType"`
	Name          string         `json:"name,omitempty"`
	Label         string         `json:"label,omitempty"`
	Required      bool           `json:"required,omitempty"`
	Options       []WidgetOption `json:"options,omitempty"`
	MinValue      *float64       `json:"minValue,omitempty"`
	MaxValue      *float64       `json:"maxValue,omitempty"`
	Pattern       string         `json:"pattern,omitempty"`
	DefaultValue  string         `json:"defaultValue,omitempty"`
	Placeholder   string         `json:"placeholder,omitempty"`
}

// WidgetOption is one entry of a field's options: a choice of a list or
// radio field, or the row count of a multiline text field. Bright Pattern
// writes it as a bare string (or number) that is both value and label;
// Parley also reads and writes {"value":...,"label":...} when they differ.
type WidgetOption struct {
	Value string
	Label string
}

// MarshalJSON writes a bare string when value and label are the same.
func (o WidgetOption) MarshalJSON() ([]byte, error) {
	if o.Label == "" || o.Label == o.Value {
		return json.Marshal(o.Value)
	}
	return json.Marshal(struct {
		Value string `json:"value"`
		Label string `json:"label"`
	}{o.Value, o.Label})
}

// UnmarshalJSON reads a string, a number or a {value, label} object.
func (o *WidgetOption) UnmarshalJSON(data []byte) error {
	if text, ok := scalarText(data); ok {
		*o = WidgetOption{Value: text, Label: text}
		return nil
	}
	var obj struct {
		Value string `json:"value"`
		Label string `json:"label"`
	}
	if err := json.Unmarshal(data, &obj); err != nil {
		return fmt.Errorf("an option must be a string, a number or {value, label}")
	}
	if obj.Label == "" {
		obj.Label = obj.Value
	}
	*o = WidgetOption(obj)
	return nil
}

// Bright Pattern's names for form field types, as its widget configuration
// writes them.
const (
	bpLabel         = "label"
	bpCallbackPhone = "callback_phone"
	bpPhone         = "phone"
	bpEmail         = "email"
	bpName          = "name"
	bpText          = "text"
	bpDate          = "date"
	bpMultiline     = "multiline_text"
	bpSlider        = "numerical_range_slider"
	bpRadio         = "radio_buttons"
	bpSelect        = "selection_list"
)

// fieldTypeOf maps every formFieldType a client can render to its
// [FieldType]: Bright Pattern's names first, then Parley's own.
var fieldTypeOf = map[string]FieldType{
	bpLabel: FieldLabel, bpCallbackPhone: FieldPhone, bpPhone: FieldPhone,
	bpEmail: FieldEmail, bpName: FieldText, bpText: FieldText, bpDate: FieldDate,
	bpMultiline: FieldTextarea, bpSlider: FieldNumber, bpRadio: FieldRadio,
	bpSelect:            FieldSelect,
	string(FieldNumber): FieldNumber, string(FieldTextarea): FieldTextarea,
	string(FieldSelect): FieldSelect, string(FieldRadio): FieldRadio,
	string(FieldCheckbox): FieldCheckbox,
}

// bpNameOf is the reverse: the name a [FieldType] is written with, Bright
// Pattern's where it has one.
var bpNameOf = map[FieldType]string{
	FieldText: bpText, FieldEmail: bpEmail, FieldPhone: bpPhone,
	FieldNumber: string(FieldNumber), FieldTextarea: bpMultiline,
	FieldSelect: bpSelect, FieldRadio: bpRadio, FieldCheckbox: string(FieldCheckbox),
	FieldDate: bpDate, FieldLabel: bpLabel,
}

// Form converts the configuration's form into a [Form]. Bright Pattern's
// field types map as follows: name and text to text, phone and
// callback_phone to phone, multiline_text to textarea (its first option is
// the row count), numerical_range_slider to number (minValue and maxValue
// bound it), radio_buttons to radio, selection_list to select; email, date
// and label keep their names. captcha and contact_button cannot be answered
// by a chat client, so a form with them is refused, as is any other unknown
// type, a value field without a name, a choice field without options, or a
// pattern that is not RE2.
func (w WidgetForm) Form() (Form, error) {
	f := Form{
		ID: w.ID, Name: w.Name, Title: w.Title,
		SubmitLabel: w.SubmitButtonText, CancelLabel: w.CancelButtonText,
		Fields: make([]Field, 0, len(w.Fields)),
	}
	seen := make(map[string]bool, len(w.Fields))
	for i, wf := range w.Fields {
		typ, ok := fieldTypeOf[wf.FormFieldType]
		if !ok {
			return Form{}, fmt.Errorf("form %q, field %d: field type %q is not supported", w.Name, i, wf.FormFieldType)
		}
		field := Field{
			Name: wf.Name, Label: wf.Label, Type: typ, Required: wf.Required,
			Min: wf.MinValue, Max: wf.MaxValue,
			Pattern: wf.Pattern, Default: wf.DefaultValue, Placeholder: wf.Placeholder,
		}
		switch typ {
		case FieldTextarea:
			if len(wf.Options) > 0 {
				if rows, err := strconv.Atoi(wf.Options[0].Value); err == nil && rows > 0 {
					field.Rows = rows
				}
			}
		case FieldSelect, FieldRadio:
			if len(wf.Options) == 0 {
				return Form{}, fmt.Errorf("form %q, field %q: a %s field needs options", w.Name, wf.Name, typ)
			}
			for _, o := range wf.Options {
				field.Options = append(field.Options, Option(o))
			}
		}
		if typ != FieldLabel {
			if wf.Name == "" {
				return Form{}, fmt.Errorf("form %q, field %d: a %s field needs a name", w.Name, i, typ)
			}
			if seen[wf.Name] {
				return Form{}, fmt.Errorf("form %q: two fields are named %q", w.Name, wf.Name)
			}
			seen[wf.Name] = true
		}
		if wf.Pattern != "" {
			if _, err := regexp.Compile(wf.Pattern); err != nil {
				return Form{}, fmt.Errorf("form %q, field %q: pattern: %w", w.Name, wf.Name, err)
			}
		}
		f.Fields = append(f.Fields, field)
	}
	return f, nil
}

// WidgetForm converts f into the configuration's shape, the reverse of
// [WidgetForm.Form].
func (f Form) WidgetForm() WidgetForm {
	w := WidgetForm{
		ID: f.ID, Name: f.Name, Title: f.Title,
		SubmitButtonText: f.SubmitLabel, CancelButtonText: f.CancelLabel,
		Fields: make([]WidgetField, 0, len(f.Fields)),
	}
	for _, field := range f.Fields {
		wf := WidgetField{
			FormFieldType: bpNameOf[field.Type],
			Name:          field.Name, Label: field.Label, Required: field.Required,
			MinValue: field.Min, MaxValue: field.Max,
			Pattern: field.Pattern, DefaultValue: field.Default, Placeholder: field.Placeholder,
		}
		for _, o := range field.Options {
			wf.Options = append(wf.Options, WidgetOption(o))
		}
		if field.Type == FieldTextarea && field.Rows > 0 {
			rows := strconv.Itoa(field.Rows)
			wf.Options = []WidgetOption{{Value: rows, Label: rows}}
		}
		w.Fields = append(w.Fields, wf)
	}
	return w
}
