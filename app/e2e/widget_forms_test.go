package e2e

import (
	"fmt"
	"slices"
	"testing"

	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/app/scenario"
	"github.com/parleychat/parley/protocol"
)

// formCard selects the card of a form request.
func formCard(requestID protocol.ID) string {
	return fmt.Sprintf(`[data-testid=form][data-request-id="%s"]`, requestID)
}

// field selects a form control by its field name inside a card.
func field(card, name string) string {
	return fmt.Sprintf(`%s [data-field="%s"]`, card, name)
}

// fieldErrors are the error texts of a card's fields by field name, for
// the fields that have one.
func (w *chatWindow) fieldErrors(card string) map[string]string {
	w.t.Helper()
	return evalJS[map[string]string](w.t, w.frame, fmt.Sprintf(`(() => {
		const out = {};
		for (const e of document.querySelectorAll(%q)) {
			if (!e.textContent) continue;
			const owner = document.querySelector("[aria-describedby='" + e.id + "']");
			out[owner ? owner.closest("[data-field]").dataset.field : e.id] = e.textContent;
		}
		return out;
	})()`, card+` [data-testid=field-error]`))
}

func ptr(f float64) *float64 { return &f }

// TestPreChatForm: the default scenario's pre-chat form refuses an empty
// answer in the window, with the problems at the fields, and sends a filled
// one once, as the scenario's form request asked.
func TestPreChatForm(t *testing.T) {
	srv := parleytest.Start(t)
	w := openChat(t, srv)
	card := `[data-testid=form][data-form-name=pre_chat]`
	w.waitVisible(card + `[data-form-state=open]`)
	w.tab.screenshot("forms-pre-chat")

	w.click(card + ` [data-testid=form-submit]`)
	w.waitVisible(card + ` [data-testid=field-error]:not(:empty)`)
	if got, want := w.fieldErrors(card), map[string]string{"first_name": "Please fill this in.", "topic": "Please fill this in."}; !mapsEqual(got, want) {
		t.Errorf("the empty form's problems are %v, want %v", got, want)
	}
	for name, invalid := range map[string]string{"first_name": "true", "topic": "true", "email": "false"} {
		if got := attribute(t, w.frame, field(card, name), "aria-invalid"); got != invalid {
			t.Errorf("%s has aria-invalid=%q, want %q", name, got, invalid)
		}
	}
	if focused := evalJS[string](t, w.frame, `document.activeElement.dataset.field || document.activeElement.tagName`); focused != "first_name" {
		t.Errorf("after the refused submit the focus is on %q, want the first field with a problem", focused)
	}
	w.tab.screenshot("forms-pre-chat-problems")

	w.typeText(field(card, "first_name"), "Ada Lovelace")
	w.typeText(field(card, "email"), "ada@example.com")
	w.setField(field(card, "topic"), "product", "change")
	w.click(card + ` [data-testid=form-submit]`)
	w.waitVisible(card + `[data-form-state=sent]`)
	waitText(t, w.frame, card+` .parley-form-status`, "Thank you, sent.")
	waitJS(t, w.frame, "the assistant's thanks", `[...document.querySelectorAll("[data-testid=message][data-from=scenario] .parley-text")]
		.some(p => p.textContent === "Thanks, Ada Lovelace. You are in the queue.")`)
	w.tab.screenshot("forms-pre-chat-sent")

	got := waitStored(t, srv, w.chatID, "the answer and the thanks", func(e []protocol.Event) bool {
		return len(eventsOf[*protocol.Message](sentBy(e, scenario.AssistantID))) == 2
	})
	show := eventsOf[*protocol.FormShow](got)
	if len(show) != 1 {
		t.Fatalf("the scenario asked for %d forms", len(show))
	}
	sameEvents(t, "what the visitor sent", dropTypes(sentBy(got, w.chatID), protocol.TypeMessageRead), []protocol.Event{
		navEvent(srv, w, 1),
		&protocol.FormData{FormRequestID: show[0].FormRequestID, FormName: "pre_chat", Data: protocol.FormValues{Fields: map[string]string{
			"first_name": "Ada Lovelace", "email": "ada@example.com", "topic": "product",
		}}, Meta: protocol.Meta{PartyID: w.chatID}},
	})
	said := eventsOf[*protocol.Message](sentBy(got, scenario.AssistantID))
	var contactCenter []protocol.Event
	for _, e := range got {
		if e.EventMeta().PartyID != w.chatID && e.EventType() != protocol.TypeStatus {
			contactCenter = append(contactCenter, e)
		}
	}
	sameEvents(t, "what the scenario said", contactCenter, []protocol.Event{
		&protocol.PartyJoined{DisplayName: "Parley Assistant", Type: protocol.PartyScenario, Meta: protocol.Meta{PartyID: scenario.AssistantID}},
		&protocol.Message{MsgID: said[0].MsgID, Msg: scenario.Default().Greeting, Meta: protocol.Meta{PartyID: scenario.AssistantID}},
		&protocol.FormShow{FormRequestID: show[0].FormRequestID, FormName: "pre_chat", FormTimeout: 600, Channel: protocol.ChannelChat},
		&protocol.Message{MsgID: said[1].MsgID, Msg: "Thanks, Ada Lovelace. You are in the queue.", Meta: protocol.Meta{PartyID: scenario.AssistantID}},
	})
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// everyField is a configuration whose one form has a field of every type.
func everyField() scenario.Config {
	cfg := scenario.Default()
	cfg.PreChatForm, cfg.SurveyForm = "", ""
	cfg.Forms = []protocol.WidgetForm{{
		Name: "order_details", Title: "Your order", SubmitButtonText: "Send details",
		Fields: []protocol.WidgetField{
			{FormFieldType: "label", Label: "We answer within a day."},
			{FormFieldType: "text", Name: "order", Label: "Order number", Required: true, Pattern: "[A-Z]{2}-[0-9]{4}", Placeholder: "AB-1234"},
			{FormFieldType: "email", Name: "email", Label: "Email"},
			{FormFieldType: "phone", Name: "phone", Label: "Phone"},
			{FormFieldType: "number", Name: "quantity", Label: "How many?", MinValue: ptr(1), MaxValue: ptr(10)},
			{FormFieldType: "textarea", Name: "notes", Label: "Notes", Options: []protocol.WidgetOption{{Value: "4", Label: "4"}}},
			{FormFieldType: "select", Name: "size", Label: "Size", Options: []protocol.WidgetOption{{Value: "s", Label: "Small"}, {Value: "m", Label: "Medium"}, {Value: "l", Label: "Large"}}},
			{FormFieldType: "radio", Name: "delivery", Label: "Delivery", Options: []protocol.WidgetOption{{Value: "standard", Label: "Standard"}, {Value: "express", Label: "Express"}}},
			{FormFieldType: "checkbox", Name: "gift", Label: "Gift wrap"},
			{FormFieldType: "date", Name: "when", Label: "Deliver on"},
		},
	}}
	return cfg
}

// TestEveryFieldType: a form the agent pushes with every field type shows
// each as its own control, checks each value as the server would, and
// sends what the visitor entered.
func TestEveryFieldType(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet(), parleytest.Contact(everyField()))
	w := openChat(t, srv)
	agent := srv.Agent("Grace Hopper")
	if err := agent.Take(w.tab.ctx, w.chatID); err != nil {
		t.Fatal(err)
	}
	request := protocol.NumberID(7)
	if err := agent.Publish(w.tab.ctx, w.chatID, &protocol.FormShow{FormRequestID: request, FormName: "order_details", Meta: protocol.Meta{PartyID: agent.PartyID}}); err != nil {
		t.Fatal(err)
	}
	card := formCard(request)
	w.waitVisible(card + `[data-form-state=open]`)

	controls := map[string]string{
		"order":    `input[type=text][placeholder=AB-1234][required]`,
		"email":    `input[type=email]`,
		"phone":    `input[type=tel]`,
		"quantity": `input[type=number][min][max]`,
		"notes":    `textarea[rows="4"]`,
		"size":     `select`,
		"when":     `input[type=date]`,
	}
	for name, control := range controls {
		if countIn(t, w.frame, fmt.Sprintf(`%s %s[data-field="%s"]`, card, control, name)) != 1 {
			t.Errorf("the field %s is not shown as %s", name, control)
		}
	}
	if bounds := evalJS[[]float64](t, w.frame, fmt.Sprintf(`(e => [Number(e.min), Number(e.max)])(document.querySelector(%q))`, field(card, "quantity"))); !slices.Equal(bounds, []float64{1, 10}) {
		t.Errorf("the number field is bounded by %v, want [1 10]", bounds)
	}
	if n := countIn(t, w.frame, field(card, "delivery")+` input[type=radio]`); n != 2 {
		t.Errorf("the delivery field has %d radio buttons, want 2", n)
	}
	if n := countIn(t, w.frame, field(card, "gift")+` input[type=checkbox]`); n != 1 {
		t.Errorf("the gift field has %d check boxes, want 1", n)
	}
	if got := allText(t, w.frame, field(card, "size")+` option`); !slices.Equal(got, []string{"Choose…", "Small", "Medium", "Large"}) {
		t.Errorf("the size options read %q", got)
	}
	if got := allText(t, w.frame, card+` label, `+card+` legend, `+card+` .parley-form-label, `+card+` .parley-form-title`); !slices.Equal(got, []string{
		"Your order", "We answer within a day.", "Order number*", "Email", "Phone", "How many?", "Notes", "Size", "Delivery", "Standard", "Express", "Gift wrap", "Deliver on",
	}) {
		t.Errorf("the form's texts read %q", got)
	}
	// The required mark is the label's, apart from its text, and hidden
	// from screen readers, which hear "required" from the field.
	if got := allText(t, w.frame, card+` .parley-required[aria-hidden=true]`); !slices.Equal(got, []string{"*"}) {
		t.Errorf("the required marks read %q", got)
	}

	// Wrong values are refused field by field, with the window's words.
	w.typeText(field(card, "order"), "ab-12")
	w.typeText(field(card, "email"), "ada.example.com")
	w.typeText(field(card, "phone"), "12")
	w.typeText(field(card, "quantity"), "11")
	w.click(card + ` [data-testid=form-submit]`)
	w.waitVisible(card + ` [data-testid=field-error]:not(:empty)`)
	want := map[string]string{
		"order":    "This is not in the expected format.",
		"email":    "Please enter an email address, like name@example.com.",
		"phone":    "Please enter a phone number.",
		"quantity": "This number is too large.",
	}
	if got := w.fieldErrors(card); !mapsEqual(got, want) {
		t.Errorf("the problems are %v, want %v", got, want)
	}
	w.tab.screenshot("forms-every-field-problems")

	w.setField(field(card, "order"), "AB-1234", "input")
	w.setField(field(card, "email"), "ada@example.com", "input")
	w.setField(field(card, "phone"), "+49 30 1234567", "input")
	w.setField(field(card, "quantity"), "7", "input")
	w.typeText(field(card, "notes"), "Leave it at the door.\nThanks!")
	w.setField(field(card, "size"), "m", "change")
	w.click(field(card, "delivery") + ` input[value=express]`)
	w.click(field(card, "gift") + ` input[type=checkbox]`)
	w.setField(field(card, "when"), "2026-12-24", "input")
	w.tab.screenshot("forms-every-field-filled")
	w.click(card + ` [data-testid=form-submit]`)
	w.waitVisible(card + `[data-form-state=sent]`)

	got := waitStored(t, srv, w.chatID, "the answer", func(e []protocol.Event) bool { return len(eventsOf[*protocol.FormData](e)) > 0 })
	sameEvents(t, "what the visitor sent", sentBy(got, w.chatID), []protocol.Event{
		navEvent(srv, w, 1),
		&protocol.FormData{FormRequestID: request, FormName: "order_details", Data: protocol.FormValues{Fields: map[string]string{
			"order": "AB-1234", "email": "ada@example.com", "phone": "+49 30 1234567", "quantity": "7",
			"notes": "Leave it at the door.\nThanks!", "size": "m", "delivery": "express", "gift": "true", "when": "2026-12-24",
		}}, Meta: protocol.Meta{PartyID: w.chatID}},
	})
}

// TestFormTimeout: a form shown with a time limit stops taking an answer
// when the time is up, and nothing is sent for it.
func TestFormTimeout(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	w := openChat(t, srv)
	request := protocol.NumberID(11)
	serverPublish(t, srv, w.chatID, &protocol.FormShow{FormRequestID: request, FormName: "pre_chat", FormTimeout: 2, Channel: protocol.ChannelChat})
	card := formCard(request)
	w.waitVisible(card + `[data-form-state=open]`)
	w.waitVisible(card + `[data-form-state=expired]`)
	waitText(t, w.frame, card+` .parley-form-status`, "This form has expired.")
	if n := countIn(t, w.frame, card+` input, `+card+` button`); n != 0 {
		t.Errorf("the expired form still has %d controls", n)
	}
	w.tab.screenshot("forms-expired")

	w.say("Sorry, I was away.")
	got := storedAtLeast(t, srv, w.chatID, 3)
	sameEvents(t, "the events the server stored", got, []protocol.Event{
		navEvent(srv, w, 1),
		&protocol.FormShow{FormRequestID: request, FormName: "pre_chat", FormTimeout: 2, Channel: protocol.ChannelChat},
		visitorMsg(w, 2, "Sorry, I was away."),
	})
}

// TestFormForTheNextMessage: a form request without a name takes the
// visitor's next message as its answer, once.
func TestFormForTheNextMessage(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	w := openChat(t, srv)
	request := protocol.NumberID(12)
	serverPublish(t, srv, w.chatID, agentJoined(graceID, "Grace"), &protocol.FormShow{FormRequestID: request, Meta: protocol.Meta{PartyID: graceID}})
	waitText(t, w.frame, `[data-testid=form-question]`, "Type your answer…")
	if placeholder := attribute(t, w.frame, composerInput, "placeholder"); placeholder != "Type your answer…" {
		t.Errorf("the message box invites %q", placeholder)
	}
	w.tab.screenshot("forms-next-message")

	w.say("AB-1234")
	w.waitGone(`[data-testid=form-question]`)
	w.waitVisible(`[data-testid=message][data-from=visitor][data-status=sent]`)
	w.say("It is the blue one.")
	got := waitStored(t, srv, w.chatID, "both messages", func(e []protocol.Event) bool {
		return len(eventsOf[*protocol.Message](sentBy(e, w.chatID))) == 2
	})
	sameEvents(t, "what the visitor sent", sentBy(got, w.chatID), []protocol.Event{
		navEvent(srv, w, 1),
		visitorMsg(w, 2, "AB-1234"),
		&protocol.FormData{FormRequestID: request, Data: protocol.FormValues{Fields: map[string]string{"text": "AB-1234"}}, Meta: protocol.Meta{PartyID: w.chatID}},
		visitorMsg(w, 3, "It is the blue one."),
	})
	if placeholder := attribute(t, w.frame, composerInput, "placeholder"); placeholder != "Write a message…" {
		t.Errorf("after the answer the message box invites %q", placeholder)
	}
}

// TestUnknownFormsAreAnswered: the window answers a request for a form its
// configuration lacks as Bright Pattern's client does, and declines an
// unknown secure form.
func TestUnknownFormsAreAnswered(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	w := openChat(t, srv)
	serverPublish(t, srv, w.chatID,
		&protocol.FormShow{FormRequestID: protocol.NumberID(21), FormName: "loyalty_signup", Channel: protocol.ChannelChat},
		&protocol.SecureFormShow{FormRequestID: protocol.TextID("sec-x"), FormID: "no-such-id", FormName: "payment"},
	)
	w.waitVisible(formCard(protocol.NumberID(21)) + `[data-form-state=missing]`)
	waitText(t, w.frame, formCard(protocol.NumberID(21))+` .parley-form-status`, "This form cannot be shown here.")
	got := waitStored(t, srv, w.chatID, "both answers", func(e []protocol.Event) bool { return len(e) == 5 })
	sameEvents(t, "the events the server stored", got, []protocol.Event{
		navEvent(srv, w, 1),
		&protocol.FormShow{FormRequestID: protocol.NumberID(21), FormName: "loyalty_signup", Channel: protocol.ChannelChat},
		&protocol.SecureFormShow{FormRequestID: protocol.TextID("sec-x"), FormID: "no-such-id", FormName: "payment"},
		&protocol.FormData{FormRequestID: protocol.NumberID(21), FormName: "loyalty_signup", Data: protocol.FormValues{Note: protocol.FormNotFound}, Meta: protocol.Meta{PartyID: w.chatID}},
		&protocol.SecureFormCancel{FormRequestID: protocol.TextID("sec-x"), FormName: "payment", Meta: protocol.Meta{PartyID: w.chatID}},
	})
	w.tab.screenshot("forms-unknown")
}

// TestSecureForm: a secure form, found by its id in the configuration, is
// answered with chat_session_secure_form_data; its cancel button sends
// chat_session_secure_form_cancel.
func TestSecureForm(t *testing.T) {
	cfg := scenario.Default()
	cfg.Forms = append(cfg.Forms, protocol.WidgetForm{ID: "card-7", Name: "payment", Title: "Card details", SubmitButtonText: "Pay",
		Fields: []protocol.WidgetField{
			{FormFieldType: "name", Name: "holder", Label: "Name on the card", Required: true},
			{FormFieldType: "text", Name: "card", Label: "Card number", Required: true, Pattern: "[0-9 ]{12,23}"},
		}})
	srv := parleytest.Start(t, parleytest.Quiet(), parleytest.Contact(cfg))
	w := openChat(t, srv)
	serverPublish(t, srv, w.chatID, &protocol.SecureFormShow{FormRequestID: protocol.TextID("pay-1"), FormID: "card-7", FormName: "payment"})
	card := formCard(protocol.TextID("pay-1"))
	w.waitVisible(card + `[data-form-state=open]`)
	if title := textOf(t, w.frame, card+` .parley-form-title`); title != "Card details" {
		t.Errorf("the secure form's title reads %q", title)
	}
	w.typeText(field(card, "holder"), "Ada Lovelace")
	w.typeText(field(card, "card"), "4111 1111 1111 1111")
	w.tab.screenshot("forms-secure")
	w.click(card + ` [data-testid=form-submit]`)
	w.waitVisible(card + `[data-form-state=sent]`)
	// The card says sent once the session holds the answer; the server may
	// store it a moment later, and the order below is the server's.
	waitStored(t, srv, w.chatID, "the answer", func(e []protocol.Event) bool { return len(e) == 3 })

	serverPublish(t, srv, w.chatID, &protocol.SecureFormShow{FormRequestID: protocol.TextID("pay-2"), FormID: "card-7", FormName: "payment"})
	second := formCard(protocol.TextID("pay-2"))
	w.waitVisible(second + `[data-form-state=open]`)
	w.click(second + ` [data-testid=form-cancel]`)
	w.waitVisible(second + `[data-form-state=declined]`)

	got := waitStored(t, srv, w.chatID, "the answer and the cancel", func(e []protocol.Event) bool { return len(e) == 5 })
	sameEvents(t, "the events the server stored", got, []protocol.Event{
		navEvent(srv, w, 1),
		&protocol.SecureFormShow{FormRequestID: protocol.TextID("pay-1"), FormID: "card-7", FormName: "payment"},
		&protocol.SecureFormData{FormRequestID: protocol.TextID("pay-1"), FormName: "payment", Data: protocol.FormValues{Fields: map[string]string{
			"holder": "Ada Lovelace", "card": "4111 1111 1111 1111",
		}}, Meta: protocol.Meta{PartyID: w.chatID}},
		&protocol.SecureFormShow{FormRequestID: protocol.TextID("pay-2"), FormID: "card-7", FormName: "payment"},
		&protocol.SecureFormCancel{FormRequestID: protocol.TextID("pay-2"), FormName: "payment", Meta: protocol.Meta{PartyID: w.chatID}},
	})
}
