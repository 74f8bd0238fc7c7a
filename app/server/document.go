package server

import (
	_ "embed"
	"net/http"
	"strconv"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/parleychat/parley/widget"
)

// widgetPrefix is where the widget's document lives; the loader frames
// widgetPrefix + "/".
const widgetPrefix = "/widget"

// wasmFile is the widget program in the web directory, where go-app's
// page expects it; bootFile runs in the document's head before it paints.
const (
	wasmFile = "app.wasm"
	bootFile = "boot.js"
)

// workerJS is the widget's service worker; go-app fills in the version and
// the files to keep.
//
//go:embed worker.js
var workerJS string

// document serves the widget's go-app document, prerendered so the chat
// frame paints before the wasm starts, and go-app's scripts.
func (s *Server) document() http.Handler {
	widget.Register()
	wasm := s.assets.files[wasmFile]
	version, size := "missing", ""
	if wasm != nil {
		// A version that changes only with the wasm keeps visitors' caches
		// across restarts.
		version, size = wasm.hash, strconv.Itoa(len(wasm.body))
	}
	web := func(name string) string { return s.assets.versioned("/web/", name) }
	var head []string
	var inline [][]byte
	if boot, ok := s.assets.files[bootFile]; ok {
		// Inline, so the theme applies before the first paint without a
		// request more; it is our own file, never data, allowed by its
		// hash.
		head = append(head, "<script>"+string(boot.body)+"</script>")
		inline = append(inline, boot.body)
	}
	h := &app.Handler{
		Name:              "Parley",
		ShortName:         "Parley",
		Title:             "Chat",
		Description:       "Chat with us",
		Lang:              "en",
		Resources:         app.PrefixedLocation(widgetPrefix),
		Icon:              app.Icon{Default: web("icon-192.png"), Large: web("icon-512.png"), Maskable: web("icon-512.png"), SVG: web("icon.svg")},
		Styles:            []string{web("widget.css")},
		Version:           version,
		WasmContentLength: size,
		BackgroundColor:   "#ffffff",
		ThemeColor:        "#1f5fd1",
		LoadingLabel:      " ",
		RawHeaders:        head,
		// Not go-app's worker: see worker.js.
		ServiceWorkerTemplate: workerJS,
	}
	return withCSP(widgetCSP(inline...), http.StripPrefix(widgetPrefix, h))
}
