package main

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"os"
	"strings"
	"time"

	"stratus/checker"
	"stratus/internal/clustertest"
)

// idleWindow is how long the server is watched with no session before each
// one, for the CPU it spends anyway (its HTTP servers, timers, the runtime),
// which a session's figure leaves out.
const idleWindow = 3 * time.Second

// maxAttempts bounds how often one session of a run is tried.
const maxAttempts = 3

// sessionCost is what one session cost the server process, net of its idle
// rate.
type sessionCost struct {
	idleRate float64       // CPU seconds per second with no session
	wall     time.Duration // from the player's start until the edge ran no session again
	cpu      float64       // CPU seconds over wall
	steady   float64       // share of a core while the video played (the watch or the measurement)
}

// playerFigures are one player's measures of one session, in ms but for
// fps, NaN where it measured none.
type playerFigures struct {
	joinMs, fps    float64 // fps: frames decoded (checker) or presented (Chromium) a second
	decodedFPS     float64 // frames decoded a second, for both
	g2gP50, g2gP99 float64
	inputP50       float64
	g2gN, inputN   int // samples of each
	cost           sessionCost
}

// pairResult is one run of the comparison: a checker probe and a Chromium
// session one after the other, on the same server.
type pairResult struct {
	checkerFirst      bool
	checker, chromium playerFigures
}

// comparer plays the checker and Chromium on one server while a meter
// reads the server's CPU time.
type comparer struct {
	srv     *server
	browser context.Context // Chromium's, for new tabs
	meter   *cpuMeter
	o       options
	log     *slog.Logger
	// failures are the sessions that failed and were played again.
	failures []string
}

// compare runs o.runs pairs, alternating which player goes first, so that a
// warmer server or a load that changes over the runs favours neither.
func compare(ctx, bctx context.Context, srv *server, o options) (results []pairResult, failures []string, err error) {
	meter, err := startCPUMeter(ctx, srv.proc.Cmd.Process.Pid)
	if err != nil {
		return nil, nil, err
	}
	defer meter.stop()
	c := &comparer{srv: srv, browser: bctx, meter: meter, o: o,
		log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	results = make([]pairResult, 0, o.runs)
	for i := range o.runs {
		r := pairResult{checkerFirst: i%2 == 0}
		steps := []func() error{
			func() (err error) { r.checker, err = c.probe(ctx); return err },
			func() (err error) { r.chromium, err = c.chromium(ctx); return err },
		}
		if !r.checkerFirst {
			steps[0], steps[1] = steps[1], steps[0]
		}
		for _, step := range steps {
			if err := c.retry(ctx, i, step); err != nil {
				return results, c.failures, fmt.Errorf("run %d: %w", i+1, err)
			}
		}
		progress("run %d of %d: g2g p50 checker %.1f ms, Chromium %.1f ms; edge CPU checker %.2f s, Chromium %.2f s",
			i+1, o.runs, r.checker.g2gP50, r.chromium.g2gP50, r.checker.cost.cpu, r.chromium.cost.cpu)
		results = append(results, r)
	}
	return results, c.failures, nil
}

// retry plays a session up to maxAttempts times: on two shared cores a
// neighbour's burst can stall a session into a reconnect, which would end
// the whole comparison. Each failure is kept for the report.
func (c *comparer) retry(ctx context.Context, run int, play func() error) error {
	var err error
	for range maxAttempts {
		if err = play(); err == nil || ctx.Err() != nil {
			return err
		}
		progress("run %d: %v; playing it again", run+1, err)
		// One line each: a page's error carries the script's stack.
		c.failures = append(c.failures, strings.Join(strings.Fields(fmt.Sprintf("run %d: %v", run+1, err)), " "))
	}
	return fmt.Errorf("%d attempts failed, the last: %w", maxAttempts, err)
}

// probe plays one checker probe: a watch of o.duration, with a key press
// every o.probeEvery as the page's probes go.
func (c *comparer) probe(ctx context.Context) (playerFigures, error) {
	cfg := checker.DefaultConfig()
	cfg.Signal, cfg.Title, cfg.Watch = c.srv.base, c.o.title, c.o.duration
	cfg.Inputs = max(1, int(c.o.duration/c.o.probeEvery)-1)
	var f playerFigures
	cost, err := c.cost(ctx, func() (time.Time, time.Time, error) {
		res, err := checker.Probe(ctx, cfg, c.log)
		if err != nil {
			return time.Time{}, time.Time{}, err
		}
		// The watch is the probe's last stretch: after it come only the
		// leave and closing the peer.
		end := time.Now()
		f = playerFigures{joinMs: res.JoinMs, fps: res.FPS, decodedFPS: res.FPS,
			g2gP50: orNaN(res.G2G.P50, res.G2G.N), g2gP99: orNaN(res.G2G.P99, res.G2G.N), g2gN: res.G2G.N,
			inputP50: orNaN(res.Input.P50, res.Input.N), inputN: res.Input.N}
		return end.Add(-cfg.Watch), end, nil
	})
	if err != nil {
		return f, fmt.Errorf("checker: %w", err)
	}
	f.cost = cost
	return f, nil
}

// chromium plays one measurement in a fresh tab, as the latency harness
// does without -checker.
func (c *comparer) chromium(ctx context.Context) (playerFigures, error) {
	var f playerFigures
	cost, err := c.cost(ctx, func() (time.Time, time.Time, error) {
		r, err := measure(c.browser, c.srv, c.o)
		if err != nil {
			return time.Time{}, time.Time{}, err
		}
		g, in := summarize(r.G2G), summarize(r.InputToDisplay)
		f = playerFigures{joinMs: pageJoinMs(r.joined), fps: math.NaN(), decodedFPS: math.NaN(),
			g2gP50: g.p50, g2gP99: g.p99, g2gN: g.n, inputP50: in.p50, inputN: in.n}
		// The getStats snapshots are taken just outside the measurement,
		// a few ms apart from its ends: close enough for a rate.
		if d := r.measureTo.Sub(r.measureFrom); d > 0 {
			f.fps = float64(r.Presented) / d.Seconds()
			f.decodedFPS = (r.rtcEnd.FramesDecoded - r.rtcStart.FramesDecoded) / d.Seconds()
		}
		return r.measureFrom, r.measureTo, nil
	})
	if err != nil {
		return f, fmt.Errorf("Chromium: %w", err)
	}
	f.cost = cost
	return f, nil
}

// cost measures the server's idle rate, then what play costs it from its
// start until the edge has ended the session; play returns the window in
// which the video played steadily.
func (c *comparer) cost(ctx context.Context, play func() (steadyFrom, steadyTo time.Time, err error)) (sessionCost, error) {
	var cost sessionCost
	if err := c.srv.edge.waitIdle(ctx, idleTimeout); err != nil {
		return cost, err
	}
	idleFrom := time.Now()
	if err := sleep(ctx, idleWindow); err != nil {
		return cost, err
	}
	start := time.Now()
	idle, err := c.meter.over(idleFrom, start)
	if err != nil {
		return cost, err
	}
	cost.idleRate = idle.Seconds() / start.Sub(idleFrom).Seconds()
	steadyFrom, steadyTo, err := play()
	if err != nil {
		return cost, err
	}
	// The session's cost runs until the edge has let it go: a page that
	// left still costs the edge until the session ends.
	if err := c.srv.edge.waitIdle(ctx, idleTimeout); err != nil {
		return cost, err
	}
	end := time.Now()
	used, err := c.meter.over(start, end)
	if err != nil {
		return cost, err
	}
	steady, err := c.meter.over(steadyFrom, steadyTo)
	if err != nil {
		return cost, err
	}
	cost.wall = end.Sub(start)
	cost.cpu, _ = netCPU(used, cost.wall, cost.idleRate)
	_, cost.steady = netCPU(steady, steadyTo.Sub(steadyFrom), cost.idleRate)
	return cost, nil
}

// pageJoinMs is the page's join time: the join sent to the first frame
// presented, NaN when the page recorded either not.
func pageJoinMs(h clustertest.HistoryEntry) float64 {
	if h.JoinSentAt == nil || h.FirstFrameAt == nil {
		return math.NaN()
	}
	return *h.FirstFrameAt - *h.JoinSentAt
}

// orNaN is v, or NaN when it summarises no samples.
func orNaN(v float64, n int) float64 {
	if n == 0 {
		return math.NaN()
	}
	return v
}
