package main

import (
	"strings"
	"testing"
	"time"

	"stratus/edge/api"
	"stratus/signaling/route"
)

// TestClusterRoutesToNearestEdge: with eu-west ×2 answering probes 10 ms
// late and us-east 80 ms late, and a signaling node in a region of its own
// (so that no region preference decides), Chromium's page measures the
// round trips and plays on an eu-west edge; GET /v1/route explains the
// choice for given round trips, and follows them when they change.
func TestClusterRoutesToNearestEdge(t *testing.T) {
	_, s := startStandardCluster(t)

	explain := func(q string) route.Decision {
		t.Helper()
		var d route.Decision
		if err := s.getJSON("/v1/route?"+q, &d); err != nil {
			t.Fatal(err)
		}
		return d
	}
	// The round trips differ by more than the load term can (LoadWeightMs,
	// 20 ms), so the order holds whatever each edge's CPU load.
	d := explain("title=testpattern&rtt=eu-west-1:35,eu-west-2:11,us-east-1:81")
	t.Logf("route for eu-west-1:35 eu-west-2:11 us-east-1:81: winner %s (%s): %s", d.Winner, d.Region, d.Why)
	for _, c := range d.Candidates {
		t.Logf("  %-10s %-8s eligible=%v rtt=%v (%s) score=%.1f: %s", c.Edge, c.Region, c.Eligible, c.RTT, c.RTTSource, c.Score, c.Reason)
	}
	if d.Winner != "eu-west-2" || d.Region != "eu-west" || d.Why == "" || d.Code != "" {
		t.Errorf("winner %q in %q (why %q, code %q), want eu-west-2 in eu-west with a reason", d.Winner, d.Region, d.Why, d.Code)
	}
	if got := candidateOrder(d); got != "eu-west-2,eu-west-1,us-east-1" {
		t.Errorf("candidates in order %s, want eu-west-2,eu-west-1,us-east-1", got)
	}
	for _, c := range d.Candidates {
		if !c.Eligible || c.RTTSource != route.SourceMeasured || c.Reason == "" {
			t.Errorf("candidate %s: eligible %v, rtt source %q, reason %q; want eligible, measured, explained", c.Edge, c.Eligible, c.RTTSource, c.Reason)
		}
	}

	// The round trips decide: when us-east is the near one, it wins.
	d = explain("title=testpattern&rtt=eu-west-1:90,eu-west-2:95,us-east-1:7")
	if d.Winner != "us-east-1" {
		t.Errorf("with us-east-1 at 7 ms the winner is %q (%s), want us-east-1", d.Winner, d.Why)
	}
	// An excluded edge is listed, ineligible, with its reason.
	d = explain("title=testpattern&rtt=eu-west-1:35,eu-west-2:11,us-east-1:81&exclude=eu-west-2")
	if d.Winner != "eu-west-1" {
		t.Errorf("with eu-west-2 excluded the winner is %q, want eu-west-1", d.Winner)
	}
	for _, c := range d.Candidates {
		if c.Edge == "eu-west-2" && (c.Eligible || c.Reason == "") {
			t.Errorf("excluded eu-west-2: eligible %v, reason %q", c.Eligible, c.Reason)
		}
	}
	d = explain("title=no-such-title")
	if d.Winner != "" || d.Code != api.CodeUnknownTitle {
		t.Errorf("unknown title: winner %q code %q, want none and %s", d.Winner, d.Code, api.CodeUnknownTitle)
	}

	// The page measures the edges named in the greeting and joins the nearest.
	ctx := openPage(t, s.url+"/play?title=testpattern")
	ps := waitPlaying(t, ctx, 30*time.Second, "the page to play", 30, nil)
	if ps.Region != "eu-west" || !strings.HasPrefix(ps.Edge, "eu-west-") {
		t.Fatalf("page plays on %s (%s), want an eu-west edge; page measured %v", ps.Edge, ps.Region, ps.RTTs)
	}
	t.Logf("page plays on %s (%s); measured round trips %v", ps.Edge, ps.Region, ps.RTTs)
	rtt := func(edge string) float64 {
		v, _ := ps.RTTs[edge].(float64)
		return v
	}
	// The probe delays are what the page saw (loopback adds little).
	if us := rtt("us-east-1"); us < 80 {
		t.Errorf("page measured us-east-1 at %v ms, want ≥ 80 (its probe delay)", us)
	}
	for _, e := range []string{"eu-west-1", "eu-west-2"} {
		if v := rtt(e); v < 10 || v >= rtt("us-east-1") {
			t.Errorf("page measured %s at %v ms, want ≥ 10 and below us-east-1's %v", e, v, rtt("us-east-1"))
		}
	}
	// The node placed the player on what the page measured, not on a guess.
	if joined := lastLine(s.proc, "player joined"); !strings.Contains(joined, "ms measured") {
		t.Errorf("the join was not decided on measured round trips: %s", joined)
	}
}

func candidateOrder(d route.Decision) string {
	var names []string
	for _, c := range d.Candidates {
		names = append(names, c.Edge)
	}
	return strings.Join(names, ",")
}
