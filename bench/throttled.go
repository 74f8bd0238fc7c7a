package main

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"
)

// throttledSuite opens the widget cold on a phone, from the tap on the
// launcher, with the chat server behind a throttling proxy at each
// profile: the host page comes from this program on loopback, everything
// from the chat server crosses the emulated network. It measures the tap
// to a painted window, to a composer that takes typing, and to the first
// message stored by the server (the agent's socket, on loopback, sees it),
// without and with data-prefetch="idle". Beside them, the same network's
// floor: the window's document and the wasm fetched alone through it.
func throttledSuite(ctx context.Context, cfg config) ([]row, error) {
	p, err := startParley(ctx, cfg.parley, cfg.web, false)
	if err != nil {
		return nil, err
	}
	defer p.stop()
	target := strings.TrimPrefix(p.url, "http://")
	var rows []row
	for _, prof := range profiles {
		t, err := startThrottle(target, prof)
		if err != nil {
			return rows, err
		}
		more, err := throttledRows(ctx, cfg, p, t, prof)
		t.close()
		rows = append(rows, more...)
		if err != nil {
			return rows, fmt.Errorf("%s: %w", prof.name, err)
		}
	}
	return rows, nil
}

func throttledRows(ctx context.Context, cfg config, p *parley, t *throttle, prof profile) ([]row, error) {
	pages, closePages, err := serveHostPages(t.URL())
	if err != nil {
		return nil, err
	}
	defer closePages()
	logf("throttled, %s: the window's document and the wasm alone", prof)
	document, err := fetchThrough(ctx, t.URL()+"/widget/?app="+appID)
	if err != nil {
		return nil, fmt.Errorf("the document alone: %w", err)
	}
	wasm, err := fetchThrough(ctx, t.URL()+"/widget/web/app.wasm")
	if err != nil {
		return nil, fmt.Errorf("the wasm alone: %w", err)
	}
	var rows []row
	for _, prefetch := range []bool{false, true} {
		var runs []*slowOpening
		for i := range cfg.runs {
			logf("throttled, %s: cold open %d of %d%s", prof.name, i+1, cfg.runs, map[bool]string{true: ", data-prefetch=idle"}[prefetch])
			o, err := slowOpen(ctx, p, t, pages, prefetch)
			if err != nil {
				return rows, fmt.Errorf("cold open %d: %w", i+1, err)
			}
			runs = append(runs, o)
		}
		rows = append(rows, slowRows(prof, runs, prefetch, document, wasm)...)
	}
	return rows, nil
}

// slowRows are the medians of the runs of one profile and one way of
// loading, beside the network's floor when the window is loaded on the tap.
func slowRows(prof profile, runs []*slowOpening, prefetch bool, document, wasm float64) []row {
	med := func(f func(*slowOpening) float64) float64 {
		xs := make([]float64, len(runs))
		for i, o := range runs {
			xs[i] = f(o)
		}
		return median(xs)
	}
	late := 0
	for _, o := range runs {
		if o.late {
			late++
		}
	}
	if late > 0 {
		logf("throttled, %s: in %d runs the agent's socket opened after the message could have been stored; those times are upper bounds", prof.name, late)
	}
	how := fmt.Sprintf("cold, phone, %s: %.3g Mbit/s down, %d ms round trips, median of %d", prof.name, prof.down/1e6, prof.rtt.Milliseconds(), len(runs))
	docLabel := "the window's document alone through the same network (Go client, a new connection)"
	wasmLabel := "the wasm alone through the same network (Go client, brotli, a new connection)"
	paint := row{Figure: fmt.Sprintf("tap to painted chat window (%s)", how), Value: med(func(o *slowOpening) float64 { return o.paint }), Unit: "ms"}
	typing := row{Figure: fmt.Sprintf("tap to a composer that takes typing (%s)", how), Value: med(func(o *slowOpening) float64 { return o.typing }), Unit: "ms"}
	stored := row{Figure: fmt.Sprintf("tap to the first message stored by the server (%s)", how), Value: med(func(o *slowOpening) float64 { return o.stored }), Unit: "ms"}
	if !prefetch {
		paint.Ref, paint.RefLabel = new(document), docLabel
		typing.Ref, typing.RefLabel = new(wasm), wasmLabel
		stored.Ref, stored.RefLabel = new(wasm), wasmLabel
		return []row{paint, typing, stored}
	}
	how = "data-prefetch=idle, tapped once the prefetch had finished; " + how
	paint.Figure = fmt.Sprintf("tap to painted chat window (%s)", how)
	typing.Figure = fmt.Sprintf("tap to a composer that takes typing (%s)", how)
	stored.Figure = fmt.Sprintf("tap to the first message stored by the server (%s)", how)
	ready := row{
		Figure: fmt.Sprintf("page load to a window ready behind the launcher, the time a visitor must stay for the prefetch to finish (%s)", how),
		Value:  med(func(o *slowOpening) float64 { return o.prefetched }), Unit: "ms",
		Ref: new(wasm), RefLabel: wasmLabel,
	}
	return []row{ready, paint, typing, stored}
}

var hostPage = template.Must(template.New("host").Parse(`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>A shop on a phone</title></head>
<body><main><h1>Northwind Outfitters</h1><p>Tents, packs and boots since 1962.</p></main>
<script src="{{.Origin}}/widget.js" data-app-id="{{.AppID}}"{{if .Prefetch}} data-prefetch="idle"{{end}} async></script>
</body></html>`))

// serveHostPages serves the host page on "localhost", another site than
// the chat server's 127.0.0.1, with the loader from chatOrigin: at / as the
// demo website embeds it, at /prefetch with data-prefetch="idle". It
// returns the site's URL.
func serveHostPages(chatOrigin string) (string, func(), error) {
	pages := map[string][]byte{}
	for path, prefetch := range map[string]bool{"/": false, "/prefetch": true} {
		var b bytes.Buffer
		if err := hostPage.Execute(&b, map[string]any{"Origin": chatOrigin, "AppID": appID, "Prefetch": prefetch}); err != nil {
			return "", nil, err
		}
		pages[path] = b.Bytes()
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		page, ok := pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(page)
	}))
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	return "http://localhost:" + port, srv.Close, nil
}

// fetchThrough is the milliseconds a plain Go client takes, on a new
// connection, to get url's whole body, brotli where the server has it.
func fetchThrough(ctx context.Context, url string) (float64, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	// Set by hand, the transport leaves the body as it came.
	req.Header.Set("Accept-Encoding", "br")
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return ms(time.Since(start)), nil
}
