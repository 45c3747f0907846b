package signaling

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	conns       prometheus.Gauge
	joins       *prometheus.CounterVec
	badMessages prometheus.Counter
	limited     *prometheus.CounterVec
	// resumeRefused counts resume tokens dropped as spent (resume.go).
	resumeRefused prometheus.Counter
	// qos is each edge's score from its checkers (checks.go).
	qos *prometheus.GaugeVec
	// refusals counts the edges' refusals of joins while they advertised
	// free slots, by edge and verdict (refusals.go).
	refusals *prometheus.CounterVec
	// The queue's titles are those some edge offers (a join queues only
	// for a title an edge offers), so the labels are as few as the titles.
	queueLength *prometheus.GaugeVec
	queueWait   *prometheus.HistogramVec
}

func newMetrics() *metrics {
	return &metrics{
		conns:       prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "stratus", Subsystem: "signal", Name: "players_connected", Help: "Player WebSockets open."}),
		joins:       prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "stratus", Subsystem: "signal", Name: "joins_total", Help: "Joins by result (ok or an error code)."}, []string{"result"}),
		badMessages: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "stratus", Subsystem: "signal", Name: "bad_messages_total", Help: "Player messages refused as malformed or oversized."}),
		limited:     prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "stratus", Subsystem: "signal", Name: "limited_total", Help: "Player requests refused for a per-client limit, by limit (websockets, joins, sessions, candidates)."}, []string{"limit"}),
		qos: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "stratus", Subsystem: "signal", Name: "edge_qos_score",
			Help: "Each edge's quality-of-service score from its recent checks, 0 (failing) to 1."}, []string{"edge"}),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "stratus", Subsystem: "signal", Name: "edge_refusals_total",
			Help: "Joins an edge refused as full while it advertised free slots, by edge and verdict: lied (it went on advertising them) or race (its new count was on its way)."}, []string{"edge", "verdict"}),
		resumeRefused: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "stratus", Subsystem: "signal", Name: "resume_refused_total", Help: "Resume tokens dropped because another connection spent them already (the game started afresh)."}),
		queueLength:   prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "stratus", Subsystem: "signal", Name: "queue_length", Help: "Players waiting for room on this node, by title."}, []string{"title"}),
		queueWait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "stratus", Subsystem: "signal", Name: "queue_wait_seconds",
			Help: "Time players waited in the queue, by how the wait ended (placed, left, timeout, failed, closed).",
			// 1 s to about 17 min: past the longest wait allowed by default.
			Buckets: prometheus.ExponentialBuckets(1, 2, 11),
		}, []string{"result"}),
	}
}

func (m *metrics) register(reg prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{m.conns, m.joins, m.badMessages, m.limited, m.resumeRefused, m.qos, m.refusals, m.queueLength, m.queueWait} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// refusal counts one judged refusal (refusalBook.judged).
func (m *metrics) refusal(edge string, lied bool) {
	verdict := "race"
	if lied {
		verdict = "lied"
	}
	m.refusals.WithLabelValues(edge, verdict).Inc()
}
