package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"stratus/checker"
	"stratus/internal/clustertest"
	"stratus/ledger"
	"stratus/signaling"
)

// TestClusterUsageSurvivesSignalKill: the ledger's records outlive a
// kill -9 of the signaling node that keeps it; a session that ends while
// the node is down reaches the ledger once the node is back on the same
// data directory (the edge keeps its records and pushes them again); no
// session is counted twice, and every record verifies.
func TestClusterUsageSurvivesSignalKill(t *testing.T) {
	c := newCluster(t)
	studioFlags := []string{"-studio-data", c.dataDir("studio"), "-studio-dev-key", devStudioKey}
	s := c.startSignal(signalOpts{name: "signal-1", extra: studioFlags})
	e := c.startEdge(edgeOpts{name: "eu-west-1", region: "eu-west", join: s})
	waitEdges(t, s, 15*time.Second, []string{"eu-west-1"}, okEdge)
	dir := c.dataDir("eu-west-1")

	stratus := func(args ...string) (string, error) {
		cmd := exec.Command(c.bin, append(args, "-signal", s.url, "-operator-token-file", c.tokenFile)...)
		cmd.Env = clustertest.Env()
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	ledgerHas := func(session string) (ledger.Entry, bool, string) {
		out, err := stratus("usage", "-format", "json")
		if err != nil {
			return ledger.Entry{}, false, out
		}
		var list []ledger.Entry
		json.Unmarshal([]byte(out), &list)
		for _, en := range list {
			if en.Session == session && en.Final {
				return en, true, ""
			}
		}
		return ledger.Entry{}, false, out
	}
	play := func(watch time.Duration) (string, error) {
		cfg := checker.DefaultConfig()
		cfg.Signal, cfg.Watch = s.url, watch
		res, err := checker.Probe(t.Context(), cfg, slog.New(slog.DiscardHandler))
		return res.Session, err
	}

	// A session played and recorded before the kill.
	before, err := play(2 * time.Second)
	if err != nil || before == "" {
		t.Fatalf("the first session: %q %v", before, err)
	}
	var kept ledger.Entry
	poll(t, 20*time.Second, "the ledger to hold the first session", func() (bool, string) {
		en, ok, why := ledgerHas(before)
		kept = en
		return ok, why
	})

	// A second session that the node's death does not stop: the page
	// plays from the edge, and the edge keeps its record until the node
	// is back.
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	during := make(chan string, 1)
	go func() {
		id, err := play(8 * time.Second)
		if err != nil {
			t.Logf("the second session: %v", err)
		}
		during <- id
	}()
	poll(t, 15*time.Second, "the second session to start on the edge", func() (bool, string) {
		st, err := edgeStatus(e)
		if err != nil {
			return false, err.Error()
		}
		return len(st.Sessions) == 1, "no session yet"
	})
	killed := s.Kill()
	var second string
	select {
	case second = <-during:
	case <-ctx.Done():
	}
	if second == "" {
		t.Fatal("the second session did not play through the kill")
	}
	poll(t, 15*time.Second, "the edge to close the second session in its journal", func() (bool, string) {
		r, ok := readJournal(t, dir)[second]
		return ok && r.Final, "not final yet"
	})
	t.Logf("signal-1 killed at %s; session %s ended while it was down", killed.Format(time.RFC3339Nano), second)

	// The same node, on the same data directory and addresses, joins the
	// edge's pool again.
	s = c.startSignal(signalOpts{name: "signal-1", again: s, extra: append(studioFlags, "-join-lan", "eu-west="+e.gossip)})
	var after ledger.Entry
	poll(t, 30*time.Second, "the second session to reach the restarted node's ledger", func() (bool, string) {
		en, ok, why := ledgerHas(second)
		after = en
		return ok, why
	})
	out, err := stratus("usage", "-format", "json")
	if err != nil {
		t.Fatal(out)
	}
	var list []ledger.Entry
	json.Unmarshal([]byte(out), &list)
	journal := readJournal(t, dir)
	var seconds float64
	for _, en := range list {
		seconds += en.Seconds
		if j := journal[en.Session]; en.Seq != j.Seq || en.Seconds != j.Seconds {
			t.Errorf("session %s: the ledger has seq %d (%.1f s), the edge's journal seq %d (%.1f s)", en.Session, en.Seq, en.Seconds, j.Seq, j.Seconds)
		}
	}
	if len(list) != 2 || seconds != kept.Seconds+after.Seconds {
		t.Errorf("the ledger after the restart: %d records, %.1f s; want the two sessions, %.1f s", len(list), seconds, kept.Seconds+after.Seconds)
	}
	if found, _, _ := ledgerHas(before); found.Seq != kept.Seq || found.Seconds != kept.Seconds {
		t.Errorf("the first session changed across the kill: %+v, was %+v", found, kept)
	}
	out, err = stratus("usage", "verify")
	t.Logf("stratus usage verify: %s", strings.TrimSpace(out))
	if err != nil {
		t.Fatalf("verify: %v", err)
	}

	// The edge's operator sees the same, asking as its node.
	cmd := exec.Command(c.bin, "edge", "status", "-data-dir", dir, "-signal", s.url, "-format", "json")
	cmd.Env = clustertest.Env()
	b, err := cmd.CombinedOutput()
	var st signaling.OperatorStatus
	if err != nil || json.Unmarshal(b, &st) != nil {
		t.Fatalf("stratus edge status: %v\n%s", err, b)
	}
	if st.Operator != testOperator || len(st.Nodes) != 1 || st.Nodes[0].Name != "eu-west-1" || st.Nodes[0].Sessions != 2 ||
		len(st.Contribution) == 0 {
		t.Fatalf("stratus edge status: %s", b)
	}
	// A studio sees none of it: testpattern is the network's title. A
	// wrong key is refused.
	for _, c2 := range []struct {
		key  string
		want string
	}{{devStudioKey, "[]"}, {"not-the-key-0123456789", "401"}} {
		keyFile := filepath.Join(t.TempDir(), "studio.key")
		os.WriteFile(keyFile, []byte(c2.key+"\n"), 0o600)
		cmd := exec.Command(c.bin, "usage", "-signal", s.url, "-studio-key-file", keyFile, "-format", "json")
		cmd.Env = clustertest.Env()
		b, _ := cmd.CombinedOutput()
		if !strings.Contains(string(b), c2.want) {
			t.Errorf("stratus usage with studio key %q: %s, want %s", c2.key, b, c2.want)
		}
	}
}

const devStudioKey = "dev-key-0123456789"
