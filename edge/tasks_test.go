package edge

import (
	"context"
	"sync/atomic"
	"testing"

	"go.uber.org/goleak"
)

// TestTasks: close ends the context and waits for every goroutine; once
// closing, start refuses, with the context already over; close twice is
// fine.
func TestTasks(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ts := newTasks()
	var ended atomic.Int32
	started := make(chan struct{})
	for range 3 {
		if !ts.start(func(ctx context.Context) {
			started <- struct{}{}
			<-ctx.Done()
			ended.Add(1)
		}) {
			t.Fatal("start refused before close")
		}
	}
	for range 3 {
		<-started
	}
	ts.close()
	if n := ended.Load(); n != 3 {
		t.Fatalf("close returned with %d of 3 goroutines ended", n)
	}
	if ts.start(func(context.Context) { t.Error("started after close") }) {
		t.Error("start accepted after close")
	}
	if ts.ctx.Err() == nil {
		t.Error("context alive after close")
	}
	ts.close()
}

// TestRegistry: sessions come and go by id; lists are copies.
func TestRegistry(t *testing.T) {
	g := newRegistry()
	a, b := newRunning("a", "rocks"), newRunning("b", "testpattern")
	g.add(a)
	g.add(b)
	if r, ok := g.get("a"); !ok || r != a {
		t.Fatalf("get a: %v %v", r, ok)
	}
	list := g.list()
	g.remove("a")
	if _, ok := g.get("a"); ok || g.len() != 1 || len(list) != 2 {
		t.Fatalf("after removing a: %d sessions, list kept %d", g.len(), len(list))
	}
	g.stopAll("test") // b has no session yet: nothing to stop, no panic
}
