package widget

import (
	"net/url"

	"github.com/parleychat/parley/protocol"
)

// FileLinks makes the addresses of a chat's files and its agents' photos on
// the server at Base. The chat's token in the query stands for the
// Authorization header that an image or a link cannot send.
type FileLinks struct {
	Base, ChatID, Token string
}

// File is the address of the chat's file with the id.
func (f FileLinks) File(fileID string) string {
	return f.url(protocol.Path(protocol.PathChatFile, f.ChatID, fileID))
}

// Photo is the address of the profile photo of the chat's party.
func (f FileLinks) Photo(partyID string) string {
	return f.url(protocol.Path(protocol.PathProfilePhoto, f.ChatID, partyID))
}

// url is path, a filled pattern, on the server, with the token.
func (f FileLinks) url(path string) string {
	u, err := url.Parse(f.Base + path)
	if err != nil {
		return ""
	}
	u.RawQuery = url.Values{"token": {f.Token}}.Encode()
	return u.String()
}
