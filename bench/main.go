// Command bench measures Parley and sets each figure beside a reference
// measured in the same run (or a published one, so labelled): the size of
// the widget next to the smallest go-app program; the browser's timings and
// bytes, on loopback and through a throttling proxy at mobile profiles; the
// server's delivery, throughput, uploads and idle chats on SQLite and on
// PostgreSQL (one process and two sharing a database) next to bare
// coder/websocket, net/http and the databases alone; and the typing events
// of a keystroke burst. It prints one table, then a scaling table (how idle
// chats, busy chats and long histories cost as they grow), and writes both
// as JSON.
//
//	go run ./bench -parley /path/to/parley [-web web] [-out bench/results.json]
//	    [-runs 5] [-repeat 1] [-idle 1000,5000,10000] [-hold 35s] [-busy 1,10,50,200]
//	    [-history 100,1000,5000] [-skip size,browser,server,postgres,throttled,typing]
//
// With -repeat N every chosen suite runs N times and each figure is the
// median of the runs, followed by their range, so that noise can be told
// from a change.
//
// ./build.sh bench builds the widget and the server first and runs it.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"maps"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// config is what the flags say.
type config struct {
	web, out, parley string
	runs, repeat     int
	// hold is how long the idle chats are held at each size.
	hold time.Duration
	// idle, busy and history are the sizes of the scaling table: idle chats
	// held at once, chats sending at once, messages in a history.
	idle, busy, history []int
	skip                map[string]bool
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
	{"postgres", 15 * time.Minute, postgresSuite},
	{"throttled", 20 * time.Minute, throttledSuite},
	{"typing", 5 * time.Minute, typingSuite},
	{"upstream", 10 * time.Minute, upstreamSuite},
}

func main() {
	if mode := os.Getenv(helperEnv); mode != "" {
		if err := serveHelper(mode); err != nil {
			fmt.Fprintf(os.Stderr, "bench %s: %v\n", mode, err)
			os.Exit(1)
		}
		return
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// took is how long one run of a suite took, and how it failed.
type took struct {
	Suite   string  `json:"suite"`
	Run     int     `json:"run"`
	Seconds float64 `json:"seconds"`
	Error   string  `json:"error,omitempty"`
}

func run() error {
	cfg, err := parseFlags()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// Before any subprocess starts, which inherits the limit: the server
	// holds a descriptor per idle chat, and so does this process.
	if err := raiseFileLimit(slices.Max(cfg.idle)); err != nil {
		return err
	}
	if cfg.parley == "" && slices.ContainsFunc(suites, func(s suite) bool { return s.name != "size" && !cfg.skip[s.name] }) {
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

	var runs [][]row
	var times []took
	failed := map[string]bool{}
measuring:
	for n := 1; n <= cfg.repeat; n++ {
		var rows []row
		for _, s := range suites {
			if cfg.skip[s.name] {
				continue
			}
			logf("== %s%s", s.name, ofRepeat(n, cfg.repeat))
			start := time.Now()
			suiteCtx, cancel := context.WithTimeout(ctx, s.timeout)
			got, err := s.run(suiteCtx, cfg)
			cancel()
			t := took{Suite: s.name, Run: n, Seconds: time.Since(start).Seconds()}
			for _, r := range got {
				r.Section = s.name
				rows = append(rows, r)
			}
			if err != nil {
				t.Error = err.Error()
				failed[s.name] = true
				logf("== %s failed after %.0f s: %v", s.name, t.Seconds, err)
			} else {
				logf("== %s took %.0f s", s.name, t.Seconds)
			}
			times = append(times, t)
			if ctx.Err() != nil {
				runs = append(runs, rows)
				break measuring
			}
		}
		runs = append(runs, rows)
	}
	rows := merge(runs)

	printTable(os.Stdout, rows)
	fmt.Println()
	printScaling(os.Stdout, rows)
	fmt.Println()
	for _, t := range times {
		status := ""
		if t.Error != "" {
			status = " (failed: " + t.Error + ")"
		}
		fmt.Printf("suite %-9s %6.1f s%s%s\n", t.Suite, t.Seconds, ofRepeat(t.Run, cfg.repeat), status)
	}
	out := struct {
		Date    time.Time `json:"date"`
		Repeat  int       `json:"repeat"`
		Rows    []jsonRow `json:"rows"`
		Scaling []growth  `json:"scaling"`
		Suites  []took    `json:"suites"`
	}{time.Now().UTC(), cfg.repeat, jsonRows(rows), growths(rows), times}
	data, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(cfg.out, append(data, '\n'), 0o644); err != nil {
		return err
	}
	logf("wrote %s", cfg.out)
	if len(failed) > 0 {
		return fmt.Errorf("suites failed: %s", strings.Join(slices.Sorted(maps.Keys(failed)), ", "))
	}
	return ctx.Err()
}

// ofRepeat names run n of a repeated measurement, and nothing when there
// is one run.
func ofRepeat(n, of int) string {
	if of == 1 {
		return ""
	}
	return fmt.Sprintf(" (run %d of %d)", n, of)
}

func parseFlags() (config, error) {
	cfg := config{skip: map[string]bool{}}
	var skip, idle, busy, history string
	flag.StringVar(&cfg.web, "web", "web", "directory of the browser files, with the built app.wasm")
	flag.StringVar(&cfg.out, "out", "bench/results.json", "where to write the rows as JSON")
	flag.StringVar(&cfg.parley, "parley", "", "the parley program to measure; empty builds ./app/parley")
	flag.IntVar(&cfg.runs, "runs", 5, "runs of each browser timing, of which the median counts")
	flag.IntVar(&cfg.repeat, "repeat", 1, "runs of every chosen suite; each figure is then their median, with their range")
	flag.StringVar(&idle, "idle", "1000,5000,10000", "idle chats held at once, in steps; the server table's idle figures are at the largest")
	flag.DurationVar(&cfg.hold, "hold", 35*time.Second, "how long idle chats are held at each size before the memory is read: past the server's ping (30 s)")
	flag.StringVar(&busy, "busy", "1,10,50,200", "chats sending at once, one size at a time")
	flag.StringVar(&history, "history", "100,1000,5000", "messages in a history the window replays, one size at a time")
	flag.StringVar(&skip, "skip", "", "comma-separated suites to leave out: "+strings.Join(suiteNames(), ", "))
	flag.Parse()
	for name := range strings.SplitSeq(skip, ",") {
		if name = strings.TrimSpace(name); name != "" {
			if !slices.Contains(suiteNames(), name) {
				return cfg, fmt.Errorf("-skip: no suite %q", name)
			}
			cfg.skip[name] = true
		}
	}
	if cfg.runs < 1 || cfg.repeat < 1 {
		return cfg, errors.New("-runs and -repeat must be at least 1")
	}
	if cfg.hold < 0 {
		return cfg, errors.New("-hold must not be negative")
	}
	var err error
	for _, list := range []struct {
		name, text string
		sizes      *[]int
	}{{"idle", idle, &cfg.idle}, {"busy", busy, &cfg.busy}, {"history", history, &cfg.history}} {
		if *list.sizes, err = parseSizes(list.text); err != nil {
			return cfg, fmt.Errorf("-%s: %w", list.name, err)
		}
	}
	// Minutes of measuring must not end in a path that cannot be written.
	if info, err := os.Stat(filepath.Dir(cfg.out)); err != nil || !info.IsDir() {
		return cfg, fmt.Errorf("-out %s: its directory does not exist", cfg.out)
	}
	return cfg, nil
}

func suiteNames() []string {
	names := make([]string, len(suites))
	for i, s := range suites {
		names[i] = s.name
	}
	return names
}

// parseSizes reads "1000,5000,10000": positive, sorted and without repeats.
func parseSizes(list string) ([]int, error) {
	var sizes []int
	for item := range strings.SplitSeq(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(item))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a positive whole number", item)
		}
		sizes = append(sizes, n)
	}
	slices.Sort(sizes)
	return slices.Compact(sizes), nil
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
