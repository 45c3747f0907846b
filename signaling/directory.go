package signaling

import (
	"context"
	"log/slog"
	"sort"
	"sync"
	"time"

	"stratus/cluster"
	"stratus/edge/api"
	"stratus/signaling/route"
)

// directory tells a signaling node which edges exist and how they are, and
// which other signaling nodes a page may fall back to. Implementations are
// safe for concurrent use.
type directory interface {
	Edges() []route.Edge
	Signals() []string
	Close() error
}

// gossipDir reads the cluster from gossip: one LAN pool per region this node
// routes for, and the WAN pool of signaling nodes.
type gossipDir struct {
	lan []*cluster.Pool
	wan *cluster.Pool

	mu   sync.Mutex
	meta cluster.Meta // what this node gossips about itself
}

// setCatalog gossips a new catalog revision.
func (d *gossipDir) setCatalog(rev uint64, log *slog.Logger) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.meta.Catalog = rev
	for _, p := range append([]*cluster.Pool{d.wan}, d.lan...) {
		if p == nil {
			continue
		}
		if err := p.SetMeta(d.meta); err != nil {
			log.Warn("gossip: publishing the catalog revision", "pool", p.Name(), "err", err)
		}
	}
}

func (d *gossipDir) Edges() []route.Edge {
	var out []route.Edge
	for _, p := range d.lan {
		for _, m := range p.Members() {
			if m.Meta.Role == cluster.RoleEdge && m.State == "alive" {
				out = append(out, route.Edge{Name: m.Name, Meta: m.Meta})
			}
		}
	}
	return out
}

func (d *gossipDir) Signals() []string {
	seen := map[string]bool{}
	var out []string
	pools := append([]*cluster.Pool{d.wan}, d.lan...)
	for _, p := range pools {
		if p == nil {
			continue
		}
		for _, m := range p.Members() {
			if m.Meta.Role == cluster.RoleSignal && m.State == "alive" && m.Meta.API != "" && !seen[m.Meta.API] {
				seen[m.Meta.API] = true
				out = append(out, m.Meta.API)
			}
		}
	}
	sort.Strings(out)
	return out
}

func (d *gossipDir) Close() error {
	for _, p := range d.lan {
		p.Leave(time.Second)
		p.Close()
	}
	if d.wan != nil {
		d.wan.Leave(time.Second)
		d.wan.Close()
	}
	return nil
}

// staticDir knows a fixed list of edges (the all-in-one process, or a small
// deployment without gossip) and learns their state by polling their
// status, as gossip would tell it.
type staticDir struct {
	log     *slog.Logger
	clients []*api.Client
	self    string
	cancel  context.CancelFunc
	done    chan struct{}

	mu    sync.Mutex
	edges map[string]route.Edge // by API URL
}

// statusEvery is how often a static directory polls its edges.
const statusEvery = time.Second

func newStaticDir(clients []*api.Client, self string, log *slog.Logger) *staticDir {
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
				delete(d.edges, c.URL())
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
				Probe: c.URL() + "/v1/probe", Media: st.MediaUDP,
				Capacity: st.Capacity, Free: st.Free, Health: cluster.Health(st.Health), Titles: ids,
				// Each poll is a fresh report, as a gossip update would be:
				// reservations held until the next report end with it.
				Version: uint64(time.Now().UnixNano()),
			}}
			d.mu.Lock()
			d.edges[c.URL()] = e
			d.mu.Unlock()
		}()
	}
	wg.Wait()
}

// refresher is a directory that can look at its edges again now.
type refresher interface {
	refresh(ctx context.Context)
}

// refresh polls the edges now rather than at the next tick.
func (d *staticDir) refresh(ctx context.Context) { d.poll(ctx) }

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

func (d *staticDir) Close() error {
	d.cancel()
	<-d.done
	return nil
}
