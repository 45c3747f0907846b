package main

import (
	"context"
	"time"

	"stratus/internal/clustertest"
)

// idleTimeout bounds the wait for the previous run's session to end; the
// edge ends a session whose player left within its disconnect grace (5 s).
const idleTimeout = 20 * time.Second

// runResult is what one measurement saw, from the page, the browser's
// WebRTC stats and the edge API.
type runResult struct {
	session string
	pageMeasure
	probes             probeResult
	edgeStart, edgeEnd edgeSession
	samples            []sessionStats // once a second during the measurement
	rtcStart, rtcEnd   rtcStats
	trace              []traceFrame // with -trace only
	// measureFrom and measureTo bound the page's measurement.
	measureFrom, measureTo time.Time
	// joined is the page's edgeHistory entry of the session, for its
	// join time.
	joined clustertest.HistoryEntry
}

// measure plays the title in a fresh tab, warms up, and records one
// measurement of o.duration while probing input.
func measure(ctx context.Context, srv *server, o options) (r runResult, err error) {
	if err := srv.edge.waitIdle(ctx, idleTimeout); err != nil {
		return r, err
	}
	p, closeTab, err := openPage(ctx, srv.playURL(o.title))
	if err != nil {
		return r, err
	}
	defer closeTab()
	reconnects, err := r.warmUp(ctx, p, o.warmup)
	if err != nil {
		return r, err
	}
	if err := r.begin(ctx, p, srv.edge, o.trace); err != nil {
		return r, err
	}
	smp := startSampler(ctx, srv.edge, r.session)
	r.probes, err = p.probeFor(o.duration, o.probeEvery)
	r.samples = smp.stop()
	if err != nil {
		return r, err
	}
	if err := r.end(ctx, p, srv.edge, o.trace); err != nil {
		return r, err
	}
	return r, p.sameConnection(reconnects)
}

// warmUp waits for the video to play, lets it play for d, and notes the
// session and the page's reconnect count. A reconnect during the warm-up
// starts a new session, so the session is named once playing after it.
func (r *runResult) warmUp(ctx context.Context, p *page, d time.Duration) (reconnects int, err error) {
	if err := p.waitPlaying(); err != nil {
		return 0, err
	}
	if err := sleep(ctx, d); err != nil {
		return 0, err
	}
	if err := p.waitPlaying(); err != nil {
		return 0, err
	}
	if r.session, err = p.sessionID(); err != nil {
		return 0, err
	}
	return p.reconnects()
}

// begin takes the starting snapshots and starts the page's measurement.
func (r *runResult) begin(ctx context.Context, p *page, edge edgeClient, trace bool) (err error) {
	if trace {
		if err := p.startTrace(); err != nil {
			return err
		}
	}
	if r.rtcStart, err = p.rtcStats(); err != nil {
		return err
	}
	if r.edgeStart, err = edge.session(ctx, r.session); err != nil {
		return err
	}
	r.measureFrom = time.Now()
	return p.startMeasure()
}

// end stops the page's measurement first, then takes the closing
// snapshots.
func (r *runResult) end(ctx context.Context, p *page, edge edgeClient, trace bool) (err error) {
	if r.pageMeasure, err = p.stopMeasure(); err != nil {
		return err
	}
	r.measureTo = time.Now()
	ps, err := clustertest.ReadPage(p.ctx)
	if err != nil {
		return err
	}
	r.joined = ps.Last()
	if trace {
		if r.trace, err = p.stopTrace(); err != nil {
			return err
		}
	}
	if r.rtcEnd, err = p.rtcStats(); err != nil {
		return err
	}
	r.edgeEnd, err = edge.session(ctx, r.session)
	return err
}
