package scenario

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/parleychat/parley/protocol"
)

// Config is the contact center's configuration. Fields missing from a file
// keep their Default values.
type Config struct {
	// AppIDs are the launch points the server takes chats for.
	AppIDs []string `json:"app_ids"`
	// ServerVersion is what Get Version answers.
	ServerVersion string `json:"server_version"`
	// Widget is the look the widget configuration hands out.
	Widget protocol.WidgetStyling `json:"widget"`
	// PreChatTitle is the title of the pre-chat part of the widget.
	PreChatTitle string `json:"pre_chat_title"`
	// Forms are the forms the scenario and agents can push, by name.
	Forms []protocol.WidgetForm `json:"forms"`
	// Parameters are the Expected Parameters of the launch points: a name
	// and one of PHONE, TEXT, EMAIL, FIRST_NAME, LAST_NAME, ACCOUNT, COMPANY.
	Parameters []Parameter `json:"parameters"`
	// Hours decide availability; empty means always open.
	Hours Hours `json:"business_hours"`
	// ICEServers are the STUN and TURN servers Get ICE Servers hands to
	// clients for calls.
	ICEServers []protocol.ICEServer `json:"ice_servers"`

	// Assistant is the scenario party's display name.
	Assistant string `json:"assistant"`
	// Greeting is the assistant's first message.
	Greeting string `json:"greeting"`
	// PreChatForm is the form pushed after the greeting; "" for none.
	PreChatForm string `json:"pre_chat_form"`
	// Thanks is said when the pre-chat form is answered; {name} becomes the
	// first_name the visitor gave.
	Thanks string `json:"thanks"`
	// SurveyForm is pushed when the visitor disconnects; "" ends the chat
	// at once.
	SurveyForm string `json:"survey_form"`
	// Goodbye is said when the survey is answered.
	Goodbye string `json:"goodbye"`
	// FormTimeout is how long the visitor has for a form.
	FormTimeout protocol.Seconds `json:"form_timeout"`
	// EWT is the estimated wait of a new chat, and EWTUpdate how often the
	// countdown is published while nobody takes the chat.
	EWT       protocol.Seconds `json:"ewt"`
	EWTUpdate protocol.Seconds `json:"ewt_update"`
	// IdleWarning and IdleTimeout count from the visitor's last event;
	// zero turns them off.
	IdleWarning     protocol.Seconds `json:"idle_warning"`
	IdleTimeout     protocol.Seconds `json:"idle_timeout"`
	IdleWarningText string           `json:"idle_warning_text"`
	IdleTimeoutText string           `json:"idle_timeout_text"`
}

// Parameter is one Expected Parameter.
type Parameter struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// Default is the configuration the server runs with when given no file: a
// demo launch point, open all day, with a pre-chat form and a survey.
func Default() Config {
	return Config{
		AppIDs:        []string{"demo"},
		ServerVersion: "parley-1",
		Widget:        protocol.WidgetStyling{ShowAgentPic: "show"},
		PreChatTitle:  "Before we start",
		Forms: []protocol.WidgetForm{
			{
				Name: "pre_chat", Title: "Before we start", SubmitButtonText: "Start chatting",
				Fields: []protocol.WidgetField{
					{FormFieldType: "name", Name: "first_name", Label: "Your name", Required: true},
					{FormFieldType: "email", Name: "email", Label: "Email, for a copy of the chat"},
					{FormFieldType: "selection_list", Name: "topic", Label: "Topic", Required: true,
						Options: []protocol.WidgetOption{{Value: "order", Label: "An order"}, {Value: "product", Label: "A product"}, {Value: "other", Label: "Something else"}}},
				},
				Texts: map[string]protocol.WidgetFormTexts{
					"de": {Title: "Bevor wir beginnen", SubmitButtonText: "Chat beginnen", Fields: map[string]protocol.WidgetFieldTexts{
						"first_name": {Label: "Ihr Name"},
						"email":      {Label: "E-Mail, für eine Kopie des Chats"},
						"topic":      {Label: "Thema", Options: map[string]string{"order": "Eine Bestellung", "product": "Ein Produkt", "other": "Etwas anderes"}},
					}},
					"ar": {Title: "قبل أن نبدأ", SubmitButtonText: "ابدأ المحادثة", Fields: map[string]protocol.WidgetFieldTexts{
						"first_name": {Label: "اسمك"},
						"email":      {Label: "البريد الإلكتروني، لنسخة من المحادثة"},
						"topic":      {Label: "الموضوع", Options: map[string]string{"order": "طلب", "product": "منتج", "other": "شيء آخر"}},
					}},
				},
			},
			{
				Name: "survey", Title: "How did we do?", SubmitButtonText: "Send", CancelButtonText: "No thanks",
				Fields: []protocol.WidgetField{
					{FormFieldType: "radio_buttons", Name: "rating", Label: "Your rating", Required: true,
						Options: []protocol.WidgetOption{{Value: "5", Label: "Great"}, {Value: "3", Label: "OK"}, {Value: "1", Label: "Poor"}}},
					{FormFieldType: "multiline_text", Name: "comment", Label: "Anything else?", Options: []protocol.WidgetOption{{Value: "3", Label: "3"}}},
				},
				Texts: map[string]protocol.WidgetFormTexts{
					"de": {Title: "Wie war es?", SubmitButtonText: "Senden", CancelButtonText: "Nein, danke", Fields: map[string]protocol.WidgetFieldTexts{
						"rating":  {Label: "Ihre Bewertung", Options: map[string]string{"5": "Sehr gut", "3": "In Ordnung", "1": "Schlecht"}},
						"comment": {Label: "Sonst noch etwas?"},
					}},
					"ar": {Title: "كيف كانت تجربتك؟", SubmitButtonText: "إرسال", CancelButtonText: "لا، شكرًا", Fields: map[string]protocol.WidgetFieldTexts{
						"rating":  {Label: "تقييمك", Options: map[string]string{"5": "ممتاز", "3": "مقبول", "1": "ضعيف"}},
						"comment": {Label: "هل من شيء آخر؟"},
					}},
				},
			},
		},
		Parameters: []Parameter{
			{Name: "first_name", Type: "FIRST_NAME"},
			{Name: "email", Type: "EMAIL"},
			{Name: "phone", Type: "PHONE"},
		},
		Assistant:       "Parley Assistant",
		Greeting:        "Hi! Thanks for reaching out. An agent will be with you shortly.",
		PreChatForm:     "pre_chat",
		Thanks:          "Thanks, {name}. You are in the queue.",
		SurveyForm:      "survey",
		Goodbye:         "Thank you for your feedback. Goodbye!",
		FormTimeout:     600,
		EWT:             120,
		EWTUpdate:       15,
		IdleWarning:     600,
		IdleTimeout:     900,
		IdleWarningText: "Are you still there? This chat will close soon if there is no reply.",
		IdleTimeoutText: "This chat was closed after a period of inactivity.",
	}
}

// Load reads a configuration file over the defaults and checks it.
func Load(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("reading the configuration: %w", err)
	}
	cfg := Default()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return Config{}, fmt.Errorf("reading the configuration %s: %w", path, err)
	}
	if err := cfg.Check(); err != nil {
		return Config{}, fmt.Errorf("the configuration %s: %w", path, err)
	}
	return cfg, nil
}

// Check reports the first thing wrong with the configuration: a form that
// does not convert, a form name that is not defined, bad hours.
func (c Config) Check() error {
	if len(c.AppIDs) == 0 {
		return fmt.Errorf("app_ids names no launch point")
	}
	names := map[string]bool{}
	for _, wf := range c.Forms {
		if _, err := wf.Form(); err != nil {
			return err
		}
		names[wf.Name] = true
	}
	for _, name := range []string{c.PreChatForm, c.SurveyForm} {
		if name != "" && !names[name] {
			return fmt.Errorf("form %q is not among the forms", name)
		}
	}
	if c.IdleWarning > 0 && c.IdleTimeout > 0 && c.IdleWarning >= c.IdleTimeout {
		return fmt.Errorf("idle_warning (%d s) must come before idle_timeout (%d s)", c.IdleWarning, c.IdleTimeout)
	}
	for i, ice := range c.ICEServers {
		if err := ice.Check(); err != nil {
			return fmt.Errorf("ice_servers[%d]: %w", i, err)
		}
	}
	return c.Hours.check()
}

// WidgetConfiguration is the answer of Get Chat Widget Configuration.
func (c Config) WidgetConfiguration() protocol.WidgetConfiguration {
	return protocol.WidgetConfiguration{Definition: protocol.WidgetDefinition{
		ChatWidgetStyling: c.Widget,
		PreChat:           protocol.WidgetPreChat{Title: c.PreChatTitle},
		Forms:             c.Forms,
	}}
}

// Form returns the form with the name.
func (c Config) Form(name string) (protocol.Form, bool) {
	f, found, err := c.WidgetConfiguration().Form(name)
	return f, found && err == nil
}

// thanks words the Thanks message for a visitor.
func (c Config) thanks(name string) string {
	if name == "" {
		name = "and welcome"
	}
	return strings.ReplaceAll(c.Thanks, "{name}", name)
}

// Hours are business hours in a time zone: for each day of the week
// ("mon" to "sun"), an opening like "09:00-17:30". A day that is not listed
// is closed; no days at all means always open.
type Hours struct {
	TimeZone string            `json:"time_zone"`
	Days     map[string]string `json:"days"`
}

var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

func (h Hours) check() error {
	if _, err := h.location(); err != nil {
		return err
	}
	for day, span := range h.Days {
		if _, ok := weekdays[day]; !ok {
			return fmt.Errorf("business hours: %q is not mon, tue, wed, thu, fri, sat or sun", day)
		}
		if _, _, err := parseSpan(span); err != nil {
			return fmt.Errorf("business hours for %s: %w", day, err)
		}
	}
	return nil
}

func (h Hours) location() (*time.Location, error) {
	if h.TimeZone == "" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(h.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("business hours: time zone %q: %w", h.TimeZone, err)
	}
	return loc, nil
}

// Open reports whether the contact center is open at t.
func (h Hours) Open(t time.Time) bool {
	if len(h.Days) == 0 {
		return true
	}
	loc, err := h.location()
	if err != nil {
		return false
	}
	t = t.In(loc)
	for day, span := range h.Days {
		if weekdays[day] != t.Weekday() {
			continue
		}
		from, to, err := parseSpan(span)
		if err != nil {
			return false
		}
		minute := t.Hour()*60 + t.Minute()
		return minute >= from && minute < to
	}
	return false
}

// parseSpan reads "09:00-17:30" as minutes of the day.
func parseSpan(span string) (from, to int, err error) {
	a, b, ok := strings.Cut(span, "-")
	if !ok {
		return 0, 0, fmt.Errorf("%q is not like 09:00-17:30", span)
	}
	start, err1 := time.Parse("15:04", strings.TrimSpace(a))
	end, err2 := time.Parse("15:04", strings.TrimSpace(b))
	if err1 != nil || err2 != nil || !end.After(start) {
		return 0, 0, fmt.Errorf("%q is not like 09:00-17:30", span)
	}
	return start.Hour()*60 + start.Minute(), end.Hour()*60 + end.Minute(), nil
}
