package chat

import (
	"context"
	"fmt"

	"github.com/parleychat/parley/protocol"
)

// Send takes events from the chat's visitor. They are all validated first:
// if one is refused, none is taken. Each is then stamped with the chat id as
// its party and the time, stored unless it is ephemeral (typing, call
// signals), and delivered. A true resend (the same msg_id with the same
// content) is stored once, so a visitor may resend anything it is unsure
// about; a different event that reuses a msg_id is stored too. A visitor who
// sends messages, receipts, typing or call signals faster than their limit
// is refused with a *RateLimitedError (CodeRateLimited), each kind on its own
// budget.
func (s *Service) Send(ctx context.Context, chatID string, events ...protocol.Event) error {
	if err := s.admit(ctx, chatID, s.ownForms, events); err != nil {
		return err
	}
	return s.post(ctx, chatID, chatID, events, nil, false)
}

// Admit takes the visitor's events as Send does, validated, within the
// visitor's limits, stamped, with the file events checked, but stores
// nothing: for a bridge that hands them to another contact center first
// and stores them with Record once it took them. Answers to forms are
// checked against forms, the definitions that contact center gave the
// visitor's widget, read only when the events hold an answer. A chat that is
// over admits nothing (CodeChatNotFound).
func (s *Service) Admit(ctx context.Context, chatID string, forms func(context.Context) []protocol.WidgetForm, events ...protocol.Event) error {
	c, err := s.Chat(ctx, chatID)
	if err != nil {
		return err
	}
	if c.State.Over() {
		return protocol.Errorf(protocol.CodeChatNotFound, "chat %s has ended", chatID)
	}
	return s.admit(ctx, chatID, forms, events)
}

// Record stores and delivers the visitor's events that Admit took, each at
// most once under key however often it is recorded: the i-th event is
// stored only if no event with the same key and index is. Ephemeral events
// are delivered only.
func (s *Service) Record(ctx context.Context, chatID, key string, events ...protocol.Event) error {
	if key == "" {
		return protocol.Errorf(protocol.CodeBadRequest, "an idempotency key must not be empty")
	}
	return s.post(ctx, chatID, chatID, events, onceKeys(key, events), false)
}

// admit validates the visitor's events, all before any: if one is refused,
// none is taken. Then it takes them from the visitor's budgets, stamps them
// with the chat id as their party and the time, and checks their answers to
// forms, against forms, and their files.
func (s *Service) admit(ctx context.Context, chatID string, forms func(context.Context) []protocol.WidgetForm, events []protocol.Event) error {
	var need [Budgets]int
	for _, e := range events {
		if err := protocol.ValidateClientEvent(e); err != nil {
			return err
		}
		need[budgetOf(e)]++
	}
	now := s.Now()
	limits := [Budgets]Limit{{s.VisitorRate, s.VisitorBurst}, s.Receipts, s.Typing, s.Signaling}
	short, ok, err := s.Limiter.Allow(ctx, chatID, need, limits, now)
	if err != nil {
		return fmt.Errorf("checking the rate limits of chat %s: %w", chatID, err)
	}
	if !ok {
		return rateLimited(short, need[short], limits[short])
	}
	if err := s.checkFormAnswers(ctx, chatID, forms, events); err != nil {
		return err
	}
	for _, e := range events {
		*e.EventMeta() = protocol.Meta{PartyID: chatID, Timestamp: protocol.At(now)}
		if err := s.checkFile(ctx, chatID, e); err != nil {
			return err
		}
	}
	return nil
}

// checkFormAnswers checks the visitor's answers to forms among events
// against the requests of the chat they answer, found in its history, and
// the forms those requests name.
func (s *Service) checkFormAnswers(ctx context.Context, chatID string, forms func(context.Context) []protocol.WidgetForm, events []protocol.Event) error {
	answers := map[string]bool{}
	for _, e := range events {
		if id := formRequestOf(e); id != "" {
			answers[id] = true
		}
	}
	if len(answers) == 0 {
		return nil
	}
	asked := map[string]protocol.Event{}
	for after := uint64(0); ; {
		page, err := s.store.Events(ctx, chatID, after, s.HistoryPage)
		if err != nil {
			return fmt.Errorf("reading the form requests of chat %s: %w", chatID, err)
		}
		if len(page) == 0 {
			break
		}
		for _, e := range page {
			switch e := e.(type) {
			case *protocol.FormShow:
				asked[e.FormRequestID.String()] = e
			case *protocol.SecureFormShow:
				asked[e.FormRequestID.String()] = e
			}
		}
		after = page[len(page)-1].EventMeta().Seq
	}
	defined := forms(ctx)
	for _, e := range events {
		if id := formRequestOf(e); id != "" {
			if err := protocol.CheckFormAnswer(defined, asked[id], e); err != nil {
				return err
			}
		}
	}
	return nil
}

// ownForms are the forms of this contact center, s.Forms.
func (s *Service) ownForms(context.Context) []protocol.WidgetForm { return s.Forms }

// formRequestOf is the form_request_id a visitor's answer to a form names,
// "" for any other event.
func formRequestOf(e protocol.Event) string {
	switch e := e.(type) {
	case *protocol.FormData:
		return e.FormRequestID.String()
	case *protocol.SecureFormData:
		return e.FormRequestID.String()
	case *protocol.SecureFormCancel:
		return e.FormRequestID.String()
	}
	return ""
}
