// Package pgtest starts a real PostgreSQL server for tests (Debian's
// postgresql, which scripts/setup.sh --test installs), in a temporary
// directory on a loopback port, so that the code that runs on PostgreSQL
// in production is tested against the same server and not a stand-in.
package pgtest

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the database/sql driver "pgx"

	"stratus/internal/freeport"
)

// startLimit bounds the wait for a fresh server to answer; initdb and the
// start take a few seconds on a busy two-core machine.
const startLimit = 30 * time.Second

// stopLimit bounds a fast shutdown before the server is killed.
const stopLimit = 10 * time.Second

// bin finds a PostgreSQL program: on PATH, or where Debian keeps it.
func bin(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	if m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name); len(m) > 0 {
		return m[len(m)-1], nil
	}
	return "", fmt.Errorf("PostgreSQL's %s is not installed (scripts/setup.sh --test installs Debian's postgresql)", name)
}

// Server is a running PostgreSQL server in a temporary directory.
type Server struct {
	// DSN is its URL: user stratus, database postgres, no password.
	DSN  string
	base string
	srv  *exec.Cmd
}

// Start starts a server for this test, stopped when it ends, and returns
// its URL (user stratus, database postgres, no password).
func Start(t testing.TB) string {
	t.Helper()
	s, err := Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s.DSN
}

// Run starts a server, for programs that are not tests (benchmarks); Stop
// stops it and removes its files. The server refuses to run as root, so
// as root it runs as nobody.
func Run(ctx context.Context) (_ *Server, err error) {
	initdb, err := bin("initdb")
	if err != nil {
		return nil, err
	}
	postgres, err := bin("postgres")
	if err != nil {
		return nil, err
	}
	base, err := os.MkdirTemp("", "stratus-pg-")
	if err != nil {
		return nil, err
	}
	s := &Server{base: base}
	defer func() {
		if err != nil {
			s.Stop()
		}
	}()
	data, sock := filepath.Join(base, "data"), filepath.Join(base, "sock")
	var asUser []string
	if os.Geteuid() == 0 {
		os.Chmod(base, 0o755)
		for _, d := range []string{data, sock} {
			if err := os.Mkdir(d, 0o700); err != nil {
				return nil, err
			}
			if err := os.Chown(d, 65534, 65534); err != nil {
				return nil, err
			}
		}
		asUser = []string{"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"}
	} else if err := os.Mkdir(sock, 0o700); err != nil {
		return nil, err
	}
	run := func(args ...string) *exec.Cmd {
		argv := append(append([]string{}, asUser...), args...)
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Env = append(os.Environ(), "LC_ALL=C")
		return cmd
	}
	if out, err := run(initdb, "-D", data, "-U", "stratus", "--auth=trust", "--no-sync").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	port, err := freeport.Ports("127.0.0.1", 1, freeport.TCP)
	if err != nil {
		return nil, err
	}
	srv := run(postgres, "-D", data, "-p", strconv.Itoa(port[0]), "-k", sock, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off")
	logf, _ := os.Create(filepath.Join(base, "postgres.log"))
	srv.Stdout, srv.Stderr = logf, logf
	if err := srv.Start(); err != nil {
		return nil, err
	}
	s.srv = srv
	s.DSN = fmt.Sprintf("postgres://stratus@127.0.0.1:%d/postgres?sslmode=disable", port[0])
	db, err := sql.Open("pgx", s.DSN)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	deadline := time.Now().Add(startLimit)
	for {
		err := db.PingContext(ctx)
		if err == nil {
			return s, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			b, _ := os.ReadFile(filepath.Join(base, "postgres.log"))
			return nil, fmt.Errorf("postgres did not come up: %v\n%s", err, b)
		}
		time.Sleep(100 * time.Millisecond) // the server is starting; nothing to wait on but the port
	}
}

// Stop stops the server, fast, killing it after stopLimit, and removes
// its files.
func (s *Server) Stop() {
	if s.srv != nil {
		s.srv.Process.Signal(os.Interrupt) // fast shutdown
		done := make(chan struct{})
		go func() { s.srv.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(stopLimit):
			s.srv.Process.Kill()
			<-done
		}
	}
	os.RemoveAll(s.base)
}

// NewDatabase creates the database name on the server dsn (from Start)
// names and returns its URL: tests that share one server each take a
// database of their own.
func NewDatabase(t testing.TB, dsn, name string) string {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(context.Background(), `CREATE DATABASE "`+name+`"`); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}
