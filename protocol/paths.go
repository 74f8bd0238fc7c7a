package protocol

import (
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
