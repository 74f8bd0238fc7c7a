package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/parleychat/parley/app/parleytest"
)

// axeDir holds axe-core, at the version its package.json pins; build.sh
// test installs it, and so does ensureAxe when it is missing.
var axeDir = filepath.Join(filepath.Dir(parleytest.WebDir()), "app", "e2e", "axe")

// axeSource is axe-core's script, read once.
var axeSource = sync.OnceValues(func() (string, error) {
	data, err := os.ReadFile(filepath.Join(axeDir, "node_modules", "axe-core", "axe.min.js"))
	return string(data), err
})

// ensureAxe installs axe-core with npm when it is missing.
func ensureAxe() error {
	if _, err := os.Stat(filepath.Join(axeDir, "node_modules", "axe-core", "axe.min.js")); err == nil {
		return nil
	}
	fmt.Fprintln(os.Stderr, "e2e: installing axe-core (npm ci in app/e2e/axe)")
	cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund")
	cmd.Dir = axeDir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("installing axe-core with npm: %v\n%s", err, out)
	}
	return nil
}

// axeTags are the rules the checks run: WCAG 2.2 A and AA, and axe's best
// practices (landmarks, regions, headings).
var axeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"}

// axeViolation is one rule axe found broken, and where.
type axeViolation struct {
	ID    string `json:"id"`
	Help  string `json:"help"`
	Nodes []struct {
		Target  []any  `json:"target"`
		Summary string `json:"failureSummary"`
	} `json:"nodes"`
}

// checkAxe runs axe-core in the document of ctx (a page, or the chat
// window's frame) and fails the test for every violation, naming the state
// the document is in. Frames inside it are left to their own check.
func checkAxe(t *testing.T, ctx context.Context, state string) {
	t.Helper()
	source, err := axeSource()
	if err != nil {
		t.Fatalf("reading axe-core: %v", err)
	}
	tags, _ := json.Marshal(axeTags)
	js := `(() => {
		if (!window.axe) {
			` + source + `
		}
		return axe.run(document, {runOnly: {type: "tag", values: ` + string(tags) + `}, iframes: false, resultTypes: ["violations"]})
			.then(r => JSON.stringify(r.violations));
	})()`
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("running axe-core (%s): %v", state, err)
	}
	var violations []axeViolation
	if err := json.Unmarshal([]byte(out), &violations); err != nil {
		t.Fatalf("reading axe-core's answer (%s): %v", state, err)
	}
	for _, v := range violations {
		var where []string
		for _, n := range v.Nodes {
			where = append(where, fmt.Sprintf("%v: %s", n.Target, strings.ReplaceAll(n.Summary, "\n", " ")))
		}
		t.Errorf("axe-core, %s: %s (%s)\n  %s", state, v.ID, v.Help, strings.Join(where, "\n  "))
	}
}
