package signaling

import (
	"slices"
	"sync"
	"time"
)

// An edge is the authority on its slots, and gossip only reports them: a
// join this node sends to an edge that gossip says has room may still be
// refused, honestly, when the last slot went to someone else a moment
// before the edge's new count reached this node. An edge that keeps
// refusing while it keeps advertising room is lying, to be paid for slots
// it does not serve or to keep its slots for players it prefers.
//
// The rule that tells the two apart: a refusal (edge_full) of a join this
// node placed on an edge whose gossip advertised free slots is held
// against the edge only when, refusalGrace after it, this node has not
// seen the edge advertise a full house at any time from refusalGrace
// before the refusal on. An honest edge that filled up publishes its new
// count at once, and gossip brings it here within a few gossip intervals
// (100 ms on a LAN pool), far inside refusalGrace; a liar goes on
// advertising room. One such refusal may still be bad luck (a lost update,
// a slot taken and freed within the grace), so an edge is convicted only
// when refusalsToConvict of them fall within refusalWindow: its QoS score
// is then 0, and /v1/route says it "refuses advertised slots".
//
// Nodes that share a ledger share their verdicts (shared.go): each writes
// the refusals it judged lies, signed with its node key, and counts those
// the others wrote beside its own. A liar whose refusals spread over
// several nodes, too few on any one of them, is convicted all the same, on
// every node, within a couple of seconds of the lie that completes the
// count (a poll to write it, one to read it).
// Only lies travel: whether a refusal was a race is for the node that saw
// the edge's gossip around it to say, and the count is what convicts.
const (
	// refusalGrace is how long gossip may lag an edge's count: thirty LAN
	// gossip intervals, and the checker waits as long before it calls a
	// refused check a lie (checker.RefusalRecheck).
	refusalGrace = 3 * time.Second
	// refusalWindow is how long a refusal counts against an edge: an edge
	// that stops lying wins players back within minutes.
	refusalWindow = 5 * time.Minute
	// refusalsToConvict refusals within the window convict an edge: three
	// rules out one lost update or one unlucky race.
	refusalsToConvict = 3
	// refusalsKept bounds the refusals kept per edge, judged or not; more
	// than enough to convict.
	refusalsKept = 16
	// refusalEdges bounds the edges tracked, whatever gossip says.
	refusalEdges = 100_000
)

// refusalBook keeps, per edge, the joins it refused while advertising
// free slots. Its methods may be called from any goroutine, and on a nil
// book (a node without a registry keeps no score); its callbacks are
// called without the book's lock held.
type refusalBook struct {
	now func() time.Time
	// judged is told, as the book settles, each refusal judged (at is
	// when the edge refused): lied when it was against advertised slots,
	// false for an honest race; changed then once per edge whose count
	// of refusals changed, here or by a lie judged elsewhere.
	judged  func(edge string, at time.Time, lied bool)
	changed func(edge string)

	mu sync.Mutex
	by map[string]*refusalLog
}

type refusalLog struct {
	// fullAt is when this node last saw the edge advertise no free slot.
	fullAt time.Time
	// pending are refusals younger than refusalGrace, not judged yet;
	// counted those judged against advertised slots, here or by another
	// node, oldest first.
	pending, counted []time.Time
}

func newRefusalBook(now func() time.Time, judged func(edge string, at time.Time, lied bool), changed func(edge string)) *refusalBook {
	return &refusalBook{now: now, judged: judged, changed: changed, by: map[string]*refusalLog{}}
}

// logOf returns edge's log, creating it unless the book is full. b.mu is
// held.
func (b *refusalBook) logOf(edge string) *refusalLog {
	l, ok := b.by[edge]
	if !ok && len(b.by) < refusalEdges {
		l = &refusalLog{}
		b.by[edge] = l
	}
	return l
}

// advertised is told each edge's free slots as gossip reports them.
func (b *refusalBook) advertised(edge string, free int) {
	if b == nil || free > 0 {
		return
	}
	b.mu.Lock()
	if l := b.logOf(edge); l != nil {
		l.fullAt = b.now()
	}
	b.mu.Unlock()
}

// refused records that edge refused a join as full while this node's view
// of it advertised free slots (after this node's own reservations).
func (b *refusalBook) refused(edge string, free int) {
	if b == nil || free <= 0 {
		return // this node knew it was full: no claim was broken
	}
	b.mu.Lock()
	if l := b.logOf(edge); l != nil {
		l.pending = appendKept(l.pending, b.now())
	}
	b.mu.Unlock()
}

// settle judges the refusals older than refusalGrace and forgets those
// older than refusalWindow, then reports the changes.
func (b *refusalBook) settle() {
	if b == nil {
		return
	}
	type change struct {
		edge          string
		lied, honest  []time.Time
		countsChanged bool
	}
	var changes []change
	now := b.now()
	b.mu.Lock()
	for edge, l := range b.by {
		var lied, honest []time.Time
		n := 0
		for _, at := range l.pending {
			switch {
			case now.Sub(at) < refusalGrace:
				l.pending[n] = at
				n++
			case !l.fullAt.IsZero() && l.fullAt.After(at.Add(-refusalGrace)):
				honest = append(honest, at)
			default:
				lied = append(lied, at)
				l.counted = insertKept(l.counted, at)
			}
		}
		l.pending = l.pending[:n]
		drop := 0
		for drop < len(l.counted) && now.Sub(l.counted[drop]) > refusalWindow {
			drop++
		}
		l.counted = l.counted[drop:]
		if len(lied) > 0 || len(honest) > 0 || drop > 0 {
			changes = append(changes, change{edge, lied, honest, len(lied) > 0 || drop > 0})
		}
		if len(l.pending) == 0 && len(l.counted) == 0 && now.Sub(l.fullAt) > refusalWindow {
			delete(b.by, edge)
		}
	}
	b.mu.Unlock()
	for _, c := range changes {
		for _, at := range c.lied {
			b.judged(c.edge, at, true)
		}
		for _, at := range c.honest {
			b.judged(c.edge, at, false)
		}
		if c.countsChanged {
			b.changed(c.edge)
		}
	}
}

// counted is how many of edge's refusals within the window were judged
// against advertised slots.
func (b *refusalBook) counted(edge string) int {
	if b == nil {
		return 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if l, ok := b.by[edge]; ok {
		return len(l.counted)
	}
	return 0
}

// liedElsewhere counts a refusal of edge's, at at, that another node
// judged a lie. One older than the window is not counted.
func (b *refusalBook) liedElsewhere(edge string, at time.Time) {
	if b == nil || b.now().Sub(at) > refusalWindow {
		return
	}
	b.mu.Lock()
	l := b.logOf(edge)
	if l != nil {
		l.counted = insertKept(l.counted, at)
	}
	b.mu.Unlock()
	if l != nil {
		b.changed(edge)
	}
}

// appendKept appends at, dropping the oldest beyond refusalsKept.
func appendKept(list []time.Time, at time.Time) []time.Time {
	list = append(list, at)
	if len(list) > refusalsKept {
		list = list[len(list)-refusalsKept:]
	}
	return list
}

// insertKept inserts at in order, dropping the oldest beyond
// refusalsKept: verdicts from other nodes arrive out of order.
func insertKept(list []time.Time, at time.Time) []time.Time {
	i, _ := slices.BinarySearchFunc(list, at, time.Time.Compare)
	list = slices.Insert(list, i, at)
	if len(list) > refusalsKept {
		list = list[len(list)-refusalsKept:]
	}
	return list
}
