//go:build js && wasm

package widget

import (
	"syscall/js"
	"time"
)

// visitorTime is t in the visitor's time zone as the browser has it now.
// Go's time.Local in the browser is fixed when the program starts, so it
// would keep the offset before a change to or from daylight saving time,
// or a move to another zone; the browser's Date tells the offset of each
// moment.
func visitorTime(t time.Time) time.Time {
	minutes := js.Global().Get("Date").New(float64(t.UnixMilli())).Call("getTimezoneOffset").Int()
	return t.In(time.FixedZone("", -minutes*60))
}
