package scenario

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/protocol"
)

// AssistantID is the party id of the scenario's assistant in every chat.
const AssistantID = "scenario"

// Engine runs the scenario for every chat of a chat.Service. Set it as the
// service's Observer and call Run.
type Engine struct {
	// Now is the clock of the timers; tests move it.
	Now func() time.Time
	// Log receives the events the engine could not publish.
	Log *slog.Logger

	cfg   Config
	chats *chat.Service

	mu   sync.Mutex
	open map[string]*progress
}

// progress is where the scenario stands in one open chat.
type progress struct {
	created     time.Time
	lastVisitor time.Time
	// queued: nobody took the chat yet; the wait counts down.
	queued  bool
	lastEWT time.Time
	warned  bool
	// assistant: the assistant is in the chat.
	assistant bool
	// preChat and survey are the request ids of the forms awaiting an
	// answer, "" when none is.
	preChat     protocol.ID
	survey      protocol.ID
	surveyAsked time.Time
}

// New returns an Engine for the chats of svc.
func New(cfg Config, svc *chat.Service) *Engine {
	return &Engine{
		Now:   time.Now,
		Log:   slog.New(slog.DiscardHandler),
		cfg:   cfg,
		chats: svc,
		open:  map[string]*progress{},
	}
}

// Run runs the timers until ctx ends.
func (e *Engine) Run(ctx context.Context) error {
	ticker := time.NewTicker(time.Second)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
			e.Tick(ctx)
		}
	}
}

// Resume rebuilds the scenario's place in every open chat from its history.
// Call it before the server takes events: the engine ignores chats it does
// not know.
func (e *Engine) Resume(ctx context.Context) error {
	open, err := e.chats.OpenChats(ctx)
	if err != nil {
		return err
	}
	for _, c := range open {
		p := &progress{created: c.Created, lastVisitor: c.LastVisitorEvent}
		for after := uint64(0); ; {
			page, err := e.chats.History(ctx, c.ID, after, 500)
			if err != nil {
				return err
			}
			if len(page) == 0 {
				break
			}
			for _, ev := range page {
				e.note(p, c.ID, ev)
			}
			after = page[len(page)-1].EventMeta().Seq
		}
		e.mu.Lock()
		e.open[c.ID] = p
		e.mu.Unlock()
	}
	return nil
}

// Opened greets a new chat: status queued, the assistant joins and says
// hello, and the pre-chat form follows.
func (e *Engine) Opened(ctx context.Context, c chat.Chat) {
	events := []protocol.Event{
		&protocol.Status{State: protocol.StateQueued, EWT: e.cfg.EWT},
		&protocol.PartyJoined{DisplayName: e.cfg.Assistant, Type: protocol.PartyScenario, Meta: protocol.Meta{PartyID: AssistantID}},
		&protocol.Message{Msg: e.cfg.Greeting, Meta: protocol.Meta{PartyID: AssistantID}},
	}
	if e.cfg.PreChatForm != "" {
		events = append(events, e.form(e.cfg.PreChatForm))
	}
	e.mu.Lock()
	e.open[c.ID] = &progress{created: c.Created, lastVisitor: c.Created}
	e.mu.Unlock()
	e.publish(ctx, c.ID, events...)
}

// Posted follows the chat and answers the visitor where the scenario has
// something to say.
func (e *Engine) Posted(ctx context.Context, chatID string, events []protocol.Event) {
	var replies []protocol.Event
	e.mu.Lock()
	p, ok := e.open[chatID]
	if !ok {
		e.mu.Unlock()
		return
	}
	for _, ev := range events {
		visitor := ev.EventMeta().PartyID == chatID
		switch ev := ev.(type) {
		case *protocol.FormData:
			switch {
			case !visitor:
			case answers(ev.FormRequestID, p.preChat):
				replies = append(replies, e.say(e.cfg.thanks(ev.Data.Fields["first_name"])))
			case answers(ev.FormRequestID, p.survey):
				replies = append(replies, e.say(e.cfg.Goodbye), &protocol.Ended{})
			}
		case *protocol.Disconnect:
			if e.cfg.SurveyForm == "" {
				replies = append(replies, &protocol.Ended{})
			} else {
				replies = append(replies, e.form(e.cfg.SurveyForm))
			}
		case *protocol.Status:
			if ev.State == protocol.StateConnected && p.assistant {
				replies = append(replies, &protocol.PartyLeft{Type: protocol.PartyScenario, Meta: protocol.Meta{PartyID: AssistantID}})
			}
		}
		e.note(p, chatID, ev)
	}
	e.mu.Unlock()
	e.publish(ctx, chatID, replies...)
}

// note moves p along for an event of its chat. It is the one place that
// reads the scenario's state from events, live and when resuming.
func (e *Engine) note(p *progress, chatID string, ev protocol.Event) {
	meta := ev.EventMeta()
	if meta.PartyID == chatID && meta.Seq != 0 {
		p.lastVisitor, p.warned = meta.Timestamp.Time, false
	}
	switch ev := ev.(type) {
	case *protocol.Status:
		p.queued = ev.State == protocol.StateQueued
		p.lastEWT = meta.Timestamp.Time
	case *protocol.PartyJoined:
		if ev.PartyID == AssistantID {
			p.assistant = true
		}
	case *protocol.PartyLeft:
		if ev.PartyID == AssistantID {
			p.assistant = false
		}
	case *protocol.FormShow:
		switch ev.FormName {
		case e.cfg.PreChatForm:
			p.preChat = ev.FormRequestID
		case e.cfg.SurveyForm:
			p.survey, p.surveyAsked = ev.FormRequestID, meta.Timestamp.Time
		}
	case *protocol.FormData:
		switch {
		case answers(ev.FormRequestID, p.preChat):
			p.preChat = protocol.ID{}
		case answers(ev.FormRequestID, p.survey):
			p.survey = protocol.ID{}
		}
	case *protocol.TimeoutWarning:
		p.warned = true
	}
	if ended(ev) {
		delete(e.open, chatID)
	}
}

// Tick runs the timers of every open chat: the countdown of the wait, the
// idle warning and timeout, the survey's time limit.
func (e *Engine) Tick(ctx context.Context) {
	now := e.Now()
	due := map[string][]protocol.Event{}
	e.mu.Lock()
	for id, p := range e.open {
		switch {
		case !p.survey.IsZero():
			if e.cfg.FormTimeout > 0 && now.Sub(p.surveyAsked) >= e.cfg.FormTimeout.Duration() {
				due[id] = []protocol.Event{&protocol.Ended{}}
			}
		case e.cfg.IdleTimeout > 0 && now.Sub(p.lastVisitor) >= e.cfg.IdleTimeout.Duration():
			due[id] = []protocol.Event{&protocol.InactivityTimeout{Msg: e.cfg.IdleTimeoutText}}
		case e.cfg.IdleWarning > 0 && !p.warned && now.Sub(p.lastVisitor) >= e.cfg.IdleWarning.Duration():
			due[id] = []protocol.Event{&protocol.TimeoutWarning{Msg: e.cfg.IdleWarningText}}
		case p.queued && e.cfg.EWTUpdate > 0 && now.Sub(p.lastEWT) >= e.cfg.EWTUpdate.Duration():
			left := e.cfg.EWT - protocol.Seconds(now.Sub(p.created)/time.Second)
			if left > 0 {
				due[id] = []protocol.Event{&protocol.Status{State: protocol.StateQueued, EWT: left}}
			}
		}
	}
	e.mu.Unlock()
	for id, events := range due {
		e.publish(ctx, id, events...)
	}
}

// publish posts the scenario's events, outside the engine's lock: the
// service calls Posted again for them.
func (e *Engine) publish(ctx context.Context, chatID string, events ...protocol.Event) {
	if len(events) == 0 {
		return
	}
	if err := e.chats.Publish(ctx, chatID, events...); err != nil {
		// At shutdown the post fails for want of time, not for a fault,
		// and Resume takes the chat up again at the next start.
		if ctx.Err() == nil {
			e.Log.Warn("the scenario could not post", "chat", chatID, "err", err)
		}
		e.mu.Lock()
		delete(e.open, chatID)
		e.mu.Unlock()
	}
}

func (e *Engine) say(text string) protocol.Event {
	return &protocol.Message{Msg: text, Meta: protocol.Meta{PartyID: AssistantID}}
}

// form asks for the form; the chat service numbers the request.
func (e *Engine) form(name string) protocol.Event {
	return &protocol.FormShow{FormName: name, FormTimeout: protocol.Timeout(e.cfg.FormTimeout)}
}

// answers reports whether a form answer's request id is the request's: a
// client may echo a numeric id as a string.
func answers(answer, request protocol.ID) bool {
	return !request.IsZero() && answer.String() == request.String()
}

func ended(ev protocol.Event) bool {
	switch ev.(type) {
	case *protocol.Ended, *protocol.InactivityTimeout, *protocol.End:
		return true
	}
	return false
}
