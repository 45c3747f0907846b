package studio

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"stratus/title/manifest"
)

func mustManifest(t *testing.T, id, version string) manifest.Manifest {
	t.Helper()
	m, err := manifest.Parse(manifestJSON(id, version))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// openStore opens the catalog in SQLite in dir, closed with the test.
func openStore(t *testing.T, dir string) *Store {
	t.Helper()
	st, err := OpenStore(dir, testLog())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestPersistence(t *testing.T) {
	dir := t.TempDir()
	svc, err := New(testConfig(dir), testLog())
	if err != nil {
		t.Fatal(err)
	}
	st := svc.Store()
	if _, err := st.Create("acme", mustManifest(t, "rocket", "1.0.0")); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Update("acme", mustManifest(t, "rocket", "1.1.0")); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Create("rival", mustManifest(t, "ghost", "0.1.0")); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Retire("rival", "ghost"); err != nil {
		t.Fatal(err)
	}
	want := st.List("acme")
	svc.Close()
	if _, err := st.Create("acme", mustManifest(t, "late", "1.0.0")); !errors.Is(err, ErrClosed) {
		t.Fatalf("create after close: %v", err)
	}

	svc2, err := New(testConfig(dir), testLog())
	if err != nil {
		t.Fatal(err)
	}
	defer svc2.Close()
	got := svc2.Store().List("acme")
	if len(got) != 1 || got[0].Version != "1.1.0" || len(got[0].Versions) != 2 || !got[0].Created.Equal(want[0].Created) {
		t.Fatalf("after reopen: %+v, want %+v", got, want)
	}
	if g, err := svc2.Store().Get("rival", "ghost"); err != nil || !g.Retired {
		t.Fatalf("retired title: %+v %v", g, err)
	}
	if c := svc2.Store().Snapshot().Titles; len(c) != 1 || c[0].ID != "rocket" {
		t.Fatalf("catalog %+v", c)
	}
}

// TestFailedChange: a change that fails inside its transaction leaves the
// database and the Store's copy as they were.
func TestFailedChange(t *testing.T) {
	dir := t.TempDir()
	st := openStore(t, dir)
	if _, err := st.Create("acme", mustManifest(t, "rocket", "1.0.0")); err != nil {
		t.Fatal(err)
	}
	st.failChange = func() error { return errors.New("disk full") }
	if _, err := st.Create("acme", mustManifest(t, "ghost", "1.0.0")); err == nil {
		t.Fatal("create succeeded")
	}
	if _, err := st.Update("acme", mustManifest(t, "rocket", "2.0.0")); err == nil {
		t.Fatal("update succeeded")
	}
	for _, s := range []*Store{st, openStore(t, dir)} {
		if _, err := s.Get("acme", "ghost"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("failed create kept: %v", err)
		}
		if g, _ := s.Get("acme", "rocket"); g.Version != "1.0.0" {
			t.Fatalf("failed update kept: %+v", g)
		}
	}
}

func TestConcurrentCreates(t *testing.T) {
	dir := t.TempDir()
	svc, srv := newTestServer(t, dir)
	const n = 20
	var wg sync.WaitGroup
	codes := make([]int, 2*n)
	for i := range n {
		for j, key := range []string{keyAcme, keyRival} {
			wg.Go(func() {
				// Both studios race for each id: exactly one wins it.
				codes[2*i+j] = call(t, srv, key, "POST", TitlesPath, manifestJSON(fmt.Sprintf("game-%d", i), "1.0.0"), nil)
			})
		}
		wg.Go(func() { svc.Store().Snapshot(); svc.Store().List("acme") })
	}
	wg.Wait()
	for i := range n {
		if a, b := codes[2*i], codes[2*i+1]; !(a == 201 && b == 409 || a == 409 && b == 201) {
			t.Errorf("game-%d: %d and %d", i, a, b)
		}
	}
	if got := len(svc.Store().Snapshot().Titles); got != n {
		t.Fatalf("catalog has %d", got)
	}
	if re := openStore(t, dir); len(re.titles) != n {
		t.Fatalf("reopened with %d titles, want %d", len(re.titles), n)
	}
}

func TestCloneIsolation(t *testing.T) {
	st := openStore(t, t.TempDir())
	m := mustManifest(t, "rocket", "1.0.0")
	m.Regions = []string{"eu-west"}
	st.Create("acme", m)
	m.Regions[0] = "changed"
	got, _ := st.Get("acme", "rocket")
	got.Versions[0] = "changed"
	got.Manifest.Regions[0] = "changed"
	again, _ := st.Get("acme", "rocket")
	if again.Manifest.Regions[0] != "eu-west" || again.Versions[0] != "1.0.0" {
		t.Fatalf("store shares memory with callers: %+v", again)
	}
}

// Every change moves the revision forward and wakes the watchers (edges
// long-polling the catalog); a failed write does neither; the revision
// survives a restart, so edges never take an older catalog for a newer.
func TestRevision(t *testing.T) {
	dir := t.TempDir()
	st := openStore(t, dir)
	if st.Revision() != 0 {
		t.Fatalf("empty catalog at revision %d", st.Revision())
	}
	revs := []uint64{0}
	step := func(what string, change func() error) {
		t.Helper()
		ch := st.Changed()
		if err := change(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		select {
		case <-ch:
		default:
			t.Fatalf("%s: watchers not woken", what)
		}
		if r := st.Revision(); r <= revs[len(revs)-1] {
			t.Fatalf("%s: revision %d after %d", what, r, revs[len(revs)-1])
		}
		revs = append(revs, st.Revision())
	}
	step("create", func() error { _, err := st.Create("acme", mustManifest(t, "rocket", "1.0.0")); return err })
	step("update", func() error { _, err := st.Update("acme", mustManifest(t, "rocket", "1.1.0")); return err })
	step("retire", func() error { _, err := st.Retire("acme", "rocket"); return err })

	ch := st.Changed()
	st.failChange = func() error { return errors.New("disk full") }
	if _, err := st.Create("acme", mustManifest(t, "other", "1.0.0")); err == nil {
		t.Fatal("failed write reported success")
	}
	select {
	case <-ch:
		t.Fatal("a failed write woke the watchers")
	default:
	}
	if st.Revision() != revs[len(revs)-1] {
		t.Fatalf("failed write moved the revision to %d", st.Revision())
	}
	if snap := st.Snapshot(); snap.Revision != st.Revision() || len(snap.Titles) != 0 {
		t.Fatalf("snapshot %+v: want revision %d and no titles (rocket is retired)", snap, st.Revision())
	}

	if again := openStore(t, dir); again.Revision() != st.Revision() {
		t.Fatalf("revision after reopen %d, want %d", again.Revision(), st.Revision())
	}
}
