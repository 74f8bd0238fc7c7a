package widget

import (
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/parleychat/parley/protocol"
	"github.com/parleychat/parley/widget/call"
)

// Window is the chat window's frame: the header, the list of messages, and
// at the bottom the composer, or what follows the end of a chat, or the
// contact center's closed notice; files dropped anywhere on it are sent.
// Drawn from no inputs, it is the window before the wasm runs: starting,
// with the composer closed.
type Window struct {
	app.Compo

	Ilang       string
	Itexts      *Texts
	Iconnection string
	IchatID     string
	Iposition   string
	Itransport  string
	Itab        string
	Istatus     string
	IphotoURL   string
	IcanEnd     bool
	Iconfirming bool
	Ilines      []Line
	Iforms      map[protocol.ID]FormView
	Iuploads    []Upload
	Ityping     string
	Ifiles      FileLinks
	Iover       bool
	Iended      bool
	Iclosed     bool
	IleaveURL   string
	Ianswering  bool
	IcanWrite   bool
	IcanSend    bool
	IcanAttach  bool
	Inotice     string
	Inow        time.Time
	Iannounce   string
	ItypingNote string
	Icall       call.State
	Ielapsed    time.Duration
	Iactions    Actions

	// dragging says files are being dragged over the window.
	dragging bool
}

// NewWindow returns a window with no inputs: the window before the wasm
// runs.
func NewWindow() *Window { return &Window{} }

// Lang sets the window's language, "en" when empty.
func (w *Window) Lang(v string) *Window { w.Ilang = v; return w }

// Texts sets the window's words, English when nil.
func (w *Window) Texts(v *Texts) *Window { w.Itexts = v; return w }

// Connection sets where the window stands with the server, as its
// data-connection says: starting (when empty), connecting, connected,
// reconnecting, ended or failed.
func (w *Window) Connection(v string) *Window { w.Iconnection = v; return w }

// Chat sets the chat the window shows, its place in the chat's stream
// (epoch:seq), how it reaches the server (socket or polling) and the page's
// name among the visitor's pages, for the window's data attributes.
func (w *Window) Chat(chatID, position, transport, tab string) *Window {
	w.IchatID, w.Iposition, w.Itransport, w.Itab = chatID, position, transport, tab
	return w
}

// Status sets the header's line about the chat's state.
func (w *Window) Status(v string) *Window { w.Istatus = v; return w }

// PhotoURL sets the agent's photo, "" for none.
func (w *Window) PhotoURL(v string) *Window { w.IphotoURL = v; return w }

// CanEnd says the visitor may end the chat, and Confirming that the window
// asks whether to.
func (w *Window) CanEnd(can, confirming bool) *Window {
	w.IcanEnd, w.Iconfirming = can, confirming
	return w
}

// Transcript sets what the list shows: the lines, the forms they name, the
// uploads on their way, who is typing ("" for nobody), the addresses of the
// chat's files, and whether the chat is over.
func (w *Window) Transcript(lines []Line, forms map[protocol.ID]FormView, uploads []Upload, typing string, files FileLinks, over bool) *Window {
	w.Ilines, w.Iforms, w.Iuploads, w.Ityping, w.Ifiles, w.Iover = lines, forms, uploads, typing, files, over
	return w
}

// Ended says the chat is over: the transcript and a new chat replace the
// composer. Now is the time the transcript is dated.
func (w *Window) Ended(ended bool, now time.Time) *Window {
	w.Iended, w.Inow = ended, now
	return w
}

// Closed says the contact center is closed: a way to leave a message
// (leaveURL, "" for none) and to try again replace the composer.
func (w *Window) Closed(closed bool, leaveURL string) *Window {
	w.Iclosed, w.IleaveURL = closed, leaveURL
	return w
}

// Composer sets what the message box may do now, whether the next message
// answers a question, and the notice under it.
func (w *Window) Composer(canWrite, canSend, canAttach, answering bool, notice string) *Window {
	w.IcanWrite, w.IcanSend, w.IcanAttach, w.Ianswering, w.Inotice = canWrite, canSend, canAttach, answering, notice
	return w
}

// Announce sets what the live regions read out: the latest message, and
// who started typing.
func (w *Window) Announce(message, typing string) *Window {
	w.Iannounce, w.ItypingNote = message, typing
	return w
}

// Call sets the chat's call, as the call engine's State gives it, and how
// long it has been connected.
func (w *Window) Call(state call.State, elapsed time.Duration) *Window {
	w.Icall, w.Ielapsed = state, elapsed
	return w
}

// Actions sets who acts on the controls.
func (w *Window) Actions(v Actions) *Window { w.Iactions = v; return w }

// Render draws the window. Every text that came from the network goes
// through Text, which makes a text node.
func (w *Window) Render() app.UI {
	tx := textsOr(w.Itexts)
	lang := w.Ilang
	if lang == "" {
		lang = "en"
	}
	connection := w.Iconnection
	if connection == "" {
		connection = "starting"
	}
	position := w.Iposition
	if position == "" {
		position = protocol.Position{}.String()
	}
	status := w.Istatus
	if status == "" {
		status = tx.Connecting
	}
	dir := "ltr"
	if RightToLeft(lang) {
		dir = "rtl"
	}
	// One landmark holds the whole window, the document's main content.
	return app.Main().
		Class("parley").
		Class(classIf(w.dragging, "parley-dragging")).
		Lang(lang).
		Dir(dir).
		DataSet("testid", "chat").
		DataSet("connection", connection).
		DataSet("chat-id", w.IchatID).
		DataSet("position", position).
		DataSet("transport", transportOr(w.Itransport)).
		DataSet("tab", w.Itab).
		OnDragOver(w.onDragOver).
		OnDragLeave(w.onDragLeave).
		OnDrop(w.onDrop).
		OnKeyDown(w.onKey).
		Body(
			NewHeader().Texts(w.Itexts).Status(status).PhotoURL(w.IphotoURL).CanEnd(w.IcanEnd, w.Iconfirming).Actions(w.Iactions),
			NewCallPanel().Texts(w.Itexts).State(w.Icall).Elapsed(w.Ielapsed).Actions(w.Iactions),
			NewMessageList().Texts(w.Itexts).Lines(w.Ilines, w.Iforms, w.Iover).Uploads(w.Iuploads).Typing(w.Ityping).Files(w.Ifiles).Actions(w.Iactions),
			w.bottom(),
			NewAnnouncer().TestID("announcer").Atomic(true).Text(w.Iannounce),
			// Apart from the announcer, so that saying someone types never
			// reads the last message again.
			NewAnnouncer().TestID("typing-announcer").Text(w.ItypingNote),
		)
}

// bottom is what goes under the list: the closed notice, what follows the
// end, or the composer.
func (w *Window) bottom() app.UI {
	switch {
	case w.Iclosed:
		return NewUnavailable().Texts(w.Itexts).LeaveURL(w.IleaveURL).Actions(w.Iactions)
	case w.Iended:
		return NewAfterChat().Texts(w.Itexts).Lines(w.Ilines, w.Inow).Actions(w.Iactions)
	}
	return NewComposer().Texts(w.Itexts).
		Can(w.IcanWrite, w.IcanSend, w.IcanAttach).
		Answering(w.Ianswering).
		Notice(w.Inotice).
		Dragging(w.dragging).
		Actions(w.Iactions)
}

func (w *Window) onDragOver(ctx app.Context, e app.Event) {
	if !w.IcanAttach || !draggingFiles(e) {
		return
	}
	e.PreventDefault()
	w.dragging = true
}

func (w *Window) onDragLeave(ctx app.Context, e app.Event) {
	// Leaving a child for another child is not leaving the window.
	if related := e.Get("relatedTarget"); !related.Truthy() {
		w.dragging = false
	}
}

func (w *Window) onDrop(ctx app.Context, e app.Event) {
	w.dragging = false
	if !w.IcanAttach || w.Iactions == nil {
		return
	}
	e.PreventDefault()
	w.Iactions.Attach(e.Get("dataTransfer").Get("files"))
}

// onKey closes the window on Escape, as a dialog would; the question
// before the chat ends goes first.
func (w *Window) onKey(ctx app.Context, e app.Event) {
	if e.Get("key").String() != "Escape" || w.Iactions == nil {
		return
	}
	if w.Iconfirming {
		w.Iactions.ConfirmEnd(false)
		return
	}
	w.Iactions.Close()
}

func draggingFiles(e app.Event) bool {
	types := e.Get("dataTransfer").Get("types")
	if !types.Truthy() {
		return false
	}
	for i := range types.Get("length").Int() {
		if types.Index(i).String() == "Files" {
			return true
		}
	}
	return false
}

func transportOr(v string) string {
	if v == "" {
		return "socket"
	}
	return v
}

func classIf(on bool, class string) string {
	if on {
		return class
	}
	return ""
}
