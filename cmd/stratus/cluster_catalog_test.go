package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"stratus/internal/pgtest"
)

// Two signaling processes on one PostgreSQL (-db) share one studio
// catalog: the catalog file an earlier release kept for signal-1 is
// imported at its start and listed through signal-2, a title uploaded
// through signal-1 is listed through signal-2 and reaches an edge that
// joined signal-2.
func TestClusterSharedCatalog(t *testing.T) {
	dsn := pgtest.Start(t)
	c := newCluster(t)
	studio1, studio2 := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(studio1, "titles.json"), `{"format":1,"revision":1,"titles":[{"id":"old-game","studio":"dev","version":"1.0.0",
		"manifest":{"id":"old-game","name":"Old Game","version":"1.0.0","runtime":"process","command":"start.sh","width":320,"height":240,"fps":30,"input":{"keyboard":true}},
		"created":"2026-01-01T00:00:00Z","updated":"2026-01-01T00:00:00Z","versions":["1.0.0"]}]}`, 0o600)
	studioArgs := func(dir string) []string {
		return []string{"-db", dsn, "-studio-data", dir, "-studio-dev-key", onboardDevKey}
	}
	s1 := c.startSignal(signalOpts{name: "signal-1", regions: []string{"eu-west"}, extra: studioArgs(studio1)})
	s2 := c.startSignal(signalOpts{name: "signal-2", regions: []string{"eu-west"}, join: s1, extra: studioArgs(studio2)})
	if _, err := os.Stat(filepath.Join(studio1, "titles.json.imported")); err != nil {
		t.Fatalf("signal-1 kept no backup of its catalog file: %v", err)
	}

	list := func(s *signalNode) (string, error) {
		return titleRun(t, "list", "-signal", s.url, "-studio-key", onboardDevKey)
	}
	if out, err := list(s2); err != nil || !strings.Contains(out, "old-game") {
		t.Fatalf("signal-2 lists %q (%v); want signal-1's imported old-game", out, err)
	}
	out, err := titleRun(t, "add", "-signal", s1.url, "-studio-key", onboardDevKey, writeManifest(t,
		`{"id":"rocket","name":"Rocket","version":"1.0.0","runtime":"process","command":"start.sh","width":320,"height":240,"fps":30,"input":{"keyboard":true}}`))
	if err != nil {
		t.Fatalf("title add through signal-1: %v\n%s", err, out)
	}
	// At once: a studio's reads catch up with the database first.
	if out, err := list(s2); err != nil || !strings.Contains(out, "rocket") {
		t.Fatalf("signal-2 lists %q (%v) after the upload through signal-1", out, err)
	}

	installed := gameDir(t)
	writeFile(t, filepath.Join(installed, "rocket", "start.sh"), "#!/bin/sh\nexec sleep 1000\n", 0o755)
	c.startEdge(edgeOpts{name: "eu-west-1", region: "eu-west", join: s2, extra: []string{"-titles-dir", installed, "-run-dir", gameDir(t)}})
	waitEdges(t, s2, 20*time.Second, []string{"eu-west-1"}, func(e edgeView) bool { return slices.Contains(e.Titles, "rocket") })

	// A second version through signal-2 is signal-1's current one.
	if out, err := titleRun(t, "add", "-signal", s2.url, "-studio-key", onboardDevKey, writeManifest(t,
		`{"id":"rocket","name":"Rocket","version":"1.1.0","runtime":"process","command":"start.sh","width":320,"height":240,"fps":30,"input":{"keyboard":true}}`)); err != nil {
		t.Fatalf("title add through signal-2: %v\n%s", err, out)
	}
	poll(t, 5*time.Second, "signal-1 to list version 1.1.0", func() (bool, string) {
		out, err := list(s1)
		return err == nil && strings.Contains(out, "1.1.0"), fmt.Sprint(out, err)
	})
}
