package server

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"path/filepath"
	"strings"
)

// DemoSite serves the demo host page, a stand-in for a customer's website,
// from the web directory's demo folder. It must run on another origin than
// the Server, as a real website would: the page embeds the widget with the
// one script tag from widgetURL (the Server's address) for launch point
// appID.
func DemoSite(webDir, widgetURL, appID string) (http.Handler, error) {
	a, err := loadAssets(filepath.Join(webDir, "demo"))
	if err != nil {
		return nil, err
	}
	index, ok := a.files["index.html"]
	if !ok {
		return nil, fmt.Errorf("the web directory %s has no demo/index.html", webDir)
	}
	page, err := template.New("demo").Parse(string(index.body))
	if err != nil {
		return nil, fmt.Errorf("parsing demo/index.html: %w", err)
	}
	var rendered bytes.Buffer
	err = page.Execute(&rendered, struct{ WidgetURL, AppID string }{strings.TrimRight(widgetURL, "/"), appID})
	if err != nil {
		return nil, fmt.Errorf("rendering demo/index.html: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(rendered.Bytes())
	})
	mux.HandleFunc("GET /{file...}", func(w http.ResponseWriter, r *http.Request) {
		if name := r.PathValue("file"); name != "index.html" {
			a.serve(w, r, name, cacheRevalidate)
			return
		}
		http.Redirect(w, r, "/", http.StatusMovedPermanently)
	})
	return mux, nil
}
