package ledger

import (
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"stratus/internal/freeport"
)

// TestPostgres runs the ledger's checks on a real PostgreSQL server (from
// Debian's postgresql, which make test installs), started here in a
// temporary directory on a loopback port.
func TestPostgres(t *testing.T) {
	dsn := startPostgres(t)
	checkLedger(t, dsn, t.TempDir())
}

// pgBin finds a PostgreSQL program: on PATH, or where Debian keeps it.
func pgBin(t *testing.T, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name); len(m) > 0 {
		return m[len(m)-1]
	}
	t.Fatalf("PostgreSQL's %s is not installed (scripts/setup.sh --test installs Debian's postgresql)", name)
	return ""
}

// startPostgres starts a server for this test and returns its URL. The
// server refuses to run as root, so as root it runs as nobody.
func startPostgres(t *testing.T) string {
	t.Helper()
	initdb, postgres := pgBin(t, "initdb"), pgBin(t, "postgres")
	base, err := os.MkdirTemp("", "stratus-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	data, sock := filepath.Join(base, "data"), filepath.Join(base, "sock")
	var asUser []string
	if os.Geteuid() == 0 {
		os.Chmod(base, 0o755)
		for _, d := range []string{data, sock} {
			if err := os.Mkdir(d, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Chown(d, 65534, 65534); err != nil {
				t.Fatal(err)
			}
		}
		asUser = []string{"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"}
	} else if err := os.Mkdir(sock, 0o700); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) *exec.Cmd {
		argv := append(append([]string{}, asUser...), args...)
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Env = append(os.Environ(), "LC_ALL=C")
		return cmd
	}
	if out, err := run(initdb, "-D", data, "-U", "stratus", "--auth=trust", "--no-sync").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	port := freeport.Must(t, "127.0.0.1", freeport.TCP)
	srv := run(postgres, "-D", data, "-p", strconv.Itoa(port), "-k", sock, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off")
	logf, _ := os.Create(filepath.Join(base, "postgres.log"))
	srv.Stdout, srv.Stderr = logf, logf
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Process.Signal(os.Interrupt) // fast shutdown
		done := make(chan struct{})
		go func() { srv.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			srv.Process.Kill()
		}
	})
	dsn := fmt.Sprintf("postgres://stratus@127.0.0.1:%d/postgres?sslmode=disable", port)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := db.PingContext(t.Context())
		if err == nil {
			return dsn
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(base, "postgres.log"))
			t.Fatalf("postgres did not come up: %v\n%s", err, b)
		}
		time.Sleep(100 * time.Millisecond) // the server is starting; nothing to wait on but the port
	}
}
