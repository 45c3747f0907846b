package main

import (
	"strings"
	"testing"
	"time"

	"stratus/internal/clustertest"
)

// TestClusterSignalLoss: the page is loaded from signal-1 and plays; kill -9
// of signal-1 does not stop the game, the page moves its signaling socket
// to signal-2 (named in signal-1's greeting, and accepting the page's
// origin because it knows signal-1 from gossip), and a later edge failure
// is recovered through signal-2.
func TestClusterSignalLoss(t *testing.T) {
	c := newCluster(t)
	s1 := c.startSignal(signalOpts{name: "signal-1"})
	s2 := c.startSignal(signalOpts{name: "signal-2", join: s1})
	c.startEdge(edgeOpts{name: "eu-west-1", region: "eu-west", probeDelay: 10 * time.Millisecond, join: s1})
	c.startEdge(edgeOpts{name: "eu-west-2", region: "eu-west", probeDelay: 10 * time.Millisecond, join: s1})
	c.startEdge(edgeOpts{name: "us-east-1", region: "us-east", probeDelay: 80 * time.Millisecond, join: s1})
	all := []string{"eu-west-1", "eu-west-2", "us-east-1"}
	waitEdges(t, s1, 15*time.Second, all, okEdge)
	waitEdges(t, s2, 15*time.Second, all, okEdge)
	// signal-1 greets with both nodes once it has heard of signal-2.
	poll(t, 15*time.Second, "signal-1's greeting to list both signaling nodes", func() (bool, string) {
		p := dialPlayer(t, "greeting", s1.url)
		defer p.close()
		return len(p.hello.Signals) == 2, strings.Join(p.hello.Signals, " ")
	})

	ctx := openPage(t, s1.url+"/play?title=testpattern")
	ps := waitPlaying(t, ctx, 30*time.Second, "the page to play through signal-1", 30, func(ps clustertest.Page) bool {
		return ps.Node == "signal-1" && len(ps.Signals) == 2
	})
	if !strings.Contains(ps.Signal, hostOf(s1.url)) {
		t.Fatalf("page's socket is %q, want signal-1 (%s)", ps.Signal, s1.url)
	}
	t.Logf("page plays on %s through %s (%s); knows %v", ps.Edge, ps.Node, ps.Signal, ps.Signals)
	edgeBefore, frames := ps.Edge, ps.FramesPresented

	killedAt := s1.Kill()
	// The game goes on, and the page finds signal-2.
	ps = waitPlaying(t, ctx, 15*time.Second, "the page to reconnect its socket to signal-2 while playing on", frames+30, func(ps clustertest.Page) bool {
		return ps.Node == "signal-2" && strings.Contains(ps.Signal, hostOf(s2.url))
	})
	t.Logf("signaling socket on %s (%s) %v after signal-1 died; still on %s, %d reconnects",
		ps.Node, ps.Signal, time.Since(killedAt).Round(time.Millisecond), ps.Edge, ps.Reconnects)
	if ps.Edge != edgeBefore || ps.Failovers != 0 {
		t.Errorf("losing signal-1 moved the game: edge %s → %s, %d failovers", edgeBefore, ps.Edge, ps.Failovers)
	}
	framesGrow(t, ctx, 60, 10*time.Second)
	if s2.LogContains("origin not allowed") {
		t.Errorf("signal-2 refused a page origin:\n%s", s2.LogText())
	}

	// An edge failure now goes through signal-2.
	// The page's standby went with signal-1 (a node ends a standby with its
	// socket, and signal-2 never saw the session): it rejoins.
	next, took := killAndFollow(t, ctx, c, "eu-west", 0, viaRejoin)
	t.Logf("failover through signal-2 to %s took %v from kill to first new frame", next, took.Round(time.Millisecond))
	if !s2.LogContains("player joined") || !strings.Contains(lastLine(s2.proc, "player joined"), "edge="+next) {
		t.Errorf("signal-2 did not place the failed-over player on %s: %q", next, lastLine(s2.proc, "player joined"))
	}
	if took > inRegionFailoverLimit {
		t.Errorf("in-region failover through signal-2 took %v, acceptance threshold %v (load %s)", took.Round(time.Millisecond), inRegionFailoverLimit, loadAvg())
	}
}

func hostOf(url string) string {
	return strings.TrimPrefix(strings.TrimPrefix(url, "http://"), "https://")
}

// lastLine is the last line of p's log containing s.
func lastLine(p *proc, s string) string {
	var out string
	for _, line := range strings.Split(p.LogText(), "\n") {
		if strings.Contains(line, s) {
			out = line
		}
	}
	return out
}
