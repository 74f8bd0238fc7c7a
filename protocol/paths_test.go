package protocol_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/parleychat/parley/protocol"
)

func TestPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		pattern string
		values  []string
		want    string
	}{
		{"one placeholder", protocol.PathChatEvents, []string{"c1"}, "/clientweb/api/v2/chats/c1/events"},
		{"two placeholders", protocol.PathChatFile, []string{"c1", "f-9"}, "/clientweb/api/v2/chats/c1/files/f-9"},
		{"slash and space are escaped", protocol.PathChatHistory, []string{"a/b c"}, "/clientweb/api/v2/chats/a%2Fb%20c/history"},
		{"query characters are escaped", protocol.PathProfilePhoto, []string{"c1", "p?x=1#y"}, "/clientweb/api/v2/chats/c1/profilephotos/p%3Fx=1%23y"},
		{"unfilled placeholder stays", protocol.PathChatFile, []string{"c1"}, "/clientweb/api/v2/chats/c1/files/{fileId}"},
		{"no values", protocol.PathChatSocket, nil, "/clientweb/api/v2/chats/{chatId}/socket"},
		{"no placeholders", protocol.PathChats, []string{"ignored"}, "/clientweb/api/v2/chats"},
		{"extra values are ignored", protocol.PathChatEvents, []string{"c1", "extra"}, "/clientweb/api/v2/chats/c1/events"},
		{"empty value", protocol.PathChatEvents, []string{""}, "/clientweb/api/v2/chats//events"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got, want := protocol.Path(tc.pattern, tc.values...), tc.want; got != want {
				t.Errorf("Path(%q, %q) = %q, want %q", tc.pattern, tc.values, got, want)
			}
		})
	}
}

// TestPathsAreServeMuxPatterns holds the paths to their doc comment: their
// placeholders are ServeMux wildcards, and a filled path routes back to them
// with the values unescaped.
func TestPathsAreServeMuxPatterns(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		pattern string
		values  []string
		names   []string
	}{
		{"events", protocol.PathChatEvents, []string{"a/b c"}, []string{"chatId"}},
		{"file", protocol.PathChatFile, []string{"c 1", "f/9"}, []string{"chatId", "fileId"}},
		{"photo", protocol.PathProfilePhoto, []string{"c1", "agent 7"}, []string{"chatId", "partyId"}},
		{"socket", protocol.PathChatSocket, []string{"c%1"}, []string{"chatId"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if !strings.HasPrefix(tc.pattern, protocol.APIPrefix) {
				t.Errorf("%s does not start with %s", tc.pattern, protocol.APIPrefix)
			}
			mux := http.NewServeMux()
			var got []string
			mux.HandleFunc("GET "+tc.pattern, func(_ http.ResponseWriter, r *http.Request) {
				for _, name := range tc.names {
					got = append(got, r.PathValue(name))
				}
			})
			r, err := http.NewRequest(http.MethodGet, "http://x"+protocol.Path(tc.pattern, tc.values...), nil)
			if err != nil {
				t.Fatalf("NewRequest: %v", err)
			}
			_, matched := mux.Handler(r)
			if got, want := matched, "GET "+tc.pattern; got != want {
				t.Fatalf("the filled path matched %q, want %q", got, want)
			}
			mux.ServeHTTP(nopWriter{}, r)
			if got, want := strings.Join(got, "|"), strings.Join(tc.values, "|"); got != want {
				t.Errorf("path values = %q, want %q", got, want)
			}
		})
	}
}

type nopWriter struct{}

func (nopWriter) Header() http.Header         { return http.Header{} }
func (nopWriter) Write(b []byte) (int, error) { return len(b), nil }
func (nopWriter) WriteHeader(int)             {}

func TestV1(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, path, want string }{
		{"a method", protocol.PathAvailability, "/clientweb/api/v1/availability"},
		{"a pattern", protocol.PathChatFile, "/clientweb/api/v1/chats/{chatId}/files/{fileId}"},
		{"outside the versioned API", protocol.PathFileByID, protocol.PathFileByID},
		{"v1 already", protocol.PathRequestSMS, protocol.PathRequestSMS},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := protocol.V1(tc.path); got != tc.want {
				t.Errorf("V1(%q) = %q, want %q", tc.path, got, tc.want)
			}
		})
	}
}

func TestSocketURL(t *testing.T) {
	t.Parallel()
	socket := protocol.Path(protocol.PathChatSocket, "c 1")
	query := url.Values{"token": {"a&b"}, "after": {"7"}}
	tests := []struct {
		name, base string
		want       string
	}{
		{"http", "http://127.0.0.1:8081", "ws://127.0.0.1:8081/clientweb/api/v2/chats/c%201/socket?after=7&token=a%26b"},
		{"https", "https://chat.example.com/", "wss://chat.example.com/clientweb/api/v2/chats/c%201/socket?after=7&token=a%26b"},
		{"a path before the API", "https://example.com/chat", "wss://example.com/chat/clientweb/api/v2/chats/c%201/socket?after=7&token=a%26b"},
		{"a host named http", "http://http.example", "ws://http.example/clientweb/api/v2/chats/c%201/socket?after=7&token=a%26b"},
		{"query and fragment of the base go", "http://h/?x=1#y", "ws://h/clientweb/api/v2/chats/c%201/socket?after=7&token=a%26b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := protocol.SocketURL(tc.base, socket, query)
			if err != nil || got != tc.want {
				t.Errorf("SocketURL(%q) = %q, %v; want %q", tc.base, got, err, tc.want)
			}
		})
	}
	for _, base := range []string{"ftp://h", "h:80", "%"} {
		if got, err := protocol.SocketURL(base, socket, query); err == nil {
			t.Errorf("SocketURL(%q) = %q, want an error", base, got)
		}
	}
}
