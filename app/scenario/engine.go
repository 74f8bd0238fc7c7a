package scenario

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
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
	created time.Time
	// lastVisitor is when the visitor last did something that was
	// stored, and lastVisitorSeq which event that was (0 for none).
	lastVisitor    time.Time
	lastVisitorSeq uint64
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
	e.publish(ctx, c.ID, "greeting", events...)
}

// Resumed takes note of where a chat stands: one that was open before a
// restart, or that another process started.
func (e *Engine) Resumed(ctx context.Context, chatID string, past []protocol.Event) {
	p, ok := e.track(ctx, chatID)
	if !ok {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, ev := range past {
		e.note(p, chatID, ev)
	}
}

// track returns the chat's progress, starting it from the stored chat when
// the engine has none yet.
func (e *Engine) track(ctx context.Context, chatID string) (*progress, bool) {
	e.mu.Lock()
	p, ok := e.open[chatID]
	e.mu.Unlock()
	if ok {
		return p, true
	}
	c, err := e.chats.Chat(ctx, chatID)
	if err != nil || c.State.Over() {
		return nil, false
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if p, ok := e.open[chatID]; ok {
		return p, true
	}
	p = &progress{created: c.Created, lastVisitor: c.Created}
	e.open[chatID] = p
	return p, true
}

// Posted follows the chat and answers the visitor where the scenario has
// something to say. Every process that shares the store hears of every
// event, and each answers it: the answer is keyed by the event's seq, so it
// is stored once.
func (e *Engine) Posted(ctx context.Context, chatID string, events []protocol.Event) {
	p, ok := e.track(ctx, chatID)
	if !ok {
		return
	}
	type reply struct {
		key    string
		events []protocol.Event
	}
	var replies []reply
	e.mu.Lock()
	for _, ev := range events {
		visitor := ev.EventMeta().PartyID == chatID
		var answer []protocol.Event
		switch ev := ev.(type) {
		case *protocol.FormData:
			switch {
			case !visitor:
			case answers(ev.FormRequestID, p.preChat):
				answer = []protocol.Event{e.say(e.cfg.thanks(ev.Data.Fields["first_name"]))}
			case answers(ev.FormRequestID, p.survey):
				answer = []protocol.Event{e.say(e.cfg.Goodbye), &protocol.Ended{}}
			}
		case *protocol.Disconnect:
			if e.cfg.SurveyForm == "" {
				answer = []protocol.Event{&protocol.Ended{}}
			} else {
				answer = []protocol.Event{e.form(e.cfg.SurveyForm)}
			}
		case *protocol.Status:
			if ev.State == protocol.StateConnected && p.assistant {
				answer = []protocol.Event{&protocol.PartyLeft{Type: protocol.PartyScenario, Meta: protocol.Meta{PartyID: AssistantID}}}
			}
		}
		if answer != nil {
			replies = append(replies, reply{"reply:" + strconv.FormatUint(ev.EventMeta().Seq, 10), answer})
		}
		e.note(p, chatID, ev)
	}
	e.mu.Unlock()
	for _, r := range replies {
		e.publish(ctx, chatID, r.key, r.events...)
	}
}

// note moves p along for an event of its chat. It is the one place that
// reads the scenario's state from events, live and when resuming.
func (e *Engine) note(p *progress, chatID string, ev protocol.Event) {
	meta := ev.EventMeta()
	if meta.PartyID == chatID && meta.Seq != 0 {
		p.lastVisitor, p.lastVisitorSeq, p.warned = meta.Timestamp.Time, meta.Seq, false
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
	if protocol.EndsChat(ev) {
		delete(e.open, chatID)
	}
}

// Tick runs the timers of every open chat: the countdown of the wait, the
// idle warning and timeout, the survey's time limit. Each timer's events
// are keyed by what set it off, so that several processes running the same
// timers store them once.
func (e *Engine) Tick(ctx context.Context) {
	now := e.Now()
	type due struct {
		key    string
		events []protocol.Event
	}
	fired := map[string]due{}
	e.mu.Lock()
	for id, p := range e.open {
		switch {
		case !p.survey.IsZero():
			if e.cfg.FormTimeout > 0 && now.Sub(p.surveyAsked) >= e.cfg.FormTimeout.Duration() {
				fired[id] = due{"survey-timeout:" + p.survey.String(), []protocol.Event{&protocol.Ended{}}}
			}
		case e.cfg.IdleTimeout > 0 && now.Sub(p.lastVisitor) >= e.cfg.IdleTimeout.Duration():
			fired[id] = due{"idle-timeout", []protocol.Event{&protocol.InactivityTimeout{Msg: e.cfg.IdleTimeoutText}}}
		case e.cfg.IdleWarning > 0 && !p.warned && now.Sub(p.lastVisitor) >= e.cfg.IdleWarning.Duration():
			key := "idle-warning:" + strconv.FormatUint(p.lastVisitorSeq, 10)
			fired[id] = due{key, []protocol.Event{&protocol.TimeoutWarning{Msg: e.cfg.IdleWarningText}}}
		case p.queued && e.cfg.EWTUpdate > 0 && now.Sub(p.lastEWT) >= e.cfg.EWTUpdate.Duration():
			// The k-th update of the wait; the chat opened with the 0th.
			waited := now.Sub(p.created)
			k := waited / e.cfg.EWTUpdate.Duration()
			left := e.cfg.EWT - protocol.Seconds(waited/time.Second)
			if k > 0 && left > 0 {
				key := "ewt:" + strconv.FormatInt(int64(k), 10)
				fired[id] = due{key, []protocol.Event{&protocol.Status{State: protocol.StateQueued, EWT: left}}}
			}
		}
	}
	e.mu.Unlock()
	for id, d := range fired {
		e.publish(ctx, id, d.key, d.events...)
	}
}

// publish posts the scenario's events once for the key, outside the
// engine's lock: the service calls Posted again for them.
func (e *Engine) publish(ctx context.Context, chatID, key string, events ...protocol.Event) {
	if len(events) == 0 {
		return
	}
	err := e.chats.PublishOnce(ctx, chatID, key, events...)
	if err == nil {
		return
	}
	// At shutdown the post fails for want of time, not for a fault, and
	// the next start takes the chat up again. A chat that ended meanwhile
	// has nothing more to hear.
	var perr *protocol.Error
	if ctx.Err() == nil && !(errors.As(err, &perr) && perr.Code == protocol.CodeChatNotFound) {
		e.Log.Warn("the scenario could not post", "chat", chatID, "err", err)
	}
	e.mu.Lock()
	delete(e.open, chatID)
	e.mu.Unlock()
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
