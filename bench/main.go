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
