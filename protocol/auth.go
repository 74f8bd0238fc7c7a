package protocol

import (
	"crypto/rand"
	"fmt"
	"strings"
)

// AuthScheme is the scheme of the API's Authorization header.
const AuthScheme = "MOBILE-API-140-327-PLAIN"

// WebChatClientID is the clientId that asks the server to tell clients apart
// by cookies instead.
const WebChatClientID = "WebChat"

// Credentials identify the caller of every API method: AppID names the
// scenario entry (launch point), ClientID the client instance, a UUID the
// client keeps.
type Credentials struct {
	AppID    string
	ClientID string
}

// Authorization formats the header value as the documents show it, with the
// values quoted.
func (c Credentials) Authorization() string {
	return AuthScheme + " appId=" + quote(c.AppID) + ", clientId=" + quote(c.ClientID)
}

// quote writes s as an HTTP quoted-string (RFC 9110).
func quote(s string) string {
	// Backslashes first, so the ones escaping quotes stay single.
	return `"` + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), `"`, `\"`) + `"`
}

// ParseAuthorization reads an Authorization header value. Values may be
// quoted (as documented, and as the web client sends them) or bare (as both
// mobile SDKs send them). Errors are *Error with codes 2000 to 2004.
func ParseAuthorization(header string) (Credentials, error) {
	header = strings.TrimSpace(header)
	if header == "" {
		return Credentials{}, Errorf(CodeAuthMissing, "the Authorization header is missing")
	}
	scheme, rest, _ := strings.Cut(header, " ")
	if !strings.EqualFold(scheme, AuthScheme) {
		return Credentials{}, Errorf(CodeAuthScheme, "the Authorization scheme must be %s", AuthScheme)
	}
	var c Credentials
	for {
		rest = strings.TrimLeft(rest, " \t,")
		if rest == "" {
			break
		}
		eq := strings.IndexByte(rest, '=')
		if comma := strings.IndexByte(rest, ','); eq < 0 || (comma >= 0 && comma < eq) {
			return Credentials{}, Errorf(CodeAuthFormat, "an Authorization parameter is not key=value")
		}
		key := strings.TrimSpace(rest[:eq])
		rest = strings.TrimLeft(rest[eq+1:], " \t")
		var value string
		if strings.HasPrefix(rest, `"`) {
			var ok bool
			if value, rest, ok = unquote(rest); !ok {
				return Credentials{}, Errorf(CodeAuthFormat, "the Authorization parameter %s has a broken quote", key)
			}
			if after := strings.TrimLeft(rest, " \t"); after != "" && after[0] != ',' {
				return Credentials{}, Errorf(CodeAuthFormat, "the Authorization parameter %s runs on after its quote", key)
			}
		} else {
			end := strings.IndexByte(rest, ',')
			if end < 0 {
				end = len(rest)
			}
			value, rest = strings.TrimSpace(rest[:end]), rest[end:]
		}
		switch key {
		case "appId":
			c.AppID = value
		case "clientId":
			c.ClientID = value
		}
	}
	switch {
	case c.AppID == "":
		return Credentials{}, Errorf(CodeAuthAppID, "the Authorization header has no appId")
	case c.ClientID == "":
		return Credentials{}, Errorf(CodeAuthClientID, "the Authorization header has no clientId")
	}
	return c, nil
}

// unquote reads the quoted-string at the start of s and returns its value
// and what follows it.
func unquote(s string) (value, rest string, ok bool) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i++; i == len(s) {
				return "", "", false
			}
			b.WriteByte(s[i])
		case '"':
			return b.String(), s[i+1:], true
		default:
			b.WriteByte(s[i])
		}
	}
	return "", "", false
}

// NewUUID returns a random (version 4) UUID, the form the API asks a clientId
// to take and the form of Bright Pattern's chat ids.
func NewUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
