// Command gossip measures how fast the cluster package's LAN pools spread
// news: for N in-process members (lan profile, 127.0.0.1, ephemeral ports,
// encrypted), (a) how long a metadata change on one member takes to reach
// all N−1 others, and (b) how long a killed member (Close without Leave)
// takes to be declared dead by all N−1 others. Arrival times are taken by
// each member's event subscription as the member learns the news, not by
// polling.
//
//	go run ./benchmarks/gossip -n 10,100,500 -reps 8
//
// It prints a markdown section for benchmarks/README.md. All members share
// this process's CPUs: with hundreds of members on a two-core machine the
// CPU saturates and the figures are those of an overloaded machine, which
// the printed CPU column shows.
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

type options struct {
	sizes   []int
	reps    int
	seeds   int
	batch   int
	timeout time.Duration
	budget  time.Duration
	// gcPercent: all members share one heap here, so each collection scans
	// every member's state; a real member's heap holds only its own.
	gcPercent int
	// deadline ends the whole run (from budget); what was measured by then
	// is reported.
	deadline time.Time
	out      string
}

func main() {
	var o options
	sizes := flag.String("n", "10,100,500", "comma-separated member counts")
	flag.IntVar(&o.reps, "reps", 8, "repetitions of each measurement per member count")
	flag.IntVar(&o.seeds, "seeds", 3, "members every other member is given as join seeds")
	flag.IntVar(&o.batch, "batch", 20, "members started at once before waiting for the pool to settle")
	flag.DurationVar(&o.timeout, "timeout", 60*time.Second, "give up on one measurement (or on convergence) after this long")
	flag.DurationVar(&o.budget, "budget", 9*time.Minute, "stop measuring after this long in all and report what was measured")
	flag.IntVar(&o.gcPercent, "gcpercent", 400, "GOGC for the benchmark process (all members share its heap)")
	flag.StringVar(&o.out, "out", "", "also write the markdown section to this file")
	flag.Parse()
	for f := range strings.SplitSeq(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 2 {
			fmt.Fprintf(os.Stderr, "gossip: bad member count %q (want integers ≥ 2)\n", f)
			os.Exit(2)
		}
		o.sizes = append(o.sizes, n)
	}
	if o.reps < 1 || o.seeds < 1 || o.batch < 1 {
		fmt.Fprintln(os.Stderr, "gossip: -reps, -seeds and -batch must be ≥ 1")
		os.Exit(2)
	}

	debug.SetGCPercent(o.gcPercent)

	// Members log through this handler, which only counts: hundreds of
	// members on an overloaded machine would drown the results.
	logs := newCountingHandler()
	log := slog.New(logs)
	progress := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))

	start := time.Now()
	o.deadline = start.Add(o.budget)
	var results []sizeResult
	for _, n := range o.sizes {
		progress.Info("measuring", "members", n, "reps", o.reps)
		r, err := measureSize(n, o, log, progress)
		if err != nil {
			progress.Error("measurement failed", "members", n, "err", err)
		}
		results = append(results, r)
	}
	md := report(o, results, logs, time.Since(start))
	fmt.Print(md)
	if o.out != "" {
		if err := os.WriteFile(o.out, []byte(md), 0o644); err != nil {
			progress.Error("writing report", "err", err)
			os.Exit(1)
		}
	}
}

// wait is how long one measurement may wait: -timeout, or less when the
// run's budget is nearly spent.
func (o options) wait() time.Duration {
	return max(min(o.timeout, time.Until(o.deadline)), time.Second)
}
