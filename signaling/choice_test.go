package signaling

import (
	"fmt"
	"testing"
	"time"

	"stratus/cluster"
	"stratus/internal/edgenet"
	"stratus/signaling/route"
)

func testEdge(name, region string, version uint64) route.Edge {
	return route.Edge{Name: name, Meta: cluster.Meta{
		Role: cluster.RoleEdge, Region: region, Health: cluster.HealthOK, API: "http://" + name + ".test",
		Probe: "http://" + name + ".test/v1/probe", Capacity: 4, Free: 4, Titles: []string{"rocks"}, Version: version,
	}}
}

func newTestRouter(t *testing.T) *route.Router {
	t.Helper()
	router, err := route.New(route.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	return router
}

func newTestChooser(t *testing.T, net *edgenet.Net) *chooser {
	t.Helper()
	return newChooser(net, newTestRouter(t), "eu", nil)
}

// TestChoiceAdjustments: what only this node knows yet (joins in flight,
// players just placed, edges that just failed) adjusts the router's view,
// and only for as long as gossip needs to catch up.
func TestChoiceAdjustments(t *testing.T) {
	tests := []struct {
		name string
		// steps run in order; each changes the chooser or the network,
		// then the decision for "rocks" must give eu-1 free slots and
		// eligibility as said.
		steps []step
	}{
		{"a join in flight counts against the edge", []step{
			{func(c *chooser, _ *edgenet.Net) { c.reserve("eu-1", 1) }, 3, true},
			{func(c *chooser, _ *edgenet.Net) { c.reserve("eu-1", 1) }, 2, true},
			{func(c *chooser, _ *edgenet.Net) { c.reserve("eu-1", -1); c.reserve("eu-1", -1) }, 4, true},
		}},
		{"a placed player counts until gossip reports the edge anew", []step{
			{func(c *chooser, _ *edgenet.Net) { c.placed("eu-1", 5) }, 3, true},
			{func(c *chooser, _ *edgenet.Net) { c.placed("eu-1", 5) }, 2, true},
			{func(_ *chooser, n *edgenet.Net) { n.Update("eu-1", func(e *route.Edge) { e.Meta.Version = 6 }) }, 4, true},
		}},
		{"a placed player counts until the hold expires", []step{
			{func(c *chooser, _ *edgenet.Net) { c.placed("eu-1", 5) }, 3, true},
			{func(c *chooser, _ *edgenet.Net) { c.held["eu-1"][0].until = time.Now() }, 4, true},
		}},
		{"an edge that failed is left out until the suspicion expires", []step{
			{func(c *chooser, _ *edgenet.Net) { c.failed("eu-1") }, 4, false},
			{func(c *chooser, _ *edgenet.Net) { c.suspect["eu-1"] = time.Now().Add(-time.Millisecond) }, 4, true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			net := edgenet.New()
			net.Add(testEdge("eu-1", "eu", 5))
			net.Add(testEdge("eu-2", "eu", 5))
			c := newTestChooser(t, net)
			for i, s := range tt.steps {
				s.do(c, net)
				d := c.decide(c.request("rocks", nil, nil))
				var got route.Candidate
				for _, cand := range d.Candidates {
					if cand.Edge == "eu-1" {
						got = cand
					}
				}
				if got.Free != s.free || got.Eligible != s.eligible {
					t.Fatalf("step %d: eu-1 %+v, want %d free, eligible %v", i, got, s.free, s.eligible)
				}
			}
			// Nothing is remembered past its use.
			c.decide(c.request("rocks", nil, nil))
			if len(c.inflight)+len(c.held)+len(c.suspect) != 0 {
				t.Errorf("left over: in flight %v, held %v, suspect %v", c.inflight, c.held, c.suspect)
			}
		})
	}
}

type step struct {
	do       func(*chooser, *edgenet.Net)
	free     int
	eligible bool
}

func TestChoiceRequest(t *testing.T) {
	net := edgenet.New()
	c := newTestChooser(t, net)
	req := c.request("rocks", map[string]float64{"eu-1": 12.5}, []string{"eu-2"})
	if req.Title != "rocks" || req.Region != "eu" || req.RTT["eu-1"] != 12500*time.Microsecond || len(req.Exclude) != 1 {
		t.Errorf("request %+v", req)
	}
	if req := c.request("rocks", nil, nil); req.RTT != nil {
		t.Errorf("no measurements gave RTT %v", req.RTT)
	}
}

// TestProbesBound: a page measures at most MaxProbes edges, two per region.
func TestProbesBound(t *testing.T) {
	net := edgenet.New()
	for i := range MaxProbes + 2 {
		for j := range 3 {
			net.Add(testEdge(fmt.Sprintf("r%d-%d", i, j), fmt.Sprintf("r%d", i), 1))
		}
	}
	probes := newTestChooser(t, net).probes()
	if len(probes) != MaxProbes {
		t.Errorf("%d probes, want %d", len(probes), MaxProbes)
	}
	perRegion := map[string]int{}
	for _, p := range probes {
		if perRegion[p.Region]++; perRegion[p.Region] > 2 {
			t.Errorf("more than two probes in %s: %v", p.Region, probes)
		}
	}
}
