package route

import "stratus/edge/api"

// tally counts what the Why sentence needs, in one pass with the scoring.
type tally struct {
	edges, offering, eligible int
	// The same counts for the player's region.
	edgesIn, offeringIn, eligibleIn int
}

func (t *tally) add(e *Edge, ev *eval, region string) {
	if ev.flags&notEdge != 0 {
		return
	}
	in := region != "" && e.Meta.Region == region
	t.edges++
	if in {
		t.edgesIn++
	}
	if ev.flags&noTitle != 0 {
		return
	}
	t.offering++
	if in {
		t.offeringIn++
	}
	if ev.flags&ineligible == 0 {
		t.eligible++
		if in {
			t.eligibleIn++
		}
	}
}

// reasonSize is the usual length of a Reason, to size the builder once.
const reasonSize = 80

// Decide scores every edge for the request and picks the winner: the
// eligible edge in the player's region with the lowest score, or, when
// that region has none, the eligible edge elsewhere with the lowest score.
// Candidates lists every edge (or the first Request.TopK) in that order,
// eligible ones first. Decide does not modify its arguments.
func (r *Router) Decide(req Request, edges []Edge) Decision {
	h := newHints(&req)
	q := newQuery(&req)
	var t tally
	var cands []Candidate
	if k := req.TopK; k > 0 && k < len(edges) && k <= selectMax {
		cands = r.top(&h, &q, &t, &req, edges, k)
	} else {
		cands = r.all(&h, &q, &t, &req, edges)
		if k > 0 && k < len(cands) {
			// Copy, so the capped decision does not hold every candidate.
			cands = append([]Candidate(nil), cands[:k]...)
		}
	}
	return verdict(&req, &t, cands)
}

// verdict completes a decision from its candidates, best first, and the
// tally of the fleet.
func verdict(req *Request, t *tally, cands []Candidate) Decision {
	d := Decision{Title: req.Title, Candidates: cands}
	switch {
	case t.edges == 0:
		d.Code, d.Why = api.CodeNoEdge, "no edges available"
	case t.offering == 0:
		d.Code, d.Why = api.CodeUnknownTitle, unknownTitleWhy(req.Title)
	case t.eligible == 0:
		d.Code, d.Why = api.CodeEdgeFull, "all edges busy"
	default:
		// Eligible edges sort first, so the best one leads even a
		// capped list.
		w := &d.Candidates[0]
		d.Winner, d.Region = w.Edge, w.Region
		d.Why = winnerWhy(req, t, w)
	}
	return d
}

// all ranks every edge: each is scored and its candidate and reason built
// in input order, then the keys are sorted and the candidates moved into
// that order. (Keeping each edge's evaluation and writing the candidates
// after the sort instead was measured slower: another half megabyte per
// 10,000 edges, and a gather in random order all the same.)
func (r *Router) all(h *rttHints, q *query, t *tally, req *Request, edges []Edge) []Candidate {
	n := len(edges)
	keys := make([]key, n)
	cands := make([]Candidate, n)
	ends := make([]int32, n)
	var w reasons
	w.Grow(n * reasonSize)
	for i := range edges {
		e := &edges[i]
		ev, class := r.evaluate(h, q, e, req.Region)
		t.add(e, &ev, req.Region)
		keys[i] = key{score: ev.score, idx: int32(i), class: class}
		cands[i] = candidateOf(e, &ev, class)
		w.write(r, q, e, &ev)
		ends[i] = int32(w.Len())
	}
	text, start := w.String(), int32(0)
	for i := range cands {
		cands[i].Reason = text[start:ends[i]]
		start = ends[i]
	}
	sortKeys(keys, edges)
	permute(cands, keys)
	return cands
}

// permute moves cands[keys[j].idx] to cands[j] for every j, in place,
// following each cycle of the permutation once; it uses up keys' idx.
func permute(cands []Candidate, keys []key) {
	for j := range keys {
		if keys[j].idx < 0 {
			continue
		}
		first := cands[j]
		for cur := j; ; {
			src := int(keys[cur].idx)
			keys[cur].idx = -1
			if src == j {
				cands[cur] = first
				break
			}
			cands[cur] = cands[src]
			cur = src
		}
	}
}

// top ranks only the best k edges (the join path wants one). Edges are
// checked in one pass, and scored only if they could still enter the list.
func (r *Router) top(h *rttHints, q *query, t *tally, req *Request, edges []Edge, k int) []Candidate {
	keys := make([]key, 0, k)
	for i := range edges {
		e := &edges[i]
		ev := check(q, e)
		t.add(e, &ev, req.Region)
		class := classOf(&ev, e, req.Region)
		// Classes come before scores: once the list is full of a better
		// class, this edge cannot enter it and needs no score.
		if len(keys) == k && keys[k-1].class < class {
			continue
		}
		if class != classNever {
			r.cost(h, e, &ev)
		}
		keys = insertTop(edges, keys, key{score: ev.score, idx: int32(i), class: class}, k)
	}
	return r.build(h, q, req, edges, keys)
}

// build makes the candidates of the edges keys select, in keys' order,
// with their Reasons.
func (r *Router) build(h *rttHints, q *query, req *Request, edges []Edge, keys []key) []Candidate {
	cands := make([]Candidate, len(keys))
	var w reasons
	w.Grow(len(keys) * reasonSize)
	ends := make([]int, len(keys))
	for i, kk := range keys {
		e := &edges[kk.idx]
		ev, class := r.evaluate(h, q, e, req.Region)
		cands[i] = candidateOf(e, &ev, class)
		w.write(r, q, e, &ev)
		ends[i] = w.Len()
	}
	text, start := w.String(), 0
	for i := range cands {
		cands[i].Reason = text[start:ends[i]]
		start = ends[i]
	}
	return cands
}

func candidateOf(e *Edge, ev *eval, class uint8) Candidate {
	c := Candidate{
		Edge:      e.Name,
		Region:    e.Meta.Region,
		Score:     ev.score,
		RTT:       ev.rtt,
		RTTSource: ev.src.String(),
		Load:      ev.load,
		Free:      ev.free,
		Eligible:  ev.flags&ineligible == 0,
	}
	if class == classNever {
		// Not scored: no RTT was used.
		c.RTTSource = ""
	}
	return c
}
