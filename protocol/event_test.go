package protocol_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/parleychat/parley/protocol"
)

// ts is the timestamp of the iOS SDK's fixture, "1613472342".
var ts = protocol.Timestamp{Time: time.Unix(1613472342, 0).UTC()}

type eventCase struct {
	name string
	json string
	want protocol.Event
}

// clientEventCases and serverEventCases hold one row per event of the API
// notes, with its documented JSON (placeholders filled in) and the Go value
// it decodes to.
var clientEventCases = []eventCase{
	{"client message", `{"event":"chat_session_message","msg_id":"c1:1","msg":"Hello"}`,
		&protocol.Message{MsgID: protocol.TextID("c1:1"), Msg: "Hello"}},
	{"client typing", `{"event":"chat_session_typing"}`, &protocol.Typing{}},
	{"client not typing", `{"event":"chat_session_not_typing"}`, &protocol.NotTyping{}},
	{"form data", `{"event":"chat_session_form_data","form_request_id":"17","form_name":"MobileChatCustomerData","data":{"first_name":"Ada","email":"ada@example.com"}}`,
		&protocol.FormData{FormRequestID: protocol.TextID("17"), FormName: "MobileChatCustomerData", Data: protocol.FormValues{Fields: map[string]string{"first_name": "Ada", "email": "ada@example.com"}}}},
	{"form data for the next message", `{"event":"chat_session_form_data","form_request_id":"18","form_name":"","data":{"text":"my order 42"}}`,
		&protocol.FormData{FormRequestID: protocol.TextID("18"), Data: protocol.FormValues{Fields: map[string]string{"text": "my order 42"}}}},
	{"form data for an unknown form", `{"event":"chat_session_form_data","form_request_id":"19","form_name":"Unheard","data":"Form not found"}`,
		&protocol.FormData{FormRequestID: protocol.TextID("19"), FormName: "Unheard", Data: protocol.FormValues{Note: protocol.FormNotFound}}},
	{"end", `{"event":"chat_session_end"}`, &protocol.End{}},
	{"disconnect", `{"event":"chat_session_disconnect"}`, &protocol.Disconnect{}},
	{"client signaling", `{"event":"chat_session_signaling","msg_id":"c1:4","destination_party_id":"agent-7","data":{"type":"REQUEST_CALL","offerVideo":"true"}}`,
		&protocol.Signaling{MsgID: protocol.TextID("c1:4"), DestinationPartyID: "agent-7", Data: protocol.SignalData{Type: protocol.SignalRequestCall, OfferVideo: true}}},
	{"client file", `{"event":"chat_session_file","msg_id":"c1:5","file_id":"f-9","file_type":"image","file_name":"cat.png"}`,
		&protocol.File{MsgID: protocol.TextID("c1:5"), FileID: "f-9", FileType: protocol.FileImage, FileName: "cat.png"}},
	{"navigation", `{"event":"chat_session_navigation","msg_id":"c1:6","title":"Pricing","page":"https://shop.example/pricing"}`,
		&protocol.Navigation{MsgID: protocol.TextID("c1:6"), Title: "Pricing", Page: "https://shop.example/pricing"}},
	{"client location", `{"event":"chat_session_location","msg_id":"c1:7","url":"https://maps.example/?q=1","latitude":"48.8584","longitude":"2.2945"}`,
		&protocol.Location{MsgID: protocol.TextID("c1:7"), URL: "https://maps.example/?q=1", Latitude: "48.8584", Longitude: "2.2945"}},
	{"client delivered", `{"event":"chat_session_message_delivered","ref_msg_id":"a-3"}`, &protocol.MessageDelivered{RefMsgID: protocol.TextID("a-3")}},
	{"client read", `{"event":"chat_session_message_read","ref_msg_id":"a-3"}`, &protocol.MessageRead{RefMsgID: protocol.TextID("a-3")}},
	{"secure form data", `{"event":"chat_session_secure_form_data","form_request_id":"20","form_name":"Payment","data":{"card":"4242"}}`,
		&protocol.SecureFormData{FormRequestID: protocol.TextID("20"), FormName: "Payment", Data: protocol.FormValues{Fields: map[string]string{"card": "4242"}}}},
	{"secure form cancel", `{"event":"chat_session_secure_form_cancel","form_request_id":"20","form_name":"Payment"}`,
		&protocol.SecureFormCancel{FormRequestID: protocol.TextID("20"), FormName: "Payment"}},
}

var serverEventCases = []eventCase{
	{"status", `{"event":"chat_session_status","state":"queued","ewt":"10"}`,
		&protocol.Status{State: protocol.StateQueued, EWT: 10}},
	{"ended", `{"event":"chat_session_ended"}`, &protocol.Ended{}},
	{"party joined", `{"event":"chat_session_party_joined","party_id":"agent-7","first_name":"Grace","last_name":"Hopper","display_name":"Grace H.","type":"internal","timestamp":"1613472342"}`,
		&protocol.PartyJoined{FirstName: "Grace", LastName: "Hopper", DisplayName: "Grace H.", Type: protocol.PartyInternal, Meta: protocol.Meta{PartyID: "agent-7", Timestamp: ts}}},
	{"party left", `{"event":"chat_session_party_left","party_id":"agent-7","timestamp":"1613472342"}`,
		&protocol.PartyLeft{Meta: protocol.Meta{PartyID: "agent-7", Timestamp: ts}}},
	{"server message", `{"event":"chat_session_message","msg_id":"a-3","party_id":"agent-7","msg":"Hi<br>there","msg_text":"Hi\nthere","timestamp":"1613472342"}`,
		&protocol.Message{MsgID: protocol.TextID("a-3"), Msg: "Hi<br>there", MsgText: "Hi\nthere", Meta: protocol.Meta{PartyID: "agent-7", Timestamp: ts}}},
	{"server typing", `{"event":"chat_session_typing","party_id":"agent-7"}`, &protocol.Typing{Meta: protocol.Meta{PartyID: "agent-7"}}},
	{"server not typing", `{"event":"chat_session_not_typing","party_id":"agent-7"}`, &protocol.NotTyping{Meta: protocol.Meta{PartyID: "agent-7"}}},
	{"form show", `{"event":"chat_session_form_show","form_request_id":17,"form_name":"MobileChatCustomerData","form_timeout":120,"channel":"chat","timestamp":"1613472342"}`,
		&protocol.FormShow{FormRequestID: protocol.NumberID(17), FormName: "MobileChatCustomerData", FormTimeout: 120, Channel: protocol.ChannelChat, Meta: protocol.Meta{Timestamp: ts}}},
	{"secure form show", `{"event":"chat_session_secure_form_show","form_request_id":"20","form_id":"pay-1","form_name":"Payment"}`,
		&protocol.SecureFormShow{FormRequestID: protocol.TextID("20"), FormID: "pay-1", FormName: "Payment"}},
	{"server file", `{"event":"chat_session_file","party_id":"agent-7","msg_id":"a-4","file_id":"f-10","file_type":"attachment","file_name":"invoice.pdf","timestamp":"1613472342"}`,
		&protocol.File{MsgID: protocol.TextID("a-4"), FileID: "f-10", FileType: protocol.FileAttachment, FileName: "invoice.pdf", Meta: protocol.Meta{PartyID: "agent-7", Timestamp: ts}}},
	{"server location", `{"event":"chat_session_location","party_id":"agent-7","url":"https://maps.example/?q=2","latitude":"51.5007","longitude":"-0.1246","timestamp":"1613472342"}`,
		&protocol.Location{URL: "https://maps.example/?q=2", Latitude: "51.5007", Longitude: "-0.1246", Meta: protocol.Meta{PartyID: "agent-7", Timestamp: ts}}},
	{"timeout warning", `{"event":"chat_session_timeout_warning","msg":"Are you still there?","timestamp":"1613472342"}`,
		&protocol.TimeoutWarning{Msg: "Are you still there?", Meta: protocol.Meta{Timestamp: ts}}},
	{"inactivity timeout", `{"event":"chat_session_inactivity_timeout","msg":"Chat closed after inactivity","timestamp":"1613472342"}`,
		&protocol.InactivityTimeout{Msg: "Chat closed after inactivity", Meta: protocol.Meta{Timestamp: ts}}},
	{"server signaling", `{"event":"chat_session_signaling","party_id":"agent-7","destination_party_id":"c1","msg_id":"5","data":{"type":"OFFER_CALL","sdp":"v=0","offerVideo":"false"},"signal_seq":1700000000000001,"timestamp":"1613472342"}`,
		&protocol.Signaling{MsgID: protocol.TextID("5"), DestinationPartyID: "c1", Data: protocol.SignalData{Type: protocol.SignalOfferCall, SDP: "v=0"}, SignalSeq: 1700000000000001, Meta: protocol.Meta{PartyID: "agent-7", Timestamp: ts}}},
	{"case set", `{"event":"chat_session_case_set","case_id":"case-1","timestamp":"1613472342"}`,
		&protocol.CaseSet{CaseID: "case-1", Meta: protocol.Meta{Timestamp: ts}}},
	{"server delivered", `{"event":"chat_session_message_delivered","ref_msg_id":"c1:1","party_id":"agent-7","timestamp":"1613472342"}`,
		&protocol.MessageDelivered{RefMsgID: protocol.TextID("c1:1"), Meta: protocol.Meta{PartyID: "agent-7", Timestamp: ts}}},
	{"server read", `{"event":"chat_session_message_read","ref_msg_id":"c1:1","party_id":"agent-7","timestamp":"1613472342"}`,
		&protocol.MessageRead{RefMsgID: protocol.TextID("c1:1"), Meta: protocol.Meta{PartyID: "agent-7", Timestamp: ts}}},
	{"info", `{"event":"chat_session_info","service_name":"Sales"}`, &protocol.Info{ServiceName: "Sales"}},
}

var eventCases = append(append([]eventCase(nil), clientEventCases...), serverEventCases...)

func TestEventsDecodeAsDocumented(t *testing.T) {
	t.Parallel()
	for _, tc := range eventCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := mustDecodeEvent(t, []byte(tc.json))
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("decoded\n got %#v\nwant %#v", got, tc.want)
			}
		})
	}
}

func TestEventsEncodeTheDocumentedShape(t *testing.T) {
	t.Parallel()
	for _, tc := range eventCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			data, err := protocol.MarshalEvent(tc.want)
			if err != nil {
				t.Fatalf("MarshalEvent: %v", err)
			}
			if got, want := asMap(t, data), asMap(t, []byte(tc.json)); !reflect.DeepEqual(got, want) {
				t.Errorf("encoded\n got %s\nwant %s", data, tc.json)
			}
		})
	}
}

func TestEveryEventHasARow(t *testing.T) {
	t.Parallel()
	covered := map[string]bool{}
	for _, tc := range eventCases {
		covered[tc.want.EventType()] = true
	}
	for name := range protocol.ClientEvents {
		if !covered[name] {
			t.Errorf("client event %s has no row in eventCases", name)
		}
	}
	for name := range protocol.ServerEvents {
		if !covered[name] {
			t.Errorf("server event %s has no row in eventCases", name)
		}
	}
}

func TestEventsValidateInTheirDirection(t *testing.T) {
	t.Parallel()
	for _, tc := range clientEventCases {
		if err := protocol.ValidateClientEvent(tc.want); err != nil {
			t.Errorf("%s: ValidateClientEvent: %v", tc.name, err)
		}
	}
	for _, tc := range serverEventCases {
		if err := protocol.ValidateServerEvent(tc.want); err != nil {
			t.Errorf("%s: ValidateServerEvent: %v", tc.name, err)
		}
	}
}

func asMap(t *testing.T, data []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s is not a JSON object: %v", data, err)
	}
	return m
}

// mustDecodeEvent decodes one event, failing the test if it cannot.
func mustDecodeEvent(t *testing.T, data []byte) protocol.Event {
	t.Helper()
	e, err := protocol.UnmarshalEvent(data)
	if err != nil {
		t.Fatalf("UnmarshalEvent(%s): %v", data, err)
	}
	return e
}
