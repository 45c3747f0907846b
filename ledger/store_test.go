package ledger

import (
	"fmt"
	"testing"
	"time"

	"stratus/edge/usage"
)

func rec(session string, seq uint64, edge string, end time.Time) usage.Record {
	return usage.Record{Session: session, Seq: seq, Final: seq > 1, Kind: usage.KindPlayer, Title: "rocks", Edge: edge, Operator: "acme",
		Region: "eu", Start: end.Add(-time.Minute), End: end, Seconds: 60, Signature: []byte{1, 2, 3}}
}

// Records sent again, late or out of order change nothing; a newer one
// replaces its session's; checks are told apart whenever they are known.
func TestPutIsIdempotent(t *testing.T) {
	dir := t.TempDir()
	checkLedger(t, "", dir)
}

// checkLedger runs the ledger's checks on the database dsn names.
func checkLedger(t *testing.T, dsn, dir string) {
	s, err := Open(t.Context(), dsn, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	t0 := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	steps := []struct {
		name    string
		recs    []usage.Record
		changed int
	}{
		{"first records", []usage.Record{rec("a", 1, "e1", t0), rec("b", 2, "e2", t0.Add(time.Minute))}, 2},
		{"the same again", []usage.Record{rec("a", 1, "e1", t0), rec("b", 2, "e2", t0.Add(time.Minute))}, 0},
		{"a newer checkpoint", []usage.Record{rec("a", 3, "e1", t0.Add(2*time.Minute))}, 1},
		{"an older one, late", []usage.Record{rec("a", 2, "e1", t0)}, 0},
	}
	for _, st := range steps {
		n, err := s.Put(t.Context(), st.recs)
		if err != nil || n != st.changed {
			t.Fatalf("%s: changed %d (%v), want %d", st.name, n, err, st.changed)
		}
	}
	if err := s.MarkCheck(t.Context(), "c"); err != nil { // before its record
		t.Fatal(err)
	}
	s.Put(t.Context(), []usage.Record{rec("c", 2, "e1", t0.Add(3*time.Minute))})
	all, err := s.Query(t.Context(), Filter{})
	if err != nil || len(all) != 3 {
		t.Fatalf("query: %d %v", len(all), err)
	}
	if all[1].Session != "a" || all[1].Seq != 3 || string(all[1].Signature) != "\x01\x02\x03" {
		t.Errorf("a: %+v", all[1])
	}
	if all[2].LedgerKind != "check" || all[0].LedgerKind != "player" {
		t.Errorf("kinds: %s %s", all[0].LedgerKind, all[2].LedgerKind)
	}
	e2, _ := s.Query(t.Context(), Filter{Edge: "e2"})
	late, _ := s.Query(t.Context(), Filter{From: t0.Add(90 * time.Second)})
	if len(e2) != 1 || len(late) != 2 {
		t.Errorf("filters: edge %d, from %d", len(e2), len(late))
	}
	// A studio's titles: a list of them, none, or titles with no play.
	for _, c := range []struct {
		titles []string
		want   int
	}{{[]string{"rocks"}, 3}, {[]string{"other", "rocks"}, 3}, {[]string{"other"}, 0}, {[]string{}, 0}, {nil, 3}} {
		got, err := s.Query(t.Context(), Filter{Titles: c.titles})
		if err != nil || len(got) != c.want {
			t.Errorf("titles %q: %d records (%v), want %d", c.titles, len(got), err, c.want)
		}
	}
	// An edge's checks, newest first, within the period.
	for i, score := range []float64{1, 0.5, 0} {
		if err := s.PutCheck(t.Context(), "e1", "checker-1", t0.Add(time.Duration(i)*time.Minute), score, score > 0); err != nil {
			t.Fatal(err)
		}
	}
	checks, err := s.Checks(t.Context(), "e1", t0.Add(time.Minute), time.Time{}, 0)
	if err != nil || len(checks) != 2 || checks[0].Score != 0 || checks[0].OK || checks[1].Score != 0.5 || !checks[1].At.Equal(t0.Add(time.Minute)) {
		t.Errorf("checks of e1: %+v %v", checks, err)
	}
	if none, err := s.Checks(t.Context(), "e2", time.Time{}, time.Time{}, 0); err != nil || len(none) != 0 {
		t.Errorf("checks of e2: %+v %v", none, err)
	}
	// Totals and contributions, summed by the database (SQL that must
	// hold on SQLite and PostgreSQL alike).
	byEdge, err := s.Totals(t.Context(), Filter{}, "edge")
	want := []Total{{Key: "e1", Sessions: 1, PlayedMinutes: 1, Checks: 1, CheckedMinutes: 1}, {Key: "e2", Sessions: 1, PlayedMinutes: 1}}
	if err != nil || fmt.Sprint(byEdge) != fmt.Sprint(want) {
		t.Errorf("totals by edge: %+v %v, want %+v", byEdge, err, want)
	}
	if none, err := s.Totals(t.Context(), Filter{Titles: []string{}}, "title"); err != nil || len(none) != 0 {
		t.Errorf("totals of no titles: %+v %v", none, err)
	}
	if _, err := s.Totals(t.Context(), Filter{}, "player"); err == nil {
		t.Error("totals by player: no error")
	}
	contrib, err := s.Contributions(t.Context(), time.Time{}, time.Time{})
	var sessions, checked int
	for _, c := range contrib {
		sessions, checked = sessions+c.Sessions, checked+c.Checks
		if c.Score < 0 || c.Score > 1 || c.Availability < 0 || c.Availability > 1 {
			t.Errorf("contribution %+v: score or availability out of [0, 1]", c)
		}
	}
	if err != nil || sessions != 2 || checked != 1 {
		t.Errorf("contributions: %+v %v: %d sessions, %d checks, want 2 and 1", contrib, err, sessions, checked)
	}
	// Reopened: the schema is not applied twice, the records are there.
	s.Close()
	if s, err = Open(t.Context(), dsn, dir); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if again, err := s.Query(t.Context(), Filter{}); err != nil || len(again) != 3 {
		t.Fatalf("after reopening: %d %v", len(again), err)
	}
}

// An operator's day: its players' minutes, weighted by its edges' checks
// that day; checks are counted apart, never as play.
func TestContributions(t *testing.T) {
	s, err := Open(t.Context(), "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	day := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	s.Put(t.Context(), []usage.Record{rec("a", 2, "e1", day), rec("b", 2, "e2", day), rec("c", 2, "e1", day)})
	s.MarkCheck(t.Context(), "c")
	for _, c := range []struct {
		edge  string
		score float64
		ok    bool
	}{{"e1", 1, true}, {"e1", 0, false}, {"e2", 0.5, true}, {"e2", 0.5, true}} {
		if err := s.PutCheck(t.Context(), c.edge, "checker-1", day, c.score, c.ok); err != nil {
			t.Fatal(err)
		}
	}
	list, err := s.Contributions(t.Context(), day.Add(-time.Hour), day.Add(time.Hour))
	if err != nil || len(list) != 1 {
		t.Fatalf("%+v %v", list, err)
	}
	c := list[0]
	// Two players' minutes; checks of e1 and e2: mean 0.5, 3 of 4 measured.
	if c.Operator != "acme" || c.Day != "2026-12-04" || c.Sessions != 2 || c.PlayedMinutes != 2 || c.Checks != 1 ||
		c.Score != 0.5 || c.Availability != 0.75 || c.Weighted != 0.75 {
		t.Fatalf("contribution %+v", c)
	}
}
