package widget

import (
	"net/url"
	"strings"
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/parleychat/parley/protocol"
)

func TestMessageListDrawsEachKindOfLine(t *testing.T) {
	t.Parallel()
	hostile := `<img src=x onerror="alert(1)">`
	files := FileLinks{Base: "https://chat.example", ChatID: "c1", Token: "t&1"}
	photo := &protocol.File{FileID: "f1", FileName: "cat.png", FileType: protocol.FileImage}
	request := FormRequest{RequestID: protocol.TextID("r1"), Name: "pre_chat"}
	question := FormRequest{RequestID: protocol.TextID("r2")}
	lines := []Line{
		{From: FromAgent, Author: "Grace", Text: hostile, Time: at.Time, MsgID: protocol.TextID("m1"), Seq: 2},
		{From: FromSystem, Notice: NoticeJoined, Author: "Grace"},
		{From: FromAgent, Author: "Grace", File: photo, MsgID: protocol.TextID("m2")},
		{From: FromScenario, Form: request.RequestID},
		{From: FromScenario, Form: question.RequestID},
		{From: FromVisitor, Text: "on its way", MsgID: protocol.TextID("tab:1"), Status: Pending},
	}
	forms := map[protocol.ID]FormView{request.RequestID: {Request: request}, question.RequestID: {Request: question}}
	actions := &noActions{}
	m := NewMessageList().Lines(lines, forms, false).Files(files).Typing("Grace").Uploads([]Upload{{Key: 1, Name: "big.pdf", Percent: 40}}).Actions(actions)
	mount(t, m)

	list := []int{0, 0, 0}
	at := func(i ...int) []int { return append(append([]int(nil), list...), i...) }
	match(t, NewMessage().Line(lines[0], "Grace", lineMeta(english.Clone(), lines[0]), hostile), m, at(0)...)
	// The hostile text is a text node: never markup.
	match(t, app.Text(hostile), m, at(0, 0, 1, 0)...)
	match(t, NewNoticeLine().Kind(NoticeJoined).Text("Grace joined the chat"), m, at(1)...)
	match(t, NewMessage().Line(lines[2], "Grace", "", "").File("https://chat.example/clientweb/api/v2/chats/c1/files/f1?token=t%261", "Download cat.png"), m, at(2)...)
	match(t, NewFormCard().Form(forms[request.RequestID], false).Actions(actions), m, at(3)...)
	match(t, app.Li().Class("parley-line parley-system").DataSet("testid", "form-question"), m, at(4)...)
	match(t, app.Li().Class("parley-line parley-visitor").DataSet("testid", "message").DataSet("from", "visitor").
		DataSet("status", "pending").DataSet("msg-id", "tab:1"), m, at(5, 0)...)
	match(t, app.Text("Sending…"), m, at(5, 0, 2, 0)...)
	match(t, NewUploadItem().Upload(Upload{Key: 1, Name: "big.pdf", Percent: 40}).Actions(actions), m, at(6)...)
	match(t, app.P().Class("parley-typing").DataSet("testid", "typing"), m, 0, 1)
	match(t, app.Text("Grace is typing…"), m, 0, 1, 0)
}

func TestMessageListLeavesAnsweredQuestionsOut(t *testing.T) {
	t.Parallel()
	answered := FormRequest{RequestID: protocol.TextID("r1"), Answered: true}
	expired := FormRequest{RequestID: protocol.TextID("r2")}
	lines := []Line{{Form: answered.RequestID}, {Form: expired.RequestID}}
	m := NewMessageList().Lines(lines, map[protocol.ID]FormView{answered.RequestID: {Request: answered}, expired.RequestID: {Request: expired, Expired: true}}, false)
	mount(t, m)
	match(t, app.Text(""), m, 0, 0, 0, 0)
	match(t, app.Text(""), m, 0, 0, 0, 1)
}

func TestMessageDrawsFilesAndLinks(t *testing.T) {
	t.Parallel()
	picture := Line{From: FromAgent, File: &protocol.File{FileID: "f1", FileName: "cat.png", FileType: protocol.FileImage}}
	document := Line{From: FromVisitor, File: &protocol.File{FileID: "f2", FileName: "rates.pdf", FileType: protocol.FileAttachment}, Status: Sent}
	cases := []struct {
		name    string
		message *Message
		path    []int
		want    app.UI
	}{
		{"a picture opens itself", NewMessage().Line(picture, "Grace", "", "").File("u1", "Download cat.png"), []int{0, 1},
			app.A().Class("parley-image").Href("u1").Target("_blank").Rel("noopener noreferrer")},
		{"its preview", NewMessage().Line(picture, "Grace", "", "").File("u1", "Download cat.png"), []int{0, 1, 0},
			app.Img().Src("u1").Alt("cat.png").Attr("loading", "lazy").DataSet("testid", "image")},
		{"any other file downloads", NewMessage().Line(document, "You", "Sent", "").File("u2", "Download rates.pdf"), []int{0, 1},
			app.A().Class("parley-text parley-download").Href("u2").Attr("download", "rates.pdf").Aria("label", "Download rates.pdf").DataSet("testid", "download")},
		{"a web address is a link", NewMessage().Line(Line{From: FromAgent}, "Grace", "", "see https://example.com/a."), []int{0, 1, 1},
			app.A().Href("https://example.com/a").Target("_blank").Rel("noopener noreferrer nofollow")},
		{"the sentence's full stop is not the link's", NewMessage().Line(Line{From: FromAgent}, "Grace", "", "see https://example.com/a."), []int{0, 1, 2},
			app.Text(".")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			mount(t, tc.message)
			match(t, tc.want, tc.message, tc.path...)
		})
	}
}

func TestFormCardSaysHowTheFormStands(t *testing.T) {
	t.Parallel()
	form := protocol.Form{Title: "Before we start", Fields: []protocol.Field{{Type: protocol.FieldText, Name: "first_name", Label: "Your name", Required: true}}}
	request := FormRequest{RequestID: protocol.TextID("r1"), Name: "pre_chat"}
	with := func(f func(*FormView)) FormView {
		v := FormView{Request: request, Form: form, Known: true, Loaded: true}
		f(&v)
		return v
	}
	cases := []struct {
		name   string
		form   FormView
		over   bool
		state  string
		status string
	}{
		{"before the configuration came", FormView{Request: request}, false, "loading", "…"},
		{"a form the configuration lacks", FormView{Request: request, Loaded: true}, false, "missing", "This form cannot be shown here."},
		{"answered", with(func(v *FormView) { v.Request.Answered = true }), false, "sent", "Thank you, sent."},
		{"not sent", with(func(v *FormView) { v.Request.NotSent = true }), false, "not-sent", "Your answer was not sent: the chat ended first."},
		{"its time is up", with(func(v *FormView) { v.Expired = true }), false, "expired", "This form has expired."},
		{"the chat is over", with(func(*FormView) {}), true, "expired", "This form has expired."},
		{"open", with(func(*FormView) {}), false, "open", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := NewFormCard().Form(tc.form, tc.over)
			mount(t, c)
			match(t, app.Li().Class("parley-line parley-form").DataSet("testid", "form").DataSet("form-name", "pre_chat").
				DataSet("request-id", "r1").DataSet("form-state", tc.state), c, 0)
			switch {
			case tc.state == "open":
				match(t, app.Form().Class("parley-form-card").Aria("labelledby", fieldID(request.RequestID, "title")).NoValidate(true).OnSubmit(nothing), c, 0, 0)
				match(t, app.Input().ID(fieldID(request.RequestID, "first_name")).Type("text").Value("").Required(true).Placeholder("").
					Aria("invalid", false).Aria("describedby", fieldID(request.RequestID, "first_name")+"-error").DataSet("field", "first_name").OnInput(nothing), c, 0, 0, 1, 1)
			case tc.form.Known:
				match(t, app.Text(tc.status), c, 0, 1, 0)
			default:
				match(t, app.Text(tc.status), c, 0, 0, 0)
			}
		})
	}
}

func TestUploadItemShowsProgressOrWhy(t *testing.T) {
	t.Parallel()
	going := NewUploadItem().Upload(Upload{Key: 3, Name: "big.pdf", Percent: 40})
	mount(t, going)
	match(t, app.Li().Class("parley-line parley-visitor parley-uploading").DataSet("testid", "upload").DataSet("failed", false), going, 0)
	match(t, app.Text("Sending big.pdf… 40%"), going, 0, 0, 0, 0)
	match(t, app.Progress().Max(100).Value(40).Aria("label", "big.pdf"), going, 0, 0, 1)
	match(t, app.Button().Class("parley-link").Type("button").DataSet("testid", "cancel-upload").OnClick(nothing), going, 0, 1)

	failed := NewUploadItem().Upload(Upload{Key: 3, Name: "big.pdf", Failed: "big.pdf could not be sent."})
	mount(t, failed)
	match(t, app.P().Class("parley-text").Role("alert"), failed, 0, 0)
	match(t, app.Text("big.pdf could not be sent."), failed, 0, 0, 0)
}

func TestAfterChatKeepsTheTranscript(t *testing.T) {
	t.Parallel()
	lines := []Line{
		{From: FromVisitor, Text: "hello", Time: at.Time},
		{From: FromAgent, Author: "Grace", Text: "hi there"},
		{From: FromAgent, Author: "Grace", File: &protocol.File{FileID: "f1", FileName: "rates.pdf"}},
		{From: FromSystem, Notice: NoticeEnded},
		{Form: protocol.TextID("r1")},
	}
	text := TranscriptText(english.Clone(), lines, at.Time)
	for _, want := range []string{"Chat transcript, ", visitorTime(at.Time).Format("15:04") + " You: hello\n", "Grace: hi there\n", "Grace: [rates.pdf]\n", "* The chat has ended.\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("the transcript lacks %q:\n%s", want, text)
		}
	}
	a := NewAfterChat().Lines(lines, at.Time)
	mount(t, a)
	match(t, app.A().Class("parley-button").DataSet("testid", "transcript").Href("data:text/plain;charset=utf-8,"+url.PathEscape(text)).
		Attr("download", "chat-transcript.txt"), a, 0, 0)
	match(t, app.Button().Class("parley-button parley-primary").Type("button").DataSet("testid", "new-chat").OnClick(nothing), a, 0, 1)
}

func TestUnavailableLinksOnlyToSafePlaces(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"https://example.com/contact": "https://example.com/contact",
		"mailto:help@example.com":     "mailto:help@example.com",
		"javascript:alert(1)":         "",
		"":                            "",
		"//example.com":               "",
	}
	for in, want := range cases {
		u := NewUnavailable().LeaveURL(in)
		mount(t, u)
		if want == "" {
			match(t, app.Button().Class("parley-button parley-primary").Type("button").DataSet("testid", "try-again").OnClick(nothing), u, 0, 1)
			continue
		}
		match(t, app.A().Class("parley-button").DataSet("testid", "leave-message").Href(want).Target("_blank").Rel("noopener"), u, 0, 1)
	}
}

func TestFileLinksCarryTheToken(t *testing.T) {
	t.Parallel()
	f := FileLinks{Base: "https://chat.example", ChatID: "c/1", Token: "a b&c"}
	if got, want := f.File("f 1"), "https://chat.example/clientweb/api/v2/chats/c%2F1/files/f%201?token=a+b%26c"; got != want {
		t.Errorf("File = %q, want %q", got, want)
	}
	if got, want := f.Photo("agent-1"), "https://chat.example/clientweb/api/v2/chats/c%2F1/profilephotos/agent-1?token=a+b%26c"; got != want {
		t.Errorf("Photo = %q, want %q", got, want)
	}
}
