// Command loader writes widget.js, the loader a host page runs, into the web
// directory it is given: the readable source beside this file (widget.js),
// minified by esbuild's Go API. The source stays written for people; the
// page gets the fewest bytes. An unchanged loader keeps its file, so its
// compressed copies stay good.
//
//	go run ./app/loader web
package main

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/evanw/esbuild/pkg/api"
)

// source is the loader as people read and write it.
//
//go:embed widget.js
var source string

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: loader WEBDIR")
		os.Exit(2)
	}
	if err := write(filepath.Join(os.Args[1], "widget.js")); err != nil {
		fmt.Fprintln(os.Stderr, "loader:", err)
		os.Exit(1)
	}
}

// write minifies the source into path, unless path holds it already.
func write(path string) error {
	code, err := minify(source)
	if err != nil {
		return err
	}
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, code) {
		return nil
	}
	return os.WriteFile(path, code, 0o644)
}

// minify is the loader's code with the fewest bytes: whitespace, comments
// and long local names gone, for browsers of ES2017 and later (the chat
// window needs WebAssembly anyway).
func minify(src string) ([]byte, error) {
	result := api.Transform(src, api.TransformOptions{
		Loader:            api.LoaderJS,
		Target:            api.ES2017,
		MinifyWhitespace:  true,
		MinifyIdentifiers: true,
		MinifySyntax:      true,
		LegalComments:     api.LegalCommentsNone,
	})
	if len(result.Errors) > 0 {
		var msgs []string
		for _, m := range result.Errors {
			where := ""
			if m.Location != nil {
				where = fmt.Sprintf("widget.js:%d:%d: ", m.Location.Line, m.Location.Column)
			}
			msgs = append(msgs, where+m.Text)
		}
		return nil, errors.New(strings.Join(msgs, "\n"))
	}
	return result.Code, nil
}
