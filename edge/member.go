package edge

import (
	"cmp"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"stratus/cluster"
)

// join makes the edge a member of its region's gossip pool, with a
// publisher to keep its metadata current there.
func (e *Edge) join() error {
	if e.cfg.Gossip == nil {
		return nil
	}
	pool, err := cluster.NewPool(*e.cfg.Gossip, e.meta(), e.log)
	if err != nil {
		return fmt.Errorf("edge: gossip: %w", err)
	}
	e.pool = pool
	e.pub = newPublisher(e, pool, publishEvery, e.log)
	return nil
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
	if bad, why := e.gpus.inventory().Degraded(); bad {
		return cluster.HealthDegraded, why
	}
	return cluster.HealthOK, ""
}

// meta is what the edge tells the cluster about itself.
func (e *Edge) meta() cluster.Meta {
	capacity := e.capacity()
	free := max(capacity-e.admit.count(), 0)
	health, _ := e.health()
	titles := e.titles.ids()
	m := cluster.Meta{
		Role: cluster.RoleEdge, Region: e.cfg.Region, Location: e.cfg.Location,
		API: e.cfg.APIURL, Capacity: capacity, Free: free,
		Load: e.load(), Health: health, Titles: titles,
		GPU: e.gpus.inventory().SummaryWith(e.cfg.gpuLimits()),
	}
	m.Probe = e.probeURL()
	if a := e.engine.UDPAddr(); a != nil {
		m.Media = a.String()
	}
	return m
}

// load is the busier of the slots taken and the machine's CPU load.
func (e *Edge) load() float64 {
	l := float64(e.admit.count()) / float64(e.capacity())
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) > 0 {
			if v, err := strconv.ParseFloat(f[0], 64); err == nil {
				l = max(l, v/float64(runtime.NumCPU()))
			}
		}
	}
	return min(l, 1)
}

// probeURL is the RTT probe's URL as pages reach it: on its own listener
// when there is one, else on the edge API; "" when neither URL is known.
func (e *Edge) probeURL() string {
	base := cmp.Or(e.cfg.ProbeURL, e.cfg.APIURL)
	if base == "" {
		return ""
	}
	return strings.TrimRight(base, "/") + "/v1/probe"
}
