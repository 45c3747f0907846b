package main

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/json"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"stratus/checker"
	edgeusage "stratus/edge/usage"
	"stratus/internal/clustertest"
	"stratus/ledger"
	"stratus/trust/enroll"
)

// readJournal reads an edge's usage journal, the latest record of each
// session.
func readJournal(t *testing.T, dir string) map[string]edgeusage.Record {
	t.Helper()
	out := map[string]edgeusage.Record{}
	b, err := os.ReadFile(filepath.Join(dir, "usage.jsonl"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var r edgeusage.Record
		if json.Unmarshal([]byte(line), &r) == nil && r.Session != "" && r.Seq >= out[r.Session].Seq {
			out[r.Session] = r
		}
	}
	return out
}

// TestClusterUsageSurvivesKill: a session's usage is checkpointed every
// 10 s; after kill -9 of its edge, the restarted edge closes it as
// interrupted at its last checkpoint, signed, and counts it once.
func TestClusterUsageSurvivesKill(t *testing.T) {
	c := newCluster(t)
	s := c.startSignal(signalOpts{name: "signal-1"})
	e := c.startEdge(edgeOpts{name: "eu-west-1", region: "eu-west", join: s})
	waitEdges(t, s, 15*time.Second, []string{"eu-west-1"}, okEdge)
	dir := c.dataDir("eu-west-1")

	// A real session: a probe that watches for longer than the test
	// lets it.
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	probe := checker.DefaultConfig()
	probe.Signal, probe.Watch = s.url, time.Minute
	go checker.Probe(ctx, probe, slog.New(slog.DiscardHandler))
	var session string
	poll(t, 30*time.Second, "a checkpoint of 10 s of play", func() (bool, string) {
		for id, r := range readJournal(t, dir) {
			if !r.Final && r.Seconds >= 10 {
				session = id
				return true, ""
			}
		}
		return false, "no checkpoint yet"
	})
	killed := e.Kill()
	cancel()
	t.Logf("killed the edge %.1f s into session %s", killed.Sub(readJournal(t, dir)[session].Start).Seconds(), session)

	c.startEdge(edgeOpts{name: "eu-west-1", region: "eu-west", join: s})
	recs := readJournal(t, dir)
	r := recs[session]
	key, err := enroll.NodeKey(dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Verify(key.Public().(ed25519.PublicKey)); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(r)
	t.Logf("after the restart: %s", b)
	if !r.Final || !r.Interrupted || r.Seconds < 10 || r.FramesSent < 300 || r.Title != "testpattern" || r.Operator != testOperator {
		t.Fatalf("interrupted session: %+v", r)
	}
	lost := killed.Sub(r.End)
	if lost < 0 || lost > 10*time.Second {
		t.Errorf("usage lost to the kill: %v, want at most 10 s", lost)
	}
	if n := strings.Count(string(must(os.ReadFile(filepath.Join(dir, "usage.jsonl")))), `"session":"`+session+`"`); n != 1 {
		t.Errorf("session %s is in the journal %d times after compaction, want once", session, n)
	}

	// The restarted edge sends the record to the ledger, where the
	// operator reads and verifies it.
	stratus := func(args ...string) (string, error) {
		cmd := exec.Command(c.bin, append(args, "-signal", s.url, "-operator-token-file", c.tokenFile)...)
		cmd.Env = clustertest.Env()
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	poll(t, 30*time.Second, "the ledger to hold the interrupted session", func() (bool, string) {
		out, err := stratus("usage", "-format", "json")
		if err != nil {
			return false, out
		}
		var list []ledger.Entry
		json.Unmarshal([]byte(out), &list)
		for _, e := range list {
			if e.Session == session && e.Interrupted && e.Seq == r.Seq {
				return true, ""
			}
		}
		return false, out
	})
	out, err := stratus("usage", "verify")
	t.Logf("stratus usage verify: %s", strings.TrimSpace(out))
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	// Ten times the seconds, written into the ledger behind its back.
	db, err := sql.Open("sqlite", filepath.Join(c.dataDir("signal-1"), "ledger.db")+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	forged := r
	forged.Seconds *= 10
	if _, err := db.Exec(`UPDATE usage SET record = ? WHERE session = ?`, string(must(json.Marshal(forged))), session); err != nil {
		t.Fatal(err)
	}
	out, err = stratus("usage", "verify")
	t.Logf("after tampering: %s", strings.TrimSpace(out))
	if err == nil || !strings.Contains(out, "FAIL "+session) {
		t.Fatalf("a tampered record passed verify: %v", err)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}
