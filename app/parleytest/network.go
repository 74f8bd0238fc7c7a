package parleytest

import (
	"bytes"
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// Network stands between clients and a server as a flaky network would: it
// forwards TCP connections, and can cut them, refuse new ones, or make the
// chat sockets open now lose what travels on them without a word.
type Network struct {
	ln     net.Listener
	target string

	mu      sync.Mutex
	links   []*link
	count   int
	blocked bool
}

// link is one forwarded connection.
type link struct {
	client, server net.Conn
	// socket says the connection carries a chat's WebSocket.
	socket atomic.Bool
	// dropUp loses what the client sends, dropDown what the server sends.
	dropUp, dropDown atomic.Bool
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
		l.client.Close()
		l.server.Close()
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
		blocked := n.blocked
		n.mu.Unlock()
		if blocked {
			client.Close()
			continue
		}
		server, err := net.Dial("tcp", n.target)
		if err != nil {
			client.Close()
			continue
		}
		l := &link{client: client, server: server}
		n.mu.Lock()
		n.links = append(n.links, l)
		n.count++
		n.mu.Unlock()
		go forward(server, client, &l.dropUp, &l.socket)
		go forward(client, server, &l.dropDown, nil)
	}
}

// forward copies src to dst until either closes; while drop is set, what it
// reads is lost. With socket, it notes whether the connection's first
// request opens a chat's WebSocket.
func forward(dst, src net.Conn, drop, socket *atomic.Bool) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32<<10)
	for first := true; ; first = false {
		n, err := src.Read(buf)
		if first && socket != nil {
			line, _, _ := bytes.Cut(buf[:n], []byte("\r\n"))
			socket.Store(bytes.HasPrefix(line, []byte("GET ")) && bytes.Contains(line, []byte("/socket?")))
		}
		if n > 0 && !drop.Load() {
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
