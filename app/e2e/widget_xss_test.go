package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/app/scenario"
	"github.com/parleychat/parley/protocol"
)

// hostile are texts that would run script, make markup or mislead if a
// page took them for HTML: each sets window.__xss if it ever runs.
var hostile = []string{
	`<script>window.__xss=1</script>`,
	`<img src=x onerror="window.__xss=1">`,
	`javascript:window.__xss=1`,
	`<svg onload="window.__xss=1"><circle r="9"/></svg>`,
	`"><b>bold</b><i onmouseover="window.__xss=1">`,
	`&lt;b&gt;entities stay entities&lt;/b&gt; &amp; &#60;`,
	"\u202Eexe.txt\u202C and \u2067isolated\u2069 right-to-left overrides",
	`<a href="javascript:window.__xss=1">click</a> https://example.com/"onmouseover="window.__xss=1`,
	`<iframe src="javascript:window.__xss=1"></iframe><style>*{display:none}</style>`,
	`{{.}} ${window.__xss=1} <!-- a comment --> ]]>`,
	// Ten kilobytes of it.
	strings.Repeat(`<img src=x onerror=window.__xss=1>`, 300),
}

// noMarkup fails the test if the window made elements of what it was sent:
// scripts, images other than previews, SVG, bold, frames, styles, any on*
// attribute, links other than the http ones a message may carry; and if
// anything ran, in the window or in the host page. The window's own photo
// of the agent and its paperclip icon are not from what it was sent.
func (w *chatWindow) noMarkup(scope string) {
	w.t.Helper()
	found := evalJS[[]string](w.t, w.frame, fmt.Sprintf(`(() => {
		const out = [];
		for (const e of document.querySelectorAll(%s)) {
			const tag = e.tagName.toLowerCase();
			// The window's own: the agent's drawn photo, the paperclip.
			if (e.matches("img[data-testid=agent-photo], [data-testid=attach] svg.parley-icon, [data-testid=attach] svg.parley-icon *")) continue;
			if (["script", "svg", "b", "i", "iframe", "style", "object", "embed"].includes(tag)) out.push(tag);
			if (tag === "img" && e.dataset.testid !== "image") out.push("img " + e.outerHTML.slice(0, 80));
			if (tag === "a" && !/^https?:/.test(e.getAttribute("href") || "")) out.push("a " + e.getAttribute("href"));
			for (const a of e.attributes) if (a.name.startsWith("on")) out.push(tag + " " + a.name);
		}
		return out;
	})()`, jsString(scope+" *")))
	if len(found) > 0 {
		w.t.Errorf("the window made markup of what it was sent, inside %s: %q", scope, found)
	}
	if ran := evalJS[bool](w.t, w.frame, `window.__xss !== undefined`); ran {
		w.t.Error("a payload ran in the window: window.__xss is set")
	}
	if ran := evalJS[bool](w.t, w.tab.ctx, `window.__xss !== undefined`); ran {
		w.t.Error("a payload ran in the host page: window.__xss is set")
	}
}

// TestHostileTextsShowAsText: hostile agent messages, an agent's display
// name, file names, a timeout warning and the visitor's own message show
// literally, and nothing of them runs or becomes markup.
func TestHostileTextsShowAsText(t *testing.T) {
	srv := parleytest.Start(t, parleytest.Quiet())
	w := openChat(t, srv)
	ctx := w.tab.ctx

	const mine = `<b>I typed this</b><img src=x onerror="window.__xss=1">`
	w.say(mine)
	w.waitVisible(`[data-testid=message][data-from=visitor][data-status=sent]`)

	name := `<img src=x onerror="window.__xss=1"> "Grace" <b>Hopper</b>`
	agent := srv.Agent(name)
	if err := agent.Take(ctx, w.chatID); err != nil {
		t.Fatal(err)
	}
	for _, text := range hostile {
		if err := agent.Say(ctx, w.chatID, text); err != nil {
			t.Fatalf("saying %.40q: %v", text, err)
		}
	}
	picture := makePNG(t, 30, 20)
	files := []string{`<img src=x onerror=window.__xss=1>.png`, `"><svg onload=window.__xss=1>.pdf`}
	if _, err := agent.SendFile(ctx, w.chatID, files[0], picture); err != nil {
		t.Fatal(err)
	}
	if _, err := agent.SendFile(ctx, w.chatID, files[1], tinyPDF); err != nil {
		t.Fatal(err)
	}
	const warning = `<img src=x onerror="window.__xss=1">Are you <b>still</b> there?`
	serverPublish(t, srv, w.chatID, &protocol.TimeoutWarning{Msg: warning})
	if err := agent.Publish(ctx, w.chatID, &protocol.Typing{Meta: protocol.Meta{PartyID: agent.PartyID}}); err != nil {
		t.Fatal(err)
	}
	w.waitVisible(`[data-testid=notice][data-notice=timeout_warning]`)
	w.waitVisible(`[data-testid=typing]`)
	waitJS(t, w.frame, "the agent's files", `document.querySelectorAll("[data-testid=file][data-from=agent]").length === 2`)

	if got := allText(t, w.frame, `[data-testid=message][data-from=agent] .parley-text`); !slices.Equal(got, hostile) {
		for i := range max(len(got), len(hostile)) {
			if i >= len(got) || i >= len(hostile) || got[i] != hostile[i] {
				t.Errorf("agent message %d shows as %.120q, want %.120q", i, nth(got, i), nth(hostile, i))
			}
		}
	}
	if got := textOf(t, w.frame, `[data-testid=message][data-from=visitor] .parley-text`); got != mine {
		t.Errorf("the visitor's message shows as %q", got)
	}
	for css, want := range map[string]string{
		`[data-testid=status]`:                                        "Chatting with " + name,
		`[data-testid=notice][data-notice=joined]`:                    name + " joined the chat",
		`[data-testid=typing]`:                                        name + " is typing…",
		`[data-testid=notice][data-notice=timeout_warning]`:           warning,
		`[data-testid=file][data-from=agent] a[data-testid=download]`: files[1],
	} {
		if got := textOf(t, w.frame, css); got != want {
			t.Errorf("%s reads %q, want %q", css, got, want)
		}
	}
	if alt := attribute(t, w.frame, `[data-testid=file][data-from=agent] img[data-testid=image]`, "alt"); alt != files[0] {
		t.Errorf("the picture's alt text is %q, want %q", alt, files[0])
	}
	authors := allText(t, w.frame, `[data-testid=message][data-from=agent] .parley-author`)
	if len(authors) != len(hostile) || slices.ContainsFunc(authors, func(a string) bool { return a != name }) {
		t.Errorf("the agent's messages show the authors %.200q", authors)
	}
	w.noMarkup(`[data-testid=chat]`)
	if n := countIn(t, w.frame, `[data-testid=messages] img[data-testid=image]`); n != 1 {
		t.Errorf("the messages hold %d pictures, want the agent's one", n)
	}
	links := evalJS[[]string](t, w.frame, `[...document.querySelectorAll("[data-testid=messages] .parley-text a")].map(a => a.getAttribute("href"))`)
	if !slices.Equal(links, []string{"https://example.com/"}) {
		t.Errorf("the messages link to %q; the one web address ends at the quote", links)
	}
	w.tab.screenshot("xss-messages")

	got := waitReadToLast(t, srv, w.chatID, agent.PartyID)
	var said []string
	for _, m := range eventsOf[*protocol.Message](sentBy(got, agent.PartyID)) {
		said = append(said, m.Msg)
	}
	if !slices.Equal(said, hostile) {
		t.Errorf("the server stored other texts than the agent said")
	}
	var names []string
	for _, f := range eventsOf[*protocol.File](got) {
		names = append(names, f.FileName)
	}
	if !slices.Equal(names, files) {
		t.Errorf("the server stored the file names %q, want %q", names, files)
	}
	joined := eventsOf[*protocol.PartyJoined](got)
	if len(joined) != 1 || joined[0].DisplayName != name {
		t.Errorf("the server stored the agent as %s", dumpEvents(got[1:2]))
	}
	sameEvents(t, "the visitor's message on the server", dropTypes(sentBy(got, w.chatID), protocol.TypeMessageRead), []protocol.Event{
		navEvent(srv, w, 1),
		visitorMsg(w, 2, mine),
	})
}

func nth(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return "(nothing)"
}

// TestHostileConfiguration: a widget configuration whose title, texts, form
// title, labels, options and buttons are hostile shows them as text, and
// the answer carries the hostile values back unchanged.
func TestHostileConfiguration(t *testing.T) {
	const (
		title       = `<img src=x onerror="window.__xss=1">Chat`
		formTitle   = `<script>window.__xss=1</script>Your details`
		label       = `"><b>Name</b><svg onload="window.__xss=1">`
		note        = "<iframe src=\"javascript:window.__xss=1\"></iframe>\u202Eetoun"
		optionLabel = `<img src=x onerror="window.__xss=1">Large`
		optionValue = `"><script>window.__xss=1</script>`
		radioLabel  = `<b onmouseover="window.__xss=1">Express</b>`
		checkLabel  = `&lt;b&gt;Gift&lt;/b&gt; <i>wrap</i>`
		submit      = `<b>Send</b><img src=x onerror="window.__xss=1">`
		cancel      = `javascript:window.__xss=1`
		fieldName   = `x"><img src=x onerror=window.__xss=1>`
	)
	cfg := scenario.Default()
	cfg.PreChatForm, cfg.SurveyForm = "", ""
	cfg.Widget.Title = title
	// The configuration's own words for the window.
	cfg.Widget.Texts = map[string]map[string]string{"en": {"Placeholder": label, "EndChat": submit, "Send": cancel}}
	cfg.Forms = []protocol.WidgetForm{{
		Name: "details", Title: formTitle, SubmitButtonText: submit, CancelButtonText: cancel,
		Fields: []protocol.WidgetField{
			{FormFieldType: "label", Label: note},
			{FormFieldType: "text", Name: fieldName, Label: label, Placeholder: label},
			{FormFieldType: "select", Name: "size", Label: label, Options: []protocol.WidgetOption{{Value: "s", Label: "Small"}, {Value: optionValue, Label: optionLabel}}},
			{FormFieldType: "radio", Name: "delivery", Label: label, Options: []protocol.WidgetOption{{Value: "x", Label: radioLabel}}},
			{FormFieldType: "checkbox", Name: "gift", Label: checkLabel},
		},
	}}
	srv := parleytest.Start(t, parleytest.Quiet(), parleytest.Contact(cfg))
	w := openChat(t, srv)
	serverPublish(t, srv, w.chatID, &protocol.FormShow{FormRequestID: protocol.NumberID(31), FormName: "details", Channel: protocol.ChannelChat})
	card := formCard(protocol.NumberID(31))
	w.waitVisible(card + `[data-form-state=open]`)
	waitText(t, w.frame, `[data-testid=title]`, title)

	for css, want := range map[string]string{
		card + ` .parley-form-title`:             formTitle,
		card + ` .parley-form-label`:             note,
		card + ` [data-testid=form-submit]`:      submit,
		card + ` [data-testid=form-cancel]`:      cancel,
		card + ` [data-field="delivery"] legend`: label,
		card + ` [data-field="gift"] span`:       checkLabel,
	} {
		if got := textOf(t, w.frame, css); got != want {
			t.Errorf("%s reads %q, want %q", css, got, want)
		}
	}
	if got := allText(t, w.frame, card+` .parley-field > label:not(.parley-choice)`); !slices.Equal(got, []string{label, label}) {
		t.Errorf("the field labels read %q", got)
	}
	if got := allText(t, w.frame, card+` [data-field="size"] option`); !slices.Equal(got, []string{"Choose…", "Small", optionLabel}) {
		t.Errorf("the options read %q", got)
	}
	if got := allText(t, w.frame, card+` [data-field="delivery"] label span`); !slices.Equal(got, []string{radioLabel}) {
		t.Errorf("the radio button reads %q", got)
	}
	if got := attribute(t, w.frame, card+` input[type=text]`, "placeholder"); got != label {
		t.Errorf("the placeholder is %q", got)
	}
	if got := attribute(t, w.frame, `[data-testid=composer-input]`, "placeholder"); got != label {
		t.Errorf("the composer's placeholder, from the configuration's texts, is %q", got)
	}
	w.noMarkup(`[data-testid=chat]`)
	w.tab.screenshot("xss-configuration")

	w.typeText(card+` input[type=text]`, "Ada")
	w.setField(card+` [data-field="size"]`, optionValue, "change")
	w.click(card + ` [data-field="delivery"] input`)
	w.click(card + ` [data-testid=form-submit]`)
	w.waitVisible(card + `[data-form-state=sent]`)
	w.noMarkup(`[data-testid=chat]`)
	got := waitStored(t, srv, w.chatID, "the answer", func(e []protocol.Event) bool { return len(eventsOf[*protocol.FormData](e)) == 1 })
	sameEvents(t, "what the visitor sent", sentBy(got, w.chatID), []protocol.Event{
		navEvent(srv, w, 1),
		&protocol.FormData{FormRequestID: protocol.NumberID(31), FormName: "details", Data: protocol.FormValues{Fields: map[string]string{
			fieldName: "Ada", "size": optionValue, "delivery": "x",
		}}, Meta: protocol.Meta{PartyID: w.chatID}},
	})
}
