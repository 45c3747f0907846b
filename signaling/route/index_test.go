package route

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"

	"stratus/cluster"
)

// indexOf builds an index the way gossip would: the edges arrive in a
// random order, some first with stale metadata that a later Put
// replaces, and edges that leave again.
func indexOf(r *Router, rng *rand.Rand, edges []Edge) *Index {
	ix := NewIndex(r)
	for _, i := range rng.Perm(len(edges)) {
		e := edges[i]
		if rng.IntN(4) == 0 {
			stale := e
			stale.Meta.Region, stale.Meta.Free, stale.Meta.Titles = "stale", 3, []string{"rocks", "rocks", ""}
			stale.Meta.Location = cluster.Location{Lat: 10, Lon: 10}
			ix.Put(stale)
		}
		if rng.IntN(8) == 0 {
			ix.Put(Edge{Name: e.Name + "-gone", Meta: e.Meta})
			defer ix.Remove(e.Name + "-gone")
		}
		ix.Put(e)
	}
	return ix
}

// vary widens randomCase's requests to what the index treats apart.
func vary(rng *rand.Rand, req Request, edges []Edge) Request {
	switch rng.IntN(8) {
	case 0:
		req.AnyTitle = true
	case 1:
		req.Title = ""
	case 2:
		req.Title = "testpattern"
	}
	if len(edges) > 0 && rng.IntN(3) == 0 {
		req.Reserved = map[string]int{}
		for range 1 + rng.IntN(3) {
			req.Reserved[edges[rng.IntN(len(edges))].Name] = rng.IntN(4)
		}
		req.Reserved["nowhere"] = 1
	}
	if len(req.Exclude) > 0 && rng.IntN(3) == 0 {
		req.Exclude = append(req.Exclude, req.Exclude[0], "nowhere")
	}
	return req
}

// sameDecision checks that the index decides as the full scan does.
func sameDecision(t *testing.T, r *Router, ix *Index, req Request, edges []Edge) {
	t.Helper()
	for _, k := range []int{0, 1, 2, 3, 7, selectMax, selectMax + 1} {
		req.TopK = k
		want, got := r.Decide(req, edges), ix.Decide(req)
		if !reflect.DeepEqual(want, got) {
			t.Fatalf("TopK %d: index decided\n%+v\nfull scan\n%+v", k, got, want)
		}
	}
}

func TestIndexDecidesAsTheScan(t *testing.T) {
	r := newRouter(t)
	for seed := range uint64(1500) {
		req, edges := randomCase(seed, 60)
		rng := rand.New(rand.NewPCG(seed, 7))
		req = vary(rng, req, edges)
		t.Run(fmt.Sprint(seed), func(t *testing.T) { sameDecision(t, r, indexOf(r, rng, edges), req, edges) })
	}
}

// TestIndexDecidesAsTheScanOnFleets uses regional fleets, where the
// bounds prune most groups, with requests of every kind of evidence.
func TestIndexDecidesAsTheScanOnFleets(t *testing.T) {
	r := newRouter(t)
	for seed := range uint64(40) {
		rng := rand.New(rand.NewPCG(seed, 11))
		req, edges := benchFleet(300+rng.IntN(1500), rng.IntN(2) == 0)
		ix := indexOf(r, rng, edges)
		for i := range 10 {
			req := req
			switch i % 5 {
			case 1:
				req.Location = nil
			case 2:
				req.RTT = nil
			case 3:
				req.Region = ""
			case 4:
				req.Region, req.Location = "region-29", &cluster.Location{Lat: -40, Lon: 100}
			}
			req = vary(rng, req, edges)
			t.Run(fmt.Sprint(seed, "/", i), func(t *testing.T) { sameDecision(t, r, ix, req, edges) })
		}
	}
}

func TestIndexUpdates(t *testing.T) {
	r := newRouter(t)
	req := Request{Title: "rocks", Region: "eu", TopK: 1}
	for _, tc := range []struct {
		name   string
		update func(ix *Index)
		winner string
		code   string
	}{
		{"best", func(ix *Index) {}, "a", ""},
		{"removed", func(ix *Index) { ix.Remove("a") }, "b", ""},
		{"fills up", func(ix *Index) { ix.Put(mk("a", "eu", free(0))) }, "b", ""},
		{"moves away", func(ix *Index) { ix.Put(mk("a", "us", load(0))); ix.Put(mk("b", "us")) }, "a", ""},
		{"drops the title", func(ix *Index) { ix.Put(mk("a", "eu", titles("x"))); ix.Put(mk("b", "eu", titles("x"))) }, "", "unknown_title"},
		{"goes digest", func(ix *Index) { ix.Put(mk("b", "eu", digest)); ix.Remove("a") }, "b", ""},
		{"all gone", func(ix *Index) { ix.Remove("a"); ix.Remove("b"); ix.Remove("a") }, "", "no_edge"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ix := NewIndex(r)
			ix.Put(mk("b", "eu", load(0.5)))
			ix.Put(mk("a", "eu", load(0.1)))
			tc.update(ix)
			d := ix.Decide(req)
			if d.Winner != tc.winner || (tc.code != "" && d.Code == "") {
				t.Fatalf("winner %q code %q (%s), want %q %q", d.Winner, d.Code, d.Why, tc.winner, tc.code)
			}
			want := r.Decide(req, ix.Edges())
			if !reflect.DeepEqual(d, want) {
				t.Fatalf("index %+v, scan %+v", d, want)
			}
		})
	}
}

// TestRequestReserved: a request's reservations decide as the same counts
// in Edge.Reserved do, and replace them.
func TestRequestReserved(t *testing.T) {
	r := newRouter(t)
	for seed := range uint64(300) {
		req, edges := randomCase(seed, 30)
		moved := make([]Edge, len(edges))
		req.Reserved = map[string]int{}
		for i, e := range edges {
			req.Reserved[e.Name] = e.Reserved
			moved[i] = e
			moved[i].Reserved = int(seed % 3) // replaced by the request's
		}
		plain := req
		plain.Reserved = nil
		want, got := r.Decide(plain, edges), r.Decide(req, moved)
		if !reflect.DeepEqual(want, got) {
			t.Fatalf("seed %d: with Request.Reserved\n%+v\nwith Edge.Reserved\n%+v", seed, got, want)
		}
	}
}

// TestIndexConcurrent: updates and decisions from many goroutines at once
// (run with -race); once the updates end, the index decides as the scan.
func TestIndexConcurrent(t *testing.T) {
	r := newRouter(t)
	req, edges := benchFleet(2_000, false)
	ix := NewIndex(r)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := w; i < len(edges); i += 4 {
				ix.Put(edges[i])
				if i%7 == 0 {
					ix.Remove(edges[i].Name)
					ix.Put(edges[i])
				}
			}
		}()
		go func() {
			defer wg.Done()
			for i := range 200 {
				req := req
				req.TopK = i % 3
				if d := ix.Decide(req); d.Winner != "" && d.Candidates[0].Edge != d.Winner {
					t.Errorf("winner %s, first candidate %s", d.Winner, d.Candidates[0].Edge)
				}
			}
		}()
	}
	wg.Wait()
	sameDecision(t, r, ix, req, edges)
}

// TestRoomed: the channel closes when an edge with room is put, not for
// a full or unhealthy one, nor for one removed.
func TestRoomed(t *testing.T) {
	ix := NewIndex(newRouter(t))
	closed := func(c <-chan struct{}) bool {
		select {
		case <-c:
			return true
		default:
			return false
		}
	}
	c := ix.Roomed()
	ix.Put(mk("eu-1", "eu", free(0)))
	ix.Put(mk("eu-2", "eu", health(cluster.HealthDegraded), free(0)))
	ix.Remove("eu-1")
	if closed(c) {
		t.Fatal("closed without an edge with room")
	}
	ix.Put(mk("eu-1", "eu", free(1)))
	if !closed(c) {
		t.Fatal("not closed when an edge with room was put")
	}
	if closed(ix.Roomed()) {
		t.Fatal("the next channel is closed already")
	}
}
