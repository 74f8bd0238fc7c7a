package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/parleychat/parley/protocol"
)

// Timeouts of what a session asks the server outside its socket.
const (
	// requestTimeout bounds Request Chat and the configuration.
	requestTimeout = 30 * time.Second
	// pollTimeout bounds one long poll, which the server ends after its
	// own wait: one that never ends went silent.
	pollTimeout = 60 * time.Second
)

// Configuration fetches the widget configuration: the title, the styling,
// the forms the contact center may ask for, whether it offers calls (which
// it tells the chat's Call).
func (s *Session) Configuration(ctx context.Context) (protocol.WidgetConfiguration, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	s.identify(ctx)
	var cfg protocol.WidgetConfiguration
	err := s.call(ctx, http.MethodGet, protocol.PathConfiguration, nil, &cfg)
	if err == nil {
		styling := cfg.Definition.ChatWidgetStyling
		s.calls.Configure(styling.VideoCallEnabled, styling.VisitorVideoEnabled)
	}
	return cfg, err
}

// ICEServers fetches the STUN and TURN servers for the chat's calls.
func (s *Session) ICEServers(ctx context.Context) ([]protocol.ICEServer, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	s.identify(ctx)
	var answer protocol.ICEServers
	err := s.call(ctx, http.MethodGet, protocol.PathICEServers, nil, &answer)
	return answer.ICEServers, err
}

// requestChat calls Request Chat, which returns the client's active chat or
// starts a new one.
func (s *Session) requestChat(ctx context.Context) (protocol.ChatSession, error) {
	body, err := json.Marshal(s.cfg.Request)
	if err != nil {
		return protocol.ChatSession{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	var chat protocol.ChatSession
	if err := s.call(ctx, http.MethodPost, protocol.PathChats, body, &chat); err != nil {
		return protocol.ChatSession{}, fmt.Errorf("requesting a chat: %w", err)
	}
	if chat.ChatID == "" {
		return protocol.ChatSession{}, errors.New("requesting a chat: the answer has no chat_id")
	}
	return chat, nil
}

// call sends an API request with the visitor's credentials and decodes the
// answer into out; an error answer is a *protocol.Error. The answer's Date
// tells the server's clock.
func (s *Session) call(ctx context.Context, method, path string, body []byte, out any) error {
	sent := time.Now()
	resp, err := request(ctx, method, strings.TrimRight(s.cfg.BaseURL, "/")+path, map[string]string{
		"Authorization": s.credentials().Authorization(),
		"Content-Type":  "application/json; charset=UTF-8",
	}, body)
	if err != nil {
		return err
	}
	s.clock.date(resp.date, sent, time.Now())
	if resp.status != http.StatusOK {
		if perr := protocol.DecodeError(resp.body); perr != nil {
			return perr
		}
		return fmt.Errorf("HTTP status %d", resp.status)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(resp.body, out)
}
