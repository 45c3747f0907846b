package signaling

import (
	"sync"
	"time"

	"stratus/cluster"
	"stratus/signaling/route"
)

const (
	// suspectFor keeps an edge that failed a join out of this node's
	// choices; gossip declares a dead edge dead within a few seconds, and
	// this bridges the gap.
	suspectFor = 10 * time.Second
	// holdReservation counts a placed player against the edge's free slots
	// until gossip has had time to report the new count.
	holdReservation = 3 * time.Second
)

// edgeView is where the fan-out queries and the operator's listing learn
// which edges exist and how they are. Edges may be called from any
// goroutine at once; it returns a new slice each call, which the caller
// may change.
type edgeView interface {
	Edges() []route.Edge
}

// edgeTracker keeps a routing index current, so that a join decides on
// it rather than on a list built for each join. Track is called once: it
// puts every edge known now in ix, and every change after it (an edge
// that appears, changes or goes), until the directory is closed.
type edgeTracker interface {
	Track(ix *route.Index)
}

// chooser ranks edges for players: the router's decision over the edges
// as this node knows them, adjusted by what only this node knows yet (the
// players it is placing or has just placed, and the edges that just failed
// it). It is safe for concurrent use.
type chooser struct {
	// edges is kept current by the directory; the adjustments are passed
	// with each request, so the directory alone writes it.
	edges  *route.Index
	router *route.Router
	region string
	loc    *cluster.Location

	mu       sync.Mutex
	inflight map[string]int       // reservations by edge name
	held     map[string][]hold    // placed players gossip has not counted yet, by edge name
	suspect  map[string]time.Time // edge name → until
}

// hold counts a player placed on an edge against its free slots until
// gossip reports the edge's new count: a metadata version newer than the
// one seen when the player was sent there (the edge publishes at once when
// it admits someone), or at the latest until the hold expires. Counting it
// longer would count it twice, and refuse players while the edge has room.
type hold struct {
	version uint64
	until   time.Time
}

func newChooser(dir edgeTracker, router *route.Router, region string, loc *cluster.Location) *chooser {
	ix := route.NewIndex(router)
	dir.Track(ix)
	return &chooser{
		edges: ix, router: router, region: region, loc: loc,
		inflight: map[string]int{}, held: map[string][]hold{}, suspect: map[string]time.Time{},
	}
}

// request builds a routing request from a join: the page's round trips
// (in milliseconds) and the edges it excludes, with this node's region and
// location as the player's hints.
func (c *chooser) request(title string, rtt map[string]float64, exclude []string) route.Request {
	req := route.Request{Title: title, Region: c.region, Location: c.loc, Exclude: exclude}
	if len(rtt) > 0 {
		req.RTT = make(map[string]time.Duration, len(rtt))
		for k, v := range rtt {
			req.RTT[k] = time.Duration(v * float64(time.Millisecond))
		}
	}
	return req
}

// decide ranks the edges for req, counting this node's reservations and
// suspicions. The join path's capped decisions read the index; the
// explain view (TopK 0) decides over a copy of it.
func (c *chooser) decide(req route.Request) route.Decision {
	now := time.Now()
	c.mu.Lock()
	for name, n := range c.inflight {
		reserveOn(&req, name, n)
	}
	for name := range c.held {
		var version uint64
		if e, ok := c.edges.Edge(name); ok {
			version = e.Meta.Version
		}
		// holding also forgets expired holds, and edges that are gone
		// once their holds expire.
		if n := c.holding(name, version, now); n > 0 {
			reserveOn(&req, name, n)
		}
	}
	for name, until := range c.suspect {
		if now.After(until) {
			delete(c.suspect, name)
			continue
		}
		req.Exclude = append(req.Exclude, name)
	}
	c.mu.Unlock()
	return c.edges.Decide(req)
}

func reserveOn(req *route.Request, edge string, n int) {
	if req.Reserved == nil {
		req.Reserved = map[string]int{}
	}
	req.Reserved[edge] += n
}

// holding counts the edge's holds still in force, dropping the others.
// c.mu is held.
func (c *chooser) holding(edge string, version uint64, now time.Time) int {
	hs := c.held[edge]
	if len(hs) == 0 {
		return 0
	}
	n := 0
	for _, h := range hs {
		if h.version >= version && now.Before(h.until) {
			hs[n] = h
			n++
		}
	}
	if n == 0 {
		delete(c.held, edge)
	} else {
		c.held[edge] = hs[:n]
	}
	return n
}

// reserve counts a join in flight on edge (d = 1) or its end (d = -1).
func (c *chooser) reserve(edge string, d int) {
	c.mu.Lock()
	c.inflight[edge] += d
	if c.inflight[edge] <= 0 {
		delete(c.inflight, edge)
	}
	c.mu.Unlock()
}

// placed counts a player the edge admitted until gossip reports it; version
// is the edge's metadata version when the player was sent there.
func (c *chooser) placed(edge string, version uint64) {
	c.mu.Lock()
	c.held[edge] = append(c.held[edge], hold{version: version, until: time.Now().Add(holdReservation)})
	c.mu.Unlock()
}

// failed keeps an edge that did not answer out of the choices for a while.
func (c *chooser) failed(edge string) {
	c.mu.Lock()
	c.suspect[edge] = time.Now().Add(suspectFor)
	c.mu.Unlock()
}

// suspected says whether edge failed a join lately and is still kept out
// of the choices.
func (c *chooser) suspected(edge string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	until, ok := c.suspect[edge]
	return ok && time.Now().Before(until)
}

// metaOf is what the edges say of the named edge now.
func (c *chooser) metaOf(name string) (cluster.Meta, bool) {
	e, ok := c.edges.Edge(name)
	return e.Meta, ok
}

// probes picks the edges a page should measure before it names a title:
// the best few by this node's own estimate, whatever they offer, at most
// two per region so that near and far regions are both measured.
func (c *chooser) probes() []Probe {
	d := c.decide(route.Request{AnyTitle: true, Region: c.region, Location: c.loc})
	perRegion := map[string]int{}
	var out []Probe
	for _, cand := range d.Candidates {
		if !cand.Eligible || perRegion[cand.Region] == 2 || len(out) == MaxProbes {
			continue
		}
		if meta, ok := c.metaOf(cand.Edge); ok && meta.Probe != "" {
			perRegion[cand.Region]++
			out = append(out, Probe{Edge: cand.Edge, Region: cand.Region, URL: meta.Probe})
		}
	}
	return out
}
