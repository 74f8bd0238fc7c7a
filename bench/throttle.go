package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// profile is a mobile network as the throttling proxy emulates it.
type profile struct {
	name string
	// down and up are the bottleneck's bits per second toward the browser
	// and toward the server; rtt the round trip the path adds.
	down, up float64
	rtt      time.Duration
}

// The profiles of issue 17: "4G" as the down rate and round trip of
// Chrome's "Fast 4G" preset, and "Fast 3G" as Chrome's and Lighthouse's
// mobile preset (1.6 Mbit/s down, 750 kbit/s up, 150 ms).
var profiles = []profile{
	{name: "4G", down: 9e6, up: 1.5e6, rtt: 70 * time.Millisecond},
	{name: "Fast 3G", down: 1.6e6, up: 750e3, rtt: 150 * time.Millisecond},
}

func (p profile) String() string {
	return fmt.Sprintf("%s: %.3g Mbit/s down, %.3g Mbit/s up, %d ms round trips", p.name, p.down/1e6, p.up/1e6, p.rtt.Milliseconds())
}

// segment is how many bytes the link carries at a time, a TCP segment's
// payload on Ethernet: a response arrives as a stream of them, not at once.
const segment = 1460

// link is one direction of the emulated path: a bottleneck that sends one
// segment after the other at its rate, shared by every connection, as a
// phone's radio link is, and a fixed delay of half a round trip after it.
// It leaves out TCP's slow start and losses.
type link struct {
	bitsPerSecond float64
	delay         time.Duration
	// now reads the clock; tests replace it.
	now func() time.Time

	mu sync.Mutex
	// free is when the bottleneck has sent everything given to it so far.
	free time.Time
}

func newLink(bitsPerSecond float64, delay time.Duration) *link {
	return &link{bitsPerSecond: bitsPerSecond, delay: delay, now: time.Now}
}

// send queues n bytes, not sent before notBefore, and returns when they
// have arrived at the far end.
func (l *link) send(n int, notBefore time.Time) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	start := l.now()
	if l.free.After(start) {
		start = l.free
	}
	if notBefore.After(start) {
		start = notBefore
	}
	l.free = start.Add(time.Duration(float64(n*8) / l.bitsPerSecond * float64(time.Second)))
	return l.free.Add(l.delay)
}

// throttle is a TCP proxy in front of a server that carries every
// connection over one emulated path of a profile: connections share its
// bandwidth each way, every byte takes half a round trip each way, and a
// new connection first pays a round trip for its handshake. Being below
// HTTP, it is transparent: the browser sees the proxy's address as the
// server's origin, and WebSockets pass through it as they are.
type throttle struct {
	ln       net.Listener
	target   string
	down, up *link
	rtt      time.Duration
	wg       sync.WaitGroup

	mu    sync.Mutex
	conns map[net.Conn]bool
}

// startThrottle listens on a free loopback port and forwards what it
// accepts to target (host:port) through the profile's path.
func startThrottle(target string, p profile) (*throttle, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	t := &throttle{
		ln: ln, target: target, rtt: p.rtt,
		down: newLink(p.down, p.rtt/2), up: newLink(p.up, p.rtt/2),
		conns: map[net.Conn]bool{},
	}
	t.wg.Go(t.accept)
	return t, nil
}

// URL is the proxy's address as the browser reaches it.
func (t *throttle) URL() string { return "http://" + t.ln.Addr().String() }

// close stops accepting, cuts every connection and waits for them.
func (t *throttle) close() {
	t.ln.Close()
	t.mu.Lock()
	for c := range t.conns {
		c.Close()
	}
	t.mu.Unlock()
	t.wg.Wait()
}

func (t *throttle) track(conns ...net.Conn) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.conns == nil {
		return false
	}
	for _, c := range conns {
		t.conns[c] = true
	}
	return true
}

func (t *throttle) forget(conns ...net.Conn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, c := range conns {
		delete(t.conns, c)
	}
}

func (t *throttle) accept() {
	for {
		client, err := t.ln.Accept()
		if err != nil {
			t.mu.Lock()
			t.conns = nil // closed: what was tracked is being closed
			t.mu.Unlock()
			return
		}
		// The handshake's round trip: the client's first bytes leave
		// only after it.
		established := time.Now().Add(t.rtt)
		server, err := net.Dial("tcp", t.target)
		if err != nil {
			client.Close()
			continue
		}
		if !t.track(client, server) {
			client.Close()
			server.Close()
			return
		}
		var both sync.WaitGroup
		both.Go(func() { pipe(client, server, t.up, established) })
		both.Go(func() { pipe(server, client, t.down, time.Time{}) })
		t.wg.Go(func() {
			both.Wait()
			client.Close()
			server.Close()
			t.forget(client, server)
		})
	}
}

// timed is a piece of the stream and when it reaches the far end; no data
// is the end of the stream.
type timed struct {
	data []byte
	due  time.Time
}

// pipe carries src's bytes to dst over l, in segments, each written when
// the link says it arrives. The reader runs ahead by a bounded queue, as a
// socket buffer does. At the end of src it ends dst's writing half; on an
// error it closes both, which ends the other direction too.
func pipe(src, dst net.Conn, l *link, notBefore time.Time) {
	queue := make(chan timed, 256)
	go func() {
		defer close(queue)
		buf := make([]byte, 32<<10)
		for {
			n, err := src.Read(buf)
			for off := 0; off < n; off += segment {
				piece := append([]byte(nil), buf[off:min(off+segment, n)]...)
				queue <- timed{piece, l.send(len(piece), notBefore)}
			}
			if err != nil {
				if errors.Is(err, io.EOF) {
					queue <- timed{nil, l.send(0, notBefore)}
				} else {
					dst.Close()
				}
				return
			}
		}
	}()
	for piece := range queue {
		if wait := time.Until(piece.due); wait > 0 {
			time.Sleep(wait)
		}
		if piece.data == nil {
			if tcp, ok := dst.(*net.TCPConn); ok {
				_ = tcp.CloseWrite()
			}
			continue
		}
		if _, err := dst.Write(piece.data); err != nil {
			src.Close()
			dst.Close()
			for range queue {
			}
			return
		}
	}
}
