package edge

import (
	"context"
	"sync"
)

// tasks owns the edge's goroutines: session loops, drains started over
// HTTP, and the background loops of the rooms. Each goroutine gets the
// edge's context and must return once it ends; close ends it and waits for
// them all, so nothing the edge started outlives Close.
//
// Its methods are safe for concurrent use; close is safe twice.
type tasks struct {
	ctx    context.Context
	cancel context.CancelFunc

	mu     sync.Mutex
	closed bool // guards wg.Add against a Wait under way
	wg     sync.WaitGroup
}

func newTasks() *tasks {
	t := &tasks{}
	t.ctx, t.cancel = context.WithCancel(context.Background())
	return t
}

// start runs f in a goroutine of its own, unless close has begun; it
// reports whether f was started. Once it has refused, ctx has ended.
func (t *tasks) start(f func(ctx context.Context)) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return false
	}
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		f(t.ctx)
	}()
	return true
}

// close ends the context and waits for every goroutine started.
func (t *tasks) close() {
	t.mu.Lock()
	t.closed = true
	// Under mu: once start refuses, the context has ended.
	t.cancel()
	t.mu.Unlock()
	t.wg.Wait()
}
