package main

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	"stratus/cluster"
	"stratus/internal/clustertest"
)

// TestClusterDrain: `stratus drain` on the edge serving the page moves the
// page to another edge with one reconnect, leaves the edge with no session
// and draining (in its status and in gossip), and SIGTERM then stops it
// cleanly and takes it out of the cluster.
func TestClusterDrain(t *testing.T) {
	c, s := startStandardCluster(t)
	ctx := openPage(t, s.url+"/play?title=testpattern")
	ps := waitPlaying(t, ctx, 30*time.Second, "the page to play", 30, nil)
	framesGrow(t, ctx, 30, 10*time.Second)
	ps, _ = clustertest.ReadPage(ctx)
	drained := c.edges[ps.Edge]
	if drained == nil {
		t.Fatalf("page plays on unknown edge %q", ps.Edge)
	}
	reconnects, frames := ps.Reconnects, ps.FramesPresented

	start := time.Now()
	drain := exec.Command(c.bin, "drain", "-edge", drained.api, "-wait", "30s", "-operator-token-file", c.tokenFile)
	drain.Env = clustertest.Env()
	out, err := drain.CombinedOutput()
	t.Logf("stratus drain -edge %s (%v):\n%s", drained.api, time.Since(start).Round(time.Millisecond), out)
	if err != nil {
		t.Fatalf("stratus drain: %v", err)
	}
	if !strings.Contains(string(out), "is drained") {
		t.Errorf("stratus drain did not report the edge drained")
	}

	ps = waitPlaying(t, ctx, 15*time.Second, "the page to play on another edge after the drain", frames+10, func(ps clustertest.Page) bool {
		return ps.Edge != drained.name
	})
	t.Logf("page moved %s → %s (%s): %d moves, %d reconnects (%d before), %d failovers",
		drained.name, ps.Edge, ps.Region, ps.Moves, ps.Reconnects, reconnects, ps.Failovers)
	if ps.Region != "eu-west" {
		t.Errorf("drained page went to %s in %s, want the other eu-west edge", ps.Edge, ps.Region)
	}
	if ps.Reconnects-reconnects > 1 || ps.Moves != 1 {
		t.Errorf("the move took %d reconnects and %d moves, want at most one reconnect and one move", ps.Reconnects-reconnects, ps.Moves)
	}
	framesGrow(t, ctx, 60, 10*time.Second)

	st, err := edgeStatus(drained)
	if err != nil {
		t.Fatal(err)
	}
	if st.Health != string(cluster.HealthDraining) || st.Active != 0 || len(st.Sessions) != 0 {
		t.Errorf("drained edge's status: health %q, %d active, %d sessions; want draining and none", st.Health, st.Active, len(st.Sessions))
	}
	waitEdges(t, s, 10*time.Second, []string{"eu-west-1", "eu-west-2", "us-east-1"}, func(e edgeView) bool {
		if e.Name == drained.name {
			return e.Health == string(cluster.HealthDraining)
		}
		return e.Health == string(cluster.HealthOK)
	})

	// The operator changes their mind: `stratus drain -undo` puts the edge
	// back, and the signaling node sees it healthy again; then it drains
	// once more, to be stopped.
	undo := exec.Command(c.bin, "drain", "-edge", drained.api, "-undo", "-operator-token-file", c.tokenFile)
	undo.Env = clustertest.Env()
	if out, err := undo.CombinedOutput(); err != nil {
		t.Fatalf("stratus drain -undo: %v\n%s", err, out)
	}
	waitEdges(t, s, 10*time.Second, []string{"eu-west-1", "eu-west-2", "us-east-1"}, func(e edgeView) bool {
		return e.Health == string(cluster.HealthOK)
	})
	again := exec.Command(c.bin, "drain", "-edge", drained.api, "-wait", "30s", "-operator-token-file", c.tokenFile)
	again.Env = clustertest.Env()
	if out, err := again.CombinedOutput(); err != nil {
		t.Fatalf("drain after the undrain: %v\n%s", err, out)
	}

	// Stopping the drained edge is clean and takes it out of the cluster.
	stopAt := time.Now()
	if err := drained.term(15 * time.Second); err != nil {
		t.Errorf("%s exited with %v after SIGTERM, want status 0", drained.name, err)
	}
	var rest []string
	for _, n := range []string{"eu-west-1", "eu-west-2", "us-east-1"} {
		if n != drained.name {
			rest = append(rest, n)
		}
	}
	waitEdges(t, s, 10*time.Second, rest, nil)
	t.Logf("%s exited and left /v1/edges %v after SIGTERM", drained.name, time.Since(stopAt).Round(time.Millisecond))
	// The page never noticed.
	framesGrow(t, ctx, 30, 10*time.Second)
	if ps2, _ := clustertest.ReadPage(ctx); ps2.Edge != ps.Edge || ps2.Reconnects != ps.Reconnects {
		t.Errorf("stopping the drained edge disturbed the page: %s", ps2)
	}
}
