package edge

import (
	"sync"
	"sync/atomic"
	"testing"

	"stratus/edge/api"
)

// TestAdmissionAlone: players racing for slots never hold more than the
// capacity, every refusal says the edge is full, and the count comes back
// to zero once they have all left.
func TestAdmissionAlone(t *testing.T) {
	tests := []struct {
		capacity, players, rounds int
	}{
		{capacity: 1, players: 8, rounds: 200},
		{capacity: 3, players: 16, rounds: 200},
		{capacity: 8, players: 8, rounds: 100}, // never full
	}
	for _, tt := range tests {
		a := newAdmission("a", func() int { return tt.capacity })
		var in, most, admitted atomic.Int64
		var wg sync.WaitGroup
		for range tt.players {
			wg.Go(func() {
				for range tt.rounds {
					if err := a.reserve(); err != nil {
						if code(err) != api.CodeEdgeFull {
							t.Errorf("refusal %v, want %s", err, api.CodeEdgeFull)
						}
						continue
					}
					admitted.Add(1)
					n := in.Add(1)
					for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
					}
					in.Add(-1)
					a.release()
				}
			})
		}
		wg.Wait()
		if m := most.Load(); m > int64(tt.capacity) {
			t.Errorf("capacity %d: %d players in at once", tt.capacity, m)
		}
		if n := a.count(); n != 0 {
			t.Errorf("capacity %d: %d slots taken after everyone left", tt.capacity, n)
		}
		if admitted.Load() == 0 {
			t.Errorf("capacity %d: nobody admitted", tt.capacity)
		}
	}
}

// TestAdmissionRefusals: what a join is told, by the state admission is in.
func TestAdmissionRefusals(t *testing.T) {
	tests := []struct {
		name  string
		setUp func(a *admission)
		want  string // code; empty: admitted
	}{
		{"free", func(*admission) {}, ""},
		{"full", func(a *admission) { a.reserve(); a.reserve() }, api.CodeEdgeFull},
		{"freed", func(a *admission) { a.reserve(); a.reserve(); a.release() }, ""},
		{"draining", func(a *admission) { a.drain() }, api.CodeDraining},
		{"closed", func(a *admission) { a.close() }, api.CodeDraining},
		{"full and draining", func(a *admission) { a.reserve(); a.reserve(); a.drain() }, api.CodeDraining},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAdmission("a", func() int { return 2 })
			tt.setUp(a)
			if got := code(a.reserve()); got != tt.want {
				t.Fatalf("reserve: code %q, want %q", got, tt.want)
			}
		})
	}
}

// TestAdmissionDrained: the drain is over, and says so, when the last slot
// comes back; not before, and not without a drain.
func TestAdmissionDrained(t *testing.T) {
	drained := func(a *admission) bool {
		select {
		case <-a.done():
			return true
		default:
			return false
		}
	}
	tests := []struct {
		name  string
		taken int
	}{
		{"idle edge", 0},
		{"one session", 1},
		{"three sessions", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAdmission("a", func() int { return 3 })
			for range tt.taken {
				if err := a.reserve(); err != nil {
					t.Fatal(err)
				}
			}
			if drained(a) {
				t.Fatal("drained before any drain")
			}
			if !a.drain() || a.drain() {
				t.Error("drain did not say first once")
			}
			for i := range tt.taken {
				if drained(a) {
					t.Fatalf("drained with %d sessions left", tt.taken-i)
				}
				a.release()
			}
			if !drained(a) {
				t.Fatal("not drained once every slot came back")
			}
			if !a.isDraining() {
				t.Error("isDraining false after drain")
			}
		})
	}
}

// TestAdmissionCloseIsNotADrain: closing refuses joins without making the
// edge report a drain.
func TestAdmissionCloseIsNotADrain(t *testing.T) {
	a := newAdmission("a", func() int { return 1 })
	if !a.close() || a.close() {
		t.Error("close did not say first once")
	}
	if a.isDraining() {
		t.Error("closed admission reports draining")
	}
}
