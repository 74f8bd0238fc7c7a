package parleytest

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// BuildProgram builds the parley program into dir and returns its path.
// Build it once per test binary, in TestMain: a build takes seconds.
func BuildProgram(dir string) (string, error) {
	binary := filepath.Join(dir, "parley")
	cmd := exec.Command("go", "build", "-o", binary, "./app/parley")
	cmd.Dir = filepath.Dir(WebDir())
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building parley: %v\n%s", err, out)
	}
	return binary, nil
}

// Program is the parley program in a process of its own, as production
// runs it, on a free loopback port: tests kill it with SIGKILL, start it
// again on the same data, and make its disk refuse writes.
type Program struct {
	// URL is the chat server's address; each start gets a new port.
	URL string

	tb     testing.TB
	binary string
	args   []string
	cmd    *exec.Cmd
	log    *syncBuffer
	// fileSize is the process's RLIMIT_FSIZE before RefuseWrites.
	fileSize fileSizeLimit
}

// StartProgram runs binary (see BuildProgram) with its data in dataDir,
// the test's web directory and agent token, and the flags, until the test
// ends. What the program logs is shown if the test fails.
func StartProgram(tb testing.TB, binary, dataDir string, flags ...string) *Program {
	tb.Helper()
	p := &Program{
		tb: tb, binary: binary, log: &syncBuffer{},
		args: append([]string{"-addr", "127.0.0.1:0", "-data", dataDir, "-web", WebDir(), "-agent-token", AgentToken}, flags...),
	}
	tb.Cleanup(func() {
		p.stop()
		if tb.Failed() {
			tb.Logf("the parley program's log:\n%s", p.log.String())
		}
	})
	p.Start()
	return p
}

// Addr is the program's host:port, for [Network.Retarget].
func (p *Program) Addr() string {
	u, err := url.Parse(p.URL)
	if err != nil {
		p.tb.Fatalf("the program's URL %q: %v", p.URL, err)
	}
	return u.Host
}

// Start starts the program, after Kill, and waits until it says where it
// listens.
func (p *Program) Start() {
	p.tb.Helper()
	cmd := exec.Command(p.binary, p.args...)
	dieWithTest(cmd)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		p.tb.Fatal(err)
	}
	cmd.Stderr = p.log
	if err := cmd.Start(); err != nil {
		p.tb.Fatalf("starting parley: %v", err)
	}
	p.cmd = cmd
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		if u, ok := strings.CutPrefix(strings.TrimSpace(lines.Text()), "Chat server:"); ok {
			p.URL = strings.TrimSpace(u)
			go func() { _, _ = io.Copy(io.Discard, stdout) }()
			return
		}
	}
	p.stop()
	p.tb.Fatalf("parley exited without saying where it listens: %v\n%s", lines.Err(), p.log.String())
}

// Kill ends the program with SIGKILL, as a crash or the OOM killer would,
// and waits until it is gone.
func (p *Program) Kill() {
	p.tb.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		p.tb.Fatalf("killing parley: %v", err)
	}
	_ = p.cmd.Wait()
}

func (p *Program) stop() {
	if p.cmd != nil && p.cmd.ProcessState == nil {
		_ = p.cmd.Process.Kill()
		_ = p.cmd.Wait()
	}
}

// Log is what the program wrote to its standard error so far.
func (p *Program) Log() string { return p.log.String() }

// syncBuffer is a buffer that a process writes while a test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(data []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(data)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
