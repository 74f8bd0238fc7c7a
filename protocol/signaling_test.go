package protocol_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/parleychat/parley/protocol"
)

// signalDataCases are signal data as real clients send them, and what each
// decodes to.
var signalDataCases = []struct {
	name string
	json string
	want protocol.SignalData
}{
	{"the web client's request for a video call", `{"type":"REQUEST_CALL","offerVideo":true}`,
		protocol.SignalData{Type: protocol.SignalRequestCall, OfferVideo: true}},
	{"the newer web client's offerVideo as a string", `{"type":"REQUEST_CALL","offerVideo":"false"}`,
		protocol.SignalData{Type: protocol.SignalRequestCall}},
	{"an offer with its SDP", `{"type":"OFFER_CALL","sdp":"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n","offerVideo":"true"}`,
		protocol.SignalData{Type: protocol.SignalOfferCall, SDP: "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n", OfferVideo: true}},
	{"the Android SDK's answer", `{"sdp":"v=0\r\n","type":"ANSWER_CALL"}`,
		protocol.SignalData{Type: protocol.SignalAnswerCall, SDP: "v=0\r\n"}},
	{"a browser's candidate, sdpMLineIndex a number", `{"type":"ICE_CANDIDATE","candidate":"candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host","sdpMid":"0","sdpMLineIndex":0}`,
		protocol.SignalData{Type: protocol.SignalICECandidate, Candidate: "candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host", SDPMid: "0", SDPMLineIndex: new(0)}},
	{"the Android SDK's candidate: no type, sdpMLineIndex a string", `{"candidate":"candidate:2 1 udp 1 10.0.0.2 5000 typ host","sdpMLineIndex":"1","sdpMid":"video"}`,
		protocol.SignalData{Type: protocol.SignalICECandidate, Candidate: "candidate:2 1 udp 1 10.0.0.2 5000 typ host", SDPMid: "video", SDPMLineIndex: new(1)}},
	{"data as the documents' JSON string", `"{\"type\":\"END_CALL\"}"`,
		protocol.SignalData{Type: protocol.SignalEndCall}},
	{"a rejection", `{"type":"CALL_REJECTED"}`, protocol.SignalData{Type: protocol.SignalCallRejected}},
	{"the web client's phone call request", `{"type":"REQUEST_PHONE_CALL","number":"+4712345678"}`,
		protocol.SignalData{Type: protocol.SignalRequestPhoneCall, Number: "+4712345678"}},
	{"nulls for what a type does not use", `{"type":"END_CALL","sdp":null,"candidate":null,"sdpMid":null,"sdpMLineIndex":null,"offerVideo":null}`,
		protocol.SignalData{Type: protocol.SignalEndCall}},
}

func TestSignalDataDecodesWhatClientsSend(t *testing.T) {
	t.Parallel()
	for _, tc := range signalDataCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got protocol.SignalData
			if err := json.Unmarshal([]byte(tc.json), &got); err != nil {
				t.Fatalf("decoding %s: %v", tc.json, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("decoded %s\n got %+v\nwant %+v", tc.json, got, tc.want)
			}
		})
	}
}

func TestSignalDataRefusesWrongShapes(t *testing.T) {
	t.Parallel()
	for _, data := range []string{
		`5`, `null`, `[]`, `"not an object"`, `"[1]"`,
		`{"type":{}}`, `{"type":"OFFER_CALL","sdp":true}`, `{"type":"OFFER_CALL","sdp":["v=0"]}`,
		`{"type":"REQUEST_CALL","offerVideo":"maybe"}`, `{"type":"REQUEST_CALL","offerVideo":{}}`,
		`{"type":"ICE_CANDIDATE","sdpMLineIndex":-1}`, `{"type":"ICE_CANDIDATE","sdpMLineIndex":"1.5"}`,
		`{"type":"ICE_CANDIDATE","sdpMLineIndex":70000}`, `{"type":"ICE_CANDIDATE","sdpMLineIndex":true}`,
	} {
		var d protocol.SignalData
		if err := json.Unmarshal([]byte(data), &d); err == nil {
			t.Errorf("decoding %s gave %+v, want an error", data, d)
		}
	}
}

// TestSignalDataEncodesTheDocumentedShape: strings for every scalar, as
// the documents write them and the Android SDK declares them.
func TestSignalDataEncodesTheDocumentedShape(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		data protocol.SignalData
		want string
	}{
		{"request", protocol.SignalData{Type: protocol.SignalRequestCall}, `{"type":"REQUEST_CALL","offerVideo":"false"}`},
		{"offer", protocol.SignalData{Type: protocol.SignalOfferCall, SDP: "v=0", OfferVideo: true}, `{"type":"OFFER_CALL","sdp":"v=0","offerVideo":"true"}`},
		{"answer", protocol.SignalData{Type: protocol.SignalAnswerCall, SDP: "v=0"}, `{"type":"ANSWER_CALL","sdp":"v=0"}`},
		{"candidate", protocol.SignalData{Type: protocol.SignalICECandidate, Candidate: "candidate:1", SDPMid: "0", SDPMLineIndex: new(0)},
			`{"type":"ICE_CANDIDATE","candidate":"candidate:1","sdpMid":"0","sdpMLineIndex":"0"}`},
		{"end of candidates", protocol.SignalData{Type: protocol.SignalICECandidate, SDPMid: "0"}, `{"type":"ICE_CANDIDATE","candidate":"","sdpMid":"0"}`},
		{"end", protocol.SignalData{Type: protocol.SignalEndCall}, `{"type":"END_CALL"}`},
		{"rejection", protocol.SignalData{Type: protocol.SignalCallRejected}, `{"type":"CALL_REJECTED"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := json.Marshal(tc.data)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("encoded %s, want %s", got, tc.want)
			}
		})
	}
}

func TestSignalSupersedes(t *testing.T) {
	t.Parallel()
	all := []string{protocol.SignalRequestCall, protocol.SignalOfferCall, protocol.SignalAnswerCall, protocol.SignalICECandidate, protocol.SignalEndCall, protocol.SignalCallRejected}
	tests := []struct {
		name string
		t    string
		// superseded lists what t lets go of, "held>same" for a signal of
		// the same sender, "held<other" for one of the other party.
		superseded []string
	}{
		{"a request keeps everything", protocol.SignalRequestCall, nil},
		{"a candidate keeps everything", protocol.SignalICECandidate, nil},
		{"an answer ends the offer it answers, not one of its own sender", protocol.SignalAnswerCall, []string{"OFFER_CALL<other"}},
		{"an offer starts a new call", protocol.SignalOfferCall, everything(all)},
		{"hanging up ends the call", protocol.SignalEndCall, everything(all)},
		{"declining ends the call", protocol.SignalCallRejected, everything(all)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, held := range all {
				if protocol.SignalSupersedes(tc.t, held, true) {
					got = append(got, held+">same")
				}
				if protocol.SignalSupersedes(tc.t, held, false) {
					got = append(got, held+"<other")
				}
			}
			if !reflect.DeepEqual(got, tc.superseded) {
				t.Errorf("%s supersedes %v, want %v", tc.t, got, tc.superseded)
			}
		})
	}
}

func everything(types []string) []string {
	var out []string
	for _, t := range types {
		out = append(out, t+">same", t+"<other")
	}
	return out
}

func FuzzSignalData(f *testing.F) {
	for _, tc := range signalDataCases {
		f.Add([]byte(tc.json))
	}
	for _, odd := range []string{`5`, `null`, `"{"`, `{"sdpMLineIndex":"65536"}`, `{"offerVideo":"TRUE"}`, `{"candidate":5,"sdpMid":1}`, `"\"{}\""`} {
		f.Add([]byte(odd))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var d protocol.SignalData
		if err := json.Unmarshal(data, &d); err != nil {
			return
		}
		for _, v := range []func(protocol.Event) error{protocol.ValidateClientEvent, protocol.ValidateServerEvent} {
			_ = v(&protocol.Signaling{DestinationPartyID: "p", Data: d, Meta: protocol.Meta{PartyID: "a"}})
		}
		encoded, err := json.Marshal(d)
		if err != nil {
			t.Fatalf("encoding %+v: %v", d, err)
		}
		if strings.Contains(string(encoded), `"sdpMLineIndex":0`) {
			t.Fatalf("sdpMLineIndex left as a number in %s", encoded)
		}
		var again protocol.SignalData
		if err := json.Unmarshal(encoded, &again); err != nil {
			t.Fatalf("decoding our own encoding %s: %v", encoded, err)
		}
		if again.Type != d.Type || again.SDP != d.SDP || again.Candidate != d.Candidate || again.SDPMid != d.SDPMid ||
			again.Number != d.Number || !reflect.DeepEqual(again.SDPMLineIndex, d.SDPMLineIndex) {
			t.Fatalf("%+v became %+v through %s", d, again, encoded)
		}
	})
}
