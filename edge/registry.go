package edge

import (
	"errors"
	"sync"
)

// registry is the edge's running sessions by id: a session is added once
// set up and removed when it ends. Lookups serve the edge API, lists serve
// status, metrics and drains.
//
// Its methods are safe for concurrent use; what they return may be stale
// by the time the caller looks, as sessions come and go.
type registry struct {
	mu sync.Mutex
	m  map[string]*running
}

func newRegistry() *registry {
	return &registry{m: make(map[string]*running)}
}

func (g *registry) add(r *running) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.m[r.id] = r
}

func (g *registry) remove(id string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.m, id)
}

func (g *registry) get(id string) (*running, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	r, ok := g.m[id]
	return r, ok
}

// list is a snapshot of the sessions, in no order.
func (g *registry) list() []*running {
	g.mu.Lock()
	defer g.mu.Unlock()
	rs := make([]*running, 0, len(g.m))
	for _, r := range g.m {
		rs = append(rs, r)
	}
	return rs
}

func (g *registry) len() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.m)
}

// stopAll asks every session to end, for reason; it does not wait.
func (g *registry) stopAll(reason string) {
	for _, r := range g.list() {
		r.stop(errors.New(reason))
	}
}
