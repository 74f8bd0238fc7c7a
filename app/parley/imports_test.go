//go:build !js

package main_test

import (
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/parleychat/parley/app/parleytest"
)

// module is the import path every package of Parley's starts with.
const module = "github.com/parleychat/parley/"

// goList runs go list in the repository for the target (goos "" for this
// machine's, "js" for the widget's wasm) and returns its lines.
func goList(t *testing.T, goos string, args ...string) []string {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list"}, args...)...)
	cmd.Dir = filepath.Dir(parleytest.WebDir())
	cmd.Env = os.Environ()
	if goos == "js" {
		cmd.Env = append(cmd.Env, "GOOS=js", "GOARCH=wasm")
	}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %s: %v", strings.Join(args, " "), err)
	}
	return strings.Fields(string(out))
}

// TestImportRules holds the layers apart, for the code that ships (tests
// may use more): protocol is the shared vocabulary and imports nothing of
// ours; the widget's packages import nothing of the server's (app/); the
// window's drawing (widget) never imports the visitor's client nor the live
// window that runs it; and the server imports the drawing only to
// prerender it: the server's program (app/parley built natively, and all
// it depends on) never imports the client that runs the visitor's
// transport.
func TestImportRules(t *testing.T) {
	t.Parallel()
	rules := []struct {
		name     string
		packages string
		targets  []string
		forbid   func(dep string) bool
	}{
		{"protocol imports nothing of ours", "./protocol/...", []string{"", "js"}, func(dep string) bool {
			return strings.HasPrefix(dep, module) && !strings.HasPrefix(dep, module+"protocol")
		}},
		{"the widget's packages import nothing under app/", "./widget/...", []string{"", "js"}, func(dep string) bool {
			return strings.HasPrefix(dep, module+"app/")
		}},
		{"the window's drawing imports neither the client nor the live window", "./widget", []string{"", "js"}, func(dep string) bool {
			return dep == module+"widget/client" || dep == module+"widget/live"
		}},
		{"the server never runs the visitor's client", "./app/parley", []string{""}, func(dep string) bool {
			return dep == module+"widget/client" || dep == module+"widget/live"
		}},
	}
	for _, rule := range rules {
		for _, goos := range rule.targets {
			t.Run(rule.name+" "+map[string]string{"": "natively", "js": "in js/wasm"}[goos], func(t *testing.T) {
				t.Parallel()
				for _, dep := range goList(t, goos, "-deps", rule.packages) {
					if rule.forbid(dep) {
						t.Errorf("%s depends on %s", rule.packages, dep)
					}
				}
			})
		}
	}
}

// TestTheServerImportsTheWindowOnlyToPrerenderIt: of the server's code,
// app/server's document.go alone imports the widget's drawing, to
// register the window go-app prerenders.
func TestTheServerImportsTheWindowOnlyToPrerenderIt(t *testing.T) {
	t.Parallel()
	var importers []string
	for _, line := range goList(t, "", "-f", `{{.ImportPath}}|{{join .Imports "|"}}`, "./app/...") {
		imports := strings.Split(line, "|")
		if slices.Contains(imports[1:], module+"widget") {
			importers = append(importers, imports[0])
		}
	}
	if !slices.Equal(importers, []string{module + "app/server"}) {
		t.Fatalf("the server's packages that import the widget: %v, want app/server alone", importers)
	}
	dir := filepath.Join(filepath.Dir(parleytest.WebDir()), "app", "server")
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var importing []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		parsed, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range parsed.Imports {
			if path, _ := strconv.Unquote(imp.Path.Value); path == module+"widget" {
				importing = append(importing, filepath.Base(f))
			}
		}
	}
	if !slices.Equal(importing, []string{"document.go"}) {
		t.Errorf("app/server's files that import the widget: %v, want document.go alone", importing)
	}
}
