package signaling

import (
	"context"
	"sort"
	"sync"
	"time"

	"stratus/edge/api"
	"stratus/signaling/route"
	"stratus/signaling/studio"
)

// fanout answers questions about the whole fleet by asking the edges: the
// sessions they run, the titles they offer, what they say of the studio's
// titles. It is safe for concurrent use; every query returns once each
// edge asked has answered or its context has ended.
type fanout struct {
	edges   edgeView
	clients *edgeClients
}

// sessions lists the sessions of every edge this node knows, asking them
// all at once. Edges that fail to answer are left out.
func (f *fanout) sessions(ctx context.Context) []api.SessionInfo {
	var mu sync.Mutex
	out := []api.SessionInfo{}
	f.askEach(func(_ route.Edge, cl *api.Client) {
		ss, err := cl.Sessions(ctx)
		if err != nil {
			return
		}
		mu.Lock()
		out = append(out, ss...)
		mu.Unlock()
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Started.Before(out[j].Started) })
	for i := range out {
		out[i].Stats = nil
	}
	return out
}

// titles lists what the known edges offer: each title once, described by
// the first edge that answers for it. Edges are asked one after the other,
// and only while one may offer a title not yet described (an edge that
// gossips a digest may offer anything). It fails only when no edge answered.
func (f *fanout) titles(ctx context.Context) ([]api.Title, error) {
	seen := map[string]bool{}
	var out []api.Title
	var lastErr error
	for _, e := range f.edges.Edges() {
		missing := false
		for _, id := range e.Meta.Titles {
			if !seen[id] {
				missing = true
			}
		}
		if !missing && e.Meta.TitlesDigest == "" {
			continue
		}
		cl, err := f.clients.get(e.Meta.API)
		if err != nil {
			continue
		}
		ts, err := cl.Titles(ctx)
		if err != nil {
			lastErr = err
			continue
		}
		for _, t := range ts {
			if !seen[t.ID] {
				seen[t.ID] = true
				out = append(out, t)
			}
		}
	}
	if out == nil && lastErr != nil {
		return nil, lastErr
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// edgeReportsWait bounds how long the studio waits for the edges' reports.
const edgeReportsWait = 2 * time.Second

// edgeReports asks every known edge, at once, what it says of each title
// in its catalog: which it can run, and why not the others. Edges that do
// not answer in time are left out. It is the studio's studio.EdgeReports.
func (f *fanout) edgeReports(ctx context.Context) map[string][]studio.EdgeStatus {
	ctx, cancel := context.WithTimeout(ctx, edgeReportsWait)
	defer cancel()
	var mu sync.Mutex
	out := map[string][]studio.EdgeStatus{}
	f.askEach(func(e route.Edge, cl *api.Client) {
		ts, err := cl.AllTitles(ctx)
		if err != nil {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		for _, t := range ts {
			out[t.ID] = append(out[t.ID], studio.EdgeStatus{Edge: e.Name, Region: e.Meta.Region, Version: t.Version, Runnable: t.Runnable, Reason: t.Reason})
		}
	})
	for _, list := range out {
		sort.Slice(list, func(i, j int) bool { return list[i].Edge < list[j].Edge })
	}
	return out
}

// askEach calls ask for every edge this node knows, each on its own
// goroutine, and returns when all have returned.
func (f *fanout) askEach(ask func(e route.Edge, cl *api.Client)) {
	var wg sync.WaitGroup
	for _, e := range f.edges.Edges() {
		cl, err := f.clients.get(e.Meta.API)
		if err != nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ask(e, cl)
		}()
	}
	wg.Wait()
}
