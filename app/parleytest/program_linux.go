package parleytest

import (
	"os/exec"
	"syscall"

	"golang.org/x/sys/unix"
)

type fileSizeLimit = unix.Rlimit

// dieWithTest makes the program die with the test process, should the test
// be killed before its cleanup runs.
func dieWithTest(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// RefuseWrites makes the kernel refuse every write of the program to a
// file, as a full disk does, or take them again: it sets the process's
// RLIMIT_FSIZE to zero with prlimit(2), so that write(2) fails with EFBIG
// where a full disk fails it with ENOSPC. It needs no privilege and no
// filesystem of the test's own, works the same for root, and leaves
// reading alone.
func (p *Program) RefuseWrites(on bool) {
	p.tb.Helper()
	pid := p.cmd.Process.Pid
	if !on {
		if err := unix.Prlimit(pid, unix.RLIMIT_FSIZE, &p.fileSize, nil); err != nil {
			p.tb.Fatalf("giving the program its file size limit back: %v", err)
		}
		return
	}
	if err := unix.Prlimit(pid, unix.RLIMIT_FSIZE, nil, &p.fileSize); err != nil {
		p.tb.Fatalf("reading the program's file size limit: %v", err)
	}
	none := unix.Rlimit{Cur: 0, Max: p.fileSize.Max}
	if err := unix.Prlimit(pid, unix.RLIMIT_FSIZE, &none, nil); err != nil {
		p.tb.Fatalf("limiting the program's file size: %v", err)
	}
}
