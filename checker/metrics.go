package checker

import (
	"github.com/prometheus/client_golang/prometheus"

	"stratus/checker/qos"
)

// runnerMetrics are the latest measures of each edge, for the operator's
// dashboards and alerts.
type runnerMetrics struct {
	up                         *prometheus.GaugeVec
	fps, g2g50, g2g99, input50 *prometheus.GaugeVec
	join, loss                 *prometheus.GaugeVec
	checks                     *prometheus.CounterVec
}

func newRunnerMetrics() *runnerMetrics {
	gauge := func(name, help string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "stratus", Subsystem: "checker", Name: name, Help: help}, []string{"edge"})
	}
	return &runnerMetrics{
		up:      gauge("edge_up", "1 when the latest check of the edge measured, 0 when it failed."),
		fps:     gauge("edge_fps", "Frames decoded per second in the latest check."),
		g2g50:   gauge("edge_g2g_p50_ms", "Glass-to-glass p50 in the latest check, in ms."),
		g2g99:   gauge("edge_g2g_p99_ms", "Glass-to-glass p99 in the latest check, in ms."),
		input50: gauge("edge_input_p50_ms", "Input-to-display p50 in the latest check, in ms."),
		join:    gauge("edge_join_ms", "Join to first decoded frame in the latest check, in ms."),
		loss:    gauge("edge_loss", "Fraction of video packets lost in the latest check."),
		checks: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "stratus", Subsystem: "checker", Name: "checks_total",
			Help: "Checks by edge and result (ok, failed, skipped)."}, []string{"edge", "result"}),
	}
}

func (m *runnerMetrics) register(reg prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{m.up, m.fps, m.g2g50, m.g2g99, m.input50, m.join, m.loss, m.checks} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

func (m *runnerMetrics) observe(rep qos.Report) {
	switch {
	case rep.Skipped != "":
		m.checks.WithLabelValues(rep.Edge, "skipped").Inc()
		return
	case !rep.OK:
		m.checks.WithLabelValues(rep.Edge, "failed").Inc()
		m.up.WithLabelValues(rep.Edge).Set(0)
		return
	}
	m.checks.WithLabelValues(rep.Edge, "ok").Inc()
	m.up.WithLabelValues(rep.Edge).Set(1)
	m.fps.WithLabelValues(rep.Edge).Set(rep.FPS)
	m.g2g50.WithLabelValues(rep.Edge).Set(rep.G2G.P50)
	m.g2g99.WithLabelValues(rep.Edge).Set(rep.G2G.P99)
	m.input50.WithLabelValues(rep.Edge).Set(rep.Input.P50)
	m.join.WithLabelValues(rep.Edge).Set(rep.JoinMs)
	m.loss.WithLabelValues(rep.Edge).Set(rep.Loss)
}
