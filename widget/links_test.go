package widget

import (
	"reflect"
	"testing"
)

func TestFindLinks(t *testing.T) {
	t.Parallel()
	type found struct{ text, url string }
	cases := []struct {
		name string
		text string
		want []found
	}{
		{"none", "no address here", nil},
		{"an address", "see https://example.com/a for more", []found{{"https://example.com/a", "https://example.com/a"}}},
		{"the sentence's full stop", "see https://example.com/a.", []found{{"https://example.com/a", "https://example.com/a"}}},
		{"several marks", "really? https://example.com/a?!", []found{{"https://example.com/a", "https://example.com/a"}}},
		{"balanced parentheses are the address's", "https://en.wikipedia.org/wiki/Go_(programming_language).",
			[]found{{"https://en.wikipedia.org/wiki/Go_(programming_language)", "https://en.wikipedia.org/wiki/Go_(programming_language)"}}},
		{"a parenthesis the address did not open", "(see https://example.com/a)", []found{{"https://example.com/a", "https://example.com/a"}}},
		{"both", "(see https://example.com/a_(b))", []found{{"https://example.com/a_(b)", "https://example.com/a_(b)"}}},
		{"brackets too", "[https://example.com/x]", []found{{"https://example.com/x", "https://example.com/x"}}},
		{"a www. address opens with https", "go to www.example.com/shop, then pay", []found{{"www.example.com/shop", "https://www.example.com/shop"}}},
		{"in capitals", "WWW.EXAMPLE.COM!", []found{{"WWW.EXAMPLE.COM", "https://WWW.EXAMPLE.COM"}}},
		{"http", "http://localhost:8080/x", []found{{"http://localhost:8080/x", "http://localhost:8080/x"}}},
		{"a query and a fragment", "https://example.com/s?q=a&b=(c)#top", []found{{"https://example.com/s?q=a&b=(c)#top", "https://example.com/s?q=a&b=(c)#top"}}},
		{"two", "https://a.example and www.b.example", []found{{"https://a.example", "https://a.example"}, {"www.b.example", "https://www.b.example"}}},
		{"ends at a quote", `"https://example.com/q"`, []found{{"https://example.com/q", "https://example.com/q"}}},
		{"not in a word", "awww.example.com", nil},
		{"no host", "https:// and www.", nil},
		{"other schemes are text", "javascript:alert(1) ftp://example.com mailto:a@example.com", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got []found
			for _, l := range findLinks(tc.text) {
				got = append(got, found{tc.text[l.start:l.end], l.url})
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("findLinks(%q) = %q, want %q", tc.text, got, tc.want)
			}
		})
	}
}

func FuzzFindLinks(f *testing.F) {
	for _, s := range []string{"see https://example.com/a.", "(www.example.com/a_(b))", "https://)(", "www.))"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		last := 0
		for _, l := range findLinks(text) {
			if l.start < last || l.end <= l.start || l.end > len(text) {
				t.Fatalf("findLinks(%q) found %d:%d after %d", text, l.start, l.end, last)
			}
			last = l.end
		}
	})
}
