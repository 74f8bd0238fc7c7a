//go:build !js

package widget

import "time"

// followZone has nothing to follow in Go programs: see visitorTime.
func followZone() {}

// visitorTime is t in the visitor's time zone: in Go programs, the
// program's.
func visitorTime(t time.Time) time.Time { return t.Local() }
