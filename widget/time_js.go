//go:build js && wasm

package widget

import (
	"syscall/js"
	"time"
)

// offsets remembers the browser's UTC offset, in minutes west as Date has
// it, of each quarter hour asked for (offsets change on quarter hours),
// for as long as the browser's offset now stays what it was when they
// were asked. A transcript is drawn again on every change, and asking the
// browser for each line costs a few calls into JavaScript: a burst of 200
// messages spent a third of a second on it.
var offsets struct {
	now int
	at  map[int64]int
}

// followZone forgets the offsets remembered when the browser's offset now
// changed: daylight saving time began or ended, or the visitor's zone
// changed. The window asks before it draws the transcript.
func followZone() {
	now := js.Global().Get("Date").New().Call("getTimezoneOffset").Int()
	if offsets.at == nil || now != offsets.now {
		offsets.now, offsets.at = now, map[int64]int{}
	}
}

// visitorTime is t in the visitor's time zone as the browser has it. Go's
// time.Local in the browser is fixed when the program starts, so it would
// keep the offset before a change to or from daylight saving time, or a
// move to another zone; the browser's Date tells the offset of each
// moment.
func visitorTime(t time.Time) time.Time {
	if offsets.at == nil {
		followZone()
	}
	quarter := t.Unix() / (15 * 60)
	minutes, ok := offsets.at[quarter]
	if !ok {
		minutes = js.Global().Get("Date").New(float64(t.UnixMilli())).Call("getTimezoneOffset").Int()
		offsets.at[quarter] = minutes
	}
	return t.In(time.FixedZone("", -minutes*60))
}
