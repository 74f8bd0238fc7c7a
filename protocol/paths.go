package protocol

import (
	"fmt"
	"net/url"
	"strings"
)

// APIPrefix is the base path of every API v2 method.
const APIPrefix = "/clientweb/api/v2/"

// APIPrefixV1 is the base path of API v1, which the documents describe and
// older clients (Bright Pattern's web client among them) use. A server
// answers the same methods under both prefixes; [Path] constants name v2.
const APIPrefixV1 = "/clientweb/api/v1/"

// Paths of the API methods. Placeholders in braces are the wildcards of
// net/http's ServeMux patterns; [Path] fills them in.
const (
	PathAvailability  = APIPrefix + "availability"
	PathParameters    = APIPrefix + "parameters"
	PathConfiguration = APIPrefix + "configuration"
	PathVersion       = APIPrefix + "version"
	PathICEServers    = APIPrefix + "iceservers"
	PathChats         = APIPrefix + "chats"
	PathActiveChat    = APIPrefix + "chats/active"
	PathChatEvents    = APIPrefix + "chats/{chatId}/events"
	PathChatHistory   = APIPrefix + "chats/{chatId}/history"
	PathFiles         = APIPrefix + "files"
	PathChatFile      = APIPrefix + "chats/{chatId}/files/{fileId}"
	PathProfilePhoto  = APIPrefix + "chats/{chatId}/profilephotos/{partyId}"
	PathNotifications = APIPrefix + "chats/{chatId}/notifications"
	PathCaseHistory   = APIPrefix + "chats/{chatId}/casehistory"
	PathCloseCase     = APIPrefix + "chats/{chatId}/closecase"
	// PathRequestSMS is Request SMS Chat Session, which only v1 documents.
	PathRequestSMS = APIPrefixV1 + "requestsms"
	// PathFileByID is the file URL the Android SDK builds from a file id
	// alone, outside the versioned API.
	PathFileByID = "/clientweb/file/{fileId}"
	// PathChatSocket is Parley's WebSocket for one chat. Its query carries
	// the chat's token and the client's position: token, epoch and after.
	PathChatSocket = APIPrefix + "chats/{chatId}/socket"
)

// SocketURL is the WebSocket address of path (a pattern filled by Path,
// so escaped, such as PathChatSocket's) on the server whose http or https
// URL is base, with query: ws or wss, base's host and any path base has
// before it.
func SocketURL(base, path string, query url.Values) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	ref, err := url.Parse(path)
	if err != nil {
		return "", err
	}
	switch u.Scheme {
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	default:
		return "", fmt.Errorf("%q is not an http or https URL", base)
	}
	u.Path, u.RawPath = strings.TrimRight(u.Path, "/")+ref.Path, strings.TrimRight(u.EscapedPath(), "/")+ref.EscapedPath()
	u.RawQuery = query.Encode()
	u.Fragment = ""
	return u.String(), nil
}

// V1 is the API v1 path of a v2 path: the same method under APIPrefixV1. A
// path outside APIPrefix is returned as it is.
func V1(path string) string {
	if rest, ok := strings.CutPrefix(path, APIPrefix); ok {
		return APIPrefixV1 + rest
	}
	return path
}

// Path fills the placeholders of pattern in order with values, escaped for a
// path segment. Missing values leave their placeholders as they are.
func Path(pattern string, values ...string) string {
	var b strings.Builder
	rest := pattern
	for _, v := range values {
		start := strings.IndexByte(rest, '{')
		end := strings.IndexByte(rest, '}')
		if start < 0 || end < start {
			break
		}
		b.WriteString(rest[:start])
		b.WriteString(url.PathEscape(v))
		rest = rest[end+1:]
	}
	b.WriteString(rest)
	return b.String()
}
