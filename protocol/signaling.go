package protocol

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Signaling carries one WebRTC signaling message of a call between the
// visitor and an agent (chat_session_signaling). The API keeps it out of the
// chat's history.
//
// A visitor's signal names the agent in DestinationPartyID; an agent's names
// the visitor, whose party id is the chat id. The destination is required
// both ways: a server delivers a signal to that party and nobody else. The
// server names the sender in PartyID.
//
// Bright Pattern's Android SDK sends msg_id as a string of digits and its
// demo app reads a signal's msg_id as a 32-bit integer; Bright Pattern's web
// client numbers signals with its message counter.
type Signaling struct {
	MsgID              ID         `json:"msg_id,omitzero"`
	DestinationPartyID string     `json:"destination_party_id,omitempty"`
	Data               SignalData `json:"data"`
	// SignalSeq is a Parley extension, set by the server: the signal's
	// number among the call signals it holds for the chat, greater than
	// every number before it in the chat. A client that resumes its
	// stream with the last one it saw (Position.Signal) gets only the
	// signals after it.
	SignalSeq uint64 `json:"signal_seq,omitempty"`
	Meta
}

// EventType returns "chat_session_signaling".
func (*Signaling) EventType() string { return TypeSignaling }

// Signal types, the "type" of [SignalData]. The first six are those both
// sides send (the Android SDK's SignalingType); the last two are requests
// only a visitor makes (Bright Pattern's web client).
const (
	// SignalRequestCall asks the other side for a call: a visitor asks the
	// agent to offer one, with video when OfferVideo.
	SignalRequestCall = "REQUEST_CALL"
	// SignalOfferCall offers a call: SDP is the offer, OfferVideo says
	// whether it carries the caller's video.
	SignalOfferCall = "OFFER_CALL"
	// SignalAnswerCall accepts an offer: SDP is the answer.
	SignalAnswerCall = "ANSWER_CALL"
	// SignalICECandidate is one ICE candidate of the sender: Candidate,
	// SDPMid and SDPMLineIndex as RTCIceCandidate has them.
	SignalICECandidate = "ICE_CANDIDATE"
	// SignalEndCall hangs up, whoever does.
	SignalEndCall = "END_CALL"
	// SignalCallRejected declines an offer or a request.
	SignalCallRejected = "CALL_REJECTED"
	// SignalRequestPhoneCall and SignalRequestSMS ask for a call back or a
	// text message to Number.
	SignalRequestPhoneCall = "REQUEST_PHONE_CALL"
	SignalRequestSMS       = "REQUEST_SMS"
)

// SignalData is the data of a [Signaling] event: its Type, and the fields
// that type uses.
//
// It decodes from what real clients send: an object, or the documents' JSON
// string holding one; offerVideo as a boolean or the string "true" or
// "false" (Bright Pattern's newer web client); sdpMLineIndex as a number
// (browsers) or a string of digits (the Android SDK); and an ICE candidate
// without a type, as the Android SDK sends it. It encodes as an object whose
// scalars are strings, as the documents write them and both the Android SDK
// (strings) and browsers (which convert) read them: offerVideo "true" or
// "false" on requests and offers, sdpMLineIndex a string of digits.
type SignalData struct {
	Type string
	// SDP is an offer's or an answer's session description
	// (RTCSessionDescription.sdp).
	SDP string
	// OfferVideo says a request asks for video, or an offer carries it.
	OfferVideo bool
	// Candidate, SDPMid and SDPMLineIndex are an ICE candidate's; nil
	// SDPMLineIndex means none was given.
	Candidate     string
	SDPMid        string
	SDPMLineIndex *int
	// Number is the phone number a visitor asks to be called or texted at.
	Number string
}

// signalDataJSON is SignalData as it travels.
type signalDataJSON struct {
	Type          string  `json:"type"`
	SDP           string  `json:"sdp,omitempty"`
	OfferVideo    *string `json:"offerVideo,omitempty"`
	Candidate     *string `json:"candidate,omitempty"`
	SDPMid        string  `json:"sdpMid,omitempty"`
	SDPMLineIndex string  `json:"sdpMLineIndex,omitempty"`
	Number        string  `json:"number,omitempty"`
}

// MarshalJSON writes the data as the documents show it.
func (d SignalData) MarshalJSON() ([]byte, error) {
	out := signalDataJSON{Type: d.Type, SDP: d.SDP, SDPMid: d.SDPMid, Number: d.Number}
	switch d.Type {
	case SignalRequestCall, SignalOfferCall:
		video := strconv.FormatBool(d.OfferVideo)
		out.OfferVideo = &video
	case SignalICECandidate:
		out.Candidate = &d.Candidate
	}
	if d.Type != SignalICECandidate && d.Candidate != "" {
		out.Candidate = &d.Candidate
	}
	if d.SDPMLineIndex != nil {
		out.SDPMLineIndex = strconv.Itoa(*d.SDPMLineIndex)
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads the forms SignalData describes.
func (d *SignalData) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '"' {
		var encoded string
		if err := json.Unmarshal(data, &encoded); err != nil {
			return err
		}
		data = bytes.TrimSpace([]byte(encoded))
	}
	if len(data) == 0 || data[0] != '{' {
		return fmt.Errorf("data must be an object, or a string that holds one, not %.20s", data)
	}
	var in map[string]json.RawMessage
	if err := json.Unmarshal(data, &in); err != nil {
		return err
	}
	*d = SignalData{}
	for _, f := range []struct {
		name string
		to   *string
	}{{"type", &d.Type}, {"sdp", &d.SDP}, {"candidate", &d.Candidate}, {"sdpMid", &d.SDPMid}, {"number", &d.Number}} {
		raw, ok := in[f.name]
		if !ok {
			continue
		}
		text, ok := idText(raw)
		if !ok {
			return fmt.Errorf("data.%s must be a string, not %.20s", f.name, raw)
		}
		*f.to = text
	}
	if raw, ok := in["offerVideo"]; ok {
		text, ok := scalarText(raw)
		video, err := strconv.ParseBool(text)
		switch {
		case !ok:
			return fmt.Errorf("data.offerVideo must be true or false, not %.20s", raw)
		case text == "":
		case err != nil:
			return fmt.Errorf("data.offerVideo must be true or false, not %q", text)
		default:
			d.OfferVideo = video
		}
	}
	if raw, ok := in["sdpMLineIndex"]; ok {
		text, ok := idText(raw)
		if !ok {
			return fmt.Errorf("data.sdpMLineIndex must be a number, not %.20s", raw)
		}
		if text = strings.TrimSpace(text); text != "" {
			n, err := strconv.ParseUint(text, 10, 16)
			if err != nil {
				return fmt.Errorf("data.sdpMLineIndex must be a media line's index from 0 to 65535, not %q", text)
			}
			index := int(n)
			d.SDPMLineIndex = &index
		}
	}
	if _, hasCandidate := in["candidate"]; d.Type == "" && hasCandidate {
		d.Type = SignalICECandidate // the Android SDK sends candidates without a type
	}
	return nil
}

// signalData checks the data of a signal of a type that sender may send:
// the fields its type needs, each within its limit.
func signalData(d SignalData, types map[string]bool, sender string) error {
	if d.Type == "" {
		return Errorf(CodeBadRequest, "data has no signaling type")
	}
	if !types[d.Type] {
		return Errorf(CodeBadRequest, "signal type %q is not one %s sends", d.Type, sender)
	}
	switch d.Type {
	case SignalOfferCall, SignalAnswerCall:
		if err := firstError(required("data.sdp", d.SDP), limit("data.sdp", d.SDP, MaxSignalingBytes)); err != nil {
			return err
		}
		if !strings.HasPrefix(d.SDP, "v=") {
			return Errorf(CodeBadRequest, "data.sdp is not a session description: it must begin with v=")
		}
	case SignalICECandidate:
		if err := firstError(limit("data.candidate", d.Candidate, MaxURLBytes), limit("data.sdpMid", d.SDPMid, MaxIDBytes)); err != nil {
			return err
		}
		if d.SDPMid == "" && d.SDPMLineIndex == nil {
			return Errorf(CodeBadRequest, "an ICE candidate names its media line: data.sdpMid or data.sdpMLineIndex is required")
		}
	case SignalRequestPhoneCall, SignalRequestSMS:
		return firstError(required("data.number", d.Number), limit("data.number", d.Number, MaxIDBytes))
	}
	return nil
}

// clientSignals are the signal types a visitor sends, and serverSignals
// those a contact center sends: the Android SDK fails on any other type.
var (
	clientSignals = map[string]bool{
		SignalRequestCall: true, SignalOfferCall: true, SignalAnswerCall: true, SignalICECandidate: true,
		SignalEndCall: true, SignalCallRejected: true, SignalRequestPhoneCall: true, SignalRequestSMS: true,
	}
	serverSignals = map[string]bool{
		SignalRequestCall: true, SignalOfferCall: true, SignalAnswerCall: true, SignalICECandidate: true,
		SignalEndCall: true, SignalCallRejected: true,
	}
)

// signaling checks a signal of either side.
func signaling(s *Signaling, types map[string]bool, sender string) error {
	return firstError(
		required("destination_party_id", s.DestinationPartyID),
		limit("destination_party_id", s.DestinationPartyID, MaxIDBytes),
		limit("msg_id", s.MsgID.String(), MaxIDBytes),
		signalData(s.Data, types, sender),
	)
}

// SignalSupersedes reports whether a held signal of type held means nothing
// any more once a signal of type t passes between the same two parties,
// either way (same says the two have the same sender): an offer starts a
// new call, and ending or declining a call ends it, so they supersede
// everything before them; an answer supersedes the offer it answers. A
// server that holds signals for a party that is away lets go of those.
func SignalSupersedes(t, held string, same bool) bool {
	switch t {
	case SignalOfferCall, SignalEndCall, SignalCallRejected:
		return true
	case SignalAnswerCall:
		return held == SignalOfferCall && !same
	}
	return false
}
