package e2e

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/parleychat/parley/app/parleytest/browser"
	"go.uber.org/goleak"
)

// chromium is the one browser the package's tests share, a tab each.
var chromium *browser.Browser

// TestMain runs the tests in one browser, and fails them when one leaves a
// goroutine running.
func TestMain(m *testing.M) { goleak.VerifyTestMain(inBrowser{m}) }

// inBrowser runs the tests with what they need built and the browser
// started.
type inBrowser struct{ *testing.M }

func (m inBrowser) Run() int {
	for _, ensure := range []func() error{ensureWasm, ensureLoader, ensureAxe} {
		if err := ensure(); err != nil {
			fmt.Fprintln(os.Stderr, "e2e:", err)
			return 1
		}
	}
	b, err := browser.Start(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer b.Close()
	defer func() {
		if callPageDir != "" {
			os.RemoveAll(callPageDir)
		}
	}()
	chromium = b
	return m.M.Run()
}
