package server

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"path/filepath"
	"strings"
)

// DemoSite serves the demo website, a stand-in for a customer's site, from
// the web directory's demo folder: a shop page and the theme playground. It
// must run on another origin than the Server, as a real website would. Its
// pages are templates that embed the widget with the one script tag from
// widgetURL (the Server's address) for launch point appID. They are served
// with a strict Content-Security-Policy that allows the widget's origin and
// nothing inline, which is all a website owner needs to allow.
func DemoSite(webDir, widgetURL, appID string) (http.Handler, error) {
	a, err := loadAssets(filepath.Join(webDir, "demo"))
	if err != nil {
		return nil, err
	}
	if _, ok := a.files["index.html"]; !ok {
		return nil, fmt.Errorf("the web directory %s has no demo/index.html", webDir)
	}
	widgetURL = strings.TrimRight(widgetURL, "/")
	pages := map[string][]byte{}
	for name, f := range a.files {
		if !strings.HasSuffix(name, ".html") {
			continue
		}
		page, err := template.New(name).Parse(string(f.body))
		if err != nil {
			return nil, fmt.Errorf("parsing demo/%s: %w", name, err)
		}
		var rendered bytes.Buffer
		if err := page.Execute(&rendered, struct{ WidgetURL, AppID string }{widgetURL, appID}); err != nil {
			return nil, fmt.Errorf("rendering demo/%s: %w", name, err)
		}
		pages[name] = rendered.Bytes()
	}
	policy := CSP(widgetURL)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{file...}", func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("file")
		if name == "" {
			name = "index.html"
		}
		page, ok := pages[name]
		if !ok {
			a.serve(w, r, name, cacheRevalidate)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("Content-Security-Policy", policy)
		_, _ = w.Write(page)
	})
	return mux, nil
}

// CSP is the strictest Content-Security-Policy a page that embeds the widget
// from widgetURL can have: the page's own files, the loader script and the
// chat frame from the widget's origin, nothing inline, no eval.
func CSP(widgetURL string) string {
	return "default-src 'self'; script-src 'self' " + widgetURL + "; frame-src " + widgetURL +
		"; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'"
}
