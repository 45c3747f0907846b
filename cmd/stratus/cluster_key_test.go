package main

import (
	"strings"
	"testing"
	"time"
)

// TestClusterWrongKey: an edge with another cluster key runs but never
// joins (it is never listed, and the refused join is logged); an edge with
// no key and without -dev refuses to start, saying why.
func TestClusterWrongKey(t *testing.T) {
	c := newCluster(t)
	s := c.startSignal(signalOpts{name: "signal-1"})
	c.startEdge(edgeOpts{name: "eu-west-1", region: "eu-west", join: s})
	waitEdges(t, s, 15*time.Second, []string{"eu-west-1"}, okEdge)

	// No key, no -dev: the command refuses at once.
	nokey := c.startEdge(edgeOpts{name: "eu-west-nokey", region: "eu-west", join: s, keyFile: "-", noWait: true})
	exited, err := nokey.Wait(15 * time.Second)
	if !exited {
		t.Fatal("an edge without a cluster key (and without -dev) is still running after 15 s")
	}
	if err == nil {
		t.Error("an edge without a cluster key exited with status 0")
	}
	if log := nokey.LogText(); !strings.Contains(log, "cluster key is required") {
		t.Errorf("an edge without a key did not say a key is required:\n%s", log)
	}

	// Another key: the edge starts, tries to join, and is refused.
	rogue := c.startEdge(edgeOpts{name: "eu-west-rogue", region: "eu-west", join: s, keyFile: newKeyFile(t)})
	poll(t, 15*time.Second, "the refused join in a log", func() (bool, string) {
		return rogue.LogContains("cannot join pool") || s.LogContains("decrypt", "no installed keys"),
			"nothing yet"
	})
	t.Logf("refused join, edge side: %q", lastLine(rogue.proc, "cannot join pool"))
	t.Logf("refused join, signaling side: %q", lastLine(s.proc, "ecrypt"))
	// It stays out: watch the list for a few seconds, through several of
	// its join retries.
	deadline := time.Now().Add(4 * time.Second)
	for time.Now().Before(deadline) {
		list, err := edgesOf(s)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range list {
			if e.Name != "eu-west-1" {
				t.Fatalf("signaling lists %s, which has another cluster key: %s", e.Name, describeEdges(list))
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	if rogue.Exited() {
		t.Errorf("the edge with another key exited (%v); it should keep trying", rogue.Err())
	}
	// Nor did it learn of anyone in the cluster.
	if l := lastLine(rogue.proc, "member joined"); l != "" {
		t.Errorf("the edge with another key saw a member join: %s", l)
	}
	if l := lastLine(s.proc, "member=eu-west-rogue"); l != "" {
		t.Errorf("signaling saw the edge with another key: %s", l)
	}
}
