package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"stratus/edge/api"
	"stratus/internal/clustertest"
	"stratus/internal/freeport"
)

// Studio titles in a real cluster: the catalog travels from the signaling
// node to edges that find it through gossip (authenticated with the
// cluster key), only the edge with the game installed offers it, players
// are routed there, and when that edge is killed (kill -9) and restarted,
// it ends whatever its game left running.
func TestClusterStudioTitles(t *testing.T) {
	c := newCluster(t)
	studioData := t.TempDir()
	s := c.startSignal(signalOpts{name: "signal-1", regions: []string{"eu-west"},
		extra: []string{"-studio-data", studioData, "-studio-dev-key", onboardDevKey}})

	// The game leaves a helper behind that no process group reaches once
	// the edge is gone: its sandbox's namespace ends it with the edge, and
	// the restarted edge's sweep removes what the session left on disk.
	installed := gameDir(t)
	writeFile(t, filepath.Join(installed, "leaky", "start.sh"), `#!/bin/sh
setsid sleep 1234 &
exec sleep 1000
`, 0o755)
	empty := gameDir(t)
	runA := gameDir(t)
	argsA := []string{"-titles-dir", installed, "-run-dir", runA}
	// Fixed ports, so that the restarted edge takes its own place in
	// gossip at once.
	portsA := &edgePorts{api: freeport.Must(t, "127.0.0.1", freeport.TCP), gossip: freeport.Must(t, "127.0.0.1", freeport.Both), udp: freeport.Must(t, "127.0.0.1", freeport.UDP)}
	a := c.startEdge(edgeOpts{name: "eu-west-1", region: "eu-west", join: s, extra: argsA, ports: portsA})
	c.startEdge(edgeOpts{name: "eu-west-2", region: "eu-west", join: s, extra: []string{"-titles-dir", empty, "-run-dir", gameDir(t)}})
	waitEdges(t, s, 15*time.Second, []string{"eu-west-1", "eu-west-2"}, okEdge)

	out, err := titleRun(t, "add", "-signal", s.url, "-studio-key", onboardDevKey, writeManifest(t,
		`{"id":"leaky","name":"Leaky","version":"1.0.0","runtime":"process","command":"start.sh","width":320,"height":240,"fps":30,"input":{"keyboard":true}}`))
	if err != nil {
		t.Fatalf("title add: %v\n%s", err, out)
	}
	waitEdges(t, s, 15*time.Second, []string{"eu-west-1", "eu-west-2"}, func(e edgeView) bool {
		return slices.Contains(e.Titles, "leaky") == (e.Name == "eu-west-1")
	})
	// eu-west-2 gossips no title either way: only its answer to the
	// studio report shows that it has the catalog.
	poll(t, 15*time.Second, "title list to show where the game runs and why not", func() (bool, string) {
		list, err := titleRun(t, "list", "-signal", s.url, "-studio-key", onboardDevKey)
		return err == nil && strings.Contains(list, "1/2") && strings.Contains(list, "leaky on eu-west-2: not installed on this edge"),
			fmt.Sprint(list, err)
	})

	locksBefore := xLocks()
	p := dialPlayer(t, "player", s.url)
	m, err := p.join("leaky", true)
	if err != nil || m.Edge != "eu-west-1" {
		t.Fatalf("join: %+v %v; want the session on eu-west-1, the edge with the game", m, err)
	}
	marker := "STRATUS_SESSION=" + m.Session
	poll(t, 10*time.Second, "the game and its helper to run", func() (bool, string) {
		pids := markedPIDs(marker)
		return len(pids) >= 3, strings.Join(pids, ",") // Xvfb, the game, its helper
	})

	a.Kill()
	// The edge's direct children die with it, and the game with its
	// sandbox's namespace as a rule; whatever is left (bubblewrap's own
	// parent-death signal does not always fire) the restarted edge's
	// sweep ends through the session's cgroup, below.
	time.Sleep(time.Second) // what dies with the edge has had time to
	var left []string
	for _, p := range markedPIDs(marker) {
		b, _ := os.ReadFile("/proc/" + p + "/cmdline")
		left = append(left, p+" "+strings.ReplaceAll(string(b), "\x00", " "))
	}
	t.Logf("a second after the edge's death, its session's processes: %q", left)
	if _, err := os.Stat(filepath.Join(runA, "sessions", m.Session+".json")); err != nil {
		t.Fatalf("the killed edge left no session record: %v", err)
	}

	a = c.startEdge(edgeOpts{name: "eu-west-1", region: "eu-west", join: s, extra: argsA, ports: portsA})
	poll(t, 10*time.Second, "the restarted edge to sweep what its game left", func() (bool, string) {
		pids := markedPIDs(marker)
		_, err := os.Stat(filepath.Join(runA, "sessions", m.Session+".json"))
		return len(pids) == 0 && os.IsNotExist(err) && xLocks() == locksBefore,
			"processes " + strings.Join(pids, ",") + "; X locks " + xLocks() + ", before " + locksBefore
	})

	// An edge told to exit at once (a second SIGTERM) ends its games first.
	// The restarted edge offers the game again once it has the catalog.
	poll(t, 15*time.Second, "the restarted edge to offer the game", func() (bool, string) {
		var ts []api.Title
		err := clustertest.GetJSON(a.op, a.api+"/v1/titles", &ts)
		return err == nil && slices.ContainsFunc(ts, func(x api.Title) bool { return x.ID == "leaky" }), fmt.Sprint(ts, err)
	})
	waitEdges(t, s, 15*time.Second, []string{"eu-west-1", "eu-west-2"}, func(e edgeView) bool {
		return slices.Contains(e.Titles, "leaky") == (e.Name == "eu-west-1")
	})
	p2 := dialPlayer(t, "player-2", s.url)
	m2, err := p2.join("leaky", true)
	if err != nil || m2.Edge != "eu-west-1" {
		t.Fatalf("join after the restart: %+v %v", m2, err)
	}
	marker2 := "STRATUS_SESSION=" + m2.Session
	poll(t, 10*time.Second, "the second game to run", func() (bool, string) {
		pids := markedPIDs(marker2)
		return len(pids) >= 3, strings.Join(pids, ",")
	})
	a.Cmd.Process.Signal(syscall.SIGTERM)
	// Signals of one kind sent together merge into one: send the second
	// once the first is taken.
	poll(t, 5*time.Second, "the edge to take the first SIGTERM", func() (bool, string) {
		return a.LogContains("shutting down"), ""
	})
	a.Cmd.Process.Signal(syscall.SIGTERM)
	if exited, _ := a.Wait(10 * time.Second); !exited {
		t.Fatal("the edge did not exit on a second SIGTERM")
	}
	if pids := markedPIDs(marker2); len(pids) > 0 {
		t.Fatalf("processes of the game outlived the edge: %v", pids)
	}
}
