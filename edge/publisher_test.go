package edge

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"stratus/cluster"
)

// fakeMeta is an edge whose free slots the test sets; reads counts the
// publisher's looks at it.
type fakeMeta struct {
	mu    sync.Mutex
	free  int
	reads int
}

func (f *fakeMeta) set(free int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.free = free
}

func (f *fakeMeta) meta() cluster.Meta {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	return cluster.Meta{Role: cluster.RoleEdge, Capacity: 100, Free: f.free}
}

// fakePool records what is gossiped. While hold is set, SetMeta waits for
// it to be closed, as a slow gossip round would; fail makes it fail.
type fakePool struct {
	mu   sync.Mutex
	sent []int // Free of each metadata gossiped
	hold chan struct{}
	fail bool
}

func (f *fakePool) SetMeta(m cluster.Meta) error {
	f.mu.Lock()
	hold, fail := f.hold, f.fail
	f.mu.Unlock()
	if hold != nil {
		<-hold
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if fail {
		return errors.New("gossip down")
	}
	f.sent = append(f.sent, m.Free)
	return nil
}

func (f *fakePool) gossiped() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]int(nil), f.sent...)
}

// runPublisher runs a publisher of src to pool for the rest of the
// synctest bubble's test, and stops it at the end.
func runPublisher(t *testing.T, src *fakeMeta, pool *fakePool) *publisher {
	p := newPublisher(src, pool, publishEvery, slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	synctest.Wait() // the publisher has read what the cluster has
	return p
}

// TestPublisherCoalesces: requests made while a gossip round is under way
// merge into one more round, which carries the latest metadata.
func TestPublisherCoalesces(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src, pool := &fakeMeta{free: 10}, &fakePool{hold: make(chan struct{})}
		p := runPublisher(t, src, pool)
		src.set(9)
		p.publish()
		synctest.Wait() // the first round waits in SetMeta
		for free := 8; free > 0; free-- {
			src.set(free)
			p.publish()
		}
		pool.mu.Lock()
		close(pool.hold)
		pool.hold = nil
		pool.mu.Unlock()
		synctest.Wait()
		if got := pool.gossiped(); !slices.Equal(got, []int{9, 1}) {
			t.Fatalf("gossiped free %v, want [9 1]: one round for the burst, with its end", got)
		}
		// At start, the first round, and one round for the burst.
		src.mu.Lock()
		defer src.mu.Unlock()
		if src.reads != 3 {
			t.Fatalf("metadata read %d times, want 3", src.reads)
		}
	})
}

// TestPublisher: what is gossiped, and when.
func TestPublisher(t *testing.T) {
	tests := []struct {
		name string
		// run changes the edge and asks for publishing as the case
		// needs; the bubble's clock runs only when all wait.
		run  func(src *fakeMeta, pool *fakePool, p *publisher)
		want []int
	}{
		{"change published at once", func(src *fakeMeta, pool *fakePool, p *publisher) {
			src.set(3)
			p.publish()
		}, []int{3}},
		{"nothing new, nothing sent", func(src *fakeMeta, pool *fakePool, p *publisher) {
			p.publish()
			p.publish()
		}, nil},
		{"unrequested change sent by the interval", func(src *fakeMeta, pool *fakePool, p *publisher) {
			src.set(4)
			synctest.Wait()
			time.Sleep(publishEvery) // the bubble's clock: no real wait
		}, []int{4}},
		{"failed round retried", func(src *fakeMeta, pool *fakePool, p *publisher) {
			pool.mu.Lock()
			pool.fail = true
			pool.mu.Unlock()
			src.set(5)
			p.publish()
			synctest.Wait()
			pool.mu.Lock()
			pool.fail = false
			pool.mu.Unlock()
			p.publish()
		}, []int{5}},
		{"back to what the cluster has", func(src *fakeMeta, pool *fakePool, p *publisher) {
			src.set(5)
			p.publish()
			synctest.Wait()
			src.set(10)
			p.publish()
		}, []int{5, 10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				src, pool := &fakeMeta{free: 10}, &fakePool{}
				p := runPublisher(t, src, pool)
				tt.run(src, pool, p)
				synctest.Wait()
				if got := pool.gossiped(); !slices.Equal(got, tt.want) {
					t.Fatalf("gossiped free %v, want %v", got, tt.want)
				}
			})
		})
	}
}

// TestPublisherNil: an edge without gossip has no publisher, and asking it
// to publish does nothing.
func TestPublisherNil(t *testing.T) {
	var p *publisher
	p.publish()
}
