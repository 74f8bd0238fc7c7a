// Command bench measures Parley and sets each figure beside a reference
// measured in the same run (or a published one, so labelled): the size of
// the widget next to the smallest go-app program, the browser's timings and
// bytes, the server's delivery, throughput, uploads and idle chats next to
// bare coder/websocket and net/http, and the typing events of a keystroke
// burst. It prints one table and writes its rows as JSON.
//
//	go run ./bench -parley /path/to/parley [-web web] [-out bench/results.json]
//	    [-chats 10000] [-runs 5] [-skip size,browser,server,typing]
//
// ./build.sh bench builds the widget and the server first and runs it.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// config is what the flags say.
type config struct {
	web, out, parley string
	chats, runs      int
	skip             map[string]bool
}

// row is one figure of the table. A reference is set when there is
// something to compare with; the ratio is value/reference.
type row struct {
	Section string
	Figure  string
	Value   float64
	Unit    string
	// Text replaces the value where the figure is not a number.
	Text string
	// Ref and RefHigh are the reference, or its range; RefLabel says what
	// it is, or stands alone where there is nothing to compare with.
	Ref, RefHigh *float64
	RefLabel     string
}

// suite is a group of figures, measured together and skipped together.
type suite struct {
	name    string
	timeout time.Duration
	run     func(context.Context, config) ([]row, error)
}

var suites = []suite{
	{"size", 5 * time.Minute, sizeSuite},
	{"browser", 20 * time.Minute, browserSuite},
	{"server", 20 * time.Minute, serverSuite},
	{"typing", 5 * time.Minute, typingSuite},
	{"upstream", 10 * time.Minute, upstreamSuite},
}

func main() {
	if mode := os.Getenv(relayEnv); mode != "" {
		if err := serveRelay(mode == relayDurable); err != nil {
			fmt.Fprintln(os.Stderr, "bench relay:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run() error {
	var cfg config
	var skip string
	flag.StringVar(&cfg.web, "web", "web", "directory of the browser files, with the built app.wasm")
	flag.StringVar(&cfg.out, "out", "bench/results.json", "where to write the rows as JSON")
	flag.StringVar(&cfg.parley, "parley", "", "the parley program to measure; empty builds ./app/parley")
	flag.IntVar(&cfg.chats, "chats", 10000, "concurrent idle chats to open")
	flag.IntVar(&cfg.runs, "runs", 5, "runs of each browser timing, of which the median counts")
	flag.StringVar(&skip, "skip", "", "comma-separated suites to leave out: size, browser, server, typing")
	flag.Parse()
	cfg.skip = map[string]bool{}
	for name := range strings.SplitSeq(skip, ",") {
		if name = strings.TrimSpace(name); name != "" {
			if !slices.ContainsFunc(suites, func(s suite) bool { return s.name == name }) {
				return fmt.Errorf("-skip: no suite %q", name)
			}
			cfg.skip[name] = true
		}
	}
	if cfg.runs < 1 || cfg.chats < 1 {
		return errors.New("-runs and -chats must be at least 1")
	}
	// Minutes of measuring must not end in a path that cannot be written.
	if info, err := os.Stat(filepath.Dir(cfg.out)); err != nil || !info.IsDir() {
		return fmt.Errorf("-out %s: its directory does not exist", cfg.out)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// Before any subprocess starts, which inherits the limit: the server
	// holds a descriptor per idle chat, and so does this process.
	if err := raiseFileLimit(cfg.chats); err != nil {
		return err
	}
	if cfg.parley == "" && (!cfg.skip["browser"] || !cfg.skip["server"] || !cfg.skip["typing"]) {
		dir, err := os.MkdirTemp("", "parley-bench-bin-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		cfg.parley = filepath.Join(dir, "parley")
		logf("building the parley program")
		if out, err := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", cfg.parley, "./app/parley").CombinedOutput(); err != nil {
			return fmt.Errorf("building ./app/parley: %v\n%s", err, out)
		}
	}

	var rows []row
	type took struct {
		Suite   string  `json:"suite"`
		Seconds float64 `json:"seconds"`
		Error   string  `json:"error,omitempty"`
	}
	var times []took
	var failed []string
	for _, s := range suites {
		if cfg.skip[s.name] {
			continue
		}
		logf("== %s", s.name)
		start := time.Now()
		suiteCtx, cancel := context.WithTimeout(ctx, s.timeout)
		got, err := s.run(suiteCtx, cfg)
		cancel()
		t := took{Suite: s.name, Seconds: time.Since(start).Seconds()}
		for _, r := range got {
			r.Section = s.name
			rows = append(rows, r)
		}
		if err != nil {
			t.Error = err.Error()
			failed = append(failed, s.name)
			logf("== %s failed after %.0f s: %v", s.name, t.Seconds, err)
		} else {
			logf("== %s took %.0f s", s.name, t.Seconds)
		}
		times = append(times, t)
		if ctx.Err() != nil {
			break
		}
	}

	printTable(os.Stdout, rows)
	fmt.Println()
	for _, t := range times {
		status := ""
		if t.Error != "" {
			status = " (failed: " + t.Error + ")"
		}
		fmt.Printf("suite %-8s %6.1f s%s\n", t.Suite, t.Seconds, status)
	}
	out := struct {
		Date   time.Time `json:"date"`
		Rows   []jsonRow `json:"rows"`
		Suites []took    `json:"suites"`
	}{time.Now().UTC(), jsonRows(rows), times}
	data, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(cfg.out, append(data, '\n'), 0o644); err != nil {
		return err
	}
	logf("wrote %s", cfg.out)
	if len(failed) > 0 {
		return fmt.Errorf("suites failed: %s", strings.Join(failed, ", "))
	}
	return ctx.Err()
}

// raiseFileLimit lifts the soft limit on open files to the hard one, and
// warns when even that cannot hold the chats asked for.
func raiseFileLimit(chats int) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return err
	}
	lim.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("raising the limit on open files: %w", err)
	}
	if uint64(chats)+512 > lim.Max {
		logf("warning: %d open files at most; %d idle chats will not all fit", lim.Max, chats)
	}
	return nil
}

func (r row) ratio() (low, high *float64) {
	if r.Ref == nil || *r.Ref == 0 || r.Text != "" {
		return nil, nil
	}
	low = new(r.Value / *r.Ref)
	if r.RefHigh != nil && *r.RefHigh != 0 {
		// The larger reference gives the smaller ratio.
		high, low = low, new(r.Value / *r.RefHigh)
	}
	return low, high
}

// printTable writes the rows as a Markdown table, a section heading row
// before each suite's rows, so it reads in a terminal and in the README.
func printTable(w io.Writer, rows []row) {
	fmt.Fprintln(w, "| figure | value | reference | ratio |")
	fmt.Fprintln(w, "|---|---|---|---|")
	section := ""
	for _, r := range rows {
		if r.Section != section {
			section = r.Section
			fmt.Fprintf(w, "| **%s** | | | |\n", section)
		}
		value := r.Text
		if value == "" {
			value = format(r.Value, r.Unit)
		}
		ref := r.RefLabel
		if r.Ref != nil {
			v := format(*r.Ref, r.Unit)
			if r.RefHigh != nil {
				// Both ends in the unit of the higher one: "3–10 KB".
				n, unit := scale(*r.Ref, unitOf(*r.RefHigh, r.Unit))
				hi, _ := scale(*r.RefHigh, unitOf(*r.RefHigh, r.Unit))
				v = n + "–" + hi + " " + unit
			}
			ref = v + ": " + r.RefLabel
		}
		if ref == "" {
			ref = "—"
		}
		ratio := "—"
		if low, high := r.ratio(); low != nil {
			ratio = formatRatio(*low)
			if high != nil {
				ratio += "–" + formatRatio(*high)
			}
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", r.Figure, value, ref, ratio)
	}
}

func formatRatio(x float64) string {
	switch {
	case x >= 100:
		return fmt.Sprintf("%.0f", x)
	case x >= 10:
		return fmt.Sprintf("%.1f", x)
	case x >= 0.1:
		return fmt.Sprintf("%.2f", x)
	default:
		return fmt.Sprintf("%.2g", x)
	}
}

// unitOf is the unit format writes v in: bytes in decimal KB and MB, as
// the published figures are.
func unitOf(v float64, unit string) string {
	if unit != "B" {
		return unit
	}
	switch {
	case math.Abs(v) >= 1e6:
		return "MB"
	case math.Abs(v) >= 1e4:
		return "KB"
	}
	return "B"
}

// scale writes v, given in the base unit, as a number of unit.
func scale(v float64, unit string) (string, string) {
	switch unit {
	case "MB":
		return fmt.Sprintf("%.2f", v/1e6), unit
	case "KB":
		return fmt.Sprintf("%.1f", v/1e3), unit
	case "ms":
		if v < 10 {
			return fmt.Sprintf("%.2f", v), unit
		}
	case "s":
		return fmt.Sprintf("%.1f", v), unit
	}
	return fmt.Sprintf("%.0f", v), unit
}

func format(v float64, unit string) string {
	n, u := scale(v, unitOf(v, unit))
	return strings.TrimSpace(n + " " + u)
}

// jsonRow is a row as results.json has it.
type jsonRow struct {
	Section        string   `json:"section"`
	Figure         string   `json:"figure"`
	Value          *float64 `json:"value,omitempty"`
	Unit           string   `json:"unit,omitempty"`
	Text           string   `json:"text,omitempty"`
	Reference      *float64 `json:"reference,omitempty"`
	ReferenceHigh  *float64 `json:"reference_high,omitempty"`
	ReferenceLabel string   `json:"reference_label,omitempty"`
	Ratio          *float64 `json:"ratio,omitempty"`
	RatioHigh      *float64 `json:"ratio_high,omitempty"`
}

func jsonRows(rows []row) []jsonRow {
	out := make([]jsonRow, 0, len(rows))
	for _, r := range rows {
		j := jsonRow{Section: r.Section, Figure: r.Figure, Unit: r.Unit, Text: r.Text,
			Reference: r.Ref, ReferenceHigh: r.RefHigh, ReferenceLabel: r.RefLabel}
		if r.Text == "" {
			j.Value = new(r.Value)
		}
		j.Ratio, j.RatioHigh = r.ratio()
		out = append(out, j)
	}
	return out
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n == 0 {
		return math.NaN()
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, time.Now().Format("15:04:05 ")+format+"\n", args...)
}
