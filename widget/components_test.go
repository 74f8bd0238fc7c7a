package widget

import (
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/parleychat/parley/protocol"
)

// mount loads a component in go-app's test engine and runs what it
// dispatched.
func mount(t *testing.T, c app.Composer) {
	t.Helper()
	e := app.NewTestEngine()
	if err := e.Load(c); err != nil {
		t.Fatal(err)
	}
	e.ConsumeAll()
}

// match is app.Match: the element at path under root is want, its
// attributes and its event handlers.
func match(t *testing.T, want, root app.UI, path ...int) {
	t.Helper()
	if err := app.Match(want, root, path...); err != nil {
		t.Errorf("at %v: %v\n%s", path, err, app.HTMLString(root))
	}
}

// noActions stands for the live window where a component needs Actions:
// the tests look at what is drawn, not at what a click does.
type noActions struct{}

func (*noActions) Send(string) bool                               { return true }
func (*noActions) Drafted(string)                                 {}
func (*noActions) Attach(app.Value)                               {}
func (*noActions) CancelUpload(int)                               {}
func (*noActions) ConfirmEnd(bool)                                {}
func (*noActions) End()                                           {}
func (*noActions) Leave()                                         {}
func (*noActions) Close()                                         {}
func (*noActions) Restart()                                       {}
func (*noActions) SubmitForm(protocol.ID, map[string]string) bool { return true }
func (*noActions) DeclineForm(protocol.ID)                        {}
func (*noActions) RequestCall(bool)                               {}
func (*noActions) AcceptCall(bool)                                {}
func (*noActions) DeclineCall()                                   {}
func (*noActions) HangUp()                                        {}
func (*noActions) SetMuted(bool)                                  {}
func (*noActions) SetCamera(bool)                                 {}

func nothing(app.Context, app.Event) {}

func TestHeaderDrawsTheChatsState(t *testing.T) {
	t.Parallel()
	status := func() app.UI {
		return app.P().Class("parley-status").DataSet("testid", "status").Role("status")
	}
	endButton := func(expanded bool) app.UI {
		return app.Button().Class("parley-end").Type("button").DataSet("testid", "end-chat").Aria("expanded", expanded).OnClick(nothing)
	}
	cases := []struct {
		name   string
		header *Header
		check  func(t *testing.T, h *Header)
	}{
		{"the status, and no end button while the chat cannot end", NewHeader().Status("Connecting…"), func(t *testing.T, h *Header) {
			match(t, status(), h, 0, 0, 1, 1)
			match(t, app.Text("Connecting…"), h, 0, 0, 1, 1, 0)
			match(t, app.Span().Class("parley-end-place"), h, 0, 0, 2)
			match(t, app.Button().Class("parley-close").Type("button").DataSet("testid", "close").Aria("label", "Close chat").Title("Close chat").OnClick(nothing), h, 0, 0, 3)
		}},
		{"the end button, its question closed", NewHeader().Status("Connected").CanEnd(true, false), func(t *testing.T, h *Header) {
			match(t, endButton(false), h, 0, 0, 2, 0)
			match(t, app.Text("End chat"), h, 0, 0, 2, 0, 0)
		}},
		{"the question before the end", NewHeader().Status("Connected").CanEnd(true, true), func(t *testing.T, h *Header) {
			match(t, endButton(true), h, 0, 0, 2, 0)
			match(t, app.Div().Class("parley-confirm").Role("alertdialog").Aria("label", "End this chat?").DataSet("testid", "confirm-end"), h, 0, 1)
			match(t, app.Button().Type("button").Class("parley-danger").DataSet("testid", "end-now").OnClick(nothing), h, 0, 1, 1)
			match(t, app.Button().Type("button").DataSet("testid", "leave").OnClick(nothing), h, 0, 1, 2)
			match(t, app.Button().Type("button").DataSet("testid", "keep-chatting").OnClick(nothing), h, 0, 1, 3)
		}},
		{"the agent's photo, beside the name: presentation", NewHeader().Status("Chatting with Grace").PhotoURL("https://chat.example/photo?token=t"), func(t *testing.T, h *Header) {
			match(t, app.Img().Class("parley-photo").DataSet("testid", "agent-photo").Role("presentation").Src("https://chat.example/photo?token=t"), h, 0, 0, 0, 0)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.header.Actions(&noActions{})
			mount(t, tc.header)
			tc.check(t, tc.header)
		})
	}
}

// composerParts are the composer's controls as the window draws them,
// enabled or not.
func composerParts(canWrite, canSend, canAttach bool, placeholder string) (input, send, picker app.UI) {
	textarea := app.Textarea().ID(inputID).Class("parley-input").DataSet("testid", "composer-input").
		Aria("label", "Write a message…").Aria("describedby", noticeID).Placeholder(placeholder).Rows(1).
		OnInput(nothing).OnKeyDown(nothing).On("compositionstart", nothing).On("compositionend", nothing).OnPaste(nothing)
	button := app.Button().Class("parley-send").Type("submit").DataSet("testid", "send")
	file := app.Input().ID(fileID).Class("parley-file-input").Type("file").Multiple(true).
		Accept(acceptedFiles()).DataSet("testid", "file-input").OnChange(nothing)
	if !canWrite {
		textarea = textarea.Disabled(true)
	}
	if !canSend {
		button = button.Disabled(true)
	}
	if !canAttach {
		file = file.Disabled(true)
	}
	return textarea, button, file
}

func TestComposerOpensWithWhatTheChatAllows(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name                         string
		composer                     *Composer
		canWrite, canSend, canAttach bool
		placeholder, notice          string
	}{
		{"closed, before the wasm runs", NewComposer(), false, false, false, "Write a message…", ""},
		{"before the chat exists: messages wait, files cannot", NewComposer().Can(true, true, false), true, true, false, "Write a message…", ""},
		{"connected", NewComposer().Can(true, true, true), true, true, true, "Write a message…", ""},
		{"answering the contact center's question", NewComposer().Can(true, true, true).Answering(true), true, true, true, "Type your answer…", ""},
		{"with a notice", NewComposer().Can(true, true, true).Notice("You are sending very fast."), true, true, true, "Write a message…", "You are sending very fast."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := tc.composer.Actions(&noActions{})
			mount(t, c)
			input, send, picker := composerParts(tc.canWrite, tc.canSend, tc.canAttach, tc.placeholder)
			match(t, input, c, 0, 2, 1)
			match(t, send, c, 0, 2, 2)
			match(t, picker, c, 0, 2, 0, 2)
			notice := app.P().ID(noticeID).Class("parley-notice").Role("alert").DataSet("testid", "composer-notice")
			if tc.notice == "" {
				notice = notice.Class("parley-empty")
			}
			match(t, notice, c, 0, 0)
			if tc.notice != "" {
				match(t, app.Text(tc.notice), c, 0, 0, 0)
			}
			match(t, app.Div().Class("parley-dropzone").Class("parley-empty").Aria("hidden", "true").DataSet("testid", "dropzone"), c, 0, 1)
		})
	}
}

func TestWindowBeforeTheWasmRuns(t *testing.T) {
	t.Parallel()
	w := NewWindow()
	mount(t, w)
	match(t, app.Main().Class("parley").Lang("en").Dir("ltr").DataSet("testid", "chat").DataSet("connection", "starting").
		DataSet("chat-id", "").DataSet("position", ":0").DataSet("transport", "socket").DataSet("tab", "").
		OnDragOver(nothing).OnDragLeave(nothing).OnDrop(nothing).OnKeyDown(nothing), w, 0)
	match(t, NewHeader().Status("Connecting…"), w, 0, 0)
	match(t, NewCallPanel(), w, 0, 1)
	match(t, NewMessageList(), w, 0, 2)
	match(t, NewComposer(), w, 0, 3)
	input, send, picker := composerParts(false, false, false, "Write a message…")
	match(t, input, w, 0, 3, 0, 2, 1)
	match(t, send, w, 0, 3, 0, 2, 2)
	match(t, picker, w, 0, 3, 0, 2, 0, 2)
	match(t, NewAnnouncer().TestID("announcer").Atomic(true), w, 0, 4)
	match(t, NewAnnouncer().TestID("typing-announcer"), w, 0, 5)
}

func TestWindowBottomFollowsTheChat(t *testing.T) {
	t.Parallel()
	actions := &noActions{}
	lines := []Line{{From: FromSystem, Notice: NoticeEnded}}
	cases := []struct {
		name   string
		window *Window
		want   app.UI
	}{
		{"the composer while the chat runs", NewWindow().Connection("connected").Composer(true, true, true, false, "").Actions(actions),
			NewComposer().Can(true, true, true).Actions(actions)},
		{"the transcript and a new chat after the end", NewWindow().Connection("ended").Transcript(lines, nil, nil, "", FileLinks{}, true).Ended(true, at.Time).Actions(actions),
			NewAfterChat().Lines(lines, at.Time).Actions(actions)},
		{"a way to leave a message while closed", NewWindow().Connection("failed").Closed(true, "mailto:help@example.com").Actions(actions),
			NewUnavailable().LeaveURL("mailto:help@example.com").Actions(actions)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			mount(t, tc.window)
			match(t, tc.want, tc.window, 0, 3)
		})
	}
}

func TestWindowIsMirroredRightToLeft(t *testing.T) {
	t.Parallel()
	w := NewWindow().Lang("ar").Connection("connected").Chat("c1", "e:2", "polling", "tab7")
	mount(t, w)
	match(t, app.Main().Class("parley").Lang("ar").Dir("rtl").DataSet("testid", "chat").DataSet("connection", "connected").
		DataSet("chat-id", "c1").DataSet("position", "e:2").DataSet("transport", "polling").DataSet("tab", "tab7").
		OnDragOver(nothing).OnDragLeave(nothing).OnDrop(nothing).OnKeyDown(nothing), w, 0)
}
