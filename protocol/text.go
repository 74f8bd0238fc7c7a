package protocol

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// CheckText refuses JSON whose strings, names or values, are not Unicode
// text: bytes that are not UTF-8, or a \u escape of half a surrogate pair.
// encoding/json would silently replace either with U+FFFD, so two texts
// that differ only there would be stored as one, and what a client sent
// would not be what is stored. The error, an *Error with [CodeBadRequest],
// names the first such string by its path in the document, such as
// events[0].msg_id. Data that is not JSON passes: decoding it says why.
func CheckText(data []byte) error {
	path, problem, found := badText(data, nil)
	if !found {
		return nil
	}
	return Errorf(CodeBadRequest, "%v", notText(path, problem))
}

// notText says which string is not text, and why.
func notText(path, problem string) error {
	if path == "" {
		path = "the body"
	}
	return fmt.Errorf("%s is not valid UTF-8 text (%s); send text as UTF-8, nothing is repaired", path, problem)
}

// badText finds the first string of the JSON document data that is not
// Unicode text, leaving out those under a path skip reports true for. path
// names it: object keys joined by dots, array indexes in brackets, "" for
// a document that is a lone string; a bad key is named by its parent's
// path and the key as it reads. problem says what is wrong with it.
func badText(data []byte, skip func(path string) bool) (path, problem string, found bool) {
	if utf8.Valid(data) && !bytes.Contains(data, []byte(`\u`)) {
		return "", "", false // the common case: nothing to walk
	}
	type level struct {
		array   bool
		index   int
		key     string
		wantKey bool
	}
	var stack []level
	// pathOf names the value at the first n levels of the stack.
	pathOf := func(n int) string {
		var b []byte
		for _, l := range stack[:n] {
			if l.array {
				b = append(b, '[')
				b = strconv.AppendInt(b, int64(l.index), 10)
				b = append(b, ']')
				continue
			}
			if len(b) > 0 {
				b = append(b, '.')
			}
			b = append(b, l.key...)
		}
		return string(b)
	}
	// valueDone moves the enclosing container past the value just read.
	valueDone := func() {
		if n := len(stack); n > 0 {
			if stack[n-1].array {
				stack[n-1].index++
			} else {
				stack[n-1].wantKey = true
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	for {
		before := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return "", "", false // the end, or not JSON
		}
		switch tok := tok.(type) {
		case json.Delim:
			switch tok {
			case '{':
				stack = append(stack, level{wantKey: true})
			case '[':
				stack = append(stack, level{array: true})
			default:
				stack = stack[:len(stack)-1]
				valueDone()
			}
		case string:
			isKey := len(stack) > 0 && !stack[len(stack)-1].array && stack[len(stack)-1].wantKey
			raw := data[before:dec.InputOffset()]
			// A key is named by the object that holds it.
			depth := len(stack)
			if isKey {
				depth--
			}
			if p := stringProblem(raw); p != "" && (skip == nil || !skip(pathOf(depth))) {
				path = pathOf(depth)
				switch {
				case isKey && path == "":
					path = "a field name"
				case isKey:
					path = "a field name in " + path
				}
				return path, p, true
			}
			if isKey {
				stack[len(stack)-1].key, stack[len(stack)-1].wantKey = tok, false
			} else {
				valueDone()
			}
		default:
			valueDone()
		}
	}
}

// stringProblem says what is not text in raw, which holds one JSON string
// literal after separators: a byte that is not UTF-8, or a \u escape of a
// lone surrogate. "" when it is text.
func stringProblem(raw []byte) string {
	start := bytes.IndexByte(raw, '"')
	if start < 0 {
		return ""
	}
	s := raw[start:]
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRune(s[i:])
			if r == utf8.RuneError && size == 1 {
				return fmt.Sprintf("byte 0x%02x at character %d", c, utf8.RuneCount(s[1:i])+1)
			}
			i += size
			continue
		}
		if c != '\\' || i+1 >= len(s) {
			i++
			continue
		}
		if s[i+1] != 'u' || i+6 > len(s) {
			i += 2
			continue
		}
		r1 := hexRune(s[i+2 : i+6])
		switch {
		case !utf16.IsSurrogate(r1):
			i += 6
		case r1 < 0xdc00 && i+12 <= len(s) && s[i+6] == '\\' && s[i+7] == 'u' && utf16.DecodeRune(r1, hexRune(s[i+8:i+12])) != utf8.RuneError:
			i += 12
		default:
			return fmt.Sprintf(`the escape \u%s, half a surrogate pair, at character %d`, s[i+2:i+6], utf8.RuneCount(s[1:i])+1)
		}
	}
	return ""
}

// hexRune reads four hex digits; -1 when they are not.
func hexRune(h []byte) rune {
	n, err := strconv.ParseUint(string(h), 16, 32)
	if err != nil {
		return -1
	}
	return rune(n)
}
