package turn

import "github.com/prometheus/client_golang/prometheus"

// metrics are the server's Prometheus figures. Live allocations are read
// from pion at scrape time; the rest are counters its callbacks bump.
type metrics struct {
	allocations *prometheus.CounterVec // made, by transport
	refused     *prometheus.CounterVec // by reason
	bytes       *prometheus.CounterVec // relayed, by direction
	dropped     *prometheus.CounterVec // over the rate, by direction
	live        prometheus.GaugeFunc
}

func newMetrics(live func() float64) *metrics {
	opts := func(name, help string) prometheus.CounterOpts {
		return prometheus.CounterOpts{Namespace: "stratus", Subsystem: "turn", Name: name, Help: help}
	}
	return &metrics{
		allocations: prometheus.NewCounterVec(opts("allocations_total", "Allocations made, by the transport the client reached the server on."), []string{"transport"}),
		refused:     prometheus.NewCounterVec(opts("refused_total", "Requests refused: auth (bad or expired credentials), quota (per user), full (server limit), ports (no free relay port), peer (a peer outside the region)."), []string{"reason"}),
		bytes:       prometheus.NewCounterVec(opts("relayed_bytes_total", "Bytes relayed, to_peer (player to edge) or from_peer."), []string{"direction"}),
		dropped:     prometheus.NewCounterVec(opts("dropped_bytes_total", "Bytes dropped over an allocation's rate limit, by direction."), []string{"direction"}),
		live: prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "stratus", Subsystem: "turn", Name: "allocations",
			Help: "Allocations alive now."}, live),
	}
}

func (m *metrics) register(reg prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{m.allocations, m.refused, m.bytes, m.dropped, m.live} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}
