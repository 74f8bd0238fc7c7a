package widget

import "github.com/maxence-charriere/go-app/v10/pkg/app"

// Header is the window's top: the agent's photo, the title, the chat's
// state, the end-chat button and the close button; under it, the question
// before the chat ends.
type Header struct {
	app.Compo

	Itexts      *Texts
	Istatus     string
	IphotoURL   string
	IcanEnd     bool
	Iconfirming bool
	Iactions    Actions
}

// NewHeader returns a header.
func NewHeader() *Header { return &Header{} }

// Texts sets the words, English when nil.
func (h *Header) Texts(v *Texts) *Header { h.Itexts = v; return h }

// Status sets the line about the chat's state.
func (h *Header) Status(v string) *Header { h.Istatus = v; return h }

// PhotoURL sets the agent's photo, "" for none.
func (h *Header) PhotoURL(v string) *Header { h.IphotoURL = v; return h }

// CanEnd says the visitor may end the chat, and confirming that the header
// asks whether to.
func (h *Header) CanEnd(can, confirming bool) *Header {
	h.IcanEnd, h.Iconfirming = can, confirming
	return h
}

// Actions sets who acts on the buttons.
func (h *Header) Actions(v Actions) *Header { h.Iactions = v; return h }

// Render draws the header. Parts that come and go sit in a place of their
// own, or at the end: go-app matches children by place, and one that came
// before the others would replace them, and the focus with them.
func (h *Header) Render() app.UI {
	tx := textsOr(h.Itexts)
	return app.Div().Class("parley-top").Body(
		app.Header().Class("parley-header").Body(
			app.Span().Class("parley-photo-place").Body(
				app.If(h.IphotoURL != "", func() app.UI {
					// Beside the agent's name, it says nothing more:
					// presentation. (go-app drops an empty alt.)
					return app.Img().
						Class("parley-photo").
						DataSet("testid", "agent-photo").
						Role("presentation").
						Src(h.IphotoURL)
				}),
			),
			app.Div().Class("parley-heading").Body(
				app.H1().Class("parley-title").DataSet("testid", "title").Title(tx.Title).Text(tx.Title),
				app.P().Class("parley-status").DataSet("testid", "status").Role("status").Text(h.Istatus),
			),
			app.Span().Class("parley-end-place").Body(
				app.If(h.IcanEnd, func() app.UI {
					return app.Button().
						Class("parley-end").
						Type("button").
						DataSet("testid", "end-chat").
						Aria("expanded", h.Iconfirming).
						OnClick(on(h.Iactions, func(a Actions) { a.ConfirmEnd(!h.Iconfirming) })).
						Text(tx.EndChat)
				}),
			),
			app.Button().
				Class("parley-close").
				Type("button").
				DataSet("testid", "close").
				Aria("label", tx.Close).
				Title(tx.Close).
				OnClick(on(h.Iactions, Actions.Close)).
				Text("×"),
		),
		app.If(h.Iconfirming && h.IcanEnd, func() app.UI {
			return app.Div().
				Class("parley-confirm").
				Role("alertdialog").
				Aria("label", tx.ConfirmEnd).
				DataSet("testid", "confirm-end").
				Body(
					app.P().Text(tx.ConfirmEnd),
					app.Button().Type("button").Class("parley-danger").DataSet("testid", "end-now").OnClick(on(h.Iactions, Actions.End)).Text(tx.EndNow),
					app.Button().Type("button").DataSet("testid", "leave").OnClick(on(h.Iactions, Actions.Leave)).Text(tx.LeaveAndRate),
					app.Button().Type("button").DataSet("testid", "keep-chatting").
						OnClick(on(h.Iactions, func(a Actions) { a.ConfirmEnd(false) })).Text(tx.KeepChatting),
				)
		}),
	)
}
