package edge

import (
	"github.com/prometheus/client_golang/prometheus"

	"stratus/session"
)

// metrics exposes the edge to Prometheus. Live figures are read from the
// sessions at scrape time (a collector), so the frame loop never touches a
// metric; counters of ended sessions accumulate here.
type metrics struct {
	e *Edge

	// started counts sessions by the encoder they started with.
	started                   *prometheus.CounterVec
	failed, refused           prometheus.Counter
	endedFrames, endedSkipped prometheus.Counter
	// fallbacks counts sessions whose NVENC was lost and that went on
	// with x264.
	fallbacks prometheus.Counter
	// panicked counts sessions ended by a panic (contained: the edge
	// went on), in the session or on its connection.
	panicked prometheus.Counter
	// stalled counts sessions ended by their watchdog: a call into the
	// game or the encoder did not return in time.
	stalled prometheus.Counter
	// leftBehind is how many of those calls have not returned yet: each
	// holds a goroutine, a title and an encoder until it does.
	leftBehind prometheus.Gauge

	active, capacity, titles, catalogRev *prometheus.Desc
	fps, encodeMs, bitrate, rtt, loss    *prometheus.Desc
	frames, skipped, inputs, garbage     *prometheus.Desc
	fecPackets, fecOverhead, nacks       *prometheus.Desc
	rungHeight, rungFPS, rungChanges     *prometheus.Desc
	target, freezes, freezeSecs, fecUsed *prometheus.Desc
	// standbys counts standbys admitted and standbysRefused those over a
	// limit; activations counts standbys that became sessions and
	// activationsRefused those refused (twice, full, shutting down).
	standbys, standbysRefused, activations, activationsRefused prometheus.Counter
	// endedFreezes counts the freezes the pages of ended sessions reported.
	endedFreezes prometheus.Counter
}

func newMetrics(e *Edge) *metrics {
	c := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Namespace: "stratus", Subsystem: "edge", Name: name, Help: help})
	}
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("stratus_edge_"+name, help, labels, nil)
	}
	started := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "stratus", Subsystem: "edge",
		Name: "sessions_started_total", Help: "Sessions started, by the encoder they started with."}, []string{"encoder"})
	// Both series exist from the start, so a dashboard's NVENC share
	// reads 0 rather than nothing.
	started.WithLabelValues("x264")
	started.WithLabelValues("nvenc")
	return &metrics{
		e:                  e,
		started:            started,
		fallbacks:          c("encoder_fallbacks_total", "Sessions whose NVENC encoder was lost and that went on with x264."),
		failed:             c("sessions_failed_total", "Sessions whose set-up failed."),
		standbys:           c("standbys_total", "Standby connections admitted."),
		standbysRefused:    c("standbys_refused_total", "Standby connections refused: the edge's or the player's limit, or a drain."),
		activations:        c("standby_activations_total", "Standbys activated into played sessions."),
		activationsRefused: c("standby_activations_refused_total", "Standby activations refused: activated already, no slot, or the set-up failed."),
		panicked:           c("sessions_panicked_total", "Sessions ended by a panic in their game, encoder or connection; the edge went on."),
		stalled:            c("sessions_stalled_total", "Sessions ended because their game or encoder stopped responding (the session watchdog)."),
		leftBehind: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "stratus", Subsystem: "edge", Name: "stalled_calls_left_behind",
			Help: "Calls into a game or encoder that stalled, whose session ended without them, and that have not returned yet."}),
		refused:      c("sessions_refused_total", "Joins refused because the edge was full."),
		endedFrames:  c("ended_frames_total", "Frames sent by sessions that have ended."),
		endedSkipped: c("ended_frames_skipped_total", "Frames skipped by sessions that have ended."),
		endedFreezes: c("ended_freezes_total", "Freezes (no new frame for over 100 ms) the players of ended sessions saw."),
		active:       d("sessions_active", "Sessions admitted and running."),
		capacity:     d("sessions_capacity", "Sessions the edge admits at most."),
		titles:       d("titles", "Titles in the edge's catalog, by whether it can run them.", "runnable"),
		catalogRev:   d("catalog_revision", "Revision of the studio catalog the edge holds (0: none yet)."),
		fps:          d("session_fps", "Frames per second sent, last second.", "session", "title", "encoder"),
		encodeMs:     d("session_encode_ms", "Mean encode time per frame, last second.", "session", "title", "encoder"),
		bitrate:      d("session_bitrate_bps", "Bitrate sent, last second.", "session", "title", "encoder"),
		rtt:          d("session_rtt_seconds", "Round-trip time to the player.", "session", "title", "encoder"),
		loss:         d("session_loss_ratio", "Fraction of packets the player reports lost.", "session", "title", "encoder"),
		frames:       d("session_frames_total", "Frames sent.", "session", "title", "encoder"),
		skipped:      d("session_frames_skipped_total", "Frame slots skipped because the pipeline fell behind.", "session", "title", "encoder"),
		inputs:       d("session_inputs_total", "Player input events applied.", "session", "title", "encoder"),
		garbage:      d("session_input_garbage_total", "Malformed input messages dropped.", "session", "title", "encoder"),
		fecPackets:   d("session_fec_packets_total", "FlexFEC repair packets sent.", "session", "title", "encoder"),
		fecOverhead: d("session_fec_overhead_ratio",
			"FlexFEC repair packets per media packet now, sized to the measured loss (0: none needed).", "session", "title", "encoder"),
		nacks: d("session_nacks_total", "NACK messages received from the player.", "session", "title", "encoder"),
		rungHeight: d("session_rung_height_pixels",
			"Picture height the quality ladder encodes at now (below the title's when the link is thin).", "session", "title", "encoder"),
		rungFPS:     d("session_rung_fps", "Frame rate the quality ladder sends at now.", "session", "title", "encoder"),
		rungChanges: d("session_rung_changes_total", "Times the quality ladder changed rung.", "session", "title", "encoder"),
		target: d("session_target_bitrate_bps",
			"Bitrate the congestion controller allows now: its estimate of the link.", "session", "title", "encoder"),
		freezes: d("session_freezes_total",
			"Freezes the player's page saw: no new frame for over 100 ms.", "session", "title", "encoder"),
		freezeSecs: d("session_freeze_seconds_total", "Time the player's picture stood still in those freezes.", "session", "title", "encoder"),
		fecUsed: d("session_fec_used_total",
			"FlexFEC packets the player's browser used to repair a loss (received less discarded).", "session", "title", "encoder"),
	}
}

func (m *metrics) ended(st session.Stats) {
	m.endedFrames.Add(float64(st.Frames))
	m.endedSkipped.Add(float64(st.Skipped))
	m.endedFreezes.Add(float64(st.Freezes))
}

func (m *metrics) Describe(ch chan<- *prometheus.Desc) {
	prometheus.DescribeByCollect(m, ch)
}

func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	m.started.Collect(ch)
	for _, c := range []prometheus.Counter{m.failed, m.refused, m.endedFrames, m.endedSkipped, m.endedFreezes, m.fallbacks, m.panicked, m.stalled,
		m.standbys, m.standbysRefused, m.activations, m.activationsRefused} {
		ch <- c
	}
	ch <- m.leftBehind
	st := m.e.Status()
	ch <- prometheus.MustNewConstMetric(m.active, prometheus.GaugeValue, float64(st.Active))
	ch <- prometheus.MustNewConstMetric(m.capacity, prometheus.GaugeValue, float64(st.Capacity))
	var runnable, not float64
	for _, t := range m.e.titles.list(true) {
		if t.Runnable {
			runnable++
		} else {
			not++
		}
	}
	ch <- prometheus.MustNewConstMetric(m.titles, prometheus.GaugeValue, runnable, "true")
	ch <- prometheus.MustNewConstMetric(m.titles, prometheus.GaugeValue, not, "false")
	ch <- prometheus.MustNewConstMetric(m.catalogRev, prometheus.GaugeValue, float64(m.e.titles.revision()))
	for _, r := range m.e.sessions.list() {
		s := r.sess.Load()
		if s == nil {
			continue
		}
		ss, ps := s.Stats(), r.peer.Stats()
		l := []string{r.id, r.title, r.enc.Name()}
		g := func(d *prometheus.Desc, v float64) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, l...)
		}
		k := func(d *prometheus.Desc, v float64) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, l...)
		}
		g(m.fps, ss.FPS)
		g(m.encodeMs, ss.EncodeMs)
		g(m.bitrate, ss.BitrateBps)
		g(m.rtt, ps.RTT.Seconds())
		g(m.loss, ps.FractionLost)
		k(m.frames, float64(ss.Frames))
		k(m.skipped, float64(ss.Skipped))
		k(m.inputs, float64(ss.Inputs))
		k(m.garbage, float64(ps.InputGarbage))
		k(m.fecPackets, float64(ps.FECPackets))
		g(m.fecOverhead, ps.FECOverhead)
		k(m.nacks, float64(ps.NACKs))
		g(m.rungHeight, float64(ss.RungHeight))
		g(m.rungFPS, float64(ss.RungFPS))
		k(m.rungChanges, float64(ss.RungChanges))
		g(m.target, float64(ss.TargetBitrate))
		k(m.freezes, float64(ss.Freezes))
		k(m.freezeSecs, ss.FreezeMs/1000)
		k(m.fecUsed, float64(ss.FECUsed))
	}
}
