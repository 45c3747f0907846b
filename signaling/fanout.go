package signaling

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"stratus/edge/api"
	"stratus/signaling/route"
	"stratus/signaling/studio"
)

// maxFanout bounds the edges asked at once, by all of a node's questions
// together: a fleet of hundreds answers in a few rounds, and the node holds
// a bounded number of connections to edges for it.
const maxFanout = 16

// fanoutFresh is how long an answer of the fleet is reused: operators
// polling, studios refreshing and players asking for titles cost the edges
// one round a second at most, however many ask.
const fanoutFresh = time.Second

// fanout answers questions about the whole fleet by asking the edges: the
// sessions they run, the titles they offer, what they say of the studio's
// titles. It is safe for concurrent use; every query returns once each
// edge asked has answered or its context has ended. Each answer is reused
// for fanoutFresh, and callers asking while one is gathered wait for it.
type fanout struct {
	edges   edgeView
	clients *edgeClients
	// slots holds a token per edge being asked (maxFanout).
	slots chan struct{}

	sessionsCache cached[[]api.SessionInfo]
	titlesCache   cached[[]api.Title]
	reportsCache  cached[map[string][]studio.EdgeStatus]
}

func newFanout(edges edgeView, clients *edgeClients, now func() time.Time) *fanout {
	return &fanout{
		edges: edges, clients: clients, slots: make(chan struct{}, maxFanout),
		sessionsCache: newCached[[]api.SessionInfo](now),
		titlesCache:   newCached[[]api.Title](now),
		reportsCache:  newCached[map[string][]studio.EdgeStatus](now),
	}
}

// cached holds the last answer to one question for fanoutFresh, while the
// fleet it asked is the same (an edge gone or come makes a new answer).
// lock, a one-token channel, is held while the answer is gathered, so that
// callers share it; a caller whose context ends stops waiting. Answers are
// shared by their callers, who must not change them.
type cached[T any] struct {
	now  func() time.Time
	lock chan struct{}
	at   time.Time // when val was gathered; zero: never
	key  string    // the fleet val came from (fleetKey)
	val  T
}

func newCached[T any](now func() time.Time) cached[T] {
	return cached[T]{now: now, lock: make(chan struct{}, 1)}
}

// get returns the fresh answer, or gathers one with fetch; failures are
// not kept.
func (c *cached[T]) get(ctx context.Context, key string, fetch func() (T, error)) (T, error) {
	select {
	case c.lock <- struct{}{}:
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
	defer func() { <-c.lock }()
	if !c.at.IsZero() && c.key == key && c.now().Sub(c.at) < fanoutFresh {
		return c.val, nil
	}
	v, err := fetch()
	if err != nil {
		return v, err
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		// The caller went away mid-answer: the answer may lack edges that
		// were still to answer. (One cut by the deadline is kept: a slow
		// edge would be slow again.)
		return v, nil
	}
	c.val, c.at, c.key = v, c.now(), key
	return v, nil
}

// fleetKey names the edges known now and their metadata's versions.
func (f *fanout) fleetKey() string {
	edges := f.edges.Edges()
	keys := make([]string, len(edges))
	for i, e := range edges {
		keys[i] = fmt.Sprintf("%s@%s#%d", e.Name, e.Meta.API, e.Meta.Version)
	}
	sort.Strings(keys)
	return strings.Join(keys, " ")
}

// sessions lists the sessions of every edge this node knows, asking them
// at once (maxFanout at a time). Edges that fail to answer are left out.
func (f *fanout) sessions(ctx context.Context) []api.SessionInfo {
	out, err := f.sessionsCache.get(ctx, f.fleetKey(), func() ([]api.SessionInfo, error) { return f.askSessions(ctx), nil })
	if err != nil {
		return []api.SessionInfo{}
	}
	return out
}

func (f *fanout) askSessions(ctx context.Context) []api.SessionInfo {
	var mu sync.Mutex
	out := []api.SessionInfo{}
	f.askEach(ctx, func(_ route.Edge, cl *api.Client) {
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
	return f.titlesCache.get(ctx, f.fleetKey(), func() ([]api.Title, error) { return f.askTitles(ctx) })
}

func (f *fanout) askTitles(ctx context.Context) ([]api.Title, error) {
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
		cl, err := f.clients.get(e.Name, e.Meta.API)
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
	out, err := f.reportsCache.get(ctx, f.fleetKey(), func() (map[string][]studio.EdgeStatus, error) { return f.askReports(ctx), nil })
	if err != nil {
		return map[string][]studio.EdgeStatus{}
	}
	return out
}

func (f *fanout) askReports(ctx context.Context) map[string][]studio.EdgeStatus {
	var mu sync.Mutex
	out := map[string][]studio.EdgeStatus{}
	f.askEach(ctx, func(e route.Edge, cl *api.Client) {
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
// goroutine while it holds one of the fan-out's slots, and returns when all
// have returned. Once ctx ends, the edges not yet asked are left out.
func (f *fanout) askEach(ctx context.Context, ask func(e route.Edge, cl *api.Client)) {
	var wg sync.WaitGroup
	defer wg.Wait()
	for _, e := range f.edges.Edges() {
		cl, err := f.clients.get(e.Name, e.Meta.API)
		if err != nil {
			continue
		}
		select {
		case f.slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		wg.Add(1)
		go func() {
			defer func() { <-f.slots }()
			defer wg.Done()
			ask(e, cl)
		}()
	}
}
