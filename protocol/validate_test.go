package protocol_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/parleychat/parley/protocol"
)

// signal is a visitor's call signal to destination.
func signal(destination string, data protocol.SignalData) *protocol.Signaling {
	return &protocol.Signaling{MsgID: protocol.TextID("c1:4"), DestinationPartyID: destination, Data: data}
}

// manyFields is a form answer one field over the limit.
func manyFields() map[string]string {
	fields := make(map[string]string, protocol.MaxFormFields+1)
	for i := range protocol.MaxFormFields + 1 {
		fields[fmt.Sprintf("f%d", i)] = "x"
	}
	return fields
}

func TestValidateClientEventRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		event protocol.Event
		want  protocol.Code
	}{
		{"message without msg_id", &protocol.Message{Msg: "Hello"}, protocol.CodeBadRequest},
		{"message with a blank msg_id", &protocol.Message{MsgID: protocol.TextID("  "), Msg: "Hello"}, protocol.CodeBadRequest},
		{"message with an empty msg", &protocol.Message{MsgID: protocol.TextID("c1:1")}, protocol.CodeBadRequest},
		{"message with a blank msg", &protocol.Message{MsgID: protocol.TextID("c1:1"), Msg: " \n\t "}, protocol.CodeBadRequest},
		{"msg over MaxTextBytes", &protocol.Message{MsgID: protocol.TextID("c1:1"), Msg: strings.Repeat("a", protocol.MaxTextBytes+1)}, protocol.CodeTooLarge},
		{"msg_text over MaxTextBytes", &protocol.Message{MsgID: protocol.TextID("c1:1"), Msg: "a", MsgText: strings.Repeat("a", protocol.MaxTextBytes+1)}, protocol.CodeTooLarge},
		{"msg_id over MaxIDBytes", &protocol.Message{MsgID: protocol.TextID(strings.Repeat("1", protocol.MaxIDBytes+1)), Msg: "Hello"}, protocol.CodeTooLarge},
		{"file with an empty file_id", &protocol.File{MsgID: protocol.TextID("c1:2"), FileType: protocol.FileImage, FileName: "cat.png"}, protocol.CodeBadRequest},
		{"file name over MaxNameBytes", &protocol.File{FileID: "f-1", FileName: strings.Repeat("n", protocol.MaxNameBytes+1)}, protocol.CodeTooLarge},
		{"form data without form_request_id", &protocol.FormData{FormName: "F", Data: protocol.FormValues{Fields: map[string]string{"a": "b"}}}, protocol.CodeBadRequest},
		{"form data with too many fields", &protocol.FormData{FormRequestID: protocol.TextID("17"), FormName: "F", Data: protocol.FormValues{Fields: manyFields()}}, protocol.CodeTooLarge},
		{"form data value over MaxTextBytes", &protocol.FormData{FormRequestID: protocol.TextID("17"), Data: protocol.FormValues{Fields: map[string]string{"a": strings.Repeat("a", protocol.MaxTextBytes+1)}}}, protocol.CodeTooLarge},
		{"secure form data without form_request_id", &protocol.SecureFormData{FormName: "Payment"}, protocol.CodeBadRequest},
		{"secure form cancel without form_request_id", &protocol.SecureFormCancel{FormName: "Payment"}, protocol.CodeBadRequest},
		{"signaling without data", &protocol.Signaling{MsgID: protocol.TextID("c1:4"), DestinationPartyID: "agent-7"}, protocol.CodeBadRequest},
		{"signaling data without a type", signal("agent-7", protocol.SignalData{SDP: "v=0"}), protocol.CodeBadRequest},
		{"signaling of an unknown type", signal("agent-7", protocol.SignalData{Type: "CALL_ME_MAYBE"}), protocol.CodeBadRequest},
		{"signaling without destination_party_id", signal("", protocol.SignalData{Type: protocol.SignalEndCall}), protocol.CodeBadRequest},
		{"signaling with a blank destination_party_id", signal("  ", protocol.SignalData{Type: protocol.SignalEndCall}), protocol.CodeBadRequest},
		{"destination_party_id over MaxIDBytes", signal(strings.Repeat("a", protocol.MaxIDBytes+1), protocol.SignalData{Type: protocol.SignalEndCall}), protocol.CodeTooLarge},
		{"offer without sdp", signal("agent-7", protocol.SignalData{Type: protocol.SignalOfferCall}), protocol.CodeBadRequest},
		{"answer without sdp", signal("agent-7", protocol.SignalData{Type: protocol.SignalAnswerCall}), protocol.CodeBadRequest},
		{"answer whose sdp is no session description", signal("agent-7", protocol.SignalData{Type: protocol.SignalAnswerCall, SDP: "hello"}), protocol.CodeBadRequest},
		{"sdp over MaxSignalingBytes", signal("agent-7", protocol.SignalData{Type: protocol.SignalOfferCall, SDP: "v=0" + strings.Repeat("a", protocol.MaxSignalingBytes)}), protocol.CodeTooLarge},
		{"ICE candidate naming no media line", signal("agent-7", protocol.SignalData{Type: protocol.SignalICECandidate, Candidate: "candidate:1 1 udp 1 127.0.0.1 5000 typ host"}), protocol.CodeBadRequest},
		{"ICE candidate over MaxURLBytes", signal("agent-7", protocol.SignalData{Type: protocol.SignalICECandidate, Candidate: strings.Repeat("c", protocol.MaxURLBytes+1), SDPMid: "0"}), protocol.CodeTooLarge},
		{"phone call request without a number", signal("agent-7", protocol.SignalData{Type: protocol.SignalRequestPhoneCall}), protocol.CodeBadRequest},
		{"SMS request without a number", signal("agent-7", protocol.SignalData{Type: protocol.SignalRequestSMS}), protocol.CodeBadRequest},
		{"navigation without page", &protocol.Navigation{MsgID: protocol.TextID("c1:6"), Title: "Pricing"}, protocol.CodeBadRequest},
		{"navigation page over MaxURLBytes", &protocol.Navigation{Page: "https://x/" + strings.Repeat("p", protocol.MaxURLBytes)}, protocol.CodeTooLarge},
		{"empty location", &protocol.Location{MsgID: protocol.TextID("c1:7")}, protocol.CodeBadRequest},
		{"location with only latitude", &protocol.Location{Latitude: "48.8584"}, protocol.CodeBadRequest},
		{"location with only longitude", &protocol.Location{Longitude: "2.2945"}, protocol.CodeBadRequest},
		{"latitude out of range", &protocol.Location{Latitude: "91", Longitude: "2.2945"}, protocol.CodeBadRequest},
		{"longitude out of range", &protocol.Location{Latitude: "48.8584", Longitude: "-180.5"}, protocol.CodeBadRequest},
		{"coordinates that are not numbers", &protocol.Location{Latitude: "north", Longitude: "east"}, protocol.CodeBadRequest},
		{"delivered without ref_msg_id", &protocol.MessageDelivered{}, protocol.CodeBadRequest},
		{"read without ref_msg_id", &protocol.MessageRead{}, protocol.CodeBadRequest},
		{"a server-only event", &protocol.Status{State: protocol.StateQueued}, protocol.CodeBadRequest},
		{"another server-only event", &protocol.PartyJoined{Type: protocol.PartyInternal, Meta: protocol.Meta{PartyID: "a"}}, protocol.CodeBadRequest},
		{"unknown event", &protocol.Unknown{Name: "chat_session_cobrowsing_started", Raw: json.RawMessage(`{"event":"chat_session_cobrowsing_started"}`)}, protocol.CodeBadRequest},
		{"malformed event", &protocol.Malformed{Name: protocol.TypeMessage, Raw: json.RawMessage(`{"event":"chat_session_message","msg":{}}`), Err: errors.New("msg is an object")}, protocol.CodeBadRequest},
		{"nil", nil, protocol.CodeBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := protocol.ValidateClientEvent(tc.event)
			if got, want := codeOf(err), tc.want; got != want {
				t.Errorf("ValidateClientEvent = %v (code %q), want code %q", err, got, want)
			}
		})
	}
}

// TestValidateClientEventAccepts covers the looser forms the API notes say
// real clients send, which the documented rows of event_test.go do not.
func TestValidateClientEventAccepts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		event protocol.Event
	}{
		{"web client's bare number msg_id", &protocol.Message{MsgID: protocol.TextID("5"), Msg: "Hi"}},
		{"msg exactly at the limit", &protocol.Message{MsgID: protocol.TextID("c1:1"), Msg: strings.Repeat("a", protocol.MaxTextBytes)}},
		{"msg_id exactly at the limit", &protocol.Message{MsgID: protocol.TextID(strings.Repeat("1", protocol.MaxIDBytes)), Msg: "Hi"}},
		{"file without msg_id, as a connector sends it", &protocol.File{FileID: "f-1"}},
		{"form data with exactly MaxFormFields fields", &protocol.FormData{FormRequestID: protocol.TextID("17"), Data: protocol.FormValues{Fields: func() map[string]string {
			m := manyFields()
			delete(m, "f0")
			return m
		}()}}},
		{"form data answering with a note", &protocol.FormData{FormRequestID: protocol.TextID("17"), FormName: "X", Data: protocol.FormValues{Note: protocol.FormNotFound}}},
		{"ICE candidate with only sdpMid", signal("agent-7", protocol.SignalData{Type: protocol.SignalICECandidate, Candidate: "candidate:1 1 udp 1 127.0.0.1 5000 typ host", SDPMid: "0"})},
		{"ICE candidate with only sdpMLineIndex", signal("agent-7", protocol.SignalData{Type: protocol.SignalICECandidate, Candidate: "candidate:1 1 udp 1 127.0.0.1 5000 typ host", SDPMLineIndex: new(0)})},
		{"end of candidates, an empty candidate", signal("agent-7", protocol.SignalData{Type: protocol.SignalICECandidate, SDPMid: "0"})},
		{"the web client's phone call request", signal("agent-7", protocol.SignalData{Type: protocol.SignalRequestPhoneCall, Number: "+4712345678"})},
		{"an offer from the visitor", signal("agent-7", protocol.SignalData{Type: protocol.SignalOfferCall, SDP: "v=0\r\n"})},
		{"location with a url too", &protocol.Location{URL: "https://maps.example/?q=1", Latitude: "48.8584", Longitude: "2.2945"}},
		{"location in exponent notation", &protocol.Location{Latitude: "4.88584e1", Longitude: "2.2945"}},
		{"location on the edge of the map", &protocol.Location{Latitude: "-90", Longitude: "180"}},
		{"receipt with party_id and timestamp from an SDK", &protocol.MessageRead{RefMsgID: protocol.TextID("a-3"), Meta: protocol.Meta{PartyID: "c1", Timestamp: ts}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if err := protocol.ValidateClientEvent(tc.event); err != nil {
				t.Errorf("ValidateClientEvent = %v, want nil", err)
			}
		})
	}
}

func TestValidateServerEventRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		event protocol.Event
		want  protocol.Code
	}{
		{"unknown state", &protocol.Status{State: "waiting"}, protocol.CodeBadRequest},
		{"empty state", &protocol.Status{}, protocol.CodeBadRequest},
		{"party joined without party_id", &protocol.PartyJoined{Type: protocol.PartyInternal, FirstName: "Grace"}, protocol.CodeBadRequest},
		{"party joined with a bad type", &protocol.PartyJoined{Type: "robot", Meta: protocol.Meta{PartyID: "agent-7"}}, protocol.CodeBadRequest},
		{"party joined without a type", &protocol.PartyJoined{Meta: protocol.Meta{PartyID: "agent-7"}}, protocol.CodeBadRequest},
		{"MS Teams party, a type neither SDK reads", &protocol.PartyJoined{Type: protocol.PartyMSTeams, Meta: protocol.Meta{PartyID: "t-1"}}, protocol.CodeBadRequest},
		{"agent location without coordinates, which both SDKs require", &protocol.Location{URL: "https://maps.example/?q=1", Meta: protocol.Meta{PartyID: "agent-7"}}, protocol.CodeBadRequest},
		{"party joined with a display name over MaxNameBytes", &protocol.PartyJoined{Type: protocol.PartyInternal, DisplayName: strings.Repeat("n", protocol.MaxNameBytes+1), Meta: protocol.Meta{PartyID: "agent-7"}}, protocol.CodeTooLarge},
		{"party left without party_id", &protocol.PartyLeft{}, protocol.CodeBadRequest},
		{"agent message without party_id", &protocol.Message{MsgID: protocol.TextID("a-1"), Msg: "Hi"}, protocol.CodeBadRequest},
		{"agent message without msg", &protocol.Message{MsgID: protocol.TextID("a-1"), Meta: protocol.Meta{PartyID: "agent-7"}}, protocol.CodeBadRequest},
		{"agent message over MaxTextBytes", &protocol.Message{Msg: strings.Repeat("a", protocol.MaxTextBytes+1), Meta: protocol.Meta{PartyID: "agent-7"}}, protocol.CodeTooLarge},
		{"typing without party_id", &protocol.Typing{}, protocol.CodeBadRequest},
		{"not typing without party_id", &protocol.NotTyping{}, protocol.CodeBadRequest},
		{"form show without form_request_id", &protocol.FormShow{FormName: "MobileChatCustomerData"}, protocol.CodeBadRequest},
		{"secure form show without form_id", &protocol.SecureFormShow{FormRequestID: protocol.TextID("20")}, protocol.CodeBadRequest},
		{"agent file without file_id", &protocol.File{Meta: protocol.Meta{PartyID: "agent-7"}}, protocol.CodeBadRequest},
		{"agent file without party_id", &protocol.File{FileID: "f-1"}, protocol.CodeBadRequest},
		{"location out of range", &protocol.Location{Latitude: "0", Longitude: "181", Meta: protocol.Meta{PartyID: "agent-7"}}, protocol.CodeBadRequest},
		{"signaling data without a type", &protocol.Signaling{DestinationPartyID: "c1", Meta: protocol.Meta{PartyID: "agent-7"}}, protocol.CodeBadRequest},
		{"signaling without party_id", signal("c1", protocol.SignalData{Type: protocol.SignalEndCall}), protocol.CodeBadRequest},
		{"signaling without destination_party_id", &protocol.Signaling{Data: protocol.SignalData{Type: protocol.SignalEndCall}, Meta: protocol.Meta{PartyID: "agent-7"}}, protocol.CodeBadRequest},
		{"a request only a visitor makes, which the Android SDK cannot read", &protocol.Signaling{DestinationPartyID: "c1", Data: protocol.SignalData{Type: protocol.SignalRequestSMS, Number: "+47"}, Meta: protocol.Meta{PartyID: "agent-7"}}, protocol.CodeBadRequest},
		{"agent offer without sdp", &protocol.Signaling{DestinationPartyID: "c1", Data: protocol.SignalData{Type: protocol.SignalOfferCall}, Meta: protocol.Meta{PartyID: "agent-7"}}, protocol.CodeBadRequest},
		{"timeout warning over MaxTextBytes", &protocol.TimeoutWarning{Msg: strings.Repeat("a", protocol.MaxTextBytes+1)}, protocol.CodeTooLarge},
		{"a client-only event", &protocol.End{}, protocol.CodeBadRequest},
		{"another client-only event", &protocol.Navigation{Page: "https://shop.example/"}, protocol.CodeBadRequest},
		{"unknown event", &protocol.Unknown{Name: "chat_session_cobrowsing_started"}, protocol.CodeBadRequest},
		{"malformed event", &protocol.Malformed{Name: protocol.TypeStatus, Err: errors.New("bad ewt")}, protocol.CodeBadRequest},
		{"nil", nil, protocol.CodeBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := protocol.ValidateServerEvent(tc.event)
			if got, want := codeOf(err), tc.want; got != want {
				t.Errorf("ValidateServerEvent = %v (code %q), want code %q", err, got, want)
			}
		})
	}
}

func TestValidateServerEventAccepts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		event protocol.Event
	}{
		{"ivr state the SDKs know", &protocol.Status{State: protocol.StateIVR}},
		{"form show asking for the next message", &protocol.FormShow{FormRequestID: protocol.TextID("18")}},
		{"timeout warning without text", &protocol.TimeoutWarning{}},
		{"echo of the visitor's message", &protocol.Message{MsgID: protocol.TextID("c1:1"), Msg: "Hello", Meta: protocol.Meta{PartyID: "c1", Timestamp: ts, Seq: 3}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if err := protocol.ValidateServerEvent(tc.event); err != nil {
				t.Errorf("ValidateServerEvent = %v, want nil", err)
			}
		})
	}
}

// TestOversizedTextIs413 ties validation to the status a server answers
// with, since that is what a client sees.
func TestOversizedTextIs413(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		validate func(protocol.Event) error
		event    protocol.Event
	}{
		{"client message", protocol.ValidateClientEvent, &protocol.Message{MsgID: protocol.TextID("c1:1"), Msg: strings.Repeat("é", protocol.MaxTextBytes/2+1)}},
		{"agent message", protocol.ValidateServerEvent, &protocol.Message{Msg: strings.Repeat("a", protocol.MaxTextBytes+1), Meta: protocol.Meta{PartyID: "agent-7"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var e *protocol.Error
			if !errors.As(tc.validate(tc.event), &e) {
				t.Fatalf("validation did not return a *protocol.Error")
			}
			if got, want := e.Code, protocol.CodeTooLarge; got != want {
				t.Errorf("Code = %q, want %q", got, want)
			}
			if got, want := e.HTTPStatus(), http.StatusRequestEntityTooLarge; got != want {
				t.Errorf("HTTPStatus() = %d, want %d", got, want)
			}
		})
	}
}
