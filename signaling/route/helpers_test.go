package route

import (
	"testing"

	"stratus/cluster"
)

// mk returns a healthy, idle edge with four free slots offering "rocks",
// changed by the options.
func mk(name, region string, opts ...func(*Edge)) Edge {
	e := Edge{Name: name, Meta: cluster.Meta{
		Role: cluster.RoleEdge, Region: region, Health: cluster.HealthOK,
		Capacity: 4, Free: 4, Titles: []string{"rocks", "testpattern"},
	}}
	for _, o := range opts {
		o(&e)
	}
	return e
}

func load(l float64) func(*Edge)      { return func(e *Edge) { e.Meta.Load = l } }
func shortfall(v float64) func(*Edge) { return func(e *Edge) { e.QoSShortfall = v } }
func free(f int) func(*Edge)          { return func(e *Edge) { e.Meta.Free = f } }
func reserved(n int) func(*Edge)      { return func(e *Edge) { e.Reserved = n } }
func titles(t ...string) func(*Edge)  { return func(e *Edge) { e.Meta.Titles = t } }
func at(lat, lon float64) func(*Edge) {
	return func(e *Edge) { e.Meta.Location = cluster.Location{Lat: lat, Lon: lon} }
}
func health(h cluster.Health) func(*Edge) {
	return func(e *Edge) { e.Meta.Health = h }
}
func digest(e *Edge) { e.Meta.Titles, e.Meta.TitlesDigest = nil, "sha256:abcd" }

func newRouter(t testing.TB) *Router {
	t.Helper()
	r, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func candidate(d Decision, edge string) (Candidate, bool) {
	for _, c := range d.Candidates {
		if c.Edge == edge {
			return c, true
		}
	}
	return Candidate{}, false
}
