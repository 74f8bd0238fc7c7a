//go:build !js

package main_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parleychat/parley/app/parleytest"
	"github.com/parleychat/parley/app/scenario"
)

// TestSoakReturnsToBaseline is issue 15's soak: rounds of 10 chats, each a
// visitor on the widget's Session and an agent on the agent API writing 20
// messages each way, through a network that cuts, tears, stalls and loses
// answers at random, to a server in this process, until the soak's time is
// up (20 s; PARLEY_LONG=1: rounds of 20 chats for 5 minutes). The server
// runs under the race detector in ./build.sh test, many times slower than
// the program: 10 chats keep it from drowning in the clients' retries on a
// busy machine. Every round loses, duplicates and
// reorders nothing. Once the last round's clients are gone, the process's
// goroutines, open files and Go heap come back to what they were after a
// first round: see the tolerances below.
func TestSoakReturnsToBaseline(t *testing.T) {
	soak, chats := 20*time.Second, 10
	if parleytest.Long() {
		soak, chats = 5*time.Minute, 20
	}
	ctx, cancel := context.WithTimeout(context.Background(), soak+3*time.Minute)
	defer cancel()
	contact := scenario.Default()
	contact.IdleWarning, contact.IdleTimeout = 0, 0
	srv := parleytest.Start(t, parleytest.Contact(contact))
	network := parleytest.StartNetwork(t, strings.TrimPrefix(srv.URL, "http://"))
	seed := parleytest.Seed(t)

	rounds, messages := 0, 0
	round := func() {
		t.Helper()
		roundCtx, stop := context.WithCancel(ctx)
		defer stop()
		chaos := network.Chaos(parleytest.FaultChaos(seed + uint64(rounds)))
		traffic := parleytest.StartTraffic(roundCtx, parleytest.TrafficConfig{
			URL: network.URL(), Chats: chats, Messages: 20, Every: 100 * time.Millisecond,
			Open: func(ctx context.Context, i int) (parleytest.VisitorSide, error) {
				return openSession(ctx, network.URL())
			},
		})
		sent := traffic.WaitSent(roundCtx, traffic.Total())
		t.Logf("round %d: %v", rounds, chaos.Stop())
		report := traffic.Finish(roundCtx, srv.URL)
		if sent != nil {
			t.Fatalf("round %d stopped at %d of %d messages (%v): %v; %q", rounds, traffic.Sent(), traffic.Total(), sent, report, report.Troubles)
		}
		if !report.Clean() {
			for _, trouble := range report.Troubles {
				t.Error(trouble)
			}
			t.Fatalf("round %d: messages went wrong: %v", rounds, report)
		}
		rounds++
		messages += traffic.Total()
	}

	round()
	baseline := settle(t, usage{})
	t.Logf("baseline after a first round: %v", baseline)
	warmup := messages
	began := time.Now()
	for time.Since(began) < soak {
		round()
	}
	took := time.Since(began)
	end := settle(t, baseline)
	t.Logf("after %d rounds, %d messages in %v: %v", rounds-1, messages-warmup, took.Round(time.Second), end)
	if !end.within(baseline) {
		t.Errorf("the soak left more than it found: %v, baseline %v", end, baseline)
	}
}

// usage is what the process holds.
type usage struct {
	// Goroutines and Files (open file descriptors but the store's) are
	// counted, and StoreFiles the descriptors of the store's database
	// files; Heap is the Go heap in use after a collection, RSS the
	// resident set, in bytes.
	Goroutines, Files, StoreFiles int
	Heap, RSS                     uint64
}

func (u usage) String() string {
	return fmt.Sprintf("%d goroutines, %d open files and %d of the store's, %.1f MiB heap, %.1f MiB RSS",
		u.Goroutines, u.Files, u.StoreFiles, float64(u.Heap)/(1<<20), float64(u.RSS)/(1<<20))
}

// The tolerances. Goroutines and open files must come back exactly: every
// client is gone, and a server holds none for a chat without connections.
// The store's database files are the exception, bounded apart: each of
// its reading connections holds the database and its WAL open, the pool
// opens as many as reads run at once, and SQLite keeps a closed
// connection's descriptors for the next one while another holds a lock on
// the file (its unixInodeInfo's unused list). They follow the peak of
// simultaneous reads, not the number of chats: storeFiles bounds them,
// about twice what 20 chats' peak reached in our runs under the race
// detector on a busy machine (112).
// The heap may keep 4 MiB more: the store's chats and events stay (rows in
// SQLite, whose page cache lives outside the Go heap), and sync.Pools,
// the HTTP server's buffers and the runtime's own structures are sized by
// the busiest moment, not the number of chats. A leak of 10 KiB per chat
// exceeds it in PARLEY_LONG's 5 minutes (about 650 chats; the heap grew
// 3.1 MiB there in our run); the 20 s run, 10 to 50 chats, catches only
// leaks of hundreds of KiB per chat, and those of goroutines and files. RSS is reported only: the Go runtime gives memory back to the
// system lazily, and the race detector's shadow memory follows the
// addresses used, not the live data.
const (
	heapTolerance = 4 << 20
	storeFiles    = 256
)

func (u usage) within(baseline usage) bool {
	return u.Goroutines <= baseline.Goroutines && u.Files <= baseline.Files && u.StoreFiles <= storeFiles && u.Heap <= baseline.Heap+heapTolerance
}

// settle waits until the round's clients and connections are gone, up to
// 30 s: until the process's usage is within the baseline, or at the first
// measure when there is none yet, and returns the last measure.
func settle(t *testing.T, baseline usage) usage {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		http.DefaultClient.CloseIdleConnections()
		runtime.GC()
		debug.FreeOSMemory()
		u := measure(t)
		if baseline == (usage{}) || u.within(baseline) || time.Now().After(deadline) {
			return u
		}
		// Closed connections and ended goroutines are noticed within
		// the network's and the server's own timeouts.
		<-time.After(100 * time.Millisecond)
	}
}

func measure(t *testing.T) usage {
	t.Helper()
	var mem runtime.MemStats
	runtime.ReadMemStats(&mem)
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatalf("counting open files: %v", err)
	}
	files, storeFiles := 0, 0
	for _, fd := range fds {
		// A descriptor closed since ReadDir has no target: not counted.
		switch target, err := os.Readlink("/proc/self/fd/" + fd.Name()); {
		case err != nil:
		case strings.HasPrefix(filepath.Base(target), "parley.db"):
			storeFiles++
		default:
			files++
		}
	}
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatalf("reading the resident set: %v", err)
	}
	var rss uint64
	for line := range strings.Lines(string(status)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kib, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			rss = kib << 10
		}
	}
	return usage{Goroutines: runtime.NumGoroutine(), Files: files, StoreFiles: storeFiles, Heap: mem.HeapInuse, RSS: rss}
}
