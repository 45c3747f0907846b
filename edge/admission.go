package edge

import (
	"sync"

	"stratus/edge/api"
)

// admission is the single owner of the edge's slots: a slot is taken
// (reserve) before a session is set up and given back (release) once the
// session has failed to set up or ended, so the count covers sessions being
// set up as well as running ones. It refuses everyone once the edge drains
// or closes, and says when a drain is over: the drained channel closes when
// the last slot is given back.
//
// capacity is read under admission's lock, so it must not call back into
// admission. Its methods are safe for concurrent use.
type admission struct {
	name     string     // the edge's, for refusals
	capacity func() int // the sessions the edge admits at most, as of now

	mu       sync.Mutex
	reserved int
	draining bool
	closed   bool
	// drained is closed once the edge drains and no slot is taken; an
	// undrain after that replaces it.
	drained chan struct{}
}

func newAdmission(name string, capacity func() int) *admission {
	return &admission{name: name, capacity: capacity, drained: make(chan struct{})}
}

// reserve takes a slot, or says why not: the edge is draining or closed
// (api.CodeDraining) or full (api.CodeEdgeFull).
func (a *admission) reserve() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed || a.draining {
		return api.Errorf(api.CodeDraining, "edge %s is draining", a.name)
	}
	if c := a.capacity(); a.reserved >= c {
		return api.Errorf(api.CodeEdgeFull, "edge %s is full (%d of %d sessions)", a.name, a.reserved, c)
	}
	a.reserved++
	return nil
}

// release gives back a slot reserve took.
func (a *admission) release() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.reserved--
	a.checkDrained()
}

// count is the slots taken.
func (a *admission) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.reserved
}

// drain refuses every later reserve; first says whether this call began
// the drain.
func (a *admission) drain() (first bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	first = !a.draining
	a.draining = true
	a.checkDrained()
	return first
}

// undrain admits players again; it reports whether the edge was
// draining. A closed edge stays closed.
func (a *admission) undrain() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.draining {
		return false
	}
	a.draining = false
	select {
	case <-a.drained:
		a.drained = make(chan struct{})
	default:
	}
	return true
}

// isDraining reports whether the edge is draining.
func (a *admission) isDraining() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.draining
}

// done is closed once the edge is draining and every slot is back.
func (a *admission) done() <-chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.drained
}

// close refuses every later reserve, as a drain does but without
// counting as one; first says whether this call closed it.
func (a *admission) close() (first bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	first = !a.closed
	a.closed = true
	return first
}

// checkDrained closes drained when the drain is over. Called with mu held.
func (a *admission) checkDrained() {
	if !a.draining || a.reserved > 0 {
		return
	}
	select {
	case <-a.drained:
	default:
		close(a.drained)
	}
}
