package parleytest

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// ChaosConfig is how a [Network] fails under [Network.Chaos].
type ChaosConfig struct {
	// Seed decides every choice: which fault, when, on which connection,
	// where in its bytes, which answers are lost. Print it, so that a
	// failure can be run again with the same plan.
	Seed uint64
	// Every is the mean time between two faults (exponentially
	// distributed, as independent failures are).
	Every time.Duration
	// LoseAnswers is the share of requests, from 0 to 1, whose answers the
	// network loses after the server wrote them (see
	// [Network.LoseAnswers]); WebSocket upgrades are left alone.
	LoseAnswers float64
	// Stall is the longest a connection stays silent both ways before it
	// is cut, and Outage the longest the network refuses every connection.
	Stall, Outage time.Duration
}

// ChaosReport counts what a [Chaos] did.
type ChaosReport struct {
	Seed uint64
	// Connections is how many connections the network forwarded, and Hit
	// how many of them a fault cut, tore, stalled or lost an answer on.
	Connections, Hit int
	// Cuts closed a connection at once; Tears closed one partway through
	// what it was passing on, either way; Stalls made one silent both
	// ways, then cut it; Outages cut every connection and refused new
	// ones for a while; LostAnswers were read from the server to their
	// end and never passed on.
	Cuts, Tears, Stalls, Outages, LostAnswers int
}

// Faults is the number of faults injected, outages counted once.
func (r ChaosReport) Faults() int { return r.Cuts + r.Tears + r.Stalls + r.Outages + r.LostAnswers }

func (r ChaosReport) String() string {
	return fmt.Sprintf("seed %d: %d faults on %d of %d connections (%d cut, %d torn, %d stalled, %d answers lost, %d outages)",
		r.Seed, r.Faults(), r.Hit, r.Connections, r.Cuts, r.Tears, r.Stalls, r.LostAnswers, r.Outages)
}

// Chaos is a network failing at random moments; see [Network.Chaos].
type Chaos struct {
	n    *Network
	cfg  ChaosConfig
	stop chan struct{}
	done chan struct{}

	// before is what the network had counted when the chaos began.
	before ChaosReport

	mu     sync.Mutex
	rng    *rand.Rand
	report ChaosReport
}

// Chaos makes the network fail at random moments until Stop: it cuts a
// connection, tears one partway through what it passes on (a frame, a
// request, an answer), stalls one (silent both ways, then cut), or takes
// the whole network down for a moment (every connection cut, new ones
// refused); and it loses a share of the answers. The seed decides the
// plan: which faults, how long apart, on which of the connections open
// then (by their order), where in the bytes. The same seed replays the
// same plan; the traffic it meets depends on the machine's timing.
func (n *Network) Chaos(cfg ChaosConfig) *Chaos {
	c := &Chaos{
		n: n, cfg: cfg, stop: make(chan struct{}), done: make(chan struct{}),
		rng:    rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		report: ChaosReport{Seed: cfg.Seed},
		before: n.counts(),
	}
	n.LoseAnswers(c.loseAnswer)
	go c.run()
	return c
}

// Stop ends the chaos, leaves the network working and reports what it did.
func (c *Chaos) Stop() ChaosReport {
	close(c.stop)
	<-c.done
	c.n.LoseAnswers(nil)
	c.n.Block(false)
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.report
	now := c.n.counts()
	r.Connections = now.Connections - c.before.Connections
	r.LostAnswers = now.LostAnswers - c.before.LostAnswers
	r.Hit = now.Hit - c.before.Hit
	return r
}

// counts is what the network counted so far: connections forwarded, hit by
// a fault, answers lost.
func (n *Network) counts() ChaosReport {
	return ChaosReport{Connections: n.Connections(), Hit: int(n.faulted.Load()), LostAnswers: n.LostAnswers()}
}

// loseAnswer picks the requests whose answers are lost. The network calls
// it for each request, holding its lock.
func (c *Chaos) loseAnswer(request string) bool {
	if strings.Contains(request, "/socket?") {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rng.Float64() < c.cfg.LoseAnswers
}

func (c *Chaos) run() {
	defer close(c.done)
	for {
		c.mu.Lock()
		wait := time.Duration(c.rng.ExpFloat64() * float64(c.cfg.Every))
		c.mu.Unlock()
		select {
		case <-c.stop:
			return
		case <-time.After(wait):
		}
		c.strike()
	}
}

// strike injects one fault.
func (c *Chaos) strike() {
	c.mu.Lock()
	kind := c.rng.IntN(20)
	pick := c.rng.Uint64()
	permille := 1 + c.rng.Int32N(1000)
	stall := time.Duration(c.rng.Int64N(int64(c.cfg.Stall) + 1))
	outage := time.Duration(c.rng.Int64N(int64(c.cfg.Outage) + 1))
	c.mu.Unlock()

	if kind == 0 {
		c.n.Block(true)
		c.n.mu.Lock()
		for _, l := range c.n.links {
			c.n.fault(l)
		}
		c.n.mu.Unlock()
		c.n.Cut()
		c.count(func(r *ChaosReport) { r.Outages++ })
		select {
		case <-c.stop:
		case <-time.After(outage):
		}
		c.n.Block(false)
		return
	}
	c.n.mu.Lock()
	if len(c.n.links) == 0 {
		c.n.mu.Unlock()
		return
	}
	l := c.n.links[pick%uint64(len(c.n.links))]
	c.n.mu.Unlock()
	c.n.fault(l)
	switch {
	case kind <= 6:
		l.close()
		c.count(func(r *ChaosReport) { r.Cuts++ })
	case kind <= 13:
		l.tear.Store(permille)
		c.count(func(r *ChaosReport) { r.Tears++ })
	default:
		l.dropUp.Store(true)
		l.dropDown.Store(true)
		c.count(func(r *ChaosReport) { r.Stalls++ })
		time.AfterFunc(stall, l.close)
	}
}

func (c *Chaos) count(f func(*ChaosReport)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f(&c.report)
}

// FaultChaos is the chaos of the fault runs: a fault every 100 ms on
// average, 3 % of answers lost, stalls of up to a second, outages of up to
// 300 ms.
func FaultChaos(seed uint64) ChaosConfig {
	return ChaosConfig{Seed: seed, Every: 100 * time.Millisecond, LoseAnswers: 0.03, Stall: time.Second, Outage: 300 * time.Millisecond}
}

// Seed is the seed of a test's random faults: $PARLEY_SEED when it is set,
// so that a failure can be run again with the same plan, or else a new
// one. The test's log says which.
func Seed(tb testing.TB) uint64 {
	tb.Helper()
	if s := os.Getenv("PARLEY_SEED"); s != "" {
		seed, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			tb.Fatalf("PARLEY_SEED=%q is not a number", s)
		}
		tb.Logf("seed %d, from PARLEY_SEED", seed)
		return seed
	}
	seed := rand.Uint64()
	tb.Logf("seed %d (PARLEY_SEED=%d runs the same faults again)", seed, seed)
	return seed
}

// Long reports whether $PARLEY_LONG asks for the long variants of the
// fault and soak tests, whose figures the README gives: ./build.sh test
// runs the short ones, within CI's time.
func Long() bool { return os.Getenv("PARLEY_LONG") != "" }
