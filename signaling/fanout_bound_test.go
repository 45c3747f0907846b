package signaling_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"stratus/edge/api"
	"stratus/internal/edgenet"
)

// TestFanoutBounded asks a node for the fleet's sessions, as an operator
// polling hard would: the node asks at most 16 edges at once, and a second
// question within a second costs the edges nothing.
func TestFanoutBounded(t *testing.T) {
	noLeaks(t)
	const edges, bound = 40, 16
	net := edgenet.New()
	var inFlight, most, listings atomic.Int32
	release := make(chan struct{})
	var releaseOnce sync.Once
	open := func() { releaseOnce.Do(func() { close(release) }) }
	t.Cleanup(open)
	listing := func(ctx context.Context) {
		listings.Add(1)
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		select {
		case <-release:
		case <-ctx.Done():
		}
	}
	for i := range edges {
		e := net.Start(edgenet.EdgeConfig{Name: fmt.Sprintf("eu-%02d", i), Region: "eu", Listing: listing})
		e.AddSession(api.SessionInfo{ID: fmt.Sprintf("s-%02d", i), Edge: e.View().Name})
	}
	n := newNode(t, net)

	get := func() (int, error) {
		resp, err := operatorGet(n.URL + "/v1/sessions")
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		var list []api.SessionInfo
		err = json.NewDecoder(resp.Body).Decode(&list)
		return len(list), err
	}
	type result struct {
		n   int
		err error
	}
	first := make(chan result, 1)
	go func() {
		n, err := get()
		first <- result{n, err}
	}()
	// Held, the edges' answers pile up to the bound; were there none, the
	// count would pass it on its way to 40.
	eventually(t, "the bound to be reached", func() bool { return inFlight.Load() == bound })
	open()
	r := <-first
	t.Logf("tried listing %d edges' sessions: %d asked at most at once, got %d sessions (err %v)", edges, most.Load(), r.n, r.err)
	if r.err != nil || r.n != edges {
		t.Fatalf("got %d sessions (err %v), want %d", r.n, r.err, edges)
	}
	if m := most.Load(); m > bound {
		t.Errorf("%d edges asked at once, want at most %d", m, bound)
	}
	before := listings.Load()
	got, err := get()
	t.Logf("asked again at once: %d sessions, the edges asked %d more time(s)", got, listings.Load()-before)
	if err != nil || got != edges {
		t.Fatalf("second listing: %d sessions (err %v)", got, err)
	}
	if more := listings.Load() - before; more != 0 {
		t.Errorf("a second listing within the cache window asked the edges %d times", more)
	}
	// The answer is kept for a moment only.
	eventually(t, "a later listing to ask the edges again", func() bool {
		if _, err := get(); err != nil {
			return false
		}
		return listings.Load() > before
	})
}
