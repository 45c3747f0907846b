package studio

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"stratus/internal/pgtest"
	"stratus/ledger"
)

// openNode opens a catalog the way a signaling node does: in its ledger,
// SQLite in dir (dsn "") or the PostgreSQL dsn names. Both close with the
// test.
func openNode(t *testing.T, dsn, dir string, lim Limits) *Store {
	t.Helper()
	db, err := ledger.Open(t.Context(), dsn, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	st, err := OpenStoreDB(db, dir, lim, testLog())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// Two signaling nodes on one SQLite file (one data directory) keep one
// catalog.
func TestNodesShareSQLite(t *testing.T) {
	dir := t.TempDir()
	checkNodes(t, func(lim Limits) (*Store, *Store) {
		return openNode(t, "", dir, lim), openNode(t, "", dir, lim)
	})
}

// The same on a real PostgreSQL server, as nodes on separate machines
// sharing it (-db postgres://…) run; and an old catalog file imported
// there.
func TestNodesSharePostgres(t *testing.T) {
	server := pgtest.Start(t)
	t.Run("two nodes", func(t *testing.T) {
		dsn := pgtest.NewDatabase(t, server, "nodes")
		checkNodes(t, func(lim Limits) (*Store, *Store) {
			return openNode(t, dsn, t.TempDir(), lim), openNode(t, dsn, t.TempDir(), lim)
		})
	})
	t.Run("import", func(t *testing.T) {
		dsn := pgtest.NewDatabase(t, server, "import")
		checkImport(t, func(dir string) (*Store, error) {
			db, err := ledger.Open(t.Context(), dsn, dir)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return OpenStoreDB(db, dir, Limits{}, testLog())
		})
	})
}

// checkNodes runs the checks of two nodes sharing one database, opened
// by open with the limits given.
func checkNodes(t *testing.T, open func(Limits) (*Store, *Store)) {
	const quota = 12
	a, b := open(Limits{MaxTitles: quota})

	// One after the other, alternating: every change, whichever node
	// made it, moves the revision forward.
	last := a.Revision()
	for i, n := range []*Store{a, b, a, b} {
		if _, err := n.Create("acme", mustManifest(t, fmt.Sprintf("turn-%d", i), "1.0.0")); err != nil {
			t.Fatal(err)
		}
		if r := n.Revision(); r <= last {
			t.Fatalf("change %d: revision %d after %d", i, r, last)
		}
		last = n.Revision()
	}

	// At once: each node creates titles of its own and both race for
	// the same ids; nothing is lost, each contested id goes to one.
	const each = 6
	var wg sync.WaitGroup
	errs := make([][]error, 2)
	for k, n := range []*Store{a, b} {
		errs[k] = make([]error, 2*each)
		wg.Go(func() {
			for i := range each {
				_, errs[k][2*i] = n.Create(fmt.Sprintf("studio-%d", k), mustManifest(t, fmt.Sprintf("own-%d-%d", k, i), "1.0.0"))
				_, errs[k][2*i+1] = n.Create(fmt.Sprintf("studio-%d", k), mustManifest(t, fmt.Sprintf("both-%d", i), "1.0.0"))
			}
		})
	}
	wg.Wait()
	for i := range each {
		if errs[0][2*i] != nil || errs[1][2*i] != nil {
			t.Fatalf("own titles %d: %v, %v", i, errs[0][2*i], errs[1][2*i])
		}
		x, y := errs[0][2*i+1], errs[1][2*i+1]
		if (x == nil) == (y == nil) || !errors.Is(x, ErrTaken) && !errors.Is(y, ErrTaken) {
			t.Errorf("both-%d: %v and %v, want one created and one id_taken", i, x, y)
		}
	}
	want := 4 + 3*each
	for name, n := range map[string]*Store{"a": a, "b": b} {
		poll(t, 3*followEvery, "node "+name+" to follow the other's titles", func() (bool, string) {
			got := len(n.Snapshot().Titles)
			return got == want, fmt.Sprintf("%d titles, want %d", got, want)
		})
	}
	if a.Revision() != b.Revision() {
		t.Fatalf("revisions %d and %d after both followed", a.Revision(), b.Revision())
	}

	// B sees A's upload within the follow interval and wakes its
	// watchers (the edges' long polls, the revision's gossip).
	changed, before := b.Changed(), b.Revision()
	start := time.Now()
	if _, err := a.Create("acme", mustManifest(t, "late", "1.0.0")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-changed:
	case <-time.After(3 * followEvery):
		t.Fatalf("node b not woken %v after a's upload", 3*followEvery)
	}
	if _, err := b.Get("acme", "late"); err != nil || b.Revision() <= before {
		t.Fatalf("node b after a's upload: %v, revision %d (was %d)", err, b.Revision(), before)
	}
	t.Logf("node b followed a's upload in %v", time.Since(start).Round(time.Millisecond))

	// A studio's quota holds across nodes racing for its last places.
	var quotaWG sync.WaitGroup
	for k, n := range []*Store{a, b} {
		quotaWG.Go(func() {
			for i := range quota {
				n.Create("racer", mustManifest(t, fmt.Sprintf("racer-%d-%d", k, i), "1.0.0"))
			}
		})
	}
	quotaWG.Wait()
	poll(t, 3*followEvery, "both nodes to follow the racers", func() (bool, string) {
		return a.Revision() == b.Revision(), fmt.Sprint(a.Revision(), b.Revision())
	})
	if got := len(a.List("racer")); got != quota {
		t.Fatalf("racer holds %d titles through two nodes, quota %d", got, quota)
	}
}

// An old catalog file is imported once, kept as a backup, and keeps its
// titles, retired ones and the revision included.
func TestImportFile(t *testing.T) {
	checkImport(t, func(dir string) (*Store, error) { return OpenStore(dir, testLog()) })
}

// checkImport runs the import's checks on stores open opens in a data dir.
func checkImport(t *testing.T, open func(dir string) (*Store, error)) {
	dir := t.TempDir()
	created := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	old := fileData{Format: legacyFormat, Revision: uint64(time.Now().Add(time.Hour).UnixMilli()), Titles: []Title{
		{ID: "rocket", Studio: "acme", Version: "1.1.0", Manifest: mustManifest(t, "rocket", "1.1.0"), Created: created, Updated: created, Versions: []string{"1.0.0", "1.1.0"}},
		{ID: "ghost", Studio: "rival", Version: "0.1.0", Manifest: mustManifest(t, "ghost", "0.1.0"), Created: created, Updated: created, Retired: true, Versions: []string{"0.1.0"}},
	}}
	data, _ := json.Marshal(old)
	file := filepath.Join(dir, legacyFile)
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if r, err := st.Get("acme", "rocket"); err != nil || r.Version != "1.1.0" || len(r.Versions) != 2 || !r.Created.Equal(created) {
		t.Fatalf("rocket after import: %+v %v", r, err)
	}
	if g, err := st.Get("rival", "ghost"); err != nil || !g.Retired {
		t.Fatalf("ghost after import: %+v %v", g, err)
	}
	if st.Revision() < old.Revision {
		t.Fatalf("revision %d after import, the file's was %d", st.Revision(), old.Revision)
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Fatalf("the file is still in place: %v", err)
	}
	if _, err := os.Stat(file + importedSuffix); err != nil {
		t.Fatalf("no backup: %v", err)
	}

	// Changed since: a file put back (a backup restored by hand) adds
	// nothing over what the database holds.
	if _, err := st.Update("acme", mustManifest(t, "rocket", "2.0.0")); err != nil {
		t.Fatal(err)
	}
	rev := st.Revision()
	st.Close()
	os.WriteFile(file, data, 0o600)
	again, err := open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if r, _ := again.Get("acme", "rocket"); r.Version != "2.0.0" || again.Revision() != rev {
		t.Fatalf("after a second import: rocket %s, revision %d (was %d)", r.Version, again.Revision(), rev)
	}
	again.Close()

	// A damaged file stops the start instead of being skipped.
	os.WriteFile(file, []byte(`{"format":1,"titles":[`), 0o600)
	if st, err := open(dir); err == nil {
		st.Close()
		t.Fatal("a damaged catalog file was opened")
	}
}

// poll checks cond until it holds or limit passes, and fails naming what
// it waited for and what it saw last.
func poll(t *testing.T, limit time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		ok, last := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s: %s", limit, what, last)
		}
		time.Sleep(20 * time.Millisecond) // the follower's next turn; nothing to wait on
	}
}
