package main

import (
	"context"
	"fmt"
	"time"
)

const (
	// targetHistory is the history of issue 17's target: the main table
	// shows the history nearest it, the scaling table every size.
	targetHistory = 1000
	burstMessages = 200
	// pageIdle is how long the host page must have made no request before
	// its bytes count as all it loads by itself.
	pageIdle = 2 * time.Second
)

// browserSuite opens the widget on the demo website in headless Chromium:
// cold (a fresh profile and browser process each run) and warm (one profile
// and process, a new tab each run), then renders a long history, takes a
// burst of agent messages, and reads the window's memory; then renders a
// history of each size of -history.
func browserSuite(ctx context.Context, cfg config) ([]row, error) {
	p, err := startParley(ctx, cfg.parley, cfg.web, true)
	if err != nil {
		return nil, err
	}
	defer p.stop()

	var cold, warm []*opening
	for i := range cfg.runs {
		logf("browser: cold open %d of %d", i+1, cfg.runs)
		o, err := coldOpen(ctx, p)
		if err != nil {
			return nil, fmt.Errorf("cold open %d: %w", i+1, err)
		}
		cold = append(cold, o)
	}

	b, err := startBrowser(ctx)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	logf("browser: warming a profile")
	first, err := openWidget(ctx, b, p, interactive)
	if err != nil {
		return nil, fmt.Errorf("warming: %w", err)
	}
	first.close()
	for i := range cfg.runs {
		logf("browser: warm open %d of %d", i+1, cfg.runs)
		o, err := openWidget(ctx, b, p, interactive)
		if err != nil {
			return nil, fmt.Errorf("warm open %d: %w", i+1, err)
		}
		warm = append(warm, o)
		if i < cfg.runs-1 {
			o.close()
		}
	}
	last := warm[len(warm)-1]
	logf("browser: a burst of %d agent messages", burstMessages)
	burst, err := last.burst(ctx, p)
	last.close()
	if err != nil {
		return nil, fmt.Errorf("burst: %w", err)
	}
	logf("browser: the floor's opens")
	floorCold, floorWarm, err := floorOpens(ctx, cfg.runs)
	if err != nil {
		return nil, err
	}
	mainSize := nearest(cfg.history, targetHistory)
	var history *opening
	var receipts int
	var scaling []row
	for _, n := range cfg.history {
		logf("browser: a history of %d messages", n)
		o, r, err := renderHistory(ctx, p, n)
		if err != nil {
			return nil, fmt.Errorf("history of %d: %w", n, err)
		}
		if n == mainSize {
			history, receipts = o, r
		}
		scaling = append(scaling, row{
			Series: "history: click to the end of the window's last long task", Size: float64(n), SizeUnit: "messages",
			Value: o.busyUntil, Unit: "ms",
		})
	}
	floor := map[string]float64{"cold": median(floorCold), "warm": median(floorWarm)}
	rows := append(openingRows(cold, warm, floor, burst, history, mainSize), row{
		Figure: fmt.Sprintf("history of %d: read receipts for them the server took (the visitor limit is 5/s, burst 20)", mainSize),
		Value:  float64(receipts), Ref: new(float64(mainSize)), RefLabel: "one per message shown",
	})
	return append(rows, scaling...), nil
}

// floorOpenLabel names the reference of the click to an interactive
// composer: floorAppProgram, opened the same way.
const floorOpenLabel = "the smallest go-app program, one input, from navigation to the input mounted by its wasm (go-app's own Handler, the wasm uncompressed)"

// openingRows makes the rows of the opens; floor holds the floor's median
// open by "cold" and "warm".
func openingRows(cold, warm []*opening, floor map[string]float64, burst float64, history *opening, historyMessages int) []row {
	med := func(runs []*opening, f func(*opening) float64) float64 {
		xs := make([]float64, len(runs))
		for i, o := range runs {
			xs[i] = f(o)
		}
		return median(xs)
	}
	late := 0
	for _, o := range append(append(cold, warm...), history) {
		if o.lateAttach {
			late++
		}
	}
	if late > 0 {
		logf("browser: in %d runs the window was ready before the benchmark could watch it; those times are upper bounds", late)
	}
	logf("browser: the wasm in the first cold open: %s", cold[0].wasmEntry)
	chatwoot := "Chatwoot 4.13, gzip, on page load (published)"
	rocket := "Rocket.Chat Livechat 1.13, gzip, on page load (published)"
	pageChat := med(cold, func(o *opening) float64 { return o.pageChat })
	window := med(cold, func(o *opening) float64 { return o.window })
	rows := []row{
		{Figure: "host page load (cold): the page's own bytes, demo website", Value: med(cold, func(o *opening) float64 { return o.pageOwn }), Unit: "B"},
		{Figure: "host page load (cold): bytes from the chat server, the loader only", Value: pageChat, Unit: "B", Ref: new(chatwootPageLoad), RefLabel: chatwoot},
		{Figure: "host page load (cold): bytes from the chat server, the loader only", Value: pageChat, Unit: "B", Ref: new(rocketChatPageLoad), RefLabel: rocket},
		{Figure: "host page load (cold): wasm bytes before the first open", Value: med(cold, func(o *opening) float64 { return o.wasmBeforeOpen }), Unit: "B"},
		{Figure: "first open (cold): the chat window's bytes until interactive", Value: window, Unit: "B", Ref: new(chatwootPageLoad), RefLabel: chatwoot},
		{Figure: "first open (cold): the chat window's bytes until interactive", Value: window, Unit: "B", Ref: new(rocketChatPageLoad), RefLabel: rocket},
		{Figure: "first open (cold): the service worker's precache fetches, on top", Value: med(cold, func(o *opening) float64 { return o.worker }), Unit: "B"},
		{Figure: "first open (cold): the service worker's precache fetches, of which the wasm", Value: med(cold, func(o *opening) float64 { return o.workerWasm }), Unit: "B"},
		{Figure: "first open (warm): the chat window's bytes until interactive", Value: med(warm, func(o *opening) float64 { return o.window }), Unit: "B"},
		{Figure: fmt.Sprintf("launcher in the DOM after the loader's response ends (cold, median of %d)", len(cold)), Value: med(cold, func(o *opening) float64 { return o.launcher }), Unit: "ms"},
	}
	for _, set := range []struct {
		name string
		runs []*opening
	}{{"cold", cold}, {"warm", warm}} {
		n := len(set.runs)
		rows = append(rows,
			row{Figure: fmt.Sprintf("click to the chat window's document received (%s, median of %d)", set.name, n), Value: med(set.runs, func(o *opening) float64 { return o.document }), Unit: "ms"},
			row{Figure: fmt.Sprintf("click to painted chat window (%s, median of %d)", set.name, n), Value: med(set.runs, func(o *opening) float64 { return o.paint }), Unit: "ms"},
			row{Figure: fmt.Sprintf("click to the wasm received (%s, median of %d)", set.name, n), Value: med(set.runs, func(o *opening) float64 { return o.wasm }), Unit: "ms"},
			row{Figure: fmt.Sprintf("click to interactive composer (%s, median of %d)", set.name, n), Value: med(set.runs, func(o *opening) float64 { return o.ready }), Unit: "ms",
				Ref: new(floor[set.name]), RefLabel: floorOpenLabel},
			row{Figure: fmt.Sprintf("chat window's long tasks, click until quiet (%s, median of %d)", set.name, n), Value: med(set.runs, func(o *opening) float64 { return o.longTasks }), Unit: "ms"},
		)
	}
	return append(rows,
		row{Figure: fmt.Sprintf("click to the last of %d replayed history messages in the DOM (warm; the latest 100 drawn)", historyMessages), Value: history.ready, Unit: "ms"},
		row{Figure: fmt.Sprintf("history of %d: the window's long tasks, click until quiet", historyMessages), Value: history.longTasks, Unit: "ms"},
		row{Figure: fmt.Sprintf("history of %d: click to the end of the window's last long task", historyMessages), Value: history.busyUntil, Unit: "ms"},
		row{Figure: fmt.Sprintf("burst of %d agent messages: first publish to the last in the DOM", burstMessages), Value: burst, Unit: "ms"},
		row{Figure: "chat window JS heap used after the first open (cold; the Go wasm heap is not in it)", Value: med(cold, func(o *opening) float64 { return o.heapUsed }), Unit: "B"},
		row{Figure: "chat window JS heap total after the first open (cold; the Go wasm heap is not in it)", Value: med(cold, func(o *opening) float64 { return o.heapTotal }), Unit: "B"},
		row{Figure: fmt.Sprintf("chat window JS heap used with %d messages (the Go wasm heap is not in it)", historyMessages), Value: history.heapUsed, Unit: "B"},
		row{Figure: fmt.Sprintf("chat window JS heap total with %d messages (the Go wasm heap is not in it)", historyMessages), Value: history.heapTotal, Unit: "B"},
	)
}
