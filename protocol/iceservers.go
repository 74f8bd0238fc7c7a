package protocol

import (
	"encoding/json"
	"fmt"
	"strings"
)

// ICEServers is the answer of Get ICE Servers. The documents do not give its
// shape; Parley answers with the RTCConfiguration shape a browser passes to
// RTCPeerConnection as it is.
type ICEServers struct {
	ICEServers []ICEServer `json:"iceServers"`
}

// ICEServer is one STUN or TURN server, as RTCIceServer describes it: its
// URLs (stun:, stuns:, turn: or turns:), and for TURN the username and
// credential.
//
// It decodes urls as a list or a single string, as browsers take it, and
// the url key of older clients (Bright Pattern's web client wrote
// {url, username, credential}); it encodes urls as a list.
type ICEServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
}

// UnmarshalJSON reads the forms ICEServer describes.
func (s *ICEServer) UnmarshalJSON(data []byte) error {
	var in struct {
		URLs       json.RawMessage `json:"urls"`
		URL        string          `json:"url"`
		Username   string          `json:"username"`
		Credential string          `json:"credential"`
	}
	if err := json.Unmarshal(data, &in); err != nil {
		return err
	}
	*s = ICEServer{Username: in.Username, Credential: in.Credential}
	var one string
	switch {
	case len(in.URLs) == 0 || string(in.URLs) == "null":
		if in.URL != "" {
			s.URLs = []string{in.URL}
		}
	case json.Unmarshal(in.URLs, &one) == nil:
		s.URLs = []string{one}
	default:
		if err := json.Unmarshal(in.URLs, &s.URLs); err != nil {
			return fmt.Errorf("urls must be a URL or a list of them")
		}
	}
	return nil
}

// Check reports what makes s unusable to a browser: no URL, a URL that is
// not a STUN or TURN URL, or a TURN server without its username and
// credential.
func (s ICEServer) Check() error {
	if len(s.URLs) == 0 {
		return fmt.Errorf("an ICE server needs urls")
	}
	for _, u := range s.URLs {
		scheme, rest, _ := strings.Cut(u, ":")
		switch {
		case rest == "":
			return fmt.Errorf("ICE server URL %q has no host", u)
		case scheme == "stun" || scheme == "stuns":
		case scheme == "turn" || scheme == "turns":
			if s.Username == "" || s.Credential == "" {
				return fmt.Errorf("TURN server %q needs a username and a credential", u)
			}
		default:
			return fmt.Errorf("ICE server URL %q is not a stun:, stuns:, turn: or turns: URL", u)
		}
	}
	return nil
}
