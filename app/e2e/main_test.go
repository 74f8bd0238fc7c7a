package e2e

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/parleychat/parley/app/parleytest/browser"
)

// chromium is the one browser the package's tests share, a tab each.
var chromium *browser.Browser

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
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
	chromium = b
	return m.Run()
}
