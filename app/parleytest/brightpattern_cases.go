package parleytest

import (
	"encoding/json"
	"net/http"
	"slices"

	"github.com/parleychat/parley/protocol"
)

// notificationTokens are the kinds of push token a subscription may name,
// one at a time.
var notificationTokens = []string{"ios_apns_device_token", "ios_firebase_device_token", "android_firebase_device_token"}

func (bp *BrightPattern) notifications(w http.ResponseWriter, r *http.Request, c *call) {
	bp.mu.Lock()
	chat := bp.ownChat(c, r.PathValue("chatId"))
	bp.mu.Unlock()
	if chat == nil {
		bp.fail(w, c, protocol.CodeChatNotFound, "chat %s not found", r.PathValue("chatId"))
		return
	}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(c.rec.Body, &body); err != nil {
		bp.fail(w, c, protocol.CodeBadRequest, "the body is not a subscription: %v", err)
		return
	}
	kinds := 0
	for _, name := range notificationTokens {
		if _, ok := body[name]; ok {
			kinds++
		}
	}
	switch kinds {
	case 0:
		bp.fail(w, c, protocol.CodeBadRequest, "the subscription names no device token")
		return
	case 1:
	default:
		bp.fail(w, c, protocol.CodeTooManyParameters, "the subscription names more than one kind of device token")
		return
	}
	bp.mu.Lock()
	chat.subscriptions = append(chat.subscriptions, c.rec.Body)
	bp.touch()
	bp.mu.Unlock()
	bp.reply(w, c, http.StatusOK, "application/json", nil)
}

// caseSession is one chat of Get Case History's answer.
type caseSession struct {
	ChatID      string             `json:"chat_id"`
	CreatedTime protocol.Timestamp `json:"created_time"`
	Events      []json.RawMessage  `json:"events"`
}

// caseHistory answers the history of every chat linked to the chat's case.
func (bp *BrightPattern) caseHistory(w http.ResponseWriter, r *http.Request, c *call) {
	bp.mu.Lock()
	chat := bp.ownChat(c, r.PathValue("chatId"))
	var sessions []caseSession
	caseID := ""
	if chat != nil {
		caseID = chat.caseID
	}
	for _, other := range bp.chats {
		if caseID != "" && other.caseID == caseID {
			sessions = append(sessions, caseSession{ChatID: other.ID, CreatedTime: protocol.At(other.Created), Events: slices.Clone(other.history)})
		}
	}
	bp.mu.Unlock()
	switch {
	case chat == nil:
		bp.fail(w, c, protocol.CodeChatNotFound, "chat %s not found", r.PathValue("chatId"))
	case caseID == "":
		bp.fail(w, c, protocol.CodeCaseNotSet, "no case is set for chat %s", chat.ID)
	default:
		bp.replyJSON(w, c, map[string]any{"sessions": sessions})
	}
}

// closeCase closes the chat's case. It takes any body: the iOS SDK sends
// none, the Android SDK an events envelope.
func (bp *BrightPattern) closeCase(w http.ResponseWriter, r *http.Request, c *call) {
	bp.mu.Lock()
	chat := bp.ownChat(c, r.PathValue("chatId"))
	caseSet := chat != nil && chat.caseID != ""
	if caseSet {
		chat.caseClosed = true
		bp.touch()
	}
	bp.mu.Unlock()
	switch {
	case chat == nil:
		bp.fail(w, c, protocol.CodeChatNotFound, "chat %s not found", r.PathValue("chatId"))
	case !caseSet:
		bp.fail(w, c, protocol.CodeCaseNotSet, "no case is set for chat %s", chat.ID)
	default:
		bp.reply(w, c, http.StatusOK, "application/json", nil)
	}
}
