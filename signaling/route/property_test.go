package route

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"stratus/cluster"
)

// randomCase draws an edge set and a request from seed. Values come from
// small sets so that ties, full edges and missing titles are common.
func randomCase(seed uint64, maxEdges int) (Request, []Edge) {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	regions := []string{"eu-west", "eu-central", "us-east", "ap-north", ""}
	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	n := rng.IntN(maxEdges)
	edges := make([]Edge, n)
	for i, p := range rng.Perm(n) {
		e := &edges[i]
		e.Name = fmt.Sprintf("e%03d", p)
		m := &e.Meta
		m.Role = cluster.RoleEdge
		if rng.IntN(12) == 0 {
			m.Role = cluster.RoleSignal
		}
		m.Region = pick(regions)
		m.Health = []cluster.Health{cluster.HealthOK, cluster.HealthOK, cluster.HealthOK, cluster.HealthDraining, cluster.HealthDegraded, ""}[rng.IntN(6)]
		m.Capacity = rng.IntN(5)
		m.Free = rng.IntN(m.Capacity + 1)
		e.Reserved = rng.IntN(3)
		m.Load = float64(rng.IntN(5)) / 4
		if rng.IntN(4) == 0 {
			e.QoSShortfall = float64(rng.IntN(5)) / 4
		}
		switch rng.IntN(6) {
		case 0:
			m.TitlesDigest = "sha256:x"
		case 1:
			m.Titles = []string{"testpattern"}
		default:
			m.Titles = []string{"testpattern", "rocks"}
		}
		if rng.IntN(2) == 0 {
			m.Location = cluster.Location{Lat: float64(rng.IntN(120) - 60), Lon: float64(rng.IntN(360) - 180)}
		}
	}
	req := Request{Title: "rocks", Region: pick(regions), RTT: map[string]time.Duration{}}
	for _, e := range edges {
		switch rng.IntN(4) {
		case 0:
			req.RTT[e.Name] = time.Duration(rng.IntN(10)) * 10 * time.Millisecond
		case 1:
			req.Exclude = append(req.Exclude, e.Name)
		}
	}
	for _, r := range regions[:4] {
		if rng.IntN(3) == 0 {
			req.RTT[RegionRTTPrefix+r] = time.Duration(rng.IntN(10)) * 10 * time.Millisecond
		}
	}
	if rng.IntN(2) == 0 {
		req.Location = &cluster.Location{Lat: 48.86, Lon: 2.35}
	}
	return req, edges
}

// eligibleRef restates the eligibility rules independently of the router.
func eligibleRef(req Request, e Edge) bool {
	m := e.Meta
	return m.Role == cluster.RoleEdge && m.Health == cluster.HealthOK && m.Free-e.Reserved > 0 &&
		offersRef(req, e) && !slices.Contains(req.Exclude, e.Name)
}

func offersRef(req Request, e Edge) bool {
	m := e.Meta
	return slices.Contains(m.Titles, req.Title) || (m.Titles == nil && m.TitlesDigest != "")
}

// checkProperties is what must hold for any input.
func checkProperties(t *testing.T, r *Router, req Request, edges []Edge) {
	t.Helper()
	d := r.Decide(req, edges)
	if len(d.Candidates) != len(edges) {
		t.Fatalf("%d candidates for %d edges", len(d.Candidates), len(edges))
	}
	byName := map[string]Edge{}
	for _, e := range edges {
		byName[e.Name] = e
	}
	var tier []Candidate
	inRegion := false
	seenIneligible := false
	lastNever := ""
	for _, c := range d.Candidates {
		e := byName[c.Edge]
		if c.Eligible != eligibleRef(req, e) {
			t.Fatalf("%s: eligible %v, rules say otherwise: %+v", c.Edge, c.Eligible, e)
		}
		if c.Eligible && seenIneligible {
			t.Fatalf("eligible %s listed after an ineligible edge", c.Edge)
		}
		seenIneligible = seenIneligible || !c.Eligible
		if never := e.Meta.Role != cluster.RoleEdge || !offersRef(req, e); never {
			// Edges that can never host the title are not scored, and
			// come last, by name.
			if c.Score != 0 || c.RTTSource != "" || c.Eligible {
				t.Fatalf("%s: unscorable edge scored: %+v", c.Edge, c)
			}
			if lastNever != "" && c.Edge < lastNever {
				t.Fatalf("%s listed after %s", c.Edge, lastNever)
			}
			lastNever = c.Edge
			continue
		} else if lastNever != "" {
			t.Fatalf("%s listed after edges that cannot host the title", c.Edge)
		}
		cfg := r.Config()
		want := millis(c.RTT) + cfg.LoadWeightMs*c.Load + cfg.FullnessWeightMs*utilRef(e) + cfg.QoSWeightMs*e.QoSShortfall
		if math.Abs(c.Score-want) > 1e-9 {
			t.Fatalf("%s: score %v, want %v", c.Edge, c.Score, want)
		}
		if v, ok := req.RTT[c.Edge]; ok && (c.RTTSource != SourceMeasured || c.RTT != v) {
			t.Fatalf("%s: RTT %v %s, measured %v", c.Edge, c.RTT, c.RTTSource, v)
		}
		if !c.Eligible {
			continue
		}
		// The preferred tier: eligible edges in the player's region when
		// there are any, else every eligible edge.
		in := req.Region != "" && c.Region == req.Region
		switch {
		case in && !inRegion:
			tier, inRegion = []Candidate{c}, true
		case in || !inRegion:
			tier = append(tier, c)
		}
	}
	if len(tier) == 0 {
		if d.Winner != "" || d.Code == "" {
			t.Fatalf("no eligible edge, yet winner %q code %q", d.Winner, d.Code)
		}
		return
	}
	if d.Code != "" || d.Winner == "" {
		t.Fatalf("eligible edges, yet winner %q code %q (%s)", d.Winner, d.Code, d.Why)
	}
	w, _ := candidate(d, d.Winner)
	if !eligibleRef(req, byName[d.Winner]) || w.Region != d.Region {
		t.Fatalf("winner %+v", w)
	}
	for _, c := range tier {
		if c.Score < w.Score || (c.Score == w.Score && c.Edge < w.Edge) {
			t.Fatalf("winner %s (%v) beaten by %s (%v) in its tier", w.Edge, w.Score, c.Edge, c.Score)
		}
	}
	if !slices.ContainsFunc(tier, func(c Candidate) bool { return c.Edge == w.Edge }) {
		t.Fatalf("winner %s is outside the preferred tier", w.Edge)
	}
	// A capped list is a prefix of the full one, with the same verdict;
	// small caps take the selection path, large ones the sorting path.
	for _, k := range []int{1, 1 + int(w.Score)%5, selectMax + 1 + len(edges)/2} {
		req.TopK = k
		capped := r.Decide(req, edges)
		if capped.Winner != d.Winner || capped.Why != d.Why || !slices.Equal(capped.Candidates, d.Candidates[:min(k, len(edges))]) {
			t.Fatalf("TopK %d changed the decision", k)
		}
	}
}

func utilRef(e Edge) float64 {
	f := max(e.Meta.Free-e.Reserved, 0)
	if e.Meta.Capacity <= 0 {
		if f > 0 {
			return 0
		}
		return 1
	}
	return float64(e.Meta.Capacity-f) / float64(e.Meta.Capacity)
}

func TestRandomEdgeSets(t *testing.T) {
	r := newRouter(t)
	for seed := range uint64(2000) {
		req, edges := randomCase(seed, 40)
		t.Run(fmt.Sprint(seed), func(t *testing.T) { checkProperties(t, r, req, edges) })
	}
	// Large sets take the radix sort.
	for seed := range uint64(50) {
		req, edges := randomCase(seed, 4*radixMin)
		t.Run(fmt.Sprint("large", seed), func(t *testing.T) { checkProperties(t, r, req, edges) })
	}
}

func FuzzDecide(f *testing.F) {
	for _, s := range []uint64{0, 1, 42, 1 << 40} {
		f.Add(s)
	}
	r := newRouter(f)
	f.Fuzz(func(t *testing.T, seed uint64) {
		req, edges := randomCase(seed, 80)
		checkProperties(t, r, req, edges)
	})
}
