package protocol

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// scalarText returns the text of a JSON string, number or boolean; false for
// anything else. null reads as "".
func scalarText(data []byte) (string, bool) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return "", false
	}
	switch data[0] {
	case '"':
		var s string
		if json.Unmarshal(data, &s) != nil {
			return "", false
		}
		return s, true
	case 'n':
		return "", bytes.Equal(data, []byte("null"))
	case 't', 'f':
		var b bool
		if json.Unmarshal(data, &b) != nil {
			return "", false
		}
		return strconv.FormatBool(b), true
	}
	var n json.Number
	if json.Unmarshal(data, &n) != nil {
		return "", false
	}
	return n.String(), true
}

// idText is scalarText without booleans, for values that name something.
func idText(data []byte) (string, bool) {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && (data[0] == 't' || data[0] == 'f') {
		return "", false
	}
	return scalarText(data)
}

// ID is an identifier such as a msg_id or a form_request_id. The API sends
// them as strings; some clients send numbers. Both decode, and an ID encodes
// back as it came: a client gets its own ids back in the JSON type it sent
// them. The zero ID is no id, and encodes as "".
type ID struct {
	text string
	// number says the id is a JSON number, whose literal text is text.
	number bool
}

// TextID returns the id that travels as the JSON string s.
func TextID(s string) ID { return ID{text: s} }

// NumberID returns the id that travels as the JSON number n, as the Android
// SDK declares form_request_id.
func NumberID(n uint64) ID { return ID{text: strconv.FormatUint(n, 10), number: true} }

// String returns the id's text: the string, or the number's digits.
func (id ID) String() string { return id.text }

// IsZero reports whether id is no id.
func (id ID) IsZero() bool { return id == ID{} }

// IsNumber reports whether the id travels as a JSON number.
func (id ID) IsNumber() bool { return id.number }

// MarshalJSON writes a number id as the number it came as, any other as a
// string.
func (id ID) MarshalJSON() ([]byte, error) {
	if id.number {
		return []byte(id.text), nil
	}
	return json.Marshal(id.text)
}

// UnmarshalJSON accepts a string, a number or null (no id).
func (id *ID) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	text, ok := idText(data)
	if !ok {
		return fmt.Errorf("an id must be a string or a number, not %.20s", data)
	}
	*id = ID{text: text, number: len(data) > 0 && data[0] != '"' && data[0] != 'n'}
	return nil
}

// Seconds is a duration in whole seconds, such as ewt or form_timeout. It
// decodes from a number or a numeric string and encodes as the string the
// SDKs expect. A string that is not a number (some servers describe the wait
// in words) decodes as zero, meaning unknown.
type Seconds int

// MarshalJSON writes the seconds as a decimal string.
func (s Seconds) MarshalJSON() ([]byte, error) {
	return []byte(`"` + strconv.Itoa(int(s)) + `"`), nil
}

// UnmarshalJSON accepts a number, a string or null.
func (s *Seconds) UnmarshalJSON(data []byte) error {
	text, ok := scalarText(data)
	if !ok {
		return fmt.Errorf("seconds must be a number or a string, not %.20s", data)
	}
	*s = 0
	f, err := strconv.ParseFloat(strings.TrimSpace(text), 64)
	if err != nil || math.IsNaN(f) || f < 0 || f > math.MaxInt32 {
		return nil
	}
	*s = Seconds(math.Round(f))
	return nil
}

// Duration converts s to a time.Duration.
func (s Seconds) Duration() time.Duration { return time.Duration(s) * time.Second }

// Timeout is how long something stays open, in whole seconds, as
// form_timeout carries it. It decodes as [Seconds] does and encodes as a
// JSON number: the integer the Android SDK declares.
type Timeout int

// MarshalJSON writes the seconds as a number.
func (t Timeout) MarshalJSON() ([]byte, error) {
	return []byte(strconv.Itoa(int(t))), nil
}

// UnmarshalJSON accepts a number, a string or null.
func (t *Timeout) UnmarshalJSON(data []byte) error {
	return (*Seconds)(t).UnmarshalJSON(data)
}

// Duration converts t to a time.Duration.
func (t Timeout) Duration() time.Duration { return time.Duration(t) * time.Second }

// Timestamp is the moment an event happened. The documents say milliseconds;
// every implementation sends a string of Unix seconds. Both decode, as a
// string or a number, and a Timestamp encodes as a string of seconds.
type Timestamp struct {
	time.Time
}

// At returns the timestamp of t, truncated to the second the wire carries.
func At(t time.Time) Timestamp { return Timestamp{t.Truncate(time.Second)} }

// Timestamps decode within bounds that keep a round trip exact: a number
// below millisThreshold is seconds (up to the year 5138), one from it up to
// maxMillis is milliseconds (from 1973), and whatever a Timestamp writes, it
// reads back.
const (
	millisThreshold = 1e11
	maxMillis       = 1e14
)

// MarshalJSON writes the Unix seconds as a decimal string, and the zero
// Timestamp as "".
func (t Timestamp) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte(`""`), nil
	}
	return []byte(`"` + strconv.FormatInt(t.Unix(), 10) + `"`), nil
}

// UnmarshalJSON accepts Unix seconds or milliseconds, as a number or a
// string, with or without a fraction. null and "" leave it zero.
func (t *Timestamp) UnmarshalJSON(data []byte) error {
	text, ok := scalarText(data)
	if !ok {
		return fmt.Errorf("a timestamp must be a number or a string, not %.20s", data)
	}
	*t = Timestamp{}
	text = strings.TrimSpace(text)
	if text == "" {
		return nil
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsNaN(f) || math.Abs(f) >= maxMillis {
		return fmt.Errorf("timestamp %q is not a number of seconds or milliseconds", text)
	}
	if math.Abs(f) >= millisThreshold {
		t.Time = time.UnixMilli(int64(f)).UTC()
		return nil
	}
	sec, frac := math.Modf(f)
	t.Time = time.Unix(int64(sec), int64(frac*1e9)).UTC()
	return nil
}
