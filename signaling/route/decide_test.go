package route

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"stratus/cluster"
	"stratus/edge/api"
)

const ms = time.Millisecond

// Cities used as locations: the player's, and edges'.
func paris() *cluster.Location { return &cluster.Location{Lat: 48.86, Lon: 2.35} }

func london(e *Edge)    { at(51.51, -0.13)(e) }
func frankfurt(e *Edge) { at(50.11, 8.68)(e) }
func virginia(e *Edge)  { at(38.95, -77.45)(e) }

func TestDecide(t *testing.T) {
	tests := []struct {
		name    string
		req     Request
		edges   []Edge
		winner  string
		code    string
		why     string // substring of Why
		check   func(t *testing.T, d Decision)
		reasons map[string]string // edge → substring of its Reason
	}{
		{
			name:   "nearest by measured RTT",
			req:    Request{Title: "rocks", RTT: map[string]time.Duration{"a": 30 * ms, "b": 12 * ms, "c": 25 * ms}},
			edges:  []Edge{mk("a", "eu"), mk("b", "eu"), mk("c", "eu")},
			winner: "b",
			why:    "lowest cost of 3 edges with room: b, rtt 12.0ms measured",
			check: func(t *testing.T, d Decision) {
				wantOrder(t, d, "b", "c", "a")
				if c := d.Candidates[0]; c.RTT != 12*ms || c.RTTSource != SourceMeasured || c.Score != 12 {
					t.Errorf("winner candidate %+v", c)
				}
			},
			reasons: map[string]string{"b": "rtt 12.0ms measured + load 0.00×20.0ms + util 0.00×10.0ms = 12.0ms"},
		},
		{
			// The nearer edge fails its checks: players go to the
			// farther one, and the reason says why.
			name:    "an edge failing checks loses to a healthy one",
			req:     Request{Title: "rocks", RTT: map[string]time.Duration{"a": 10 * ms, "b": 40 * ms}},
			edges:   []Edge{mk("a", "eu", shortfall(0.8)), mk("b", "eu")},
			winner:  "b",
			reasons: map[string]string{"a": "+ checks short 0.80×200.0ms = 170.0ms"},
		},
		{
			name: "measured region RTT when the edge was not measured",
			req: Request{Title: "rocks", RTT: map[string]time.Duration{
				"region:eu-west": 40 * ms, "region:us-east": 90 * ms, "us-east-1": 35 * ms}},
			edges:  []Edge{mk("us-east-2", "us-east"), mk("eu-west-1", "eu-west"), mk("us-east-1", "us-east")},
			winner: "us-east-1",
			check: func(t *testing.T, d Decision) {
				wantOrder(t, d, "us-east-1", "eu-west-1", "us-east-2")
				if c := d.Candidates[1]; c.RTTSource != SourceRegionMeasured || c.RTT != 40*ms {
					t.Errorf("eu-west-1: %+v", c)
				}
			},
		},
		{
			name:   "location fallback picks the closer edge",
			req:    Request{Title: "rocks", Location: paris()},
			edges:  []Edge{mk("fra", "eu-central", frankfurt), mk("iad", "us-east", virginia), mk("lon", "eu-west", london)},
			winner: "lon",
			check: func(t *testing.T, d Decision) {
				wantOrder(t, d, "lon", "fra", "iad")
				// Paris–London is 344 km: 2 × 344 / 200 × 1.5 + 5 ≈ 10.2 ms.
				c := d.Candidates[0]
				if c.RTTSource != SourceLocation || math.Abs(c.Score-10.2) > 0.2 {
					t.Errorf("lon: %+v", c)
				}
			},
		},
		{
			name:  "location of the edge unknown falls back to the region hint",
			req:   Request{Title: "rocks", Location: paris(), Region: "eu-west"},
			edges: []Edge{mk("lon", "eu-west"), mk("iad", "us-east", virginia)},
			check: func(t *testing.T, d Decision) {
				if c, _ := candidate(d, "lon"); c.RTTSource != SourceRegionHint || c.RTT != 20*ms {
					t.Errorf("lon: %+v", c)
				}
				if c, _ := candidate(d, "iad"); c.RTTSource != SourceLocation {
					t.Errorf("iad: %+v", c)
				}
			},
			winner: "lon",
		},
		{
			name:   "region hint: same region small, others large",
			req:    Request{Title: "rocks", Region: "eu-west"},
			edges:  []Edge{mk("us-east-1", "us-east"), mk("eu-west-1", "eu-west", load(1), free(1))},
			winner: "eu-west-1",
			why:    "lowest cost of 1 edge with room in your region eu-west: eu-west-1",
			check: func(t *testing.T, d Decision) {
				if c := d.Candidates[0]; c.RTT != 20*ms || c.RTTSource != SourceRegionHint {
					t.Errorf("eu-west-1: %+v", c)
				}
				if c := d.Candidates[1]; c.RTT != 120*ms || c.RTTSource != SourceRegionHint {
					t.Errorf("us-east-1: %+v", c)
				}
				// Even fully loaded and nearly full, the hint alone keeps
				// the player in their region: 20+20+7.5 < 120.
				if d.Candidates[0].Score >= d.Candidates[1].Score {
					t.Errorf("scores %v ≥ %v", d.Candidates[0].Score, d.Candidates[1].Score)
				}
			},
		},
		{
			name:   "no clue at all",
			req:    Request{Title: "rocks"},
			edges:  []Edge{mk("a", "")},
			winner: "a",
			check: func(t *testing.T, d Decision) {
				if c := d.Candidates[0]; c.RTTSource != SourceUnknown || c.RTT != 150*ms {
					t.Errorf("%+v", c)
				}
			},
		},
		{
			name:   "load breaks near-ties",
			req:    Request{Title: "rocks", RTT: map[string]time.Duration{"a": 20 * ms, "b": 21 * ms}},
			edges:  []Edge{mk("a", "eu", load(0.8)), mk("b", "eu", load(0.1))},
			winner: "b",
		},
		{
			name:   "load does not beat a clearly nearer edge",
			req:    Request{Title: "rocks", RTT: map[string]time.Duration{"a": 10 * ms, "b": 60 * ms}},
			edges:  []Edge{mk("a", "eu", load(0.95), free(1)), mk("b", "eu")},
			winner: "a",
		},
		{
			name: "ineligible edges with reasons, listed after eligible ones",
			req:  Request{Title: "rocks", RTT: map[string]time.Duration{"ok": 90 * ms}, Exclude: []string{"failed"}},
			edges: []Edge{
				mk("draining", "eu", health(cluster.HealthDraining)),
				mk("degraded", "eu", health(cluster.HealthDegraded)),
				mk("full", "eu", free(0)),
				mk("failed", "eu"),
				mk("signal", "eu", func(e *Edge) { e.Meta.Role = cluster.RoleSignal }),
				mk("other", "eu", titles("testpattern")),
				mk("ok", "eu"),
				mk("several", "eu", free(0), health(cluster.HealthDraining)),
			},
			winner: "ok",
			check: func(t *testing.T, d Decision) {
				if len(d.Candidates) != 8 || d.Candidates[0].Edge != "ok" {
					t.Fatalf("candidates %+v", d.Candidates)
				}
				for _, c := range d.Candidates[1:] {
					if c.Eligible {
						t.Errorf("%s eligible", c.Edge)
					}
				}
			},
			reasons: map[string]string{
				"draining": "draining",
				"degraded": "degraded",
				"full":     "full (0 free of 4)",
				"failed":   "excluded",
				"signal":   `not an edge (role "signal")`,
				"other":    `does not offer "rocks"`,
				"several":  "draining; full (0 free of 4)",
			},
		},
		{
			name:  "no edge offers the title",
			req:   Request{Title: "chess", Region: "eu"},
			edges: []Edge{mk("a", "eu"), mk("b", "us", health(cluster.HealthDraining))},
			code:  api.CodeUnknownTitle,
			why:   "no edge offers chess",
		},
		{
			name:  "no title requested",
			req:   Request{Region: "eu"},
			edges: []Edge{mk("a", "eu")},
			code:  api.CodeUnknownTitle,
			why:   "no title requested",
		},
		{
			name:   "any title: every edge ranked, whatever it offers",
			req:    Request{AnyTitle: true, Region: "eu", RTT: map[string]time.Duration{"listed": 30 * ms, "digest": 20 * ms, "empty": 10 * ms}},
			edges:  []Edge{mk("listed", "eu"), mk("digest", "eu", digest), mk("empty", "eu", titles()), mk("full", "eu", free(0))},
			winner: "empty",
			check: func(t *testing.T, d Decision) {
				wantOrder(t, d, "empty", "digest", "listed", "full")
				if c, _ := candidate(d, "digest"); strings.Contains(c.Reason, "assumed") {
					t.Errorf("digest edge reason %q: nothing is assumed of any title", c.Reason)
				}
			},
		},
		{
			name: "all busy in the region: nearest free region wins",
			req: Request{Title: "rocks", Region: "eu-west", RTT: map[string]time.Duration{
				"region:us-east": 80 * ms, "region:ap-north": 200 * ms}},
			edges: []Edge{
				mk("eu-west-1", "eu-west", free(0)),
				mk("eu-west-2", "eu-west", health(cluster.HealthDraining)),
				mk("ap-north-1", "ap-north"),
				mk("us-east-1", "us-east", load(0.5)),
			},
			winner: "us-east-1",
			why:    "all edges busy in eu-west; placed in nearest free region us-east (us-east-1",
			check: func(t *testing.T, d Decision) {
				if d.Region != "us-east" {
					t.Errorf("region %q", d.Region)
				}
				wantOrder(t, d, "us-east-1", "ap-north-1", "eu-west-2", "eu-west-1")
			},
		},
		{
			name:   "region without the title: nearest region that has it",
			req:    Request{Title: "rocks", Region: "eu-west"},
			edges:  []Edge{mk("eu-west-1", "eu-west", titles("testpattern")), mk("us-east-1", "us-east")},
			winner: "us-east-1",
			why:    "no edge in eu-west offers rocks; placed in nearest free region us-east",
		},
		{
			name:   "region without edges",
			req:    Request{Title: "rocks", Region: "eu-west"},
			edges:  []Edge{mk("us-east-1", "us-east")},
			winner: "us-east-1",
			why:    "no edges in eu-west; placed in nearest free region us-east",
		},
		{
			name:  "all busy everywhere",
			req:   Request{Title: "rocks", Region: "eu-west", Exclude: []string{"us-east-1"}},
			edges: []Edge{mk("eu-west-1", "eu-west", free(0)), mk("us-east-1", "us-east"), mk("us-east-2", "us-east", health(cluster.HealthDegraded))},
			code:  api.CodeEdgeFull,
			why:   "all edges busy",
			check: func(t *testing.T, d Decision) {
				if len(d.Candidates) != 3 {
					t.Errorf("%d candidates", len(d.Candidates))
				}
			},
		},
		{
			name: "no edges",
			req:  Request{Title: "rocks"},
			code: api.CodeNoEdge,
			why:  "no edges available",
		},
		{
			name:  "only signaling nodes",
			req:   Request{Title: "rocks"},
			edges: []Edge{mk("s", "eu", func(e *Edge) { e.Meta.Role = cluster.RoleSignal })},
			code:  api.CodeNoEdge,
		},
		{
			name:   "digest titles are assumed to include the title",
			req:    Request{Title: "rocks", RTT: map[string]time.Duration{"listed": 30 * ms, "digest": 10 * ms, "empty": 5 * ms}},
			edges:  []Edge{mk("listed", "eu"), mk("digest", "eu", digest), mk("empty", "eu", titles())},
			winner: "digest",
			reasons: map[string]string{
				"digest": "titles gossiped as a digest, assumed to offer rocks",
				"empty":  `does not offer "rocks"`,
			},
		},
		{
			name:   "equal scores: the name decides",
			req:    Request{Title: "rocks", Region: "eu"},
			edges:  []Edge{mk("c", "eu"), mk("a", "eu"), mk("b", "eu")},
			winner: "a",
			check:  func(t *testing.T, d Decision) { wantOrder(t, d, "a", "b", "c") },
		},
		{
			name: "reservations reduce free",
			req:  Request{Title: "rocks", RTT: map[string]time.Duration{"a": 10 * ms, "b": 12 * ms, "c": 15 * ms}},
			edges: []Edge{
				mk("a", "eu", free(2), reserved(2)),
				mk("b", "eu", free(3), reserved(2)),
				mk("c", "eu", free(4)),
			},
			// b: 12 + 0.75×10 = 19.5 against c: 15 + 0.
			winner: "c",
			check: func(t *testing.T, d Decision) {
				wantOrder(t, d, "c", "b", "a")
				if c, _ := candidate(d, "b"); c.Free != 1 || c.Score != 19.5 {
					t.Errorf("b: %+v", c)
				}
			},
			reasons: map[string]string{
				"a": "full (2 free of 4, 2 reserved by this node)",
				"b": "util 0.75×10.0ms = 19.5ms; 2 reserved by this node",
			},
		},
		{
			name: "the player's region wins over a faster measured region",
			req: Request{Title: "rocks", Region: "eu-west", RTT: map[string]time.Duration{
				"eu-west-1": 60 * ms, "eu-west-2": 70 * ms, "us-east-1": 10 * ms}},
			edges:  []Edge{mk("us-east-1", "us-east"), mk("eu-west-2", "eu-west"), mk("eu-west-1", "eu-west")},
			winner: "eu-west-1",
			check:  func(t *testing.T, d Decision) { wantOrder(t, d, "eu-west-1", "eu-west-2", "us-east-1") },
		},
		{
			name: "failover: the rest of the region first",
			req: Request{Title: "rocks", Region: "eu-west", Exclude: []string{"eu-west-1"}, RTT: map[string]time.Duration{
				"eu-west-1": 60 * ms, "eu-west-2": 70 * ms, "us-east-1": 10 * ms}},
			edges:  []Edge{mk("us-east-1", "us-east"), mk("eu-west-2", "eu-west"), mk("eu-west-1", "eu-west")},
			winner: "eu-west-2",
		},
		{
			name: "failover: another region once the region has none left",
			req: Request{Title: "rocks", Region: "eu-west", Exclude: []string{"eu-west-1", "eu-west-2"}, RTT: map[string]time.Duration{
				"eu-west-1": 60 * ms, "eu-west-2": 70 * ms, "us-east-1": 10 * ms}},
			edges:  []Edge{mk("us-east-1", "us-east"), mk("eu-west-2", "eu-west"), mk("eu-west-1", "eu-west")},
			winner: "us-east-1",
			why:    "all edges busy in eu-west; placed in nearest free region us-east",
		},
		{
			name:   "broken measurements and gossip are not taken at face value",
			req:    Request{Title: "rocks", Region: "eu", RTT: map[string]time.Duration{"a": -5 * ms}},
			edges:  []Edge{mk("a", "eu", load(math.NaN())), mk("b", "eu", load(-3))},
			winner: "b",
			check: func(t *testing.T, d Decision) {
				if c, _ := candidate(d, "a"); c.RTTSource != SourceRegionHint || c.Load != 1 {
					t.Errorf("a: %+v", c)
				}
				if c, _ := candidate(d, "b"); c.Load != 0 {
					t.Errorf("b: %+v", c)
				}
			},
		},
	}
	r := newRouter(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := r.Decide(tt.req, tt.edges)
			if d.Winner != tt.winner || d.Code != tt.code {
				t.Fatalf("winner %q code %q, want %q %q; why %q\n%s", d.Winner, d.Code, tt.winner, tt.code, d.Why, dump(d))
			}
			if d.Title != tt.req.Title {
				t.Errorf("title %q", d.Title)
			}
			if !strings.Contains(d.Why, tt.why) {
				t.Errorf("why %q, want it to contain %q", d.Why, tt.why)
			}
			if len(d.Candidates) != len(tt.edges) {
				t.Errorf("%d candidates for %d edges", len(d.Candidates), len(tt.edges))
			}
			for edge, want := range tt.reasons {
				c, ok := candidate(d, edge)
				if !ok || !strings.Contains(c.Reason, want) {
					t.Errorf("%s reason %q, want it to contain %q", edge, c.Reason, want)
				}
			}
			if tt.check != nil {
				tt.check(t, d)
			}
		})
	}
}

func TestTopK(t *testing.T) {
	r := newRouter(t)
	edges := []Edge{mk("d", "us"), mk("c", "eu", free(0)), mk("b", "eu", load(0.5)), mk("a", "eu", load(0.7))}
	req := Request{Title: "rocks", Region: "eu"}
	all := r.Decide(req, edges)
	wantOrder(t, all, "b", "a", "d", "c")
	for k := 1; k <= 5; k++ {
		req.TopK = k
		d := r.Decide(req, edges)
		if d.Winner != all.Winner || d.Why != all.Why {
			t.Errorf("TopK %d: winner %q why %q", k, d.Winner, d.Why)
		}
		n := min(k, len(edges))
		if len(d.Candidates) != n {
			t.Fatalf("TopK %d: %d candidates", k, len(d.Candidates))
		}
		for i := range n {
			if d.Candidates[i] != all.Candidates[i] {
				t.Errorf("TopK %d: candidate %d %+v, want %+v", k, i, d.Candidates[i], all.Candidates[i])
			}
		}
	}
}

func TestDecideDoesNotDependOnOrder(t *testing.T) {
	r := newRouter(t)
	edges := []Edge{mk("a", "eu"), mk("b", "eu"), mk("c", "us"), mk("d", "eu", free(0))}
	req := Request{Title: "rocks", Region: "eu"}
	want := r.Decide(req, edges)
	rev := []Edge{edges[3], edges[2], edges[1], edges[0]}
	got := r.Decide(req, rev)
	if dump(got) != dump(want) || got.Why != want.Why {
		t.Errorf("reversed input:\n%s\nwant\n%s", dump(got), dump(want))
	}
}

func TestLongExcludeList(t *testing.T) {
	r := newRouter(t)
	var edges []Edge
	var exclude []string
	for _, n := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"} {
		edges = append(edges, mk(n, "eu"))
		exclude = append(exclude, n)
	}
	edges = append(edges, mk("z", "eu"))
	d := r.Decide(Request{Title: "rocks", Exclude: exclude}, edges)
	if d.Winner != "z" {
		t.Errorf("winner %q", d.Winner)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	c := DefaultConfig()
	c.LoadWeightMs = -1
	c.FullnessWeightMs = math.NaN()
	c.SameRegionRTT = 200 * ms
	c.UnknownRTT = 0
	c.RouteFactor = 0.5
	c.LocationBaseRTT = -ms
	err := c.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"load weight", "fullness weight", "other-region RTT", "unknown RTT", "route factor", "location base RTT"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if _, err := New(c); err == nil {
		t.Error("New accepted an invalid config")
	}
}

func TestDistance(t *testing.T) {
	h := newHints(&Request{Location: paris()})
	for _, tc := range []struct {
		to     func(*Edge)
		wantKm float64
	}{{london, 344}, {frankfurt, 479}, {virginia, 6200}} {
		var e Edge
		tc.to(&e)
		if got := h.distanceKm(e.Meta.Location); math.Abs(got-tc.wantKm)/tc.wantKm > 0.02 {
			t.Errorf("distance to %+v = %.0f km, want %.0f", e.Meta.Location, got, tc.wantKm)
		}
	}
}

func wantOrder(t *testing.T, d Decision, names ...string) {
	t.Helper()
	for i, n := range names {
		if i >= len(d.Candidates) || d.Candidates[i].Edge != n {
			t.Errorf("order: want %v\n%s", names, dump(d))
			return
		}
	}
}

func dump(d Decision) string {
	var b strings.Builder
	for _, c := range d.Candidates {
		b.WriteString(c.Edge + " " + c.Region + " eligible=" + map[bool]string{true: "yes", false: "no"}[c.Eligible] + " " + c.RTTSource + ": " + c.Reason + "\n")
	}
	return b.String()
}

func TestAppendFixed(t *testing.T) {
	for _, v := range []float64{0, 0.004, 0.005, 0.05, 0.4, 0.999, 1, 12.25, 19.5, 99.96, 1234.56, 1e13, -3, math.Inf(1)} {
		for _, dec := range []int{1, 2} {
			got := string(appendFixed(nil, v, dec))
			want := strconv.FormatFloat(v, 'f', dec, 64)
			// Halves may round either way; anything else must match.
			if got != want && math.Abs(mustParse(t, got)-mustParse(t, want)) > 1.01*math.Pow(10, -float64(dec)) {
				t.Errorf("appendFixed(%v, %d) = %s, want %s", v, dec, got, want)
			}
		}
	}
}

func mustParse(t *testing.T, s string) float64 {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestDistanceShortAndAntipodal(t *testing.T) {
	h := newHints(&Request{Location: &cluster.Location{Lat: 10, Lon: 20}})
	// 0.01° of latitude is 1.11 km.
	if d := h.distanceKm(cluster.Location{Lat: 10.01, Lon: 20}); math.Abs(d-1.11) > 0.1 {
		t.Errorf("short distance %.3f km", d)
	}
	if d := h.distanceKm(cluster.Location{Lat: 10, Lon: 20}); d > 0.1 {
		t.Errorf("same point %.3f km", d)
	}
	if d := h.distanceKm(cluster.Location{Lat: -10, Lon: -160}); math.Abs(d-math.Pi*earthRadiusKm) > 1 {
		t.Errorf("antipode %.0f km", d)
	}
}
