package ledger

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// TestShared runs the shared tables' checks on SQLite, two Stores on one
// file as two nodes on one data directory.
func TestShared(t *testing.T) {
	checkShared(t, "", t.TempDir())
}

// checkShared: two Stores on one database number their rows from one
// sequence, without gaps or duplicates even when they write at once; a
// report sent twice is kept once; reads page by id; a starting node finds
// where its window begins; pruning drops what is old.
func checkShared(t *testing.T, dsn, dir string) {
	t.Helper()
	open := func() *Store {
		s, err := Open(t.Context(), dsn, dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	a, b := open(), open()
	old := time.Now().Add(-2 * time.Hour).Truncate(time.Millisecond)
	if id, err := a.AddRefusal(t.Context(), Refusal{Edge: "eu-1", Node: "sig-a", At: old, Sig: []byte{1}}); err != nil || id != 1 {
		t.Fatalf("first refusal: id %d, %v", id, err)
	}
	const each = 20
	var wg sync.WaitGroup
	errs := make(chan error, 2*each)
	now := time.Now().Truncate(time.Millisecond)
	for i, s := range []*Store{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range each {
				sig := []byte(fmt.Sprintf("sig-%d-%d", i, j))
				if _, err := s.AddCheckReport(t.Context(), CheckReport{Node: fmt.Sprint("sig-", i), Checker: "checker-1", At: now,
					Report: []byte(`{"edge":"eu-1"}`), Sig: sig}); err != nil {
					errs <- err
				}
				if _, err := s.AddRefusal(t.Context(), Refusal{Edge: "eu-1", Node: fmt.Sprint("sig-", i), At: now, Sig: sig}); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if id, err := a.AddCheckReport(t.Context(), CheckReport{Node: "sig-a", Checker: "checker-1", At: now, Report: []byte(`{}`),
		Sig: []byte("sig-0-0")}); err != nil || id != 0 {
		t.Fatalf("the same report again: id %d, %v", id, err)
	}

	var checks []CheckReport
	for after := int64(0); ; {
		page, err := b.CheckReportsAfter(t.Context(), after, 7)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		checks = append(checks, page...)
		after = page[len(page)-1].ID
	}
	if len(checks) != 2*each {
		t.Fatalf("%d reports, want %d", len(checks), 2*each)
	}
	for i, c := range checks {
		if c.ID != int64(i+1) || !c.At.Equal(now) || string(c.Report) != `{"edge":"eu-1"}` || c.Checker != "checker-1" {
			t.Fatalf("report %d: %+v", i, c)
		}
	}
	refusals, err := a.RefusalsAfter(t.Context(), 0, MaxSharedBatch)
	if err != nil || len(refusals) != 2*each+1 || refusals[len(refusals)-1].ID != 2*each+1 {
		t.Fatalf("refusals: %d (%v)", len(refusals), err)
	}
	if r := refusals[0]; r.Edge != "eu-1" || r.Node != "sig-a" || !r.At.Equal(old) || string(r.Sig) != "\x01" {
		t.Errorf("first refusal read back as %+v", r)
	}
	if _, err := a.RefusalsAfter(t.Context(), 0, MaxSharedBatch+1); err == nil {
		t.Error("a batch over MaxSharedBatch was read")
	}

	from, latest, err := b.SharedSince(t.Context(), time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if want := (SharedCursor{Checks: 0, Refusals: 1}); from != want {
		t.Errorf("from %+v, want %+v (the old refusal left out)", from, want)
	}
	if want := (SharedCursor{Checks: 2 * each, Refusals: 2*each + 1}); latest != want {
		t.Errorf("latest %+v, want %+v", latest, want)
	}
	if n, err := a.PruneShared(t.Context(), time.Now().Add(-time.Hour)); err != nil || n != 1 {
		t.Fatalf("pruned %d (%v), want the old refusal", n, err)
	}
	from, _, err = b.SharedSince(t.Context(), time.Now().Add(time.Hour))
	if want := (SharedCursor{Checks: 2 * each, Refusals: 2*each + 1}); err != nil || from != want {
		t.Errorf("nothing to take in: from %+v (%v), want the latest %+v", from, err, want)
	}
}
