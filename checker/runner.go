package checker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"stratus/checker/qos"
	"stratus/cluster"
	"stratus/edge/api"
)

// EdgeInfo is an edge as the checker chooses what to check.
type EdgeInfo struct {
	Name   string `json:"name"`
	Region string `json:"region"`
	Health string `json:"health"`
	Free   int    `json:"free"`
}

// Lister lists the network's edges. The runner calls it from one
// goroutine.
type Lister interface {
	Edges(ctx context.Context) ([]EdgeInfo, error)
}

// RunnerConfig is a checker node's schedule.
type RunnerConfig struct {
	// Probe is each probe's settings; Exclude is set per edge.
	Probe Config
	// Regions to check; empty: every region.
	Regions []string
	// Every is how often each edge is checked at least.
	Every time.Duration
	// Publish, when set, sends each report on (Publisher.Publish).
	Publish func(context.Context, qos.Report) error
}

// Runner checks every edge of its regions, one at a time, every
// cfg.Every. Run is called once; Latest and Handler from any goroutine.
type Runner struct {
	cfg     RunnerConfig
	edges   Lister
	log     *slog.Logger
	metrics *runnerMetrics

	mu     sync.Mutex
	latest map[string]qos.Report
}

// NewRunner builds a runner; reg receives its metrics and may be nil.
func NewRunner(cfg RunnerConfig, edges Lister, reg prometheus.Registerer, log *slog.Logger) (*Runner, error) {
	var errs []error
	if cfg.Every <= 0 {
		errs = append(errs, fmt.Errorf("checker: check interval %v must be positive", cfg.Every))
	}
	if err := errors.Join(append(errs, cfg.Probe.Validate())...); err != nil {
		return nil, err
	}
	r := &Runner{cfg: cfg, edges: edges, log: log, metrics: newRunnerMetrics(), latest: map[string]qos.Report{}}
	if reg != nil {
		if err := r.metrics.register(reg); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Run checks until ctx ends.
func (r *Runner) Run(ctx context.Context) error {
	for {
		start := time.Now()
		r.round(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(r.cfg.Every - time.Since(start)):
		}
	}
}

// round checks each edge of the regions once.
func (r *Runner) round(ctx context.Context) {
	all, err := r.edges.Edges(ctx)
	if err != nil {
		r.log.Warn("checker: listing the edges", "err", err)
		return
	}
	var names []string
	for _, e := range all {
		names = append(names, e.Name)
	}
	for _, e := range all {
		if ctx.Err() != nil {
			return
		}
		if len(r.cfg.Regions) > 0 && !slices.Contains(r.cfg.Regions, e.Region) {
			continue
		}
		rep := qos.Report{Result: qos.Result{Edge: e.Name, Region: e.Region, Title: r.cfg.Probe.Title, At: time.Now().UTC()}}
		switch {
		case e.Health != string(cluster.HealthOK):
			rep.Skipped = "health " + e.Health
		case e.Free < 1:
			rep.Skipped = "no spare room"
		default:
			rep = r.probe(ctx, e, names)
		}
		r.record(ctx, rep)
	}
}

// probe checks e, keeping the join off every other edge.
func (r *Runner) probe(ctx context.Context, e EdgeInfo, names []string) qos.Report {
	cfg := r.cfg.Probe
	cfg.Exclude = slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == e.Name })
	res, err := Probe(ctx, cfg, r.log)
	rep := qos.Report{Result: res, OK: err == nil}
	if err == nil && res.Edge != e.Name {
		rep.OK, err = false, fmt.Errorf("placed on %s instead", res.Edge)
	}
	if err != nil {
		rep.Error = err.Error()
	}
	rep.Edge, rep.Region = e.Name, e.Region
	if ae, ok := api.AsError(err); ok && ae.Code == api.CodeEdgeFull {
		return r.refused(ctx, e, rep)
	}
	return rep
}

// RefusalRecheck is how long after an edge refused a check as full the
// checker looks at its advertised slots again: gossip brings an honest
// edge's new count to the signaling nodes within a few 100 ms intervals,
// and signaling judges the refusals of its players' joins over the same
// time (signaling's refusalGrace).
const RefusalRecheck = 3 * time.Second

// refused judges a check e refused as full, as rep reports it: a lie when
// the edge still advertises free slots RefusalRecheck later, and a check
// skipped (a player took the spare slot first) when it does not.
func (r *Runner) refused(ctx context.Context, e EdgeInfo, rep qos.Report) qos.Report {
	select {
	case <-ctx.Done():
		return rep
	case <-time.After(RefusalRecheck):
	}
	all, err := r.edges.Edges(ctx)
	if err != nil {
		r.log.Warn("checker: listing the edges after a refusal", "edge", e.Name, "err", err)
		return rep
	}
	for _, now := range all {
		if now.Name == e.Name && now.Free > 0 {
			rep.Refused = true
			rep.Error = fmt.Sprintf("refused a check while advertising %d free slots, and %d %v later: %s", e.Free, now.Free, RefusalRecheck, rep.Error)
			return rep
		}
	}
	return qos.Report{Result: qos.Result{Edge: e.Name, Region: e.Region, Title: r.cfg.Probe.Title, At: rep.At},
		Skipped: "no spare room: a player took the slot first"}
}

func (r *Runner) record(ctx context.Context, rep qos.Report) {
	r.mu.Lock()
	r.latest[rep.Edge] = rep
	r.mu.Unlock()
	r.metrics.observe(rep)
	if r.cfg.Publish != nil {
		if err := r.cfg.Publish(ctx, rep); err != nil {
			r.log.Warn("checker: publishing a report", "edge", rep.Edge, "err", err)
		}
	}
	switch {
	case rep.Skipped != "":
		r.log.Info("checker: skipped", "edge", rep.Edge, "why", rep.Skipped)
	case !rep.OK:
		r.log.Warn("checker: check failed", "edge", rep.Edge, "err", rep.Error)
	default:
		r.log.Info("checker: checked", "edge", rep.Edge, "fps", round1(rep.FPS), "g2g_p50_ms", round1(rep.G2G.P50),
			"g2g_p99_ms", round1(rep.G2G.P99), "input_p50_ms", round1(rep.Input.P50), "join_ms", round1(rep.JoinMs),
			"loss", rep.Loss, "kbps", round1(rep.Kbps))
	}
}

func round1(v float64) float64 { return float64(int64(v*10+0.5)) / 10 }

// Latest is the latest report of every edge checked, by name.
func (r *Runner) Latest() []qos.Report {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]qos.Report, 0, len(r.latest))
	for _, rep := range r.latest {
		out = append(out, rep)
	}
	slices.SortFunc(out, func(a, b qos.Report) int { return strings.Compare(a.Edge, b.Edge) })
	return out
}

// Handler serves GET /v1/results (the latest report per edge) and
// /healthz.
func (r *Runner) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/results", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(r.Latest())
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) })
	return mux
}
