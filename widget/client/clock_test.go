package client

import (
	"net/http"
	"testing"
	"time"
)

func TestServerClock(t *testing.T) {
	t.Parallel()
	local := time.Date(2026, 3, 29, 0, 59, 0, 0, time.UTC) // the visitor's clock
	cases := []struct {
		name string
		// learn tells the clock what a test case's visitor saw.
		learn func(c *serverClock)
		// want is the server's time the clock reads at local, within a
		// second either way.
		want time.Time
	}{
		{"nothing learnt: the visitor's clock", func(*serverClock) {}, local},
		{"a Date header 11 minutes ahead", func(c *serverClock) {
			c.date(local.Add(11*time.Minute).Format(http.TimeFormat), local.Add(-200*time.Millisecond), local)
		}, local.Add(11 * time.Minute)},
		{"a Date header 15 minutes behind", func(c *serverClock) {
			c.date(local.Add(-15*time.Minute).Format(http.TimeFormat), local.Add(-100*time.Millisecond), local)
		}, local.Add(-15 * time.Minute)},
		{"an event stamped ahead of the visitor's clock", func(c *serverClock) {
			c.stamped(local.Add(3*time.Minute), local)
		}, local.Add(3 * time.Minute)},
		{"old events say nothing", func(c *serverClock) {
			c.date(local.Add(-15*time.Minute).Format(http.TimeFormat), local, local)
			c.stamped(local.Add(-2*time.Hour), local)
		}, local.Add(-15 * time.Minute)},
		{"a header that is not a date", func(c *serverClock) { c.date("soon", local, local) }, local},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := &serverClock{local: func() time.Time { return local }}
			tc.learn(c)
			if got := c.Now(); got.Sub(tc.want).Abs() > time.Second {
				t.Errorf("Now() = %v, want %v", got, tc.want)
			}
		})
	}
}
