//go:build !linux

package parleytest

import "os/exec"

type fileSizeLimit struct{}

func dieWithTest(*exec.Cmd) {}

// RefuseWrites needs Linux's prlimit(2); elsewhere it fails the test.
func (p *Program) RefuseWrites(on bool) {
	p.tb.Helper()
	p.tb.Fatal("RefuseWrites needs Linux (prlimit(2))")
}
