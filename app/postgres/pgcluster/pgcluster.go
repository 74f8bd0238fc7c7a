// Package pgcluster starts throwaway PostgreSQL clusters on loopback: a
// temporary data directory, a free port, stopped and removed by Stop. The
// tests use it through pgtest; the benchmark uses it directly, so it does
// not depend on package testing.
//
//	c, err := pgcluster.Start()
//	if err != nil { ... }
//	defer c.Stop()
//	pool, err := pgxpool.New(ctx, c.URL())
//
// Start runs Debian's initdb and postgres, the newest under
// /usr/lib/postgresql (`./build.sh test` installs the package). PostgreSQL
// refuses to run as root, so as root the cluster runs as the "postgres"
// user Debian's package creates. The server keeps PostgreSQL's durable
// defaults (fsync, synchronous_commit on); only initdb skips its syncs.
package pgcluster

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// Cluster is a running throwaway PostgreSQL server.
type Cluster struct {
	dir, bin string
	url      string
	cred     *syscall.Credential
}

// Start initialises a cluster in a new temporary directory and starts its
// server on a free 127.0.0.1 port, with room for 300 connections and the
// trusted user "parley". It returns once the server accepts connections.
func Start() (*Cluster, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "parley-pgcluster-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{dir: dir, bin: bin}
	if os.Geteuid() == 0 {
		if c.cred, err = postgresUser(); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		// The data directory must belong to the server's user; so must
		// the temporary directory, for the socket.
		if err := os.Chown(dir, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	data := filepath.Join(dir, "data")
	if out, err := c.run("initdb", "-D", data, "-U", "parley", "-A", "trust", "-E", "UTF8", "--no-sync"); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}
	port, err := freePort()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=300", port, dir)
	if out, err := c.run("pg_ctl", "-D", data, "-o", opts, "-l", filepath.Join(dir, "log"), "-w", "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		os.RemoveAll(dir)
		return nil, fmt.Errorf("pg_ctl start: %w\n%s\n%s", err, out, log)
	}
	c.url = fmt.Sprintf("postgres://parley@127.0.0.1:%d/postgres?sslmode=disable", port)
	return c, nil
}

// URL is the cluster's postgres database, as the superuser "parley":
// postgres://parley@127.0.0.1:PORT/postgres?sslmode=disable.
func (c *Cluster) URL() string { return c.url }

// Stop stops the server at once (pg_ctl -m immediate) and removes the
// cluster's directory.
func (c *Cluster) Stop() error {
	out, err := c.run("pg_ctl", "-D", filepath.Join(c.dir, "data"), "-m", "immediate", "-w", "stop")
	if err != nil {
		err = fmt.Errorf("%w\n%s", err, out)
	}
	return errors.Join(err, os.RemoveAll(c.dir))
}

// run runs one of PostgreSQL's programs as the cluster's user.
func (c *Cluster) run(program string, args ...string) ([]byte, error) {
	cmd := exec.Command(filepath.Join(c.bin, program), args...)
	cmd.Dir = c.dir
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	return cmd.CombinedOutput()
}

// binDir finds the newest PostgreSQL installed the Debian way.
func binDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) < version(dirs[j]) })
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "postgres")); err == nil {
			return dirs[i], nil
		}
	}
	return "", errors.New("no PostgreSQL server under /usr/lib/postgresql; install Debian's postgresql package (./build.sh test does)")
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func postgresUser() (*syscall.Credential, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL does not run as root, and there is no postgres user: %w", err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, err
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// freePort asks the kernel for a loopback port nobody listens on. Another
// program could take it before the server does; that fails the start
// loudly rather than connecting to the wrong server.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	_, port, _ := strings.Cut(ln.Addr().String(), ":")
	return strconv.Atoi(port)
}
