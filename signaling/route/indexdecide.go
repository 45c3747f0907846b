package route

import (
	"cmp"
	"slices"

	"stratus/cluster"
)

// Decide is Router.Decide over the index's fleet: the same decision, the
// same candidates in the same order with the same reasons, and the same
// Why.
//
// With a TopK of 1 to selectMax (the join path) it evaluates few edges.
// The edges the request singles out (measured, excluded or with
// reservations of its own) are evaluated first. Then each class is
// searched in turn (see Router.Decide): its groups of edges, each a
// region's edges offering the title (or assumed to, from a digest), ready
// or busy, located or not, are visited by their lowest possible score,
// and within a group by load and fullness. A group's RTT is bounded below
// by its region's measurement or hint, or by the player's distance to the
// region's centre less the region's radius, so once the list is full of
// better keys the rest of a group, and whole groups, are skipped. The
// counts behind Why come from the groups' sizes.
//
// TopK 0 and larger caps list most of the fleet: they decide over a copy
// of it.
func (ix *Index) Decide(req Request) Decision {
	if k := req.TopK; k <= 0 || k > selectMax {
		return ix.r.Decide(req, ix.Edges())
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	h, q := newHints(&req), newQuery(&req)
	s := search{ix: ix, r: ix.r, h: &h, q: &q, req: &req, k: req.TopK, keys: make([]ikey, 0, req.TopK)}
	t := s.tally()
	s.specials()
	for class := uint8(classPreferred); class < classNever; class++ {
		s.class(class)
	}
	s.never()

	sel := make([]Edge, len(s.keys))
	keys := make([]key, len(s.keys))
	for i, kk := range s.keys {
		sel[i] = kk.s.e
		keys[i] = key{score: kk.score, idx: int32(i), class: kk.class}
	}
	return verdict(&req, &t, ix.r.build(&h, &q, &req, sel, keys))
}

// boundSlack is subtracted from every lower bound, in milliseconds: a
// bound is summed in another order than the score, and a location
// estimate loses up to a nanosecond to its Duration.
const boundSlack = 1e-3

// slackKm is added to a region's radius for the rounding of distanceKm.
const slackKm = 1

// ikey is an index's key: an edge's class and score.
type ikey struct {
	score float64
	class uint8
	s     *slot
}

func compareIkeys(a, b ikey) int {
	if c := compareRank(a.class, a.score, b.class, b.score); c != 0 {
		return c
	}
	return cmp.Compare(a.s.e.Name, b.s.e.Name)
}

// run is a bucket to visit and the lowest RTT of its edges.
type run struct {
	b     bucket
	rttMs float64
	// lb is the lowest score in it.
	lb float64
}

// search is one indexed decision: keys holds the best k keys so far.
type search struct {
	ix   *Index
	r    *Router
	h    *rttHints
	q    *query
	req  *Request
	k    int
	keys []ikey
	runs []run
}

// hopeless reports that no edge of class scoring at least lb can enter
// the list.
func (s *search) hopeless(class uint8, lb float64) bool {
	if len(s.keys) < s.k {
		return false
	}
	last := s.keys[s.k-1]
	return last.class < class || (last.class == class && lb > last.score)
}

func (s *search) insert(kk ikey) {
	n := len(s.keys)
	if n == s.k && compareIkeys(kk, s.keys[n-1]) >= 0 {
		return
	}
	// Edges the request singles out may be met again.
	if slices.ContainsFunc(s.keys, func(o ikey) bool { return o.s == kk.s }) {
		return
	}
	pos, _ := slices.BinarySearchFunc(s.keys, kk, compareIkeys)
	if n < s.k {
		s.keys = s.keys[:n+1]
	}
	copy(s.keys[pos+1:], s.keys[pos:len(s.keys)-1])
	s.keys[pos] = kk
}

func (s *search) evaluate(sl *slot) {
	ev, class := s.r.evaluate(s.h, s.q, &sl.e, s.req.Region)
	s.insert(ikey{score: ev.score, class: class, s: sl})
}

// special reports whether the request singles the edge out: its RTT,
// eligibility or reservations are the request's own, not its group's.
func (s *search) special(name string) bool {
	if s.h.edgeKeys > 0 {
		if _, ok := s.req.RTT[name]; ok {
			return true
		}
	}
	if s.q.excluded(name) {
		return true
	}
	_, ok := s.req.Reserved[name]
	return ok
}

// specials evaluates the edges the request singles out.
func (s *search) specials() {
	if s.h.edgeKeys > 0 {
		for name := range s.req.RTT {
			if sl, ok := s.ix.byName[name]; ok {
				s.evaluate(sl)
			}
		}
	}
	for _, name := range s.q.exclude {
		if sl, ok := s.ix.byName[name]; ok {
			s.evaluate(sl)
		}
	}
	for name := range s.req.Reserved {
		if sl, ok := s.ix.byName[name]; ok {
			s.evaluate(sl)
		}
	}
}

// groups are the region's groups of edges offering the requested title;
// either may be nil.
func (s *search) groups(g *regionIx) [2]*group {
	switch {
	case s.q.anyTitle:
		return [2]*group{&g.all}
	case s.q.title == "":
		return [2]*group{}
	}
	return [2]*group{g.titles[s.q.title], &g.digest}
}

// class searches the edges of one class outside the specials.
func (s *search) class(class uint8) {
	if s.hopeless(class, 0) {
		return
	}
	home := class == classPreferred || class == classBusyPreferred
	busy := class >= classBusyPreferred
	if s.req.Region == "" && !home {
		// Without a region every edge is of a preferred class.
		return
	}
	s.runs = s.runs[:0]
	for _, g := range s.ix.order {
		if s.req.Region != "" && (g.name == s.req.Region) != home {
			continue
		}
		for _, grp := range s.groups(g) {
			if grp == nil {
				continue
			}
			lists := &grp.ready
			if busy {
				lists = &grp.busy
			}
			for loc, b := range lists {
				if len(b) == 0 {
					continue
				}
				rtt := s.rttBound(g, loc == 1)
				s.runs = append(s.runs, run{b: b, rttMs: rtt, lb: rtt + b[0].static - boundSlack})
			}
		}
	}
	slices.SortFunc(s.runs, func(a, b run) int { return cmp.Compare(a.lb, b.lb) })
	for _, rn := range s.runs {
		if s.hopeless(class, rn.lb) {
			return
		}
		for _, m := range rn.b {
			if s.hopeless(class, rn.rttMs+m.static-boundSlack) {
				break
			}
			if !s.special(m.name) {
				s.evaluate(m.s)
			}
		}
	}
}

// rttBound is the lowest RTT, in milliseconds, Router.rtt can give an
// edge of region g that the request does not measure; for located edges
// when located.
func (s *search) rttBound(g *regionIx, located bool) float64 {
	h, cfg := s.h, &s.r.cfg
	if h.regionRTT != nil && g.name != "" {
		if v, ok := h.regionRTT[g.name]; ok {
			return millis(v)
		}
	}
	if located && h.hasLoc {
		km := max(h.distanceKm(g.centre)-g.radiusKm-slackKm, 0)
		return 2*km/fibreKmPerMs*cfg.RouteFactor + s.r.locBaseMs
	}
	if h.region != "" && g.name != "" {
		if g.name == h.region {
			return millis(cfg.SameRegionRTT)
		}
		return millis(cfg.OtherRegionRTT)
	}
	return millis(cfg.UnknownRTT)
}

// never fills what is left of the list with the edges that cannot host
// the title, by name. It is reached only when fewer than TopK edges can,
// so nearly every edge it meets is one.
func (s *search) never() {
	for _, sl := range s.ix.names {
		if len(s.keys) == s.k {
			last := s.keys[s.k-1]
			if last.class < classNever || sl.e.Name > last.s.e.Name {
				return
			}
		}
		ev := check(s.q, &sl.e)
		if classOf(&ev, &sl.e, s.req.Region) == classNever {
			s.insert(ikey{class: classNever, s: sl})
		}
	}
}

// tally counts the fleet from the groups' sizes, then corrects the
// eligible counts for the edges the request excludes or reserves on.
func (s *search) tally() tally {
	var t tally
	for _, g := range s.ix.order {
		in := s.req.Region != "" && g.name == s.req.Region
		n, _ := g.all.count()
		var off, ready int
		for _, grp := range s.groups(g) {
			if grp == nil {
				continue
			}
			o, r := grp.count()
			off, ready = off+o, ready+r
		}
		t.edges, t.offering, t.eligible = t.edges+n, t.offering+off, t.eligible+ready
		if in {
			t.edgesIn, t.offeringIn, t.eligibleIn = n, off, ready
		}
	}
	adjust := func(name string) {
		sl, ok := s.ix.byName[name]
		if !ok || sl.e.Meta.Role != cluster.RoleEdge {
			return
		}
		stored := check(&query{title: s.q.title, anyTitle: s.q.anyTitle}, &sl.e)
		now := check(s.q, &sl.e)
		d := b2i(now.flags&ineligible == 0) - b2i(stored.flags&ineligible == 0)
		t.eligible += d
		if s.req.Region != "" && sl.e.Meta.Region == s.req.Region {
			t.eligibleIn += d
		}
	}
	if s.q.excludeSet != nil {
		for name := range s.q.excludeSet {
			adjust(name)
		}
	} else {
		for i, name := range s.q.exclude {
			if !slices.Contains(s.q.exclude[:i], name) {
				adjust(name)
			}
		}
	}
	for name := range s.req.Reserved {
		if !s.q.excluded(name) {
			adjust(name)
		}
	}
	return t
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
