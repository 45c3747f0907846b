package route

import (
	"cmp"
	"math"
	"slices"
	"sync"

	"stratus/cluster"
)

// Index holds a fleet for a Router, organised by region and by title and
// kept current by Put and Remove as gossip reports changes, so that a
// join evaluates the edges that could win rather than every edge (see
// Index.Decide).
//
// Concurrency: Put, Remove, Edge, Edges and Decide may be called from any
// goroutine at once. An RWMutex lets decisions run together; an update
// waits for the decisions in progress, which on the join path take
// microseconds. Edges returned are copies; their Meta slices are shared
// with the index and must not be modified.
type Index struct {
	r *Router

	mu     sync.RWMutex
	byName map[string]*slot
	// names lists every edge by name, for the edges that cannot host the
	// title, which a capped list orders by name.
	names   []*slot
	regions map[string]*regionIx
	// order lists the regions by name, so that decisions visit them in
	// the same order whatever the map's.
	order []*regionIx
	// roomed is closed by the next Put of an edge with room (see Roomed);
	// nil while nobody waits, so that updates cost nothing then.
	roomed chan struct{}
}

// slot is one edge with what its place in the index depends on.
type slot struct {
	e Edge
	// static is the load, fullness and QoS part of its score; with its RTT
	// bound it bounds the score from below.
	static float64
	// ready: healthy with a free slot, counting the stored Reserved.
	ready   bool
	located bool
	// centreKm is the distance to its region's centre, when located.
	centreKm float64
	// titles are the groups it is in besides its region's all group.
	titles []string
	digest bool
}

// bucket is a list of edges sorted by static cost, then name. The sort
// keys are held in the list itself: a binary search that followed a
// pointer per step would miss the cache at each.
type bucket []member

type member struct {
	static float64
	name   string
	s      *slot
}

func compareMembers(a, b member) int {
	if c := cmp.Compare(a.static, b.static); c != 0 {
		return c
	}
	return cmp.Compare(a.name, b.name)
}

func (b *bucket) add(s *slot) {
	m := member{static: s.static, name: s.e.Name, s: s}
	i, _ := slices.BinarySearchFunc(*b, m, compareMembers)
	*b = slices.Insert(*b, i, m)
}

func (b *bucket) remove(s *slot) {
	if i, ok := slices.BinarySearchFunc(*b, member{static: s.static, name: s.e.Name}, compareMembers); ok {
		*b = slices.Delete(*b, i, i+1)
	}
}

// group is the edges of a region that offer a title (or all of them):
// ready ones apart from busy ones, and within each the located ones,
// whose RTT is estimated from their distance, apart from the others,
// whose RTT is the same for the whole region.
type group struct {
	ready, busy [2]bucket // [0] unlocated, [1] located
}

func (g *group) list(s *slot) *bucket {
	loc := 0
	if s.located {
		loc = 1
	}
	if s.ready {
		return &g.ready[loc]
	}
	return &g.busy[loc]
}

func (g *group) count() (offering, ready int) {
	ready = len(g.ready[0]) + len(g.ready[1])
	return ready + len(g.busy[0]) + len(g.busy[1]), ready
}

func (g *group) empty() bool {
	n, _ := g.count()
	return n == 0
}

// regionIx is one region's edges (role edge only: nothing else is scored).
type regionIx struct {
	name   string
	all    group
	digest group
	titles map[string]*group
	// The located edges lie within radiusKm of centre (the first located
	// edge seen), which bounds their distance from any player.
	centre   cluster.Location
	located  int
	radiusKm float64
}

// NewIndex returns an empty index deciding with r.
func NewIndex(r *Router) *Index {
	return &Index{r: r, byName: map[string]*slot{}, regions: map[string]*regionIx{}}
}

// Put adds e, or replaces the edge of the same name.
func (ix *Index) Put(e Edge) {
	s := ix.slotOf(e)
	ix.mu.Lock()
	defer ix.mu.Unlock()
	old, ok := ix.byName[e.Name]
	if ok {
		// A replacement keeps its place in names: moving every name
		// after it twice would be most of an update's cost at 100,000.
		ix.unlink(old, false)
		i := ix.nameAt(e.Name)
		ix.names[i] = s
	} else {
		i := ix.nameAt(e.Name)
		ix.names = slices.Insert(ix.names, i, s)
	}
	ix.link(s)
	if s.ready && ix.roomed != nil {
		close(ix.roomed)
		ix.roomed = nil
	}
}

// Roomed returns a channel closed the next time an edge is put that is
// healthy with a free slot: the moment players waiting for room may find
// some. It may be closed by an edge that offers other titles, or whose
// slot this node has already promised; the waiter decides again.
func (ix *Index) Roomed() <-chan struct{} {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.roomed == nil {
		ix.roomed = make(chan struct{})
	}
	return ix.roomed
}

// SetQoS sets the named edge's QoSShortfall and QoSWhy, if the index
// holds it, and moves it to its new place.
func (ix *Index) SetQoS(name string, shortfall float64, why string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	old, ok := ix.byName[name]
	if !ok {
		return
	}
	e := old.e
	e.QoSShortfall, e.QoSWhy = shortfall, why
	s := ix.slotOf(e)
	ix.unlink(old, false)
	ix.names[ix.nameAt(name)] = s
	ix.link(s)
}

// nameAt is where name is, or would be, in names.
func (ix *Index) nameAt(name string) int {
	i, _ := slices.BinarySearchFunc(ix.names, name, func(a *slot, n string) int { return cmp.Compare(a.e.Name, n) })
	return i
}

// Remove drops the named edge, if present.
func (ix *Index) Remove(name string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if old, ok := ix.byName[name]; ok {
		ix.unlink(old, true)
	}
}

// Edge returns the named edge.
func (ix *Index) Edge(name string) (Edge, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	s, ok := ix.byName[name]
	if !ok {
		return Edge{}, false
	}
	return s.e, true
}

// Len is the number of edges held.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return len(ix.names)
}

// Edges returns every edge, by name, in a new slice.
func (ix *Index) Edges() []Edge {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	out := make([]Edge, len(ix.names))
	for i, s := range ix.names {
		out[i] = s.e
	}
	return out
}

// slotOf prepares e's slot outside the lock: its cost terms are the
// ones cost computes, so that bounds and scores agree.
func (ix *Index) slotOf(e Edge) *slot {
	s := &slot{e: e}
	if e.Meta.Role != cluster.RoleEdge {
		return s
	}
	ev := check(&query{}, &e)
	s.ready = ev.flags&(unhealthy|full) == 0
	s.located = knownLocation(e.Meta.Location)
	ev.rtt = 0
	ix.r.costTerms(&e, &ev)
	s.static = ix.r.static(&ev)
	if e.Meta.Titles == nil {
		s.digest = e.Meta.TitlesDigest != ""
		return s
	}
	s.titles = slices.Compact(slices.Sorted(slices.Values(e.Meta.Titles)))
	// offers never matches the empty title.
	s.titles = slices.DeleteFunc(s.titles, func(t string) bool { return t == "" })
	return s
}

// link adds s to byName and its groups; the caller places it in names.
func (ix *Index) link(s *slot) {
	ix.byName[s.e.Name] = s
	if s.e.Meta.Role != cluster.RoleEdge {
		return
	}
	g := ix.regions[s.e.Meta.Region]
	if g == nil {
		g = &regionIx{name: s.e.Meta.Region, titles: map[string]*group{}}
		ix.regions[g.name] = g
		i, _ := slices.BinarySearchFunc(ix.order, g.name, func(a *regionIx, n string) int { return cmp.Compare(a.name, n) })
		ix.order = slices.Insert(ix.order, i, g)
	}
	if s.located {
		if g.located == 0 {
			g.centre, g.radiusKm = s.e.Meta.Location, 0
		}
		g.located++
		s.centreKm = greatCircleKm(g.centre, s.e.Meta.Location)
		g.radiusKm = max(g.radiusKm, s.centreKm)
	}
	g.all.list(s).add(s)
	if s.digest {
		g.digest.list(s).add(s)
	}
	for _, t := range s.titles {
		tg := g.titles[t]
		if tg == nil {
			tg = &group{}
			g.titles[t] = tg
		}
		tg.list(s).add(s)
	}
}

// unlink takes s out of byName and its groups, and out of names when
// dropName.
func (ix *Index) unlink(s *slot, dropName bool) {
	delete(ix.byName, s.e.Name)
	if dropName {
		i := ix.nameAt(s.e.Name)
		ix.names = slices.Delete(ix.names, i, i+1)
	}
	if s.e.Meta.Role != cluster.RoleEdge {
		return
	}
	g := ix.regions[s.e.Meta.Region]
	g.all.list(s).remove(s)
	if s.digest {
		g.digest.list(s).remove(s)
	}
	for _, t := range s.titles {
		tg := g.titles[t]
		tg.list(s).remove(s)
		if tg.empty() {
			delete(g.titles, t)
		}
	}
	if s.located {
		g.located--
		if s.centreKm >= g.radiusKm {
			g.shrink()
		}
	}
	if g.all.empty() {
		delete(ix.regions, g.name)
		if i, ok := slices.BinarySearchFunc(ix.order, g.name, func(a *regionIx, n string) int { return cmp.Compare(a.name, n) }); ok {
			ix.order = slices.Delete(ix.order, i, i+1)
		}
	}
}

// shrink recomputes the radius after its farthest edge left; the centre
// stays, so the other edges' distances to it hold.
func (g *regionIx) shrink() {
	g.radiusKm = 0
	for _, b := range []bucket{g.all.ready[1], g.all.busy[1]} {
		for _, m := range b {
			g.radiusKm = max(g.radiusKm, m.s.centreKm)
		}
	}
}

// greatCircleKm is the distance between two locations, as distanceKm
// measures it from a player.
func greatCircleKm(a, b cluster.Location) float64 {
	var h rttHints
	h.lon = radians(a.Lon)
	h.sinLat, h.cosLat = math.Sincos(radians(a.Lat))
	return h.distanceKm(b)
}
