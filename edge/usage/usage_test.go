package usage

import (
	"crypto/ed25519"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func rec(session string, seq uint64, final bool, start time.Time) Record {
	return Record{Session: session, Seq: seq, Final: final, Kind: KindPlayer, Title: "rocks", Edge: "eu-1", Region: "eu",
		Start: start, End: start.Add(time.Duration(seq) * 10 * time.Second), Seconds: float64(seq) * 10}
}

// A journal left by an edge killed mid-session: reopening closes the
// session as interrupted at its last checkpoint, once, and keeps one
// record a session.
func TestJournalRecoversAfterAKill(t *testing.T) {
	dir := t.TempDir()
	pub, key, _ := ed25519.GenerateKey(nil)
	log := slog.New(slog.DiscardHandler)
	j, err := Open(dir, key, log)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(-time.Minute)
	if err := j.Write(rec("a", 1, false, start), rec("b", 1, false, start)); err != nil {
		t.Fatal(err)
	}
	if err := j.Write(rec("a", 2, false, start), rec("b", 2, true, start)); err != nil {
		t.Fatal(err)
	}
	// The kill: no Close, and half a line at the end.
	f, _ := os.OpenFile(filepath.Join(dir, "usage.jsonl"), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"session":"a","seq":3,"fin`)
	f.Close()

	for range 2 { // reopening twice changes nothing more
		j, err = Open(dir, key, log)
		if err != nil {
			t.Fatal(err)
		}
		got := j.Records()
		j.Close()
		if len(got) != 2 {
			t.Fatalf("%d records, want one per session: %+v", len(got), got)
		}
		for _, r := range got {
			if err := r.Verify(pub); err != nil {
				t.Errorf("%s: %v", r.Session, err)
			}
			switch r.Session {
			case "a":
				if !r.Final || !r.Interrupted || r.Seq != 3 || r.Seconds != 20 {
					t.Errorf("killed session: %+v", r)
				}
			case "b":
				if !r.Final || r.Interrupted || r.Seq != 2 {
					t.Errorf("ended session: %+v", r)
				}
			}
		}
	}
	b, _ := os.ReadFile(filepath.Join(dir, "usage.jsonl"))
	if n := strings.Count(string(b), "\n"); n != 2 {
		t.Errorf("journal holds %d lines after recovery, want 2", n)
	}
}

func TestTamperedRecordFailsVerify(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(nil)
	r := rec("a", 1, true, time.Now())
	r.Sign(key)
	if err := r.Verify(pub); err != nil {
		t.Fatal(err)
	}
	r.Seconds *= 10
	if err := r.Verify(pub); err == nil {
		t.Fatal("a record with ten times the seconds verified")
	}
}

func TestRetention(t *testing.T) {
	dir := t.TempDir()
	_, key, _ := ed25519.GenerateKey(nil)
	j, _ := Open(dir, key, slog.New(slog.DiscardHandler))
	old := rec("old", 1, true, time.Now().Add(-Retention-time.Hour))
	j.Write(old, rec("new", 1, true, time.Now()))
	j.Close()
	j, _ = Open(dir, key, slog.New(slog.DiscardHandler))
	defer j.Close()
	if got := j.Records(); len(got) != 1 || got[0].Session != "new" {
		t.Fatalf("after retention: %+v", got)
	}
}
