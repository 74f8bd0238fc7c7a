package e2e

import (
	"testing"
	"time"

	"github.com/parleychat/parley/app/parleytest"
)

func TestProbe(t *testing.T) {
	srv := parleytest.Start(t)
	w := openChat(t, srv)
	time.Sleep(3 * time.Second)
	t.Log(evalJS[string](t, w.frame, `document.querySelector("[data-testid=messages]").outerHTML`))
	w.tab.screenshot("probe")
}
