package widget

import (
	"unicode/utf8"

	"github.com/parleychat/parley/protocol"
)

// overLimit counts the characters to take off the end of text for it to
// fit a message: 0 when it fits. It counts as the server does, in UTF-8
// bytes (protocol.MaxTextBytes), and tells the visitor in characters, the
// unit they edit in: an emoji is four bytes, a German umlaut two.
func overLimit(text string) int {
	n := 0
	for len(text) > protocol.MaxTextBytes {
		_, size := utf8.DecodeLastRuneInString(text)
		text = text[:len(text)-size]
		n++
	}
	return n
}
