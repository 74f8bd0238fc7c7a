package protocol

// ChatState is the state of a chat session as the server reports it.
type ChatState string

// Chat states. The documents name queued, connecting, connected, failed and
// completed; the SDKs also know ivr (a scenario is handling the chat).
const (
	StateQueued     ChatState = "queued"
	StateIVR        ChatState = "ivr"
	StateConnecting ChatState = "connecting"
	StateConnected  ChatState = "connected"
	StateFailed     ChatState = "failed"
	StateCompleted  ChatState = "completed"
)

// Over reports whether a chat in this state can take no more events.
func (s ChatState) Over() bool { return s == StateFailed || s == StateCompleted }

// Known reports whether s is one of the documented states.
func (s ChatState) Known() bool {
	switch s {
	case StateQueued, StateIVR, StateConnecting, StateConnected, StateFailed, StateCompleted:
		return true
	}
	return false
}

// Status reports the chat's state and, while queued, the estimated wait.
// Both SDKs require ewt in every status, connected included: "0" when there
// is no wait.
type Status struct {
	State ChatState `json:"state"`
	EWT   Seconds   `json:"ewt"`
	Meta
}

// EventType returns "chat_session_status".
func (*Status) EventType() string { return TypeStatus }

// Ended says the chat ended normally, for example an agent closed it.
type Ended struct {
	Meta
}

// EventType returns "chat_session_ended".
func (*Ended) EventType() string { return TypeEnded }

// End is the visitor ending the chat session.
type End struct {
	Meta
}

// EventType returns "chat_session_end".
func (*End) EventType() string { return TypeEnd }

// Disconnect is the visitor leaving the conversation while keeping the
// session open for what the scenario still has to say, such as a survey.
type Disconnect struct {
	Meta
}

// EventType returns "chat_session_disconnect".
func (*Disconnect) EventType() string { return TypeDisconnect }

// PartyType says what kind of party joined a chat.
type PartyType string

// Party types. Internal parties are agents; MS Teams users count as agents.
const (
	PartyScenario PartyType = "scenario"
	PartyExternal PartyType = "external"
	PartyInternal PartyType = "internal"
	PartyMSTeams  PartyType = "msteams"
)

// PartyJoined announces a party (agent, scenario or external) in PartyID.
type PartyJoined struct {
	FirstName   string    `json:"first_name,omitempty"`
	LastName    string    `json:"last_name,omitempty"`
	DisplayName string    `json:"display_name,omitempty"`
	Type        PartyType `json:"type"`
	Meta
}

// EventType returns "chat_session_party_joined".
func (*PartyJoined) EventType() string { return TypePartyJoined }

// Name is the party's name as a person should read it: the display name, or
// first and last name.
func (p *PartyJoined) Name() string {
	if p.DisplayName != "" {
		return p.DisplayName
	}
	switch {
	case p.FirstName != "" && p.LastName != "":
		return p.FirstName + " " + p.LastName
	case p.FirstName != "":
		return p.FirstName
	}
	return p.LastName
}

// PartyLeft says the party in PartyID left the chat.
type PartyLeft struct {
	// Type is sometimes present, though undocumented.
	Type PartyType `json:"type,omitempty"`
	Meta
}

// EventType returns "chat_session_party_left".
func (*PartyLeft) EventType() string { return TypePartyLeft }

// TimeoutWarning asks the client to show Msg, typically because the visitor
// has been idle; the client has its own words when Msg is empty.
//
// Both SDKs require msg: it is written even when empty.
type TimeoutWarning struct {
	Msg string `json:"msg"`
	Meta
}

// EventType returns "chat_session_timeout_warning".
func (*TimeoutWarning) EventType() string { return TypeTimeoutWarning }

// InactivityTimeout says the session ended because the visitor was idle.
// Both SDKs require msg: it is written even when empty.
type InactivityTimeout struct {
	Msg string `json:"msg"`
	Meta
}

// EventType returns "chat_session_inactivity_timeout".
func (*InactivityTimeout) EventType() string { return TypeInactivityTimeout }

// CaseSet says a CRM case was set for the session, or cleared when CaseID is
// empty.
type CaseSet struct {
	CaseID string `json:"case_id"`
	Meta
}

// EventType returns "chat_session_case_set".
func (*CaseSet) EventType() string { return TypeCaseSet }

// Info names the service handling the chat.
type Info struct {
	ServiceName string `json:"service_name,omitempty"`
	Meta
}

// EventType returns "chat_session_info".
func (*Info) EventType() string { return TypeInfo }
