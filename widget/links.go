package widget

import (
	"net/url"
	"regexp"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// candidates finds what may be a web address in a message: from http://,
// https:// or www. to the next space, angle bracket or quote.
var candidates = regexp.MustCompile(`(?i)\b(?:https?://|www\.)[^\s<>"']+`)

// findLinks returns the web addresses in text as the byte ranges of their
// text and the URLs they open. Punctuation at the end belongs to the
// sentence, not to the address, and so does a closing bracket the address
// did not open: "(see https://example.com/a)" links .../a, but
// "https://en.wikipedia.org/wiki/Go_(programming_language)" is whole. A
// www. address opens with https. Only http and https URLs with a host are
// links, so a message can never carry a javascript: link.
func findLinks(text string) []link {
	var out []link
	for _, span := range candidates.FindAllStringIndex(text, -1) {
		start := span[0]
		end := start + len(trimLink(text[start:span[1]]))
		raw := text[start:end]
		if strings.HasPrefix(strings.ToLower(raw), "www.") {
			raw = "https://" + raw
		}
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Host == "www." {
			continue
		}
		out = append(out, link{start: start, end: end, url: u.String()})
	}
	return out
}

// link is a web address found in a text: text[start:end] opens url.
type link struct {
	start, end int
	url        string
}

// trimLink takes the sentence's punctuation and unopened closing brackets
// off the end of a candidate address.
func trimLink(s string) string {
	for s != "" {
		last := s[len(s)-1]
		if strings.IndexByte(".,;:!?", last) >= 0 {
			s = s[:len(s)-1]
			continue
		}
		open := strings.IndexByte(")]}", last)
		if open < 0 || strings.Count(s, string("([{"[open])) >= strings.Count(s, string(last)) {
			return s
		}
		s = s[:len(s)-1]
	}
	return s
}

// linked splits text into text nodes and links, which open in a new tab
// and tell the site nothing of the chat.
func linked(text string) []app.UI {
	var out []app.UI
	last := 0
	for _, l := range findLinks(text) {
		if l.start > last {
			out = append(out, app.Text(text[last:l.start]))
		}
		out = append(out, app.A().Href(l.url).Target("_blank").Rel("noopener noreferrer nofollow").Text(text[l.start:l.end]))
		last = l.end
	}
	if last < len(text) {
		out = append(out, app.Text(text[last:]))
	}
	return out
}
