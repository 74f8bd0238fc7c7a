package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evanw/esbuild/pkg/api"
)

// TestMinifiedLoaderKeepsWhatThePageAndTheWindowShare: the minified loader
// is valid ES2017, smaller than its source, free of its comments, and keeps
// every string the window and the page read from it: the postMessage
// types, the data attributes, the API's name and the window's path.
func TestMinifiedLoaderKeepsWhatThePageAndTheWindowShare(t *testing.T) {
	t.Parallel()
	code, err := minify(source)
	if err != nil {
		t.Fatal(err)
	}
	if len(code) >= len(source)/2 {
		t.Errorf("the minified loader is %d bytes of a %d-byte source", len(code), len(source))
	}
	again := api.Transform(string(code), api.TransformOptions{Loader: api.LoaderJS, Target: api.ES2017})
	if len(again.Errors) > 0 {
		t.Errorf("the minified loader does not parse: %v", again.Errors)
	}
	for _, want := range []string{
		`"loaded"`, `"failed"`, `"ready"`, `"close"`, `"unread"`, `"state"`, `"navigation"`, `"show"`, `"hide"`, `"shutdown"`,
		`"visitor"`, `"locale"`, `"theme"`, `"texts"`, `"Parley"`, `"parley-widget"`, `"data-testid"`, `"launcher"`, `"/widget/?app="`,
	} {
		if !strings.Contains(string(code), want) {
			t.Errorf("the minified loader lost %s", want)
		}
	}
	if strings.Contains(string(code), "readable source") {
		t.Error("the minified loader kept the source's comments")
	}
}

func TestWriteKeepsAnUnchangedFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "widget.js")
	if err := write(path); err != nil {
		t.Fatal(err)
	}
	earlier := time.Now().Add(-time.Hour).Truncate(time.Second)
	if err := os.Chtimes(path, earlier, earlier); err != nil {
		t.Fatal(err)
	}
	if err := write(path); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if !info.ModTime().Equal(earlier) {
		t.Errorf("an unchanged loader was written again at %v", info.ModTime())
	}
}
