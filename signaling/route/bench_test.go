package route

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"stratus/cluster"
)

// benchFleet is nEdges edges across 30 regions: random loads, fullness,
// health and title sets, each region around its own point on the globe.
// The request carries what a real page sends: a region, a location, and
// measurements against a few regions and edges, so every RTT source is
// exercised (most edges fall through to the location estimate). With
// everyOffers every edge offers the requested title, so every edge is
// scored: the worst case.
func benchFleet(nEdges int, everyOffers bool) (Request, []Edge) {
	const nRegions, nTitles = 30, 40
	rng := rand.New(rand.NewPCG(1, 2))
	type region struct {
		name     string
		lat, lon float64
	}
	regions := make([]region, nRegions)
	for i := range regions {
		regions[i] = region{fmt.Sprintf("region-%02d", i), rng.Float64()*120 - 60, rng.Float64()*360 - 180}
	}
	titles := make([]string, nTitles)
	for i := range titles {
		titles[i] = fmt.Sprintf("title-%02d", i)
	}
	edges := make([]Edge, nEdges)
	for i := range edges {
		g := regions[rng.IntN(nRegions)]
		capacity := 1 + rng.IntN(16)
		m := cluster.Meta{
			Role: cluster.RoleEdge, Region: g.name, Health: cluster.HealthOK,
			Location: cluster.Location{Lat: g.lat + rng.Float64() - 0.5, Lon: g.lon + rng.Float64() - 0.5},
			Capacity: capacity, Free: rng.IntN(capacity + 1), Load: rng.Float64(),
		}
		if rng.IntN(10) == 0 {
			m.Health = cluster.HealthDraining
		}
		if rng.IntN(20) == 0 {
			m.TitlesDigest = "sha256:0123"
		} else {
			// Each edge offers about 8 titles.
			for _, p := range rng.Perm(nTitles)[:8] {
				m.Titles = append(m.Titles, titles[p])
			}
			if everyOffers {
				m.Titles = append(m.Titles, titles[3])
			}
		}
		edges[i] = Edge{Name: fmt.Sprintf("edge-%05d", i), Meta: m, Reserved: rng.IntN(2)}
	}
	req := Request{
		Title:    titles[3],
		Region:   regions[7].name,
		Location: &cluster.Location{Lat: regions[7].lat, Lon: regions[7].lon},
		RTT:      map[string]time.Duration{},
		Exclude:  []string{edges[11].Name},
	}
	for i := range 5 {
		req.RTT[RegionRTTPrefix+regions[i].name] = time.Duration(20+10*i) * time.Millisecond
	}
	for i := range 20 {
		req.RTT[edges[i*97%nEdges].Name] = time.Duration(10+i) * time.Millisecond
	}
	return req, edges
}

// BenchmarkDecide10k decides over 10,000 edges: "all" returns every
// candidate (the explain view), "top1" only the winner (the join path);
// "every-offers" has every edge offer the title, so none is skipped.
func BenchmarkDecide10k(b *testing.B) {
	r := newRouter(b)
	for _, bc := range []struct {
		name        string
		topK        int
		everyOffers bool
	}{{"all", 0, false}, {"top1", 1, false}, {"all/every-offers", 0, true}, {"top1/every-offers", 1, true}} {
		req, edges := benchFleet(10_000, bc.everyOffers)
		b.Run(bc.name, func(b *testing.B) {
			req.TopK = bc.topK
			b.ReportAllocs()
			var d Decision
			for b.Loop() {
				d = r.Decide(req, edges)
			}
			if d.Winner == "" {
				b.Fatalf("no winner: %s", d.Why)
			}
		})
	}
}

// BenchmarkDecideIndexed10k is BenchmarkDecide10k's join path decided on
// an Index of the same fleet.
func BenchmarkDecideIndexed10k(b *testing.B) { benchIndexed(b, 10_000) }

// BenchmarkDecideIndexed100k is the same over 100,000 edges.
func BenchmarkDecideIndexed100k(b *testing.B) { benchIndexed(b, 100_000) }

func benchIndexed(b *testing.B, n int) {
	r := newRouter(b)
	for _, bc := range []struct {
		name        string
		everyOffers bool
	}{{"top1", false}, {"top1/every-offers", true}} {
		req, edges := benchFleet(n, bc.everyOffers)
		ix := NewIndex(r)
		for _, e := range edges {
			ix.Put(e)
		}
		b.Run(bc.name, func(b *testing.B) {
			req.TopK = 1
			b.ReportAllocs()
			var d Decision
			for b.Loop() {
				d = ix.Decide(req)
			}
			if want := r.Decide(req, edges); d.Winner == "" || !reflect.DeepEqual(d, want) {
				b.Fatalf("winner %q (%s), the full scan says %q", d.Winner, d.Why, want.Winner)
			}
		})
	}
}

// BenchmarkIndexPut100k is a gossip update on the 100,000-edge index: an
// edge's load and free slots change, and it is put again.
func BenchmarkIndexPut100k(b *testing.B) {
	r := newRouter(b)
	_, edges := benchFleet(100_000, false)
	ix := NewIndex(r)
	for _, e := range edges {
		ix.Put(e)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		e := edges[i%len(edges)]
		e.Meta.Free, e.Meta.Load = (e.Meta.Free+1)%(e.Meta.Capacity+1), 1-e.Meta.Load
		ix.Put(e)
		i += 7919
	}
}
