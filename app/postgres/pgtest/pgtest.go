// Package pgtest gives tests a PostgreSQL server of their own: a throwaway
// cluster on loopback, started once per test binary, and an empty schema per
// test.
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
//
//	func TestSomething(t *testing.T) {
//		url := pgtest.Database(t) // an empty schema, dropped when t ends
//		...
//	}
//
// With PARLEY_TEST_DATABASE set to a postgres:// URL, tests use that server
// instead of starting one. Otherwise Main runs Debian's initdb and postgres
// (the newest under /usr/lib/postgresql; `./build.sh test` installs the
// package) on a free loopback port, with its data and socket in a temporary
// directory, and stops it when the tests end. PostgreSQL refuses to run as
// root, so as root the cluster runs as the "postgres" user Debian's package
// creates. A missing PostgreSQL fails the tests: they are never skipped.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvDatabase names the variable that points tests at a running server.
const EnvDatabase = "PARLEY_TEST_DATABASE"

// server is the URL of the database tests use, set by Main.
var server string

// schemas numbers the schemas Database makes.
var schemas atomic.Int64

// Main starts the cluster (unless EnvDatabase names one), runs the tests
// and stops it. It returns the exit code for os.Exit.
func Main(m *testing.M) int {
	if url := os.Getenv(EnvDatabase); url != "" {
		server = url
		return m.Run()
	}
	c, err := startCluster()
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgtest: starting a PostgreSQL cluster:", err)
		return 1
	}
	server = c.url
	code := m.Run()
	if err := c.stop(); err != nil {
		fmt.Fprintln(os.Stderr, "pgtest: stopping the cluster:", err)
	}
	return code
}

// Database returns the URL of an empty schema of its own, dropped when the
// test ends. Connections made with the URL use that schema.
func Database(tb testing.TB) string {
	tb.Helper()
	if server == "" {
		tb.Fatal("pgtest: no server; call pgtest.Main from the package's TestMain")
	}
	name := fmt.Sprintf("t%d_%d", os.Getpid(), schemas.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		tb.Fatalf("pgtest: connecting to %s: %v", server, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+name); err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, server)
		if err != nil {
			tb.Errorf("pgtest: connecting to drop schema %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+name+" CASCADE"); err != nil {
			tb.Errorf("pgtest: %v", err)
		}
	})
	return WithSchema(server, name)
}

// WithSchema returns the database URL with search_path set to schema, a
// runtime parameter that pgx passes to the server for each connection.
func WithSchema(database, schema string) string {
	u, err := url.Parse(database)
	if err != nil {
		return database
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// cluster is a running throwaway PostgreSQL server.
type cluster struct {
	dir, bin string
	url      string
	cred     *syscall.Credential
}

func startCluster() (*cluster, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "parley-pgtest-")
	if err != nil {
		return nil, err
	}
	c := &cluster{dir: dir, bin: bin}
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

func (c *cluster) stop() error {
	out, err := c.run("pg_ctl", "-D", filepath.Join(c.dir, "data"), "-m", "immediate", "-w", "stop")
	if err != nil {
		err = fmt.Errorf("%w\n%s", err, out)
	}
	return errors.Join(err, os.RemoveAll(c.dir))
}

// run runs one of PostgreSQL's programs as the cluster's user.
func (c *cluster) run(program string, args ...string) ([]byte, error) {
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
// loudly rather than testing against the wrong server.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	_, port, _ := strings.Cut(ln.Addr().String(), ":")
	return strconv.Atoi(port)
}
