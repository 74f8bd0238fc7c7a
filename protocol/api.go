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
