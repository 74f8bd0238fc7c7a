package main

import (
	"bytes"
	"crypto/rand"
	"io"
	"net"
	"testing"
	"time"
)

func TestLinkSend(t *testing.T) {
	t.Parallel()
	start := time.Unix(1_700_000_000, 0)
	type send struct {
		at        time.Duration // after start
		n         int
		notBefore time.Duration // after start; 0 for none
		arrives   time.Duration // after start
	}
	// 8,000 bits a second: a byte takes a millisecond; half a round trip
	// is 50 ms.
	tests := []struct {
		name  string
		sends []send
	}{
		{"one segment takes its time on the wire, then the delay", []send{{0, 100, 0, 150 * time.Millisecond}}},
		{"back to back, the second waits for the first", []send{
			{0, 100, 0, 150 * time.Millisecond},
			{0, 100, 0, 250 * time.Millisecond},
		}},
		{"an idle link starts at once", []send{
			{0, 100, 0, 150 * time.Millisecond},
			{time.Second, 10, 0, time.Second + 60*time.Millisecond},
		}},
		{"nothing leaves before the handshake", []send{{0, 10, 300 * time.Millisecond, 360 * time.Millisecond}}},
		{"the end of a stream comes after its data", []send{
			{0, 100, 0, 150 * time.Millisecond},
			{0, 0, 0, 150 * time.Millisecond},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := newLink(8000, 50*time.Millisecond)
			var now time.Time
			l.now = func() time.Time { return now }
			for i, s := range tt.sends {
				now = start.Add(s.at)
				var notBefore time.Time
				if s.notBefore > 0 {
					notBefore = start.Add(s.notBefore)
				}
				if got := l.send(s.n, notBefore).Sub(start); got != s.arrives {
					t.Errorf("send %d arrives at %s, want %s", i, got, s.arrives)
				}
			}
		})
	}
}

// TestThrottleCarriesBytes sends bytes both ways through the throttle: they
// arrive whole and in order, and the end of each direction arrives too.
func TestThrottleCarriesBytes(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	request, response := make([]byte, 50_000), make([]byte, 300_000)
	rand.Read(request)
	rand.Read(response)
	served := make(chan []byte, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			served <- nil
			return
		}
		defer conn.Close()
		got, _ := io.ReadAll(conn) // until the client's end of stream
		served <- got
		conn.Write(response)
	}()
	th, err := startThrottle(ln.Addr().String(), profile{name: "test", down: 100e6, up: 50e6, rtt: 2 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer th.close()
	conn, err := net.Dial("tcp", th.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write(request); err != nil {
		t.Fatal(err)
	}
	if err := conn.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(conn)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(<-served, request) {
		t.Error("the server did not get the request as sent")
	}
	if !bytes.Equal(got, response) {
		t.Errorf("the client got %d bytes, not the %d-byte response as sent", len(got), len(response))
	}
}
