package gpu

import (
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// scrapeMaxAge is how old an inventory a scrape may reuse: several
// Prometheus servers, or a tight scrape interval, then cost NVML at most one
// reading a second.
const scrapeMaxAge = time.Second

// collector exports the inventory to Prometheus, reading it at scrape time
// so the figures are current without a polling goroutine.
type collector struct {
	read   func() Inventory
	maxAge time.Duration
	now    func() time.Time

	mu   sync.Mutex
	last Inventory
	at   time.Time

	memUsed, memTotal, util, memUtil  *prometheus.Desc
	encCapacity, encSessions, encUtil *prometheus.Desc
	temperature, nvenc, up            *prometheus.Desc
}

func newCollector(read func() Inventory, maxAge time.Duration, now func() time.Time) *collector {
	// uuid is a label as well as the index because a lost GPU keeps its
	// old index in the inventory, which another GPU may have taken since.
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("stratus_gpu_"+name, help, []string{"gpu", "name", "uuid"}, nil)
	}
	return &collector{
		read:        read,
		maxAge:      maxAge,
		now:         now,
		memUsed:     d("memory_used_bytes", "GPU memory in use."),
		memTotal:    d("memory_total_bytes", "GPU memory in all."),
		util:        d("utilization_ratio", "Fraction of the last sample period the GPU was busy."),
		memUtil:     d("memory_utilization_ratio", "Fraction of the last sample period GPU memory was read or written."),
		encCapacity: d("encoder_capacity_ratio", "Fraction of the H.264 encoder's capacity left."),
		encSessions: d("encoder_sessions", "Encoder sessions open, from every process."),
		encUtil:     d("encoder_utilization_ratio", "Fraction of the last sample period the encoder was busy."),
		temperature: d("temperature_celsius", "GPU core temperature."),
		nvenc:       d("nvenc", "1 when the GPU has a usable NVENC engine."),
		up:          d("up", "1 when NVML answers for the GPU, 0 when it is lost or failing."),
	}
}

// Describe lists the descriptors without reading NVML, so registering the
// collector costs nothing.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.memUsed, c.memTotal, c.util, c.memUtil, c.encCapacity, c.encSessions, c.encUtil, c.temperature, c.nvenc, c.up} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	for _, g := range c.inventory().GPUs {
		labels := []string{strconv.Itoa(g.Index), g.Name, g.UUID}
		gauge := func(d *prometheus.Desc, v float64) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
		}
		gauge(c.up, b2f(g.Err == ""))
		gauge(c.nvenc, b2f(g.HasNVENC && g.Err == ""))
		if g.Err != "" {
			// The other figures of a lost GPU are stale or zero; leaving
			// them out shows a gap on dashboards rather than a false value.
			continue
		}
		gauge(c.memUsed, float64(g.MemoryUsed))
		gauge(c.memTotal, float64(g.MemoryTotal))
		gauge(c.util, float64(g.UtilGPU)/100)
		gauge(c.memUtil, float64(g.UtilMemory)/100)
		gauge(c.encCapacity, float64(g.EncoderCapacity)/100)
		gauge(c.encSessions, float64(g.EncoderSessions))
		gauge(c.encUtil, float64(g.EncoderUtil)/100)
		gauge(c.temperature, float64(g.TemperatureC))
	}
}

// inventory returns the last reading while it is fresh enough, else a new
// one. The lock is held across the read so concurrent scrapes share it.
func (c *collector) inventory() Inventory {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now := c.now(); c.at.IsZero() || now.Sub(c.at) >= c.maxAge {
		c.last, c.at = c.read(), now
	}
	return c.last
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
