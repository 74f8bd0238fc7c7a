package protocol_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/parleychat/parley/protocol"
)

var iceServerCases = []struct {
	name string
	json string
	want protocol.ICEServer
}{
	{"a list of URLs", `{"urls":["stun:stun.example.com:3478","stun:stun2.example.com"]}`,
		protocol.ICEServer{URLs: []string{"stun:stun.example.com:3478", "stun:stun2.example.com"}}},
	{"one URL as a string, as browsers take it", `{"urls":"turn:turn.example.com:3478","username":"u","credential":"c"}`,
		protocol.ICEServer{URLs: []string{"turn:turn.example.com:3478"}, Username: "u", Credential: "c"}},
	{"Bright Pattern's web client's url", `{"url":"turns:turn.example.com:443","username":"u","credential":"c"}`,
		protocol.ICEServer{URLs: []string{"turns:turn.example.com:443"}, Username: "u", Credential: "c"}},
}

func TestICEServerDecodes(t *testing.T) {
	t.Parallel()
	for _, tc := range iceServerCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got protocol.ICEServer
			if err := json.Unmarshal([]byte(tc.json), &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
			if err := got.Check(); err != nil {
				t.Errorf("Check: %v", err)
			}
		})
	}
}

func TestICEServerCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		server protocol.ICEServer
	}{
		{"no URL", protocol.ICEServer{}},
		{"an http URL", protocol.ICEServer{URLs: []string{"https://stun.example.com"}}},
		{"no host", protocol.ICEServer{URLs: []string{"stun:"}}},
		{"TURN without a credential", protocol.ICEServer{URLs: []string{"turn:turn.example.com"}, Username: "u"}},
		{"TURN without a username", protocol.ICEServer{URLs: []string{"stun:s.example.com", "turn:turn.example.com"}, Credential: "c"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if err := tc.server.Check(); err == nil {
				t.Errorf("Check(%+v) = nil, want an error", tc.server)
			}
		})
	}
}

func FuzzICEServers(f *testing.F) {
	for _, tc := range iceServerCases {
		f.Add([]byte(`{"iceServers":[` + tc.json + `]}`))
	}
	for _, odd := range []string{`{"iceServers":null}`, `{"iceServers":[{"urls":5}]}`, `{"iceServers":[{"urls":null,"url":7}]}`, `[]`, `{"iceServers":[{"urls":[null]}]}`} {
		f.Add([]byte(odd))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var in protocol.ICEServers
		if json.Unmarshal(data, &in) != nil {
			return
		}
		for _, s := range in.ICEServers {
			_ = s.Check()
		}
		encoded, err := json.Marshal(in)
		if err != nil {
			t.Fatalf("encoding %+v: %v", in, err)
		}
		var again protocol.ICEServers
		if err := json.Unmarshal(encoded, &again); err != nil {
			t.Fatalf("decoding our own %s: %v", encoded, err)
		}
		if !reflect.DeepEqual(again, in) {
			t.Fatalf("%+v became %+v through %s", in, again, encoded)
		}
	})
}
