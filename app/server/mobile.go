package server

import (
	"net/http"

	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/protocol"
)

// notifications is Mobile Notification Subscription: the chat's visitor
// gives one push token (APNs, or Firebase for iOS or Android) to be told of
// new events while its app is not polling; a body without a token cancels
// it. Parley stores the token with the chat and sends no notifications:
// delivering them through APNs or FCM is out of its scope.
func (s *Server) notifications(w http.ResponseWriter, r *http.Request) {
	c, err := s.ownChat(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var sub protocol.NotificationSubscription
	if err := readJSON(r, &sub); err != nil {
		s.writeError(w, r, err)
		return
	}
	if _, _, err := sub.Token(); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.chats.SetNotifications(r.Context(), c.ID, sub); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct{}{})
}

// caseHistory is Get Case History: every chat linked to the chat's CRM case
// (by chat_session_case_set, which only the contact center's side sends),
// with all its events, oldest chat first; 5601 while the chat has no case.
func (s *Server) caseHistory(w http.ResponseWriter, r *http.Request) {
	c, err := s.casedChat(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	linked, err := s.chats.CaseChats(r.Context(), c.CaseID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	answer := protocol.CaseHistory{Sessions: []protocol.CaseSession{}}
	for _, lc := range linked {
		events, err := s.allEvents(r.Context(), lc.ID)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		answer.Sessions = append(answer.Sessions, protocol.CaseSession{ChatID: lc.ID, CreatedTime: protocol.At(lc.Created), Events: events})
	}
	writeJSON(w, http.StatusOK, answer)
}

// closeCase is Close Case: it closes the chat's CRM case, which for Parley,
// a contact center without a CRM, clears it, as a scenario would: the chat
// gets a chat_session_case_set with no case_id. 5601 while the chat has no
// case. The Android SDK sends an events envelope with chat_session_end as
// the body, the iOS SDK none: the body is not read, and ends nothing.
func (s *Server) closeCase(w http.ResponseWriter, r *http.Request) {
	c, err := s.casedChat(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.chats.Publish(r.Context(), c.ID, &protocol.CaseSet{}); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct{}{})
}

// casedChat is the caller's chat, which must have a CRM case: 5601 while
// it has none.
func (s *Server) casedChat(w http.ResponseWriter, r *http.Request) (chat.Chat, error) {
	c, err := s.ownChat(w, r)
	if err == nil && c.CaseID == "" {
		err = protocol.Errorf(protocol.CodeCaseNotSet, "no case is set for chat %s", c.ID)
	}
	return c, err
}
