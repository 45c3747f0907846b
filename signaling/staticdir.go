package signaling

import (
	"cmp"
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"stratus/cluster"
	"stratus/edge/api"
	"stratus/signaling/route"
	"stratus/trust"
)

// statusEvery is how often a static directory polls its edges.
const statusEvery = time.Second

// staticDir knows a fixed list of edges (the all-in-one process, or a small
// deployment without gossip) and learns their state by polling their
// status, as gossip would tell it. Its poll loop is its own goroutine,
// ended by Close.
type staticDir struct {
	log     *slog.Logger
	clients []*api.Client
	self    string
	cancel  context.CancelFunc
	done    chan struct{}

	mu    sync.Mutex
	edges map[string]route.Edge // by API URL
	// ix, once Track is called, holds the same edges by name.
	ix *route.Index
}

// newStaticDir polls the edges at urls (already checked by
// Config.Validate) once, then every statusEvery until Close. self is this
// node's public URL, the one signaling node it knows. Edges that guard
// their control API take the operator's token for the polls: this node
// learns their names only from the answers, too late for tickets.
func newStaticDir(urls []string, self string, token trust.Token, log *slog.Logger) *staticDir {
	var hc *http.Client
	if token != "" {
		hc = &http.Client{Timeout: 10 * time.Second, Transport: trust.BearerTransport{Token: token}}
	}
	var clients []*api.Client
	for _, u := range urls {
		if c, err := api.NewClient(u, hc); err == nil {
			clients = append(clients, c)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	d := &staticDir{log: log, clients: clients, self: self, cancel: cancel, done: make(chan struct{}), edges: map[string]route.Edge{}}
	d.poll(ctx)
	go d.run(ctx)
	return d
}

func (d *staticDir) run(ctx context.Context) {
	defer close(d.done)
	t := time.NewTicker(statusEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			d.poll(ctx)
		}
	}
}

// poll asks every edge at once for its status and titles. An edge that
// does not answer its status is gone until it answers again; one whose
// titles fail keeps what it said last.
func (d *staticDir) poll(ctx context.Context) {
	var wg sync.WaitGroup
	for _, c := range d.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(ctx, statusEvery)
			defer cancel()
			st, err := c.Status(ctx)
			if err != nil {
				d.mu.Lock()
				d.drop(c.URL())
				d.mu.Unlock()
				return
			}
			titles, err := c.Titles(ctx)
			if err != nil {
				return
			}
			ids := make([]string, len(titles))
			for i, t := range titles {
				ids[i] = t.ID
			}
			e := route.Edge{Name: st.Name, Meta: cluster.Meta{
				Role: cluster.RoleEdge, Region: st.Region, API: c.URL(),
				// An edge that names no probe serves it on its API.
				Probe: cmp.Or(st.Probe, c.URL()+"/v1/probe"), Media: st.MediaUDP,
				Capacity: st.Capacity, Free: st.Free, Health: cluster.Health(st.Health), Titles: ids,
				// Each poll is a fresh report, as a gossip update would be:
				// reservations held until the next report end with it.
				Version: uint64(time.Now().UnixNano()),
			}}
			d.mu.Lock()
			if old, ok := d.edges[c.URL()]; ok && old.Name != e.Name {
				d.drop(c.URL())
			}
			d.edges[c.URL()] = e
			if d.ix != nil {
				d.ix.Put(e)
			}
			d.mu.Unlock()
		}()
	}
	wg.Wait()
}

// drop forgets the edge at url; d.mu is held.
func (d *staticDir) drop(url string) {
	e, ok := d.edges[url]
	if !ok {
		return
	}
	delete(d.edges, url)
	if d.ix != nil {
		d.ix.Remove(e.Name)
	}
}

// Track puts the edges polled so far in ix, and every later poll's
// changes: the index changes under d.mu, so it and Edges agree.
func (d *staticDir) Track(ix *route.Index) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.ix = ix
	for _, e := range d.edges {
		ix.Put(e)
	}
}

// Refresh polls the edges now rather than at the next tick.
func (d *staticDir) Refresh(ctx context.Context) { d.poll(ctx) }

func (d *staticDir) Edges() []route.Edge {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]route.Edge, 0, len(d.edges))
	for _, e := range d.edges {
		out = append(out, e)
	}
	return out
}

func (d *staticDir) Signals() []string {
	if d.self == "" {
		return nil
	}
	return []string{d.self}
}

// Close ends the poll loop. Safe to call twice.
func (d *staticDir) Close() error {
	d.cancel()
	<-d.done
	return nil
}
