package e2e

import (
	"bytes"
	"html/template"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/parleychat/parley/app/parleytest"
)

// servePage serves a web page on "localhost", another site than the chat
// server's 127.0.0.1 as a customer's website would be, that embeds the
// loader from loaderOrigin with the demo website's tag plus attrs (such as
// data-locale="de"), after body.
func servePage(t *testing.T, loaderOrigin, attrs string, body template.HTML) string {
	t.Helper()
	page := template.Must(template.New("host").Parse(`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>A host page</title>
<style>body { margin: 0; font: 16px/1.5 Georgia, serif; } main { padding: 24px; }</style></head>
<body><main><h1>A host page</h1>{{.Body}}</main>
<script src="{{.Origin}}/widget.js" data-app-id="{{.AppID}}" {{.Attrs}} async></script>
</body></html>`))
	var rendered bytes.Buffer
	if err := page.Execute(&rendered, map[string]any{
		"Origin": loaderOrigin, "AppID": parleytest.AppID, "Attrs": template.HTMLAttr(attrs), "Body": body,
	}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(rendered.Bytes())
	}))
	t.Cleanup(srv.Close)
	// httptest listens on 127.0.0.1; the page is reached by another name.
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	return "http://localhost:" + port + "/"
}

// noSocketProxy is an HTTP proxy in front of the chat server that refuses
// every WebSocket upgrade, as some corporate proxies do, and counts them.
type noSocketProxy struct {
	URL     string
	refused atomic.Int32
}

func startNoSocketProxy(t *testing.T, target string) *noSocketProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &noSocketProxy{}
	rp := httputil.NewSingleHostReverseProxy(u)
	// Long polls and uploads must not wait on a buffer.
	rp.FlushInterval = -1
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			p.refused.Add(1)
			http.Error(w, "WebSockets are not allowed here", http.StatusForbidden)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}
