package scenario_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/app/scenario"
	"github.com/parleychat/parley/protocol"
)

var visitor = protocol.Credentials{AppID: "demo", ClientID: "c1"}

// clock is a test clock that the service and the engine share.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time          { return c.now }
func (c *clock) advance(d time.Duration) { c.now = c.now.Add(d) }

type harness struct {
	t      *testing.T
	ctx    context.Context
	clock  *clock
	store  chat.Store
	chats  *chat.Service
	engine *scenario.Engine
	chat   chat.Chat
	seen   uint64
}

func start(t *testing.T, cfg scenario.Config) *harness {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	h := &harness{t: t, ctx: ctx, clock: &clock{now: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}}
	h.store = chat.NewMemoryStore()
	h.chats, h.engine = h.process(cfg)
	c, _, err := h.chats.Open(ctx, visitor, protocol.ChatRequest{})
	if err != nil {
		t.Fatal(err)
	}
	h.chat = c
	return h
}

// process starts a chat service and its engine over the harness's store, as
// a server process would.
func (h *harness) process(cfg scenario.Config) (*chat.Service, *scenario.Engine) {
	chats := chat.NewService(h.store)
	chats.Now = h.clock.Now
	engine := scenario.New(cfg, chats)
	engine.Now = h.clock.Now
	chats.Observer = engine
	return chats, engine
}

// newEvents returns the types of the events stored since the last call.
func (h *harness) newEvents() []string {
	h.t.Helper()
	events, err := h.chats.History(h.ctx, h.chat.ID, h.seen, 1000)
	if err != nil {
		h.t.Fatal(err)
	}
	var types []string
	for _, e := range events {
		types = append(types, e.EventType())
		h.seen = e.EventMeta().Seq
	}
	return types
}

// lastFormRequest returns the request id of the last form shown.
func (h *harness) lastFormRequest() protocol.ID {
	h.t.Helper()
	events, err := h.chats.History(h.ctx, h.chat.ID, 0, 1000)
	if err != nil {
		h.t.Fatal(err)
	}
	for i := len(events) - 1; i >= 0; i-- {
		if f, ok := events[i].(*protocol.FormShow); ok {
			return f.FormRequestID
		}
	}
	h.t.Fatal("no form was shown")
	return protocol.ID{}
}

func TestTheScenarioFollowsAChat(t *testing.T) {
	t.Parallel()
	h := start(t, scenario.Default())
	want := []string{protocol.TypeStatus, protocol.TypePartyJoined, protocol.TypeMessage, protocol.TypeFormShow}
	if got := h.newEvents(); !reflect.DeepEqual(got, want) {
		t.Fatalf("a new chat got %v, want %v", got, want)
	}

	// The visitor answers the pre-chat form; the assistant thanks them by name.
	if err := h.chats.Send(h.ctx, h.chat.ID, &protocol.FormData{FormRequestID: h.lastFormRequest(), FormName: "pre_chat",
		Data: protocol.FormValues{Fields: map[string]string{"first_name": "Ada", "topic": "order"}}}); err != nil {
		t.Fatal(err)
	}
	events, _ := h.chats.History(h.ctx, h.chat.ID, h.seen, 10)
	if len(events) != 2 || events[1].(*protocol.Message).Msg != "Thanks, Ada. You are in the queue." {
		t.Errorf("after the form: %v", events)
	}
	h.newEvents()

	// Nobody takes the chat: the wait counts down every 15 seconds.
	h.clock.advance(16 * time.Second)
	h.engine.Tick(h.ctx)
	events, _ = h.chats.History(h.ctx, h.chat.ID, h.seen, 10)
	if len(events) != 1 || events[0].(*protocol.Status).EWT != 104 {
		t.Errorf("countdown: %v, want a status with ewt 104", events)
	}
	h.newEvents()

	// An agent takes it: agent joins, connected, the assistant leaves.
	if err := h.chats.Take(h.ctx, h.chat.ID, &protocol.PartyJoined{FirstName: "Grace", Meta: protocol.Meta{PartyID: "agent-grace"}}); err != nil {
		t.Fatal(err)
	}
	if got, want := h.newEvents(), []string{protocol.TypePartyJoined, protocol.TypeStatus, protocol.TypePartyLeft}; !reflect.DeepEqual(got, want) {
		t.Errorf("taking the chat gave %v, want %v", got, want)
	}
	h.clock.advance(time.Minute)
	h.engine.Tick(h.ctx)
	if got := h.newEvents(); len(got) != 0 {
		t.Errorf("the countdown went on after the agent joined: %v", got)
	}

	// The visitor leaves: the survey comes; answering it ends the chat.
	if err := h.chats.Send(h.ctx, h.chat.ID, &protocol.Disconnect{}); err != nil {
		t.Fatal(err)
	}
	if got, want := h.newEvents(), []string{protocol.TypeDisconnect, protocol.TypeFormShow}; !reflect.DeepEqual(got, want) {
		t.Errorf("disconnecting gave %v, want %v", got, want)
	}
	if err := h.chats.Send(h.ctx, h.chat.ID, &protocol.FormData{FormRequestID: h.lastFormRequest(), FormName: "survey",
		Data: protocol.FormValues{Fields: map[string]string{"rating": "5"}}}); err != nil {
		t.Fatal(err)
	}
	if got, want := h.newEvents(), []string{protocol.TypeFormData, protocol.TypeMessage, protocol.TypeEnded}; !reflect.DeepEqual(got, want) {
		t.Errorf("answering the survey gave %v, want %v", got, want)
	}
	if c, _ := h.chats.Chat(h.ctx, h.chat.ID); !c.State.Over() {
		t.Errorf("the chat is %s after the survey, want it over", c.State)
	}
}

func TestIdleVisitorsAreWarnedThenTimedOut(t *testing.T) {
	t.Parallel()
	cfg := scenario.Default()
	cfg.EWTUpdate = 0
	cases := []struct {
		name  string
		steps []func(h *harness)
		want  []string
	}{
		{"a short pause", []func(h *harness){func(h *harness) { h.clock.advance(5 * time.Minute) }}, nil},
		{"a warning", []func(h *harness){func(h *harness) { h.clock.advance(10 * time.Minute) }},
			[]string{protocol.TypeTimeoutWarning}},
		{"one warning only", []func(h *harness){
			func(h *harness) { h.clock.advance(10 * time.Minute) },
			func(h *harness) { h.clock.advance(time.Minute) },
		}, []string{protocol.TypeTimeoutWarning}},
		{"then the timeout", []func(h *harness){
			func(h *harness) { h.clock.advance(10 * time.Minute) },
			func(h *harness) { h.clock.advance(5 * time.Minute) },
		}, []string{protocol.TypeTimeoutWarning, protocol.TypeInactivityTimeout}},
		{"a message resets the wait", []func(h *harness){
			func(h *harness) { h.clock.advance(9 * time.Minute) },
			func(h *harness) {
				if err := h.chats.Send(h.ctx, h.chat.ID, &protocol.Message{MsgID: protocol.TextID("1"), Msg: "still here"}); err != nil {
					h.t.Fatal(err)
				}
			},
			func(h *harness) { h.clock.advance(9 * time.Minute) },
		}, []string{protocol.TypeMessage}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := start(t, cfg)
			h.newEvents()
			var got []string
			for _, step := range tc.steps {
				step(h)
				h.engine.Tick(h.ctx)
				got = append(got, h.newEvents()...)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestTheEngineResumesAfterARestart(t *testing.T) {
	t.Parallel()
	cfg := scenario.Default()
	cfg.EWTUpdate = 0
	h := start(t, cfg)
	h.newEvents()
	h.clock.advance(10 * time.Minute)
	h.engine.Tick(h.ctx)
	if got := h.newEvents(); !reflect.DeepEqual(got, []string{protocol.TypeTimeoutWarning}) {
		t.Fatalf("before the restart: %v", got)
	}

	// A new process over the same store picks up where the old one was:
	// it does not warn twice, and times the chat out on schedule.
	var restarted *scenario.Engine
	h.chats, restarted = h.process(cfg)
	if err := h.chats.Resync(h.ctx); err != nil {
		t.Fatal(err)
	}
	h.clock.advance(time.Minute)
	restarted.Tick(h.ctx)
	if got := h.newEvents(); len(got) != 0 {
		t.Errorf("the restarted engine sent %v a minute later, want nothing", got)
	}
	h.clock.advance(5 * time.Minute)
	restarted.Tick(h.ctx)
	if got := h.newEvents(); !reflect.DeepEqual(got, []string{protocol.TypeInactivityTimeout}) {
		t.Errorf("the restarted engine sent %v, want the inactivity timeout", got)
	}
}

func TestTwoProcessesFireEachTimerOnce(t *testing.T) {
	t.Parallel()
	cfg := scenario.Default()
	cfg.EWT, cfg.EWTUpdate = 120, 15
	h := start(t, cfg)
	other, otherEngine := h.process(cfg)
	if err := other.Resync(h.ctx); err != nil {
		t.Fatal(err)
	}
	h.newEvents()
	engines := []*scenario.Engine{h.engine, otherEngine}
	tickBoth := func() []string {
		for _, e := range engines {
			e.Tick(h.ctx)
		}
		return h.newEvents()
	}
	h.clock.advance(16 * time.Second)
	if got := tickBoth(); !reflect.DeepEqual(got, []string{protocol.TypeStatus}) {
		t.Errorf("the wait's countdown: %v, want one status", got)
	}
	h.clock.advance(10 * time.Minute)
	if got := tickBoth(); !reflect.DeepEqual(got, []string{protocol.TypeTimeoutWarning}) {
		t.Errorf("the idle warning: %v, want one", got)
	}
	h.clock.advance(5 * time.Minute)
	if got := tickBoth(); !reflect.DeepEqual(got, []string{protocol.TypeInactivityTimeout}) {
		t.Errorf("the idle timeout: %v, want one", got)
	}
}

func TestBusinessHours(t *testing.T) {
	t.Parallel()
	hours := scenario.Hours{TimeZone: "Europe/Berlin", Days: map[string]string{"mon": "09:00-17:30", "sat": "10:00-14:00"}}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		at   time.Time
		open bool
	}{
		{time.Date(2026, 11, 23, 9, 0, 0, 0, berlin), true},    // a Monday, opening
		{time.Date(2026, 11, 23, 17, 29, 0, 0, berlin), true},  // last minute
		{time.Date(2026, 11, 23, 17, 30, 0, 0, berlin), false}, // closing
		{time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC), true},  // 9:00 in Berlin
		{time.Date(2026, 11, 24, 12, 0, 0, 0, berlin), false},  // Tuesday: not listed
		{time.Date(2026, 11, 28, 13, 0, 0, 0, berlin), true},   // Saturday
	}
	for _, tc := range cases {
		if got := hours.Open(tc.at); got != tc.open {
			t.Errorf("Open(%v) = %v, want %v", tc.at, got, tc.open)
		}
	}
	if !(scenario.Hours{}).Open(time.Now()) {
		t.Error("no hours should mean always open")
	}
}

func TestConfigurationIsChecked(t *testing.T) {
	t.Parallel()
	cases := map[string]func(c *scenario.Config){
		"no launch point":       func(c *scenario.Config) { c.AppIDs = nil },
		"an unknown form":       func(c *scenario.Config) { c.SurveyForm = "nope" },
		"a form with captcha":   func(c *scenario.Config) { c.Forms[0].Fields[0].FormFieldType = "captcha" },
		"a bad time zone":       func(c *scenario.Config) { c.Hours.TimeZone = "Mars/Olympus" },
		"a bad day":             func(c *scenario.Config) { c.Hours.Days = map[string]string{"funday": "09:00-10:00"} },
		"bad hours":             func(c *scenario.Config) { c.Hours.Days = map[string]string{"mon": "17:00-09:00"} },
		"warning after timeout": func(c *scenario.Config) { c.IdleWarning, c.IdleTimeout = 600, 300 },
	}
	for name, breakIt := range cases {
		cfg := scenario.Default()
		breakIt(&cfg)
		if err := cfg.Check(); err == nil {
			t.Errorf("%s: Check passed", name)
		}
	}
	if err := scenario.Default().Check(); err != nil {
		t.Errorf("the default configuration: %v", err)
	}
}
