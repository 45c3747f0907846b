package route

import (
	"math"
	"slices"
	"strings"
	"time"

	"stratus/cluster"
)

// Router scores edges for players. It holds only its configuration, so one
// Router may serve any number of goroutines.
type Router struct {
	cfg       Config
	locBaseMs float64
	// loadTerm, utilTerm and qosTerm are the constant parts of a Reason's
	// score breakdown ("×20.0ms + util ", "×10.0ms", "×200.0ms"),
	// formatted once.
	loadTerm, utilTerm, qosTerm string
}

// New returns a Router, or the configuration's problems.
func New(cfg Config) (*Router, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Router{
		cfg:       cfg,
		locBaseMs: millis(cfg.LocationBaseRTT),
		loadTerm:  "×" + string(appendFixed(nil, cfg.LoadWeightMs, 1)) + "ms + util ",
		utilTerm:  "×" + string(appendFixed(nil, cfg.FullnessWeightMs, 1)) + "ms",
		qosTerm:   "×" + string(appendFixed(nil, cfg.QoSWeightMs, 1)) + "ms",
	}, nil
}

// Config returns the configuration the Router was made with.
func (r *Router) Config() Config { return r.cfg }

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// flags records why an edge cannot take the player, plus one note.
type flags uint8

const (
	notEdge flags = 1 << iota
	unhealthy
	noTitle
	excluded
	full
	// assumedTitle is not a fault: the edge gossiped a digest instead of
	// its titles and is assumed to offer the title.
	assumedTitle

	ineligible = notEdge | unhealthy | noTitle | excluded | full
)

// eval is one edge's score and the facts behind it.
type eval struct {
	score      float64
	rtt        time.Duration
	load, util float64
	qos        float64 // the edge's QoSShortfall
	free       int
	// reserved is the edge's Reserved, or the request's override of it.
	reserved int
	src      rttSource
	flags    flags
}

// query is the request's non-RTT part, prepared once per decision.
type query struct {
	title    string
	anyTitle bool
	exclude  []string
	reserved map[string]int
	// excludeSet replaces the linear scan when the list is long.
	excludeSet map[string]struct{}
}

// excludeScanMax is how long Exclude may be before a set beats a scan.
const excludeScanMax = 8

func newQuery(req *Request) query {
	q := query{title: req.Title, anyTitle: req.AnyTitle, exclude: req.Exclude, reserved: req.Reserved}
	if len(req.Exclude) > excludeScanMax {
		q.excludeSet = make(map[string]struct{}, len(req.Exclude))
		for _, n := range req.Exclude {
			q.excludeSet[n] = struct{}{}
		}
	}
	return q
}

func (q *query) excluded(name string) bool {
	if q.excludeSet != nil {
		_, ok := q.excludeSet[name]
		return ok
	}
	return slices.Contains(q.exclude, name)
}

// offers reports whether m offers title, and whether that is assumed from
// a digest rather than read from the list.
func offers(m *cluster.Meta, title string) (yes, assumed bool) {
	if title == "" {
		return false, false
	}
	if m.Titles == nil {
		return m.TitlesDigest != "", m.TitlesDigest != ""
	}
	return slices.Contains(m.Titles, title), false
}

// check fills in what makes the edge ineligible and its free slots: the
// cheap half of scoring, enough to classify the edge and count it for Why.
func check(q *query, e *Edge) eval {
	m := &e.Meta
	var ev eval
	if m.Role != cluster.RoleEdge {
		ev.flags |= notEdge
	}
	if m.Health != cluster.HealthOK {
		ev.flags |= unhealthy
	}
	switch yes, assumed := offers(m, q.title); {
	case q.anyTitle:
	case !yes:
		ev.flags |= noTitle
	case assumed:
		ev.flags |= assumedTitle
	}
	if q.excluded(e.Name) {
		ev.flags |= excluded
	}
	ev.reserved = e.Reserved
	if q.reserved != nil {
		if v, ok := q.reserved[e.Name]; ok {
			ev.reserved = v
		}
	}
	ev.free = m.Free - max(ev.reserved, 0)
	if ev.free <= 0 {
		ev.flags |= full
	}
	return ev
}

// cost fills in the RTT and the score: the expensive half (map look-ups,
// trigonometry), skipped for edges that cannot make the returned list.
func (r *Router) cost(h *rttHints, e *Edge, ev *eval) {
	ev.rtt, ev.src = r.rtt(h, e)
	r.costTerms(e, ev)
	ev.score = millis(ev.rtt) + r.static(ev)
}

// static is the part of the score that does not depend on the player:
// load, fullness and what the checkers found.
func (r *Router) static(ev *eval) float64 {
	return r.cfg.LoadWeightMs*ev.load + r.cfg.FullnessWeightMs*ev.util + r.cfg.QoSWeightMs*ev.qos
}

// costTerms fills in the load and fullness of the score, which do not
// depend on the player.
func (r *Router) costTerms(e *Edge, ev *eval) {
	m := &e.Meta
	ev.load = clamp01(m.Load, 1)
	ev.qos = clamp01(e.QoSShortfall, 1)
	switch {
	case m.Capacity > 0:
		ev.util = clamp01(float64(m.Capacity-max(ev.free, 0))/float64(m.Capacity), 1)
	case ev.free <= 0:
		ev.util = 1
	}
}

// evaluate checks and, unless it is of classNever, scores one edge; it
// allocates nothing.
func (r *Router) evaluate(h *rttHints, q *query, e *Edge, region string) (eval, uint8) {
	ev := check(q, e)
	class := classOf(&ev, e, region)
	if class != classNever {
		r.cost(h, e, &ev)
	}
	return ev, class
}

// clamp01 limits v to 0..1; NaN, which gossip should never carry, becomes
// ifNaN, so that a broken report does not look idle.
func clamp01(v, ifNaN float64) float64 {
	if math.IsNaN(v) {
		return ifNaN
	}
	return min(max(v, 0), 1)
}

// key is what ranking sorts: small, so that sorting 10,000 edges moves
// 16-byte values rather than candidates.
type key struct {
	score float64
	// idx is the edge's index.
	idx   int32
	class uint8
}

// Classes of candidates, in the order they are listed.
const (
	// classPreferred is eligible and in the player's region, or eligible
	// at all when the request names no region.
	classPreferred = iota
	// classElsewhere is eligible in another region: used only when the
	// player's region has no eligible edge.
	classElsewhere
	// classBusyPreferred and classBusyElsewhere could host the title but
	// not now (full, draining, degraded, excluded). They are scored, so
	// the explain view lists the nearest busy edges first.
	classBusyPreferred
	classBusyElsewhere
	// classNever cannot host the title at all (not an edge, or the title
	// is not offered). Its RTT is not estimated: with titles spread over
	// subsets of edges this is most of a large fleet, and the estimate is
	// most of the cost of a decision. These are listed last, by name.
	classNever
)

func classOf(ev *eval, e *Edge, region string) uint8 {
	if ev.flags&(notEdge|noTitle) != 0 {
		return classNever
	}
	c := uint8(classPreferred)
	if region != "" && e.Meta.Region != region {
		c = classElsewhere
	}
	if ev.flags&ineligible != 0 {
		c += classBusyPreferred
	}
	return c
}

// compareRank orders by class, then score: the order of the scan and of
// the index alike.
func compareRank(ac uint8, as float64, bc uint8, bs float64) int {
	switch {
	case ac != bc:
		return int(ac) - int(bc)
	case as < bs:
		return -1
	case as > bs:
		return 1
	}
	return 0
}

// compareKeys orders by class, then score, then edge name; the index is
// the last resort for duplicate names, so the order is always total.
// Scores are never NaN (cost clamps its inputs), so plain comparisons do.
func compareKeys(edges []Edge, a, b key) int {
	if c := compareRank(a.class, a.score, b.class, b.score); c != 0 {
		return c
	}
	if c := strings.Compare(edges[a.idx].Name, edges[b.idx].Name); c != 0 {
		return c
	}
	return int(a.idx - b.idx)
}

// selectMax is the largest TopK kept by insertion; beyond it a full sort
// is as cheap and simpler.
const selectMax = 32

// insertTop keeps top, of capacity k, as the k smallest keys seen so far,
// in order.
func insertTop(edges []Edge, top []key, kk key, k int) []key {
	n := len(top)
	if n == k && compareKeys(edges, kk, top[n-1]) >= 0 {
		return top
	}
	pos, _ := slices.BinarySearchFunc(top, kk, func(a, b key) int { return compareKeys(edges, a, b) })
	if n < k {
		top = top[:n+1]
	}
	copy(top[pos+1:], top[pos:len(top)-1])
	top[pos] = kk
	return top
}
