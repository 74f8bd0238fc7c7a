package protocol_test

import (
	"strings"
	"testing"

	"github.com/parleychat/parley/protocol"
)

func TestParseAuthorization(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		header string
		want   protocol.Credentials
	}{
		{"quoted, as documented and sent by the web client",
			`MOBILE-API-140-327-PLAIN appId="a1", clientId="c1"`, protocol.Credentials{AppID: "a1", ClientID: "c1"}},
		{"unquoted, as both mobile SDKs send it",
			`MOBILE-API-140-327-PLAIN appId=a1, clientId=c1`, protocol.Credentials{AppID: "a1", ClientID: "c1"}},
		{"extra spaces",
			`  MOBILE-API-140-327-PLAIN    appId = "a1" ,   clientId=  c1  `, protocol.Credentials{AppID: "a1", ClientID: "c1"}},
		{"no space after the comma",
			`MOBILE-API-140-327-PLAIN appId=a1,clientId=c1`, protocol.Credentials{AppID: "a1", ClientID: "c1"}},
		{"lower-case scheme",
			`mobile-api-140-327-plain appId=a1, clientId=c1`, protocol.Credentials{AppID: "a1", ClientID: "c1"}},
		{"reversed order",
			`MOBILE-API-140-327-PLAIN clientId="c1", appId="a1"`, protocol.Credentials{AppID: "a1", ClientID: "c1"}},
		{"unknown extra parameter is ignored",
			`MOBILE-API-140-327-PLAIN appId=a1, clientId=c1, realm="chat"`, protocol.Credentials{AppID: "a1", ClientID: "c1"}},
		{"trailing comma",
			`MOBILE-API-140-327-PLAIN appId=a1, clientId=c1,`, protocol.Credentials{AppID: "a1", ClientID: "c1"}},
		{"value containing an escaped quote",
			`MOBILE-API-140-327-PLAIN appId="my \"shop\"", clientId="c1"`, protocol.Credentials{AppID: `my "shop"`, ClientID: "c1"}},
		{"value containing an equals sign",
			`MOBILE-API-140-327-PLAIN appId=a=1, clientId=c1`, protocol.Credentials{AppID: "a=1", ClientID: "c1"}},
		{"web chat client id and a UUID app id",
			`MOBILE-API-140-327-PLAIN appId="6f1c2a4e-8d3b-4b1a-9f0e-2c7d5e8a9b10", clientId="WebChat"`,
			protocol.Credentials{AppID: "6f1c2a4e-8d3b-4b1a-9f0e-2c7d5e8a9b10", ClientID: protocol.WebChatClientID}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := protocol.ParseAuthorization(tc.header)
			if err != nil {
				t.Fatalf("ParseAuthorization(%s): %v", tc.header, err)
			}
			if got, want := got, tc.want; got != want {
				t.Errorf("ParseAuthorization(%s) = %+v, want %+v", tc.header, got, want)
			}
		})
	}
}

func TestParseAuthorizationRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		header string
		want   protocol.Code
	}{
		{"empty", ``, protocol.CodeAuthMissing},
		{"blank", "  \t ", protocol.CodeAuthMissing},
		{"bearer", `Bearer x`, protocol.CodeAuthScheme},
		{"basic", `Basic YTpi`, protocol.CodeAuthScheme},
		{"scheme only but misspelt", `MOBILE-API-140-327`, protocol.CodeAuthScheme},
		{"parameter without =", `MOBILE-API-140-327-PLAIN appId`, protocol.CodeAuthFormat},
		{"broken quote", `MOBILE-API-140-327-PLAIN appId="a1, clientId="c1"`, protocol.CodeAuthFormat},
		{"unterminated quote", `MOBILE-API-140-327-PLAIN appId=a1, clientId="c1`, protocol.CodeAuthFormat},
		{"text after the closing quote", `MOBILE-API-140-327-PLAIN appId="a1"x, clientId=c1`, protocol.CodeAuthFormat},
		{"scheme without parameters", `MOBILE-API-140-327-PLAIN`, protocol.CodeAuthAppID},
		{"no appId", `MOBILE-API-140-327-PLAIN clientId=c1`, protocol.CodeAuthAppID},
		{"empty appId", `MOBILE-API-140-327-PLAIN appId="", clientId=c1`, protocol.CodeAuthAppID},
		{"parameter names are case-sensitive", `MOBILE-API-140-327-PLAIN appid=a1, clientId=c1`, protocol.CodeAuthAppID},
		{"no clientId", `MOBILE-API-140-327-PLAIN appId=a1`, protocol.CodeAuthClientID},
		{"empty clientId", `MOBILE-API-140-327-PLAIN appId=a1, clientId=`, protocol.CodeAuthClientID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := protocol.ParseAuthorization(tc.header)
			if got, want := codeOf(err), tc.want; got != want {
				t.Errorf("ParseAuthorization(%s) = %v (code %q), want code %q", tc.header, err, got, want)
			}
			if got, want := got, (protocol.Credentials{}); got != want {
				t.Errorf("ParseAuthorization(%s) returned %+v with its error, want none", tc.header, got)
			}
		})
	}
}

func TestCredentialsAuthorizationRoundTrips(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		creds protocol.Credentials
	}{
		{"plain", protocol.Credentials{AppID: "a1", ClientID: "c1"}},
		{"uuid client", protocol.Credentials{AppID: "Launch Point 1", ClientID: protocol.NewUUID()}},
		{"web chat", protocol.Credentials{AppID: "a1", ClientID: protocol.WebChatClientID}},
		{"quote and backslash", protocol.Credentials{AppID: `my "shop"`, ClientID: `c\1`}},
		{"backslash before a quote, and at the end", protocol.Credentials{AppID: `a\"b\\`, ClientID: `\"`}},
		{"equals sign", protocol.Credentials{AppID: "a=1", ClientID: "c=1"}},
		{"spaces kept inside the quotes", protocol.Credentials{AppID: " a1 ", ClientID: "c 1"}},
		{"non-ASCII", protocol.Credentials{AppID: "магазин", ClientID: "c1"}},
		// RFC 9110 lets a quoted-string hold a comma; Authorization quotes
		// it, so the parser must not split inside the quotes.
		{"comma", protocol.Credentials{AppID: "Sales, EMEA", ClientID: "c1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			header := tc.creds.Authorization()
			if !strings.HasPrefix(header, protocol.AuthScheme+` appId="`) || !strings.HasSuffix(header, `"`) {
				t.Errorf("Authorization() = %s, want the documented quoted form", header)
			}
			got, err := protocol.ParseAuthorization(header)
			if err != nil {
				t.Fatalf("ParseAuthorization(%s): %v (code %q)", header, err, codeOf(err))
			}
			if got, want := got, tc.creds; got != want {
				t.Errorf("ParseAuthorization(%s) = %+v, want %+v", header, got, want)
			}
		})
	}
}

func TestAuthorizationIsTheDocumentedForm(t *testing.T) {
	t.Parallel()
	got := protocol.Credentials{AppID: "a1", ClientID: "c1"}.Authorization()
	if want := `MOBILE-API-140-327-PLAIN appId="a1", clientId="c1"`; got != want {
		t.Errorf("Authorization() = %s, want %s", got, want)
	}
}

func TestNewUUID(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 100 {
		id := protocol.NewUUID()
		if got, want := len(id), 36; got != want {
			t.Fatalf("NewUUID() = %q, %d characters, want %d", id, got, want)
		}
		if got, want := id[14], byte('4'); got != want {
			t.Errorf("NewUUID() = %q, version %c, want %c", id, got, want)
		}
		if got := id[19]; !strings.ContainsRune("89ab", rune(got)) {
			t.Errorf("NewUUID() = %q, variant %c, want one of 89ab", id, got)
		}
		if seen[id] {
			t.Fatalf("NewUUID() repeated %q", id)
		}
		seen[id] = true
	}
}
