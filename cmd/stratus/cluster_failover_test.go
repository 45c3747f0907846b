package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"stratus/internal/clustertest"
)

// inRegionFailoverLimit is Stratus's acceptance threshold for moving a
// player to another edge of its region after its edge died: from the kill
// to the first frame presented from the new edge.
const inRegionFailoverLimit = 3 * time.Second

// How a page is expected to recover from its edge's death.
const (
	viaStandby = true  // it holds a warm standby, which takes over
	viaRejoin  = false // it holds none (its signaling node was lost), and rejoins
)

// killAndFollow kills the edge the page plays on with kill -9 and waits
// until the page plays on another edge; it returns that edge and the time
// from the kill to the first frame the page presented from it. With
// standby, it first waits until the page holds a warm standby and checks
// that the standby took over; otherwise that the page rejoined.
func killAndFollow(t *testing.T, ctx context.Context, c *testCluster, wantRegion string, failoversBefore int, standby bool) (string, time.Duration) {
	t.Helper()
	var before clustertest.Page
	if standby {
		before = waitStandby(t, ctx, 10*time.Second)
	} else {
		var err error
		if before, err = clustertest.ReadPage(ctx); err != nil {
			t.Fatal(err)
		}
	}
	victim := c.edges[before.Edge]
	if victim == nil {
		t.Fatalf("page plays on %q, which is not one of the test's edges", before.Edge)
	}
	n := len(before.EdgeHistory)
	killedAt := victim.Kill()
	t.Logf("kill -9 %s at %s (load %s)", victim.name, killedAt.Format("15:04:05.000"), loadAvg())

	ps := waitPlaying(t, ctx, 20*time.Second, fmt.Sprintf("the page to play again after %s was killed", victim.name), before.FramesPresented+10,
		func(ps clustertest.Page) bool {
			e := ps.Last()
			return len(ps.EdgeHistory) > n && ps.Edge != victim.name && e.Edge == ps.Edge && e.FirstFrameAt != nil
		})
	e := ps.Last()
	took := time.Duration((*e.FirstFrameAt - float64(killedAt.UnixNano())/1e6) * float64(time.Millisecond))
	detected := "?"
	if ps.LastFailure != nil && ps.LastFailure.Edge == victim.name {
		detected = time.Duration((ps.LastFailure.At - float64(killedAt.UnixNano())/1e6) * float64(time.Millisecond)).Round(time.Millisecond).String()
	}
	t.Logf("page moved %s → %s (%s): failure detected after %s, joined after %v, first frame after %v (reason %q)",
		victim.name, ps.Edge, ps.Region, detected,
		time.Duration((e.JoinedAt-float64(killedAt.UnixNano())/1e6)*float64(time.Millisecond)).Round(time.Millisecond),
		took.Round(time.Millisecond), ps.LastFailure.Reason)
	if ps.Region != wantRegion {
		t.Errorf("page moved to %s in %s, want region %s", ps.Edge, ps.Region, wantRegion)
	}
	if ps.Failovers != failoversBefore+1 {
		t.Errorf("stratus.failovers = %d, want %d", ps.Failovers, failoversBefore+1)
	}
	if ps.LastFailure == nil || ps.LastFailure.Edge != victim.name {
		t.Errorf("stratus.lastFailure = %+v, want the killed edge %s", ps.LastFailure, victim.name)
	}
	switch {
	case standby && (ps.StandbyActivations != before.StandbyActivations+1 || ps.Edge != before.Standby.Edge || ps.Session != before.Standby.Session):
		t.Errorf("after the kill the page plays session %s on %s with %d standby activations; want its standby's %s on %s, and %d activations",
			ps.Session, ps.Edge, ps.StandbyActivations, before.Standby.Session, before.Standby.Edge, before.StandbyActivations+1)
	case !standby && ps.StandbyActivations != before.StandbyActivations:
		t.Errorf("after the kill the page counts %d standby activations, want a rejoin (%d)", ps.StandbyActivations, before.StandbyActivations)
	}
	// Frames keep coming from the new edge.
	framesGrow(t, ctx, 60, 10*time.Second)
	return ps.Edge, took
}

// waitStandby waits until the page plays and holds a warm standby on
// another edge than the one it plays on, and returns the page then.
func waitStandby(t *testing.T, ctx context.Context, limit time.Duration) clustertest.Page {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		ps, err := clustertest.ReadPage(ctx)
		if err == nil && ps.State == "playing" && ps.Standby != nil && ps.Standby.Edge != "" && ps.Standby.Edge != ps.Edge {
			t.Logf("page plays on %s, standby on %s", ps.Edge, ps.Standby.Edge)
			return ps
		}
		if time.Now().After(deadline) {
			t.Fatalf("no standby on the page within %v (page %s, err %v)", limit, ps, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestClusterFailover: Chromium plays on an eu-west edge with a warm
// standby on the other; kill -9 of its edge moves the page to the standby
// (the other eu-west edge) within the acceptance threshold, and kill -9 of
// that one to its next standby, us-east-1, with frames flowing after each
// move.
func TestClusterFailover(t *testing.T) {
	c, s := startStandardCluster(t)
	ctx := openPage(t, s.url+"/play?title=testpattern")
	ps := waitPlaying(t, ctx, 30*time.Second, "the page to play", 30, nil)
	if ps.Region != "eu-west" {
		t.Fatalf("page plays on %s (%s), want eu-west", ps.Edge, ps.Region)
	}
	first := ps.Edge
	// Steady play before the kill.
	framesGrow(t, ctx, 60, 10*time.Second)

	second, took := killAndFollow(t, ctx, c, "eu-west", 0, viaStandby)
	if !strings.HasPrefix(second, "eu-west-") || second == first {
		t.Fatalf("after %s died the page plays on %s, want the other eu-west edge", first, second)
	}
	if took > inRegionFailoverLimit {
		t.Errorf("in-region failover took %v from kill to first new frame, acceptance threshold %v (load %s)", took.Round(time.Millisecond), inRegionFailoverLimit, loadAvg())
	}

	third, took := killAndFollow(t, ctx, c, "us-east", 1, viaStandby)
	if third != "us-east-1" {
		t.Fatalf("after both eu-west edges died the page plays on %s, want us-east-1", third)
	}
	t.Logf("cross-region failover took %v from kill to first new frame", took.Round(time.Millisecond))
}

// TestClusterStandbyLost: the page's standby edge dies with its serving
// edge (kill -9 of both at once). The page must not wait on the dead
// standby: it rejoins, on us-east-1, and plays on.
func TestClusterStandbyLost(t *testing.T) {
	c, s := startStandardCluster(t)
	ctx := openPage(t, s.url+"/play?title=testpattern")
	waitPlaying(t, ctx, 30*time.Second, "the page to play", 30, nil)
	before := waitStandby(t, ctx, 10*time.Second)
	serving, standby := c.edges[before.Edge], c.edges[before.Standby.Edge]
	if serving == nil || standby == nil {
		t.Fatalf("page plays on %q with a standby on %q; want two of the test's edges", before.Edge, before.Standby.Edge)
	}
	killedAt := serving.Kill()
	standby.Kill()
	t.Logf("kill -9 %s and its standby %s at %s (load %s)", serving.name, standby.name, killedAt.Format("15:04:05.000"), loadAvg())
	ps := waitPlaying(t, ctx, 20*time.Second, "the page to play again after both died", before.FramesPresented+10,
		func(ps clustertest.Page) bool {
			e := ps.Last()
			return ps.Edge == "us-east-1" && e.Edge == ps.Edge && e.FirstFrameAt != nil
		})
	took := time.Duration((*ps.Last().FirstFrameAt - float64(killedAt.UnixNano())/1e6) * float64(time.Millisecond))
	t.Logf("page rejoined on %s, first frame %v after the kill", ps.Edge, took.Round(time.Millisecond))
	if ps.StandbyActivations != before.StandbyActivations {
		t.Errorf("%d standby activations, want none: the standby was dead", ps.StandbyActivations-before.StandbyActivations)
	}
	framesGrow(t, ctx, 60, 10*time.Second)
}
