package widget

import (
	"encoding/json"
	"fmt"
	"maps"
	"strings"

	"github.com/parleychat/parley/protocol"
)

// Texts are the words of the window in one language. English is built in;
// other languages are JSON files of the same keys in web/i18n, fetched only
// for the visitor who needs them. A key a file leaves out stays English.
type Texts struct {
	Title             string
	Close             string
	Connecting        string
	Reconnecting      string // with the seconds until the next try
	RetryingNow       string
	Waiting           string
	WaitMinutes       string // with the minutes
	WaitSeconds       string // with the seconds
	Connected         string
	ChattingWith      string // with the agent's name
	Ended             string
	Failed            string
	Closed            string
	ClosedNotice      string
	LeaveMessage      string
	TryAgain          string
	Menu              string
	EndChat           string
	ConfirmEnd        string
	EndNow            string
	LeaveAndRate      string
	KeepChatting      string
	Transcript        string
	NewChat           string
	TranscriptOf      string // with the date
	Messages          string
	NewMessages       string
	EarlierMessages   string // with how many
	Announce          string // with the sender and the message
	You               string
	Agent             string
	Assistant         string
	Joined            string // with the party's name
	Left              string // with the party's name
	ChatEnded         string
	VisitorLeft       string
	IdleWarning       string
	IdleEnded         string
	IsTyping          string // with the party's name
	Sending           string
	Sent              string
	Delivered         string
	Read              string
	NotSent           string
	Placeholder       string
	AnswerHere        string
	Send              string
	Attach            string
	DropHere          string
	FileTooLarge      string // with the file's name and the limit in MB
	FileType          string // with the file's name
	FilesWait         string
	TooLong           string // with the number of characters over the limit
	TooFast           string
	NotSentReason     string
	Uploading         string // with the file's name and the percentage
	CancelUpload      string
	UploadFailed      string // with the file's name
	Download          string // with the file's name
	Submit            string
	Cancel            string
	Choose            string
	FormSent          string
	FormExpired       string
	FormDeclined      string
	FormMissing       string
	FormNotSent       string
	Call              string
	CallRequest       string
	CallRequestVideo  string
	CallRequesting    string
	CallCancel        string
	CallIncoming      string
	CallIncomingVideo string
	CallAnswer        string
	CallAnswerVideo   string
	CallDecline       string
	CallConnecting    string
	CallInCall        string // with the timer
	CallMute          string
	CallCameraOff     string
	CallHangUp        string
	CallRemoteVideo   string
	CallOwnVideo      string
	CallHungUp        string
	CallEnded         string
	CallDeclined      string
	CallRejected      string
	CallDenied        string
	CallNoDevice      string
	CallFailed        string
	CallChatEnded     string
	Problems          map[protocol.Problem]string
}

var english = Texts{
	Title:             "Chat with us",
	Close:             "Close chat",
	Connecting:        "Connecting…",
	Reconnecting:      "Connection lost. Retrying in %d s…",
	RetryingNow:       "Connection lost. Retrying…",
	Waiting:           "Waiting for an agent",
	WaitMinutes:       "Waiting for an agent, about %d min",
	WaitSeconds:       "Waiting for an agent, about %d s",
	Connected:         "Connected",
	ChattingWith:      "Chatting with %s",
	Ended:             "Chat ended",
	Failed:            "Chat is not available right now",
	Closed:            "We are closed right now",
	ClosedNotice:      "Nobody can chat with you at the moment. Leave us a message, or try again later.",
	LeaveMessage:      "Leave a message",
	TryAgain:          "Try again",
	Menu:              "Chat options",
	EndChat:           "End chat",
	ConfirmEnd:        "End this chat?",
	EndNow:            "End chat",
	LeaveAndRate:      "Leave and give feedback",
	KeepChatting:      "Keep chatting",
	Transcript:        "Download transcript",
	NewChat:           "Start a new chat",
	TranscriptOf:      "Chat transcript, %s",
	Messages:          "Messages",
	NewMessages:       "New messages",
	EarlierMessages:   "Show earlier messages (%d)",
	Announce:          "%s: %s",
	You:               "You",
	Agent:             "Agent",
	Assistant:         "Assistant",
	Joined:            "%s joined the chat",
	Left:              "%s left the chat",
	ChatEnded:         "The chat has ended.",
	VisitorLeft:       "You left the conversation.",
	IdleWarning:       "Are you still there? The chat will close soon.",
	IdleEnded:         "The chat was closed after a period of inactivity.",
	IsTyping:          "%s is typing…",
	Sending:           "Sending…",
	Sent:              "Sent",
	Delivered:         "Delivered",
	Read:              "Read",
	NotSent:           "Not sent",
	Placeholder:       "Write a message…",
	AnswerHere:        "Type your answer…",
	Send:              "Send",
	Attach:            "Attach a file",
	DropHere:          "Drop files here to send them",
	FileTooLarge:      "%s is larger than %d MB.",
	FileType:          "%s is not a kind of file we can take.",
	FilesWait:         "Files can be sent once the chat is connected again.",
	TooLong:           "Your message is too long: shorten it by %d characters to send it.",
	TooFast:           "You are sending very fast. Please wait a moment, then send again.",
	NotSentReason:     "This could not be sent. Please try again.",
	Uploading:         "Sending %s… %d%%",
	CancelUpload:      "Cancel",
	UploadFailed:      "%s could not be sent.",
	Download:          "Download %s",
	Submit:            "Send",
	Cancel:            "Cancel",
	Choose:            "Choose…",
	FormSent:          "Thank you, sent.",
	FormExpired:       "This form has expired.",
	FormDeclined:      "Declined.",
	FormMissing:       "This form cannot be shown here.",
	FormNotSent:       "Your answer was not sent: the chat ended first.",
	Call:              "Call",
	CallRequest:       "Call us",
	CallRequestVideo:  "Video call",
	CallRequesting:    "Asking the agent for a call…",
	CallCancel:        "Cancel",
	CallIncoming:      "The agent is calling you",
	CallIncomingVideo: "The agent is calling you with video",
	CallAnswer:        "Answer",
	CallAnswerVideo:   "Answer with video",
	CallDecline:       "Decline",
	CallConnecting:    "Connecting the call…",
	CallInCall:        "In a call, %s",
	CallMute:          "Mute",
	CallCameraOff:     "Camera off",
	CallHangUp:        "Hang up",
	CallRemoteVideo:   "The agent's video",
	CallOwnVideo:      "Your camera",
	CallHungUp:        "You ended the call.",
	CallEnded:         "The call has ended.",
	CallDeclined:      "You declined the call.",
	CallRejected:      "The agent cannot take a call right now.",
	CallDenied:        "The call could not start: your browser did not allow the microphone or camera. Allow them in your browser's site settings to take a call.",
	CallNoDevice:      "The call could not start: no microphone or camera could be used.",
	CallFailed:        "The call could not be connected.",
	CallChatEnded:     "The call ended with the chat.",
	Problems: map[protocol.Problem]string{
		protocol.ProblemRequired:   "Please fill this in.",
		protocol.ProblemEmail:      "Please enter an email address, like name@example.com.",
		protocol.ProblemPhone:      "Please enter a phone number.",
		protocol.ProblemNumber:     "Please enter a number.",
		protocol.ProblemDate:       "Please enter a date.",
		protocol.ProblemOption:     "Please choose one of the options.",
		protocol.ProblemTooSmall:   "This number is too small.",
		protocol.ProblemTooLarge:   "This number is too large.",
		protocol.ProblemTooShort:   "This is too short.",
		protocol.ProblemTooLong:    "This is too long.",
		protocol.ProblemPattern:    "This is not in the expected format.",
		protocol.ProblemCheckbox:   "Please tick or untick this box.",
		protocol.ProblemUnexpected: "This field is not part of the form.",
	},
}

// languages are the locales the widget has words for; the others fall back
// to English. Right-to-left ones lay the window out mirrored.
var languages = map[string]bool{"en": true, "de": true, "ar": true}

var rightToLeft = map[string]bool{"ar": true, "he": true, "fa": true, "ur": true}

// RightToLeft reports whether a language is written right to left: the
// window is then laid out mirrored.
func RightToLeft(lang string) bool { return rightToLeft[lang] }

// Language picks the widget's language for a BCP 47 tag such as "de-AT":
// one it has words for, else English.
func Language(tag string) string {
	base, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
	if languages[base] {
		return base
	}
	return "en"
}

// Notice words a system line.
func (tx *Texts) Notice(l Line) string {
	who := l.Author
	if who == "" {
		who = tx.Agent
	}
	switch l.Notice {
	case NoticeJoined:
		return fmt.Sprintf(tx.Joined, who)
	case NoticeLeft:
		return fmt.Sprintf(tx.Left, who)
	case NoticeEnded:
		return tx.ChatEnded
	case NoticeDisconnected:
		return tx.VisitorLeft
	case NoticeTimeoutWarning:
		return firstNonEmpty(l.Text, tx.IdleWarning)
	case NoticeInactivity:
		return firstNonEmpty(l.Text, tx.IdleEnded)
	}
	return l.Text
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Author names who a line is from, in the visitor's words.
func (tx *Texts) Author(l Line) string {
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

// English returns the English words, a copy the caller may change.
func English() *Texts { return english.Clone() }

// Override replaces the words that words names, by their field names
// (Title, Send...); a name that is not a text is ignored.
func (tx *Texts) Override(words map[string]string) {
	if len(words) == 0 {
		return
	}
	if data, err := json.Marshal(words); err == nil {
		_ = json.Unmarshal(data, tx) // a name that is not a text is ignored
	}
}

// textsOr is tx, or English for nil.
func textsOr(tx *Texts) *Texts {
	if tx == nil {
		return &english
	}
	return tx
}

// Clone returns a copy of the words the caller may change.
func (tx *Texts) Clone() *Texts {
	c := *tx
	c.Problems = maps.Clone(tx.Problems)
	return &c
}
