package widget

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/parleychat/parley/protocol"
	"github.com/parleychat/parley/widget/client"
)

// renderHeader draws the title, who the visitor chats with and the chat's
// state, the end-chat button and the close button; under it, the question
// before the chat ends.
func (c *Chat) renderHeader(tx *Texts, conn client.ConnState) app.UI {
	active := c.session != nil && c.chat.ChatID != "" && !c.transcript.State.Over() && conn != client.ConnEnded
	// Parts that come and go sit in a place of their own, or at the end:
	// go-app matches children by place, and one that came before the
	// others would replace them, and the focus with them.
	return app.Div().Class("parley-top").Body(
		app.Header().Class("parley-header").Body(
			app.Span().Class("parley-photo-place").Body(
				app.If(c.showAgentPhoto(), func() app.UI {
					// Beside the agent's name, it says nothing more:
					// presentation. (go-app drops an empty alt.)
					return app.Img().
						Class("parley-photo").
						DataSet("testid", "agent-photo").
						Role("presentation").
						Src(c.photoURL())
				}),
			),
			app.Div().Class("parley-heading").Body(
				app.H1().Class("parley-title").DataSet("testid", "title").Title(tx.Title).Text(tx.Title),
				app.P().Class("parley-status").DataSet("testid", "status").Role("status").Text(c.status(tx, conn)),
			),
			app.Span().Class("parley-end-place").Body(
				app.If(active, func() app.UI {
					return app.Button().
						Class("parley-end").
						Type("button").
						DataSet("testid", "end-chat").
						Aria("expanded", c.confirmEnd).
						OnClick(func(app.Context, app.Event) { c.confirmEnd = !c.confirmEnd }).
						Text(tx.EndChat)
				}),
			),
			app.Button().
				Class("parley-close").
				Type("button").
				DataSet("testid", "close").
				Aria("label", tx.Close).
				Title(tx.Close).
				OnClick(c.close).
				Text("×"),
		),
		app.If(c.confirmEnd && active, func() app.UI {
			return app.Div().
				Class("parley-confirm").
				Role("alertdialog").
				Aria("label", tx.ConfirmEnd).
				DataSet("testid", "confirm-end").
				Body(
					app.P().Text(tx.ConfirmEnd),
					app.Button().Type("button").Class("parley-danger").DataSet("testid", "end-now").OnClick(c.end).Text(tx.EndNow),
					app.Button().Type("button").DataSet("testid", "leave").OnClick(c.leave).Text(tx.LeaveAndRate),
					app.Button().Type("button").DataSet("testid", "keep-chatting").
						OnClick(func(app.Context, app.Event) { c.confirmEnd = false }).Text(tx.KeepChatting),
				)
		}),
	)
}

// end ends the chat for good: chat_session_end.
func (c *Chat) end(ctx app.Context, e app.Event) {
	c.confirmEnd = false
	if c.session != nil {
		_ = c.session.Send(&protocol.End{})
	}
}

// leave ends the conversation but keeps the session for the survey:
// chat_session_disconnect.
func (c *Chat) leave(ctx app.Context, e app.Event) {
	c.confirmEnd = false
	if c.session != nil {
		_ = c.session.Send(&protocol.Disconnect{})
	}
}

func (c *Chat) showAgentPhoto() bool {
	pic := c.config.Definition.ChatWidgetStyling.ShowAgentPic
	return c.transcript.AgentID != "" && c.chat.Token != "" && (pic == "" || pic == "show")
}

func (c *Chat) photoURL() string {
	return c.base + protocol.Path(protocol.PathProfilePhoto, c.chat.ChatID, c.transcript.AgentID) + "?token=" + url.QueryEscape(c.chat.Token)
}

// status words the chat's state: connecting, reconnecting with a countdown,
// queued with the estimated wait counting down, with whom, ended.
func (c *Chat) status(tx *Texts, conn client.ConnState) string {
	switch conn {
	case client.ConnStarting, client.ConnConnecting:
		return tx.Connecting
	case client.ConnReconnecting:
		if left := c.retry.Sub(c.now); left > time.Second {
			return fmt.Sprintf(tx.Reconnecting, int(left.Round(time.Second)/time.Second))
		}
		return tx.RetryingNow
	case client.ConnEnded:
		return tx.Ended
	case client.ConnFailed:
		if c.closed {
			return tx.Closed
		}
		return tx.Failed
	}
	t := c.transcript
	switch {
	case t.State.Over():
		return tx.Ended
	case t.Agent != "":
		return fmt.Sprintf(tx.ChattingWith, t.Agent)
	case t.State == protocol.StateQueued && t.EWT > 0:
		left := t.EWT.Duration() - c.serverNow().Sub(t.EWTAt)
		switch {
		case left >= time.Minute:
			return fmt.Sprintf(tx.WaitMinutes, int((left+time.Minute-1)/time.Minute))
		case left > 0:
			return fmt.Sprintf(tx.WaitSeconds, int((left+time.Second-1)/time.Second))
		}
		return tx.Waiting
	case t.State == protocol.StateQueued:
		return tx.Waiting
	}
	return tx.Connected
}

// transcriptText is the chat as a plain text file, for the visitor to keep.
func (c *Chat) transcriptText(tx *Texts) string {
	var b strings.Builder
	fmt.Fprintf(&b, tx.TranscriptOf+"\n\n", visitorTime(c.serverNow()).Format("2006-01-02 15:04"))
	for _, l := range c.transcript.Lines {
		if !l.Form.IsZero() {
			continue
		}
		stamp := ""
		if !l.Time.IsZero() {
			stamp = visitorTime(l.Time).Format("15:04") + " "
		}
		text := l.Text
		if l.File != nil {
			text = "[" + l.File.FileName + "]"
		}
		if l.From == FromSystem {
			fmt.Fprintf(&b, "%s* %s\n", stamp, tx.notice(l))
			continue
		}
		fmt.Fprintf(&b, "%s%s: %s\n", stamp, c.author(tx, l), text)
	}
	return b.String()
}

// transcriptLink is a link that downloads the transcript; the text is in
// the link, so nothing is fetched.
func (c *Chat) transcriptLink(tx *Texts) string {
	return "data:text/plain;charset=utf-8," + url.PathEscape(c.transcriptText(tx))
}

func (c *Chat) author(tx *Texts, l Line) string {
	switch {
	case l.From == FromVisitor:
		return tx.You
	case l.Author != "":
		return l.Author
	case l.From == FromScenario:
		return tx.Assistant
	}
	return tx.Agent
}
