package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"time"
)

// helperEnv, when set to one of the modes below, makes the bench program
// serve that floor and nothing else, so that it runs in a process of its
// own, as Parley does, and /proc tells about it alone.
const helperEnv = "PARLEY_BENCH_HELPER"

// The helper's modes.
const (
	// relayBare forwards frames between two sockets and does nothing else.
	relayBare = "relay-bare"
	// relayFsync appends each frame to a file and fsyncs it first.
	relayFsync = "relay-fsync"
	// relayPostgres inserts each frame into PostgreSQL, at the URL in
	// databaseEnv, and commits it first.
	relayPostgres = "relay-postgres"
	// holder accepts sockets and holds them (the idle chats' floor).
	holder = "hold"
	// flooder floods one chat's Send Events, a round at a time (see
	// floodRounds), from a process of its own: in the benchmark's, the
	// flood's garbage collection and goroutines would delay the other
	// chats' clients there, and their latency would tell of the client,
	// not of the server.
	flooder = "flood"
)

// databaseEnv gives relayPostgres its database.
const databaseEnv = "PARLEY_BENCH_DATABASE"

// serveHelper serves the mode on a loopback port that it prints, until its
// standard input closes: the benchmark closes it, or ends.
func serveHelper(mode string) error {
	var h http.Handler
	switch mode {
	case relayBare, relayFsync, relayPostgres:
		rl, closeRelay, err := newRelay(mode)
		if err != nil {
			return err
		}
		defer closeRelay()
		h = rl
	case holder:
		h = http.HandlerFunc(holdSocket)
	case flooder:
		f, err := newFlooder(os.Getenv(floodEnv))
		if err != nil {
			return err
		}
		h = f
	default:
		return fmt.Errorf("no such mode %q", mode)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Println("serving: http://" + ln.Addr().String())
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		ln.Close()
	}()
	err = http.Serve(ln, h)
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// helper is the bench program running as a floor, or as the flooder.
type helper struct {
	url  string
	pid  int
	stop func()
}

// startHelper runs the bench program in the mode, with env added to its
// environment, and returns once it says where it listens.
func startHelper(ctx context.Context, mode string, env ...string) (*helper, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	addr := make(chan string, 1)
	cmd := exec.Command(exe)
	cmd.Env = append(append(os.Environ(), helperEnv+"="+mode), env...)
	cmd.Stdout = &lineWriter{line: func(line string) {
		if rest, ok := strings.CutPrefix(line, "serving: "); ok {
			addr <- rest
		}
	}}
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	stop := func() {
		stdin.Close()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
	select {
	case u := <-addr:
		return &helper{url: u, pid: cmd.Process.Pid, stop: stop}, nil
	case <-done:
		err = fmt.Errorf("the %s helper exited at once", mode)
	case <-ctx.Done():
		err = ctx.Err()
	case <-time.After(10 * time.Second):
		err = fmt.Errorf("the %s helper did not start within 10 s", mode)
	}
	stop()
	return nil, err
}
