package edge

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"stratus/cluster"
)

// publishEvery bounds how stale the gossiped load may get between changes
// of admission, which are published at once.
const publishEvery = 2 * time.Second

// join makes the edge a member of its region's gossip pool.
func (e *Edge) join() error {
	if e.cfg.Gossip == nil {
		return nil
	}
	pool, err := cluster.NewPool(*e.cfg.Gossip, e.meta(), e.log)
	if err != nil {
		return fmt.Errorf("edge: gossip: %w", err)
	}
	e.pool = pool
	e.publishNow = make(chan struct{}, 1)
	e.wg.Add(1)
	go e.publishLoop()
	return nil
}

// publish asks the publisher to gossip the edge's state now. It never
// blocks: requests made while one is pending merge into it.
func (e *Edge) publish() {
	if e.publishNow == nil {
		return
	}
	select {
	case e.publishNow <- struct{}{}:
	default:
	}
}

// publishLoop gossips the edge's metadata when it changes, and at least
// every publishEvery so the load stays fresh. It ends with the edge.
func (e *Edge) publishLoop() {
	defer e.wg.Done()
	t := time.NewTicker(publishEvery)
	defer t.Stop()
	last := e.meta()
	for {
		select {
		case <-e.ctx.Done():
			return
		case <-e.publishNow:
		case <-t.C:
		}
		m := e.meta()
		if sameMeta(m, last) {
			continue
		}
		if err := e.pool.SetMeta(m); err != nil {
			e.log.Warn("gossip: publishing metadata", "err", err)
			continue
		}
		last = m
	}
}

// sameMeta compares the parts of the metadata that change at run time.
func sameMeta(a, b cluster.Meta) bool {
	return a.Free == b.Free && a.Health == b.Health && a.Capacity == b.Capacity && a.GPU == b.GPU &&
		slices.Equal(a.Titles, b.Titles) &&
		int(a.Load*20) == int(b.Load*20) // 5 % steps: no gossip for noise
}

// health is what the edge tells the cluster about itself, and why when it
// is not ok. A lost or failing GPU makes it degraded: signaling nodes then
// send new players elsewhere, while the edge's own players keep playing
// (a session whose NVENC went with the GPU carries on in x264). Draining
// wins over degraded, being the operator's own decision.
func (e *Edge) health() (cluster.Health, string) {
	if e.Draining() {
		return cluster.HealthDraining, "draining"
	}
	if bad, why := e.inventory().Degraded(); bad {
		return cluster.HealthDegraded, why
	}
	return cluster.HealthOK, ""
}

// meta is what the edge tells the cluster about itself.
func (e *Edge) meta() cluster.Meta {
	capacity := e.capacity()
	e.mu.Lock()
	free := max(capacity-e.reserved, 0)
	e.mu.Unlock()
	health, _ := e.health()
	titles := e.titles.ids()
	m := cluster.Meta{
		Role: cluster.RoleEdge, Region: e.cfg.Region, Location: e.cfg.Location,
		API: e.cfg.APIURL, Capacity: capacity, Free: free,
		Load: e.load(), Health: health, Titles: titles,
		GPU: e.inventory().SummaryWith(e.cfg.gpuLimits()),
	}
	if e.cfg.APIURL != "" {
		m.Probe = strings.TrimRight(e.cfg.APIURL, "/") + "/v1/probe"
	}
	if a := e.engine.UDPAddr(); a != nil {
		m.Media = a.String()
	}
	return m
}

// load is the busier of the slots taken and the machine's CPU load.
func (e *Edge) load() float64 {
	capacity := e.capacity()
	e.mu.Lock()
	l := float64(e.reserved) / float64(capacity)
	e.mu.Unlock()
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) > 0 {
			if v, err := strconv.ParseFloat(f[0], 64); err == nil {
				l = max(l, v/float64(runtime.NumCPU()))
			}
		}
	}
	return min(l, 1)
}
