package protocol

// ChatRequest is the body of Request Chat (POST chats).
type ChatRequest struct {
	// PhoneNumber is a number for a callback, if the visitor wants one.
	PhoneNumber string `json:"phone_number,omitempty"`
	// From becomes the scenario variable $(item.from).
	From string `json:"from,omitempty"`
	// Parameters are values for the launch point's expected parameters;
	// scenarios read them as $(item.externalChatData.<name>).
	Parameters map[string]any `json:"parameters,omitempty"`
}

// ChatSession is the answer of Request Chat: a new chat, or the client's
// active one with IsNewChat false.
type ChatSession struct {
	ChatID      string    `json:"chat_id"`
	State       ChatState `json:"state"`
	EWT         Seconds   `json:"ewt,omitzero"`
	IsNewChat   bool      `json:"is_new_chat"`
	PhoneNumber string    `json:"phone_number,omitempty"`
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
	FileName string `json:"file_name,omitempty"`
}
