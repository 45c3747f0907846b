// Package edgenet is a mock network of edges for tests of signaling nodes.
// Its fake edges serve the edge API (package edge/api) on loopback and
// answer joins as their test says; a Net lists edges, fake or real, the way
// a signaling node's directory does, from what the test says of them. The
// view and the edges may disagree, as gossip and the edges do for a moment:
// an edge listed with room may refuse as full, an edge that stopped
// serving may still be listed.
//
// A Net has the methods of the directory package signaling uses (Edges,
// Track, Refresh, Signals, Close), so a signaling server can be built on one.
package edgenet

import (
	"context"
	"slices"
	"sync"

	"stratus/signaling/route"
)

// Net is the set of edges a signaling node knows, and the signaling nodes
// it would tell pages of. It is safe for concurrent use.
type Net struct {
	mu        sync.Mutex
	view      []route.Edge
	signals   []string
	onRefresh func()
	refreshes int
	fakes     []*Edge
	// ix, once Track is called, is kept equal to view.
	ix *route.Index
}

// New returns an empty network: no edges, no signaling nodes.
func New() *Net { return &Net{} }

// Add lists an edge, replacing one of the same name.
func (n *Net) Add(e route.Edge) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if i := n.index(e.Name); i >= 0 {
		n.view[i] = e
	} else {
		n.view = append(n.view, e)
	}
	n.put(e)
}

// put copies e into the index, if tracked; n.mu is held. The title list
// is copied, since tests change theirs.
func (n *Net) put(e route.Edge) {
	if n.ix != nil {
		e.Meta.Titles = slices.Clone(e.Meta.Titles)
		n.ix.Put(e)
	}
}

// Track keeps ix equal to the list from now on, as a directory does.
func (n *Net) Track(ix *route.Index) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.ix = ix
	for _, e := range n.view {
		n.put(e)
	}
}

// Remove takes the named edge off the list, as gossip does with a dead one.
func (n *Net) Remove(name string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if i := n.index(name); i >= 0 {
		n.view = slices.Delete(n.view, i, i+1)
	}
	if n.ix != nil {
		n.ix.Remove(name)
	}
}

// Update changes what the list says of the named edge, if listed.
func (n *Net) Update(name string, change func(*route.Edge)) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if i := n.index(name); i >= 0 {
		change(&n.view[i])
		n.put(n.view[i])
	}
}

// index finds the named edge in the view; n.mu is held.
func (n *Net) index(name string) int {
	return slices.IndexFunc(n.view, func(e route.Edge) bool { return e.Name == name })
}

// Edges lists the edges as they are said to be now, in the order they
// were added. The slice and the title lists are the caller's.
func (n *Net) Edges() []route.Edge {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]route.Edge, len(n.view))
	for i, e := range n.view {
		e.Meta.Titles = slices.Clone(e.Meta.Titles)
		out[i] = e
	}
	return out
}

// OnRefresh sets what Refresh does besides counting: the change a polled
// directory would find by looking again.
func (n *Net) OnRefresh(f func()) {
	n.mu.Lock()
	n.onRefresh = f
	n.mu.Unlock()
}

// Refresh counts the call and runs the OnRefresh function, if any.
func (n *Net) Refresh(context.Context) {
	n.mu.Lock()
	n.refreshes++
	f := n.onRefresh
	n.mu.Unlock()
	if f != nil {
		f()
	}
}

// Refreshes counts the calls to Refresh.
func (n *Net) Refreshes() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.refreshes
}

// SetSignals sets the signaling nodes' URLs that Signals lists.
func (n *Net) SetSignals(urls ...string) {
	n.mu.Lock()
	n.signals = slices.Clone(urls)
	n.mu.Unlock()
}

// Signals lists the signaling nodes' URLs.
func (n *Net) Signals() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.signals)
}

// Close stops every fake edge of the network. Safe to call twice.
func (n *Net) Close() error {
	n.mu.Lock()
	fakes := n.fakes
	n.fakes = nil
	n.mu.Unlock()
	for _, e := range fakes {
		e.Close()
	}
	return nil
}
