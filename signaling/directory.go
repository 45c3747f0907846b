package signaling

import (
	"context"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"stratus/cluster"
	"stratus/signaling/route"
)

// directory is the server's view of the cluster: the edges, to choose,
// place players on and ask, and the signaling nodes a page may fall back
// to. Its methods may be called from any goroutine at once until Close,
// which the server calls once, after everything else.
type directory interface {
	edgeFeed
	// Signals lists the player-facing base URLs of the signaling nodes
	// known now, this one included when it is known.
	Signals() []string
	Close() error
}

// openDirectory joins the gossip pools cfg names, or, without them, polls
// the edges cfg lists. catalogRev is the studio catalog's revision, which
// a gossiping node tells the cluster; the publisher is nil when the
// directory does not gossip (edges without gossip poll the catalog). A
// gossiping directory lists only the members g allows, when g is set.
func openDirectory(cfg Config, catalogRev uint64, g gate, log *slog.Logger) (directory, catalogPublisher, error) {
	if len(cfg.LAN) == 0 {
		return newStaticDir(cfg.Edges, cfg.PublicURL, cfg.OperatorToken, log), nil, nil
	}
	var regions []string
	for _, p := range cfg.LAN {
		regions = append(regions, strings.TrimPrefix(p.Pool, "lan/"))
	}
	meta := cluster.Meta{Role: cluster.RoleSignal, Region: cfg.Region, API: cfg.PublicURL, Health: cluster.HealthOK, Regions: regions, Catalog: catalogRev}
	if cfg.Location != nil {
		meta.Location = *cfg.Location
	}
	d := &gossipDir{log: log, meta: meta, gate: g, refused: map[string]string{}}
	for _, pc := range cfg.LAN {
		p, err := cluster.NewPool(pc, meta, log)
		if err != nil {
			d.Close()
			return nil, nil, err
		}
		d.lan = append(d.lan, p)
	}
	if cfg.WAN != nil {
		p, err := cluster.NewPool(*cfg.WAN, meta, log)
		if err != nil {
			d.Close()
			return nil, nil, err
		}
		d.wan = p
	}
	return d, d, nil
}

// gossipDir reads the cluster from gossip: one LAN pool per region this node
// routes for, and the WAN pool of signaling nodes.
type gossipDir struct {
	log  *slog.Logger
	lan  []*cluster.Pool
	wan  *cluster.Pool
	gate gate // nil: every member the pools believe

	mu   sync.Mutex
	meta cluster.Meta // what this node gossips about itself
	// refused is the last reason the gate gave for each member it
	// refused, so that each refusal is logged once, not at every update.
	refused map[string]string
}

// pools lists every pool the node is in, the WAN pool first.
func (d *gossipDir) pools() []*cluster.Pool {
	if d.wan == nil {
		return d.lan
	}
	return append([]*cluster.Pool{d.wan}, d.lan...)
}

// PublishCatalog gossips a new catalog revision, so that edges fetch the
// catalog now rather than at their next poll.
func (d *gossipDir) PublishCatalog(rev uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.meta.Catalog = rev
	for _, p := range d.pools() {
		if err := p.SetMeta(d.meta); err != nil {
			d.log.Warn("gossip: publishing the catalog revision", "pool", p.Name(), "err", err)
		}
	}
}

func (d *gossipDir) Edges() []route.Edge {
	var out []route.Edge
	for _, p := range d.lan {
		for _, m := range p.Members() {
			if d.routable(m) {
				out = append(out, d.edge(m))
			}
		}
	}
	return out
}

// Track keeps ix current from each LAN pool's membership events, and
// from the gate's changes, one goroutine per pool; they end when Close
// closes the pools.
func (d *gossipDir) Track(ix *route.Index) {
	for _, p := range d.lan {
		// Subscribe before reading the members, so no change falls
		// between them.
		events, _ := p.Subscribe()
		known := map[string]bool{}
		d.resync(ix, p.Members(), known)
		go func() {
			changed := d.gateChanged()
			for {
				select {
				case ev, ok := <-events:
					if !ok {
						return
					}
					if ev.Type == cluster.EventResync {
						d.resync(ix, p.Members(), known)
						continue
					}
					d.apply(ix, ev, known)
				case <-changed:
					changed = d.gateChanged()
					d.resync(ix, p.Members(), known)
				}
			}
		}()
	}
}

// gateChanged is closed at the gate's next change; nil (never) without
// a gate.
func (d *gossipDir) gateChanged() <-chan struct{} {
	if d.gate == nil {
		return nil
	}
	return d.gate.Changed()
}

// routable is what Edges lists: alive edges the gate allows. A leaving
// edge takes no new players.
func (d *gossipDir) routable(m cluster.Member) bool {
	return m.Meta.Role == cluster.RoleEdge && m.State == cluster.StateAlive && d.allowed(m)
}

// allowed asks the gate, logging each new refusal once.
func (d *gossipDir) allowed(m cluster.Member) bool {
	if d.gate == nil {
		return true
	}
	err := d.gate.Allowed(m)
	d.mu.Lock()
	defer d.mu.Unlock()
	if err == nil {
		delete(d.refused, m.Name)
		return true
	}
	if d.refused[m.Name] != err.Error() {
		d.refused[m.Name] = err.Error()
		d.log.Warn("gossip: member refused by the registry; no work for it", "member", m.Name, "role", m.Meta.Role, "reason", err)
	}
	return false
}

// apply brings ix up to date with one event of a pool; known holds the
// names the pool put in ix.
func (d *gossipDir) apply(ix *route.Index, ev cluster.Event, known map[string]bool) {
	m := ev.Member
	if ev.Type == cluster.EventLeave || !d.routable(m) {
		if known[m.Name] {
			delete(known, m.Name)
			ix.Remove(m.Name)
		}
		return
	}
	known[m.Name] = true
	ix.Put(d.edge(m))
}

// edge is m as routing sees it, with what the checkers found of it.
func (d *gossipDir) edge(m cluster.Member) route.Edge {
	e := route.Edge{Name: m.Name, Meta: m.Meta}
	if d.gate != nil {
		d.gate.Advertised(m.Name, m.Meta.Free)
		e.QoSShortfall, e.QoSWhy = d.gate.Shortfall(m.Name)
	}
	return e
}

// resync makes ix hold a pool's members after events were lost or the
// gate changed: it puts every routable member and removes those the pool
// put that are gone or no longer allowed.
func (d *gossipDir) resync(ix *route.Index, members []cluster.Member, known map[string]bool) {
	now := make(map[string]bool, len(members))
	for _, m := range members {
		if d.routable(m) {
			now[m.Name] = true
			ix.Put(d.edge(m))
		}
	}
	for name := range known {
		if !now[name] {
			delete(known, name)
			ix.Remove(name)
		}
	}
	for name := range now {
		known[name] = true
	}
}

// Refresh returns at once: gossip tells of every change as it happens.
func (d *gossipDir) Refresh(context.Context) {}

func (d *gossipDir) Signals() []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range d.pools() {
		for _, m := range p.Members() {
			if m.Meta.Role == cluster.RoleSignal && m.State == "alive" && m.Meta.API != "" && !seen[m.Meta.API] && d.allowed(m) {
				seen[m.Meta.API] = true
				out = append(out, m.Meta.API)
			}
		}
	}
	sort.Strings(out)
	return out
}

func (d *gossipDir) Close() error {
	for _, p := range d.pools() {
		p.Leave(time.Second)
		p.Close()
	}
	return nil
}
