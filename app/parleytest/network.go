package parleytest

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
)

// Network stands between clients and a server as a flaky network would: it
// forwards TCP connections, and can cut them, refuse new ones, or make the
// chat sockets open now lose what travels on them without a word.
type Network struct {
	ln net.Listener

	mu      sync.Mutex
	target  string
	links   []*link
	count   int
	blocked bool
	// loseAnswer picks the requests whose answers the network loses.
	loseAnswer func(request string) bool
	// lost counts the answers it lost.
	lost int
	// faulted counts the connections a fault hit.
	faulted atomic.Int64
}

// link is one forwarded connection.
type link struct {
	client, server net.Conn
	// socket says the connection carries a chat's WebSocket.
	socket atomic.Bool
	// dropUp loses what the client sends, dropDown what the server sends.
	dropUp, dropDown atomic.Bool
	// loseAnswer: the answer to the request the client just sent is to be
	// lost.
	loseAnswer atomic.Bool
	// tear, from 1 to 1000, closes the connection partway through the next
	// read of either way: after that many thousandths of it are passed on.
	// 0 tears nothing.
	tear atomic.Int32
	// faulted says a fault hit the connection.
	faulted atomic.Bool
}

// fault notes that a fault hit l.
func (n *Network) fault(l *link) {
	if l.faulted.CompareAndSwap(false, true) {
		n.faulted.Add(1)
	}
}

// close closes both ends of the connection.
func (l *link) close() {
	l.client.Close()
	l.server.Close()
}

// tearing returns how much of a read of k bytes to pass on before the
// connection closes, if a tear is due: only one read, of either way,
// takes it.
func (l *link) tearing(k int) (keep int, due bool) {
	permille := l.tear.Swap(0)
	if permille == 0 {
		return k, false
	}
	return k * int(permille-1) / 1000, true
}

// StartNetwork forwards connections to target, a host:port, from a loopback
// port of its own until the test ends.
func StartNetwork(tb testing.TB, target string) *Network {
	tb.Helper()
	n := &Network{ln: listen(tb, "127.0.0.1:0"), target: target}
	tb.Cleanup(func() {
		n.ln.Close()
		n.Cut()
	})
	go n.serve()
	return n
}

// URL is the address clients use instead of the server's.
func (n *Network) URL() string { return "http://" + n.ln.Addr().String() }

// Lose makes the chat sockets open now lose what travels up (client to
// server) and down (server to client), as a path that stopped working
// without closing does: neither end notices. Other connections, and new
// ones, work.
func (n *Network) Lose(up, down bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, l := range n.links {
		if l.socket.Load() {
			l.dropUp.Store(up)
			l.dropDown.Store(down)
		}
	}
}

// LoseAnswers makes the network lose the answer to every request whose
// first line (such as "GET /clientweb/api/v2/chats/x/events HTTP/1.1")
// lose picks: it takes the whole answer from the server, which sees its
// connection close afterwards, and closes the client's connection instead
// of passing the answer on, as a network that failed after the server sent
// it. Only chunked answers, as the API's JSON answers are, can be lost. nil
// loses nothing.
func (n *Network) LoseAnswers(lose func(request string) bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.loseAnswer = lose
}

// Retarget sends new connections to target instead, as a load balancer
// does when the server moved, such as after a restart on another port.
func (n *Network) Retarget(target string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.target = target
}

// Block makes the network refuse new connections, as one that is down, or
// take them again.
func (n *Network) Block(on bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.blocked = on
}

// Cut closes every connection open now.
func (n *Network) Cut() {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, l := range n.links {
		l.close()
	}
	n.links = nil
}

// Connections counts the connections forwarded so far.
func (n *Network) Connections() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.count
}

func (n *Network) serve() {
	for {
		client, err := n.ln.Accept()
		if err != nil {
			return
		}
		n.mu.Lock()
		blocked, target := n.blocked, n.target
		n.mu.Unlock()
		if blocked {
			client.Close()
			continue
		}
		server, err := net.Dial("tcp", target)
		if err != nil {
			client.Close()
			continue
		}
		l := &link{client: client, server: server}
		n.mu.Lock()
		n.links = append(n.links, l)
		n.count++
		n.mu.Unlock()
		go func() {
			var both sync.WaitGroup
			both.Go(func() { n.up(l) })
			both.Go(func() { n.down(l) })
			both.Wait()
			n.forget(l)
		}()
	}
}

// forget takes a closed connection off the list of those open.
func (n *Network) forget(l *link) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if i := slices.Index(n.links, l); i >= 0 {
		n.links = slices.Delete(n.links, i, i+1)
	}
}

// LostAnswers counts the answers the network lost so far.
func (n *Network) LostAnswers() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.lost
}

// up copies what the client sends to the server, noting whether its first
// request opens a chat's WebSocket, and whether the answer to each request
// is to be lost.
func (n *Network) up(l *link) {
	defer l.server.Close()
	defer l.client.Close()
	buf := make([]byte, 32<<10)
	for first := true; ; first = false {
		k, err := l.client.Read(buf)
		line, _, _ := bytes.Cut(buf[:k], []byte("\r\n"))
		if first {
			l.socket.Store(bytes.HasPrefix(line, []byte("GET ")) && bytes.Contains(line, []byte("/socket?")))
		}
		if bytes.HasSuffix(line, []byte(" HTTP/1.1")) {
			n.mu.Lock()
			lose := n.loseAnswer != nil && n.loseAnswer(string(line))
			n.mu.Unlock()
			l.loseAnswer.Store(lose)
		}
		keep, torn := l.tearing(k)
		if keep > 0 && !l.dropUp.Load() {
			if _, err := l.server.Write(buf[:keep]); err != nil {
				return
			}
		}
		if err != nil || torn {
			return
		}
	}
}

// down copies what the server sends to the client. An answer to be lost is
// read to its end, so the server has written all of it, then the server's
// side closes, then the client's.
func (n *Network) down(l *link) {
	defer l.client.Close()
	defer l.server.Close()
	buf := make([]byte, 32<<10)
	var lost []byte
	for {
		k, err := l.server.Read(buf)
		if k > 0 && l.loseAnswer.Load() {
			if lost = append(lost, buf[:k]...); wholeAnswer(lost) {
				n.mu.Lock()
				n.lost++
				n.mu.Unlock()
				n.fault(l)
				return
			}
			continue
		}
		keep, torn := l.tearing(k)
		if keep > 0 && !l.dropDown.Load() {
			if _, err := l.client.Write(buf[:keep]); err != nil {
				return
			}
		}
		if err != nil || torn {
			return
		}
	}
}

// wholeAnswer reports whether b holds an HTTP answer to its end, whether
// its length is given or it is chunked.
func wholeAnswer(b []byte) bool {
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(b)), nil)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return err == nil
}
