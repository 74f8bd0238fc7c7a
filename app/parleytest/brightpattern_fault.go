package parleytest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/parleychat/parley/protocol"
)

// FaultKind is what goes wrong in a [Fault].
type FaultKind int

// The faults a fake Bright Pattern server can commit.
const (
	// FaultStatus answers Fault.Status (a 5xx, say) with a plain-text body,
	// as a proxy in front of the tenant would, and does nothing else.
	FaultStatus FaultKind = iota + 1
	// FaultError answers the error envelope of Fault.Code with the code's
	// status (400 for 5509 on API v1), and does nothing else: 5005 ends a
	// chat for its client, 5509 says a poll is already waiting, 2000 to 2004
	// and 3000 refuse the credentials.
	FaultError
	// FaultEmptyBody answers 200 with an empty body. A poll answers so at
	// once and takes no events; another method does its work and its answer
	// is lost.
	FaultEmptyBody
	// FaultDrop does the request's work, then drops the connection half-way
	// through the answer (before it, when the answer is shorter than two
	// bytes). A poll's events do not count as delivered: the next poll
	// brings them again.
	FaultDrop
	// FaultDuplicate repeats the last event of a poll's answer in the next
	// poll's answer. It waits for a poll that has events to deliver.
	FaultDuplicate
	// FaultSwapTypes writes a JSON answer's numbers as strings and its
	// strings of decimal digits as numbers: "ewt":"30" becomes "ewt":30, a
	// numeric msg_id 7 becomes "7", "error_code":"5005" becomes 5005.
	FaultSwapTypes
)

var faultNames = map[FaultKind]string{
	FaultStatus: "status", FaultError: "error", FaultEmptyBody: "empty body", FaultDrop: "drop",
	FaultDuplicate: "duplicate", FaultSwapTypes: "swap types",
}

func (k FaultKind) String() string {
	if name, ok := faultNames[k]; ok {
		return name
	}
	return "FaultKind(" + strconv.Itoa(int(k)) + ")"
}

// Fault makes a fake Bright Pattern server answer some requests wrongly.
// Method and ChatID choose the requests; Delay holds each before anything
// else happens (a client that gives up meanwhile leaves it undone); Kind
// says what goes wrong then. A Fault with only a Delay answers late but
// right.
type Fault struct {
	// Method limits the fault to one API method; "" means every method.
	Method APIMethod
	// ChatID limits the fault to the requests of one chat; "" means every
	// request.
	ChatID string
	// Times is how many requests the fault spoils; 0 means every one until
	// [BrightPattern.Behave].
	Times int
	// Delay is how long each request waits before the fake handles it.
	Delay time.Duration
	// Kind is what goes wrong; zero for nothing but the delay.
	Kind FaultKind
	// Status is FaultStatus's HTTP status, 400 to 599.
	Status int
	// Code is FaultError's error code.
	Code protocol.Code
}

// activeFault is a fault and how many more requests it spoils (-1: all).
type activeFault struct {
	Fault
	left int
}

// Misbehave adds a fault. Faults apply in the order they were added, every
// one that matches a request; each counts the requests it spoiled.
func (bp *BrightPattern) Misbehave(f Fault) {
	var problem string
	switch {
	case f.Kind == 0 && f.Delay <= 0:
		problem = "it has neither a kind nor a delay"
	case f.Kind == FaultStatus && (f.Status < 400 || f.Status > 599):
		problem = "FaultStatus needs a Status from 400 to 599"
	case f.Kind == FaultError && f.Code == "":
		problem = "FaultError needs a Code"
	case f.Kind == FaultDuplicate && f.Method != "" && f.Method != MethodGetNewChatEvents:
		problem = "FaultDuplicate applies only to Get New Chat Events"
	case f.Kind < 0 || f.Kind > FaultSwapTypes:
		problem = "its kind is unknown"
	}
	if problem != "" {
		bp.tb.Errorf("fake Bright Pattern: fault %+v: %s", f, problem)
		return
	}
	left := f.Times
	if left == 0 {
		left = -1
	}
	bp.mu.Lock()
	defer bp.mu.Unlock()
	bp.faults = append(bp.faults, &activeFault{Fault: f, left: left})
}

// Behave removes every fault.
func (bp *BrightPattern) Behave() {
	bp.mu.Lock()
	defer bp.mu.Unlock()
	bp.faults = nil
}

// Disappear takes the tenant off the network, as a server that went down:
// connections are refused, and the open ones (held polls too) are cut. The
// chats and their events stay for Reappear.
func (bp *BrightPattern) Disappear() {
	bp.ln.down()
	bp.srv.CloseClientConnections()
	bp.mu.Lock()
	bp.touch()
	bp.mu.Unlock()
}

// Reappear takes connections again, at the same address.
func (bp *BrightPattern) Reappear() error {
	err := bp.ln.up()
	bp.mu.Lock()
	bp.touch()
	bp.mu.Unlock()
	return err
}

// Gone reports whether the tenant is off the network now, between
// Disappear and Reappear.
func (bp *BrightPattern) Gone() bool { return bp.ln.isDown() }

// DisappearFor is Disappear, then Reappear once d has passed: minutes of an
// outage, compressed for a test.
func (bp *BrightPattern) DisappearFor(d time.Duration) {
	bp.Disappear()
	time.AfterFunc(d, func() {
		select {
		case <-bp.quit:
		default:
			if err := bp.Reappear(); err != nil {
				bp.tb.Errorf("%v", err)
			}
		}
	})
}

func (f Fault) matches(rec *BrightPatternRequest) bool {
	return (f.Method == "" || f.Method == rec.API) && (f.ChatID == "" || f.ChatID == rec.ChatID)
}

// use counts one spoiled request, and forgets the fault when it is spent.
// The caller holds mu.
func (bp *BrightPattern) use(af *activeFault) {
	if af.left > 0 {
		af.left--
	}
	if af.left == 0 {
		for i, other := range bp.faults {
			if other == af {
				bp.faults = append(bp.faults[:i], bp.faults[i+1:]...)
				break
			}
		}
	}
}

// takeFaults returns the faults that spoil a request as it arrives: all that
// match it but FaultDuplicate, which a poll takes when it has events. The
// caller holds mu.
func (bp *BrightPattern) takeFaults(rec *BrightPatternRequest) []Fault {
	var taken []Fault
	for _, af := range append([]*activeFault(nil), bp.faults...) {
		if af.Kind != FaultDuplicate && af.matches(rec) {
			taken = append(taken, af.Fault)
			bp.use(af)
		}
	}
	rec.Faults = append(rec.Faults, taken...)
	return taken
}

// takeDuplicate returns a FaultDuplicate that matches the poll, if one does.
// The caller holds mu.
func (bp *BrightPattern) takeDuplicate(rec *BrightPatternRequest) (Fault, bool) {
	for _, af := range bp.faults {
		if af.Kind == FaultDuplicate && af.matches(rec) {
			bp.use(af)
			return af.Fault, true
		}
	}
	return Fault{}, false
}

// misbehaveBefore applies the faults that come before the request is
// handled: it waits out their delays, then answers for a fault that leaves
// the request undone. It reports whether the request should go on.
func (bp *BrightPattern) misbehaveBefore(w http.ResponseWriter, r *http.Request, c *call) bool {
	var delay time.Duration
	for _, f := range c.faults {
		delay += f.Delay
	}
	if delay > 0 {
		timer := time.NewTimer(delay)
		defer timer.Stop()
		select {
		case <-timer.C:
		case <-r.Context().Done():
			return false
		case <-bp.quit:
			return false
		}
	}
	for _, f := range c.faults {
		switch {
		case f.Kind == FaultStatus:
			body := fmt.Appendf(nil, "%d %s\n", f.Status, http.StatusText(f.Status))
			bp.reply(w, c, f.Status, "text/plain; charset=utf-8", body)
			return false
		case f.Kind == FaultError:
			bp.fail(w, c, f.Code, "the fake Bright Pattern server was told to fail with %s", f.Code)
			return false
		case f.Kind == FaultEmptyBody && c.rec.API == MethodGetNewChatEvents:
			bp.reply(w, c, http.StatusOK, "application/json", nil)
			return false
		}
	}
	return true
}

// decimal is a JSON number as a string may hold one.
var decimal = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?$`)

// swapTypes rewrites a JSON body with its numbers as strings and its strings
// of decimal digits as numbers; a body that is not JSON comes back as it is.
func swapTypes(body []byte) []byte {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return body
	}
	if _, err := dec.Token(); err != io.EOF {
		return body // more than one value: "502 Bad Gateway" starts with a number
	}
	out, err := json.Marshal(swap(v))
	if err != nil {
		return body
	}
	return out
}

func swap(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			v[k] = swap(x)
		}
	case []any:
		for i, x := range v {
			v[i] = swap(x)
		}
	case json.Number:
		return v.String()
	case string:
		if decimal.MatchString(v) {
			return json.Number(v)
		}
	}
	return v
}

// switchListener is a listener that can go down, refusing connections as a
// closed port does, and come back up at the same address.
type switchListener struct {
	addr net.Addr

	mu     sync.Mutex
	inner  net.Listener  // nil while down
	wake   chan struct{} // closed when inner changes or the listener closes
	closed bool
}

func newSwitchListener(inner net.Listener) *switchListener {
	return &switchListener{addr: inner.Addr(), inner: inner, wake: make(chan struct{})}
}

// Accept waits for a connection, across downs and ups.
func (l *switchListener) Accept() (net.Conn, error) {
	for {
		l.mu.Lock()
		inner, wake, closed := l.inner, l.wake, l.closed
		l.mu.Unlock()
		if closed {
			return nil, net.ErrClosed
		}
		if inner == nil {
			<-wake
			continue
		}
		conn, err := inner.Accept()
		if err == nil {
			return conn, nil
		}
		l.mu.Lock()
		replaced := l.inner != inner || l.closed
		l.mu.Unlock()
		if !replaced {
			return nil, err
		}
	}
}

// Close closes the listener for good.
func (l *switchListener) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	close(l.wake)
	if l.inner != nil {
		return l.inner.Close()
	}
	return nil
}

// Addr is the address, the same across downs and ups.
func (l *switchListener) Addr() net.Addr { return l.addr }

// down closes the port until up.
func (l *switchListener) down() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.inner == nil || l.closed {
		return
	}
	l.inner.Close()
	l.inner = nil
	close(l.wake)
	l.wake = make(chan struct{})
}

// isDown reports whether the port is closed.
func (l *switchListener) isDown() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.inner == nil && !l.closed
}

// up listens again at the address.
func (l *switchListener) up() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.inner != nil || l.closed {
		return nil
	}
	inner, err := net.Listen("tcp", l.addr.String())
	if err != nil {
		return fmt.Errorf("fake Bright Pattern: listening again at %s: %w", l.addr, err)
	}
	l.inner = inner
	close(l.wake)
	l.wake = make(chan struct{})
	return nil
}
