package protocol

import "encoding/json"

// ChatRequest is the body of Request Chat (POST chats).
type ChatRequest struct {
	// PhoneNumber is a number for a callback, if the visitor wants one.
	PhoneNumber string `json:"phone_number,omitempty"`
	// From becomes the scenario variable $(item.from).
	From string `json:"from,omitempty"`
	// Parameters are values for the launch point's expected parameters;
	// scenarios read them as $(item.externalChatData.<name>).
	Parameters map[string]any `json:"parameters,omitempty"`
	// InitialMessage is what Bright Pattern's newer web client sends with
	// the request: a whole client chat_session_message event, which becomes
	// the chat's first visitor message. nil when there is none.
	InitialMessage *Message `json:"initial_message,omitempty"`
}

// ChatSession is the answer of Request Chat: a new chat, or the client's
// active one with IsNewChat false.
type ChatSession struct {
	ChatID string    `json:"chat_id"`
	State  ChatState `json:"state"`
	// EWT is the estimated wait while the chat is queued, "0" otherwise:
	// a string, which the iOS SDK requires and the Android SDK reads as
	// its integer.
	EWT         Seconds `json:"ewt"`
	IsNewChat   bool    `json:"is_new_chat"`
	PhoneNumber string  `json:"phone_number,omitempty"`
	// Token is a Parley extension: the chat's secret, which the WebSocket
	// URL and file downloads carry because a browser cannot put an
	// Authorization header on them.
	Token string `json:"token,omitempty"`
	// Epoch is a Parley extension: the name of the chat's event stream
	// (see [Position]).
	Epoch string `json:"epoch,omitempty"`
}

// Availability values of the chat service.
const (
	Available    = "available"
	NotAvailable = "notAvailable"
)

// Availability is the answer of Check Availability.
type Availability struct {
	// Chat is Available or NotAvailable (the office is closed).
	Chat string `json:"chat"`
	// EWT is the estimated wait for a new chat, when the server knows it.
	EWT Seconds `json:"ewt,omitzero"`
}

// ActiveChat is the answer of Get Active Chat.
type ActiveChat struct {
	ChatID string    `json:"chat_id"`
	State  ChatState `json:"state"`
}

// Version is the answer of Get Version.
type Version struct {
	ServerVersion string `json:"server_version"`
}

// ExpectedParameters is the answer of Expected Parameters: each entry maps
// one parameter's name to its type (PHONE, TEXT, EMAIL, FIRST_NAME, ...).
type ExpectedParameters struct {
	Parameters []map[string]string `json:"parameters"`
}

// UploadedFile is the answer of Upload File.
type UploadedFile struct {
	FileID   string `json:"file_id"`
	FileName string `json:"file_name"`
}

// Notification token kinds of Mobile Notification Subscription, as the
// SDKs name them: one per request.
const (
	TokenAPNs            = "ios_apns_device_token"
	TokenIOSFirebase     = "ios_firebase_device_token"
	TokenAndroidFirebase = "android_firebase_device_token"
)

// NotificationSubscription is the body of Mobile Notification Subscription
// (POST chats/{chatId}/notifications): at most one token; with an APNs
// token, the app's bundle id. A body with no token cancels the
// subscription.
type NotificationSubscription struct {
	APNsToken            string `json:"ios_apns_device_token,omitempty"`
	AppBundleID          string `json:"ios_app_bundle_id,omitempty"`
	IOSFirebaseToken     string `json:"ios_firebase_device_token,omitempty"`
	AndroidFirebaseToken string `json:"android_firebase_device_token,omitempty"`
}

// Token returns the subscription's one token and its kind ("" for none),
// or an *Error with [CodeTooManyParameters] when it holds more than one.
func (n NotificationSubscription) Token() (kind, token string, err error) {
	for _, t := range []struct{ kind, token string }{
		{TokenAPNs, n.APNsToken}, {TokenIOSFirebase, n.IOSFirebaseToken}, {TokenAndroidFirebase, n.AndroidFirebaseToken},
	} {
		if t.token == "" {
			continue
		}
		if kind != "" {
			return "", "", Errorf(CodeTooManyParameters, "one token per subscription: %s and %s were both sent", kind, t.kind)
		}
		kind, token = t.kind, t.token
	}
	return kind, token, nil
}

// CaseHistory is the answer of Get Case History: every chat linked to the
// chat's CRM case, oldest first.
type CaseHistory struct {
	Sessions []CaseSession `json:"sessions"`
}

// CaseSession is one chat of a [CaseHistory].
type CaseSession struct {
	ChatID string `json:"chat_id"`
	// CreatedTime is a string of Unix seconds, which the iOS SDK requires
	// and the Android SDK reads as its integer.
	CreatedTime Timestamp `json:"created_time"`
	Events      []Event   `json:"-"`
}

// MarshalJSON writes the session with its events.
func (c CaseSession) MarshalJSON() ([]byte, error) {
	env, err := json.Marshal(Envelope{Events: c.Events})
	if err != nil {
		return nil, err
	}
	head, err := json.Marshal(struct {
		ChatID      string    `json:"chat_id"`
		CreatedTime Timestamp `json:"created_time"`
	}{c.ChatID, c.CreatedTime})
	if err != nil {
		return nil, err
	}
	// {"chat_id":…,"created_time":…} and {"events":[…]} as one object.
	return append(append(head[:len(head)-1], ','), env[1:]...), nil
}

// SMSChat is the answer of Request SMS Chat Session (v1). SMSErrorCode 0 is
// success; the documents list 5 (invalid access number: no SMS gateway), 6
// (database failure), 10 (SMS server timeout), 11 (a session already exists
// for this customer and access number) and 21 (invalid launch point).
type SMSChat struct {
	SMSErrorCode int    `json:"sms_error_code"`
	ErrorMessage string `json:"error_message"`
}

// SMSNoGateway is the SMSErrorCode of a server without an SMS gateway.
const SMSNoGateway = 5
