// Command failover measures, with real processes and a real browser, how
// long a player is without a picture when the edge under them dies, and how
// long a fresh page takes to show its first frame.
//
//	go build -o bin/stratus ./cmd/stratus
//	go run ./benchmarks/failover -trials 10
//
// It starts the cluster of scripts/cluster.sh on free loopback ports: one
// signaling node and three edges, each its own process (bin/stratus, built
// into a temporary directory when -bin is missing): eu-west-1 and eu-west-2
// answer the page's RTT probes 10 ms late, us-east-1 80 ms late. The
// signaling node's region is one no edge is in, so the page's measured
// round trips decide where it plays. Headless Chromium (internal/browser)
// opens /play?title=testpattern.
//
// Each trial is a fresh page load:
//
//  1. wait until every edge is idle, then load the play page; the join
//     time is navigation start (performance.timeOrigin) to the first frame
//     presented (stratus.edgeHistory[0].firstFrameAt, the wall-clock time
//     of the frame's presentation from requestVideoFrameCallback), split at
//     the "joined" message (joinedAt);
//  2. wait for steady play (-settle, and frames presented meanwhile), and
//     up to -standby-wait more for the page's warm standby (a build
//     without standbys never shows one: it then waits that long for
//     nothing, outside the measurement);
//  3. kill -9 the edge serving the page and take the wall-clock time;
//  4. wait until the page plays on another edge: the failover time is the
//     kill to the first frame presented from the new edge (the new
//     edgeHistory entry's firstFrameAt), split at the page's detection of
//     the failure (lastFailure.at) and its "joined" (joinedAt; for a
//     failover to the standby, when the page sent the activation); the
//     report says which failovers the standby took over
//     (stratus.standbyActivations);
//  5. start the killed edge again on the same addresses and wait until the
//     signaling node lists it healthy, so that every trial starts with two
//     eu-west edges.
//
// Browser, harness and nodes run on one machine and read one clock, so the
// differences need no clock synchronisation. A fresh page per trial also
// means the page excludes no edge it failed on in an earlier trial (a page
// keeps those out for a minute), so each failover is the in-region move.
//
// The report is markdown on stdout; progress goes to stderr.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"stratus/internal/machine"
	"strings"
	"syscall"
	"time"

	"github.com/chromedp/chromedp"

	"stratus/internal/browser"
	"stratus/internal/clustertest"
	"stratus/internal/stats"
)

type options struct {
	bin    string
	trials int
	title  string
	settle time.Duration
	// standbyWait bounds the wait for the page's standby before a kill.
	standbyWait time.Duration
	keep        bool
}

// trial is one page load and one failover.
type trial struct {
	n             int
	joinEdge      string
	navToJoined   time.Duration
	navToFrame    time.Duration
	joinedToFrame time.Duration
	killed        string
	moved         string
	movedRegion   string
	detect        time.Duration // kill → the page noticed
	rejoined      time.Duration // kill → "joined" from the new edge
	failover      time.Duration // kill → first frame from the new edge
	viaStandby    bool          // the page's standby took the game over
	load          string
}

func main() {
	var o options
	flag.StringVar(&o.bin, "bin", "bin/stratus", "the stratus binary; built into a temporary directory when missing")
	flag.IntVar(&o.trials, "trials", 10, "page loads, each followed by a kill -9 of its edge")
	flag.StringVar(&o.title, "title", "testpattern", "title to play")
	flag.DurationVar(&o.settle, "settle", 2*time.Second, "steady play before each kill")
	flag.DurationVar(&o.standbyWait, "standby-wait", 3*time.Second, "longest wait after -settle for the page's warm standby before a kill")
	flag.BoolVar(&o.keep, "keep", false, "keep the nodes' logs (their directory is printed)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "failover:", err)
		os.Exit(1)
	}
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "failover: "+format+"\n", args...)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func run(ctx context.Context, o options) error {
	if o.trials < 1 {
		return fmt.Errorf("-trials %d: must be at least 1", o.trials)
	}
	if o.standbyWait < 0 {
		return fmt.Errorf("-standby-wait %v: must not be negative", o.standbyWait)
	}
	if o.settle < 0 {
		return fmt.Errorf("-settle %v: must not be negative", o.settle)
	}
	loadBefore := machine.LoadAverage()
	dir, err := os.MkdirTemp("", "stratus-failover-")
	if err != nil {
		return err
	}
	if o.keep {
		progress("logs in %s", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	bin, err := clustertest.Binary(ctx, o.bin, dir, progress)
	if err != nil {
		return err
	}
	c, err := startCluster(ctx, bin, dir)
	if c != nil {
		defer c.stop()
	}
	if err != nil {
		return err
	}
	progress("cluster up: signaling %s", c.url)

	bctx, closeBrowser, err := browser.New(ctx)
	if err != nil {
		return fmt.Errorf("starting Chromium: %w", err)
	}
	defer closeBrowser()

	var trials []trial
	for i := 1; i <= o.trials; i++ {
		t, err := runTrial(ctx, bctx, c, o, i)
		if err != nil {
			if !o.keep {
				progress("node logs (tails):")
				for _, n := range append([]*clustertest.Process{c.signal}, edgeNodes(c)...) {
					fmt.Fprintf(os.Stderr, "---- %s\n%s\n", n.Name, n.LogTail(20))
				}
			}
			return fmt.Errorf("trial %d: %w", i, err)
		}
		progress("trial %d: joined %s, first frame %v after navigation; killed %s → %s (%s, standby %v): detected %v, joined %v, first frame %v (load %s)",
			i, t.joinEdge, t.navToFrame.Round(time.Millisecond), t.killed, t.moved, t.movedRegion, t.viaStandby,
			t.detect.Round(time.Millisecond), t.rejoined.Round(time.Millisecond), t.failover.Round(time.Millisecond), t.load)
		trials = append(trials, t)
	}
	report(os.Stdout, o, trials, bin, loadBefore, machine.LoadAverage())
	return nil
}

func edgeNodes(c *cluster) []*clustertest.Process {
	var out []*clustertest.Process
	for _, name := range []string{"eu-west-1", "eu-west-2", "us-east-1"} {
		out = append(out, c.edges[name].Process)
	}
	return out
}

func runTrial(ctx, bctx context.Context, c *cluster, o options, n int) (trial, error) {
	t := trial{n: n}
	// A fresh page on idle edges.
	if err := chromedp.Do(bctx, chromedp.Navigate("about:blank")); err != nil {
		return t, err
	}
	if err := c.idle(ctx, 20*time.Second); err != nil {
		return t, err
	}
	if err := c.waitListed(ctx, []string{"eu-west-1", "eu-west-2", "us-east-1"}, 20*time.Second); err != nil {
		return t, err
	}
	if err := chromedp.Do(bctx, chromedp.Navigate(c.url+"/play?title="+o.title)); err != nil {
		return t, err
	}
	p, err := waitPage(bctx, 30*time.Second, "the first frame", func(p clustertest.Page) bool {
		return p.State == "playing" && len(p.EdgeHistory) > 0 && p.EdgeHistory[0].FirstFrameAt != nil
	})
	if err != nil {
		return t, err
	}
	h := p.EdgeHistory[0]
	t.joinEdge = h.Edge
	t.navToJoined = ms(h.JoinedAt, p.TimeOrigin)
	t.navToFrame = ms(*h.FirstFrameAt, p.TimeOrigin)
	t.joinedToFrame = ms(*h.FirstFrameAt, h.JoinedAt)

	// Steady play.
	if err := sleep(ctx, o.settle); err != nil {
		return t, err
	}
	before, err := waitPage(bctx, 10*time.Second, "steady play", func(q clustertest.Page) bool {
		return q.State == "playing" && q.FramesPresented >= p.FramesPresented+30*o.settle.Seconds()
	})
	if err != nil {
		return t, err
	}
	if sb, err := waitPage(bctx, o.standbyWait, "a standby", func(q clustertest.Page) bool {
		return q.State == "playing" && q.Standby != nil && q.Standby.Edge != ""
	}); err == nil {
		before = sb
	}
	victim := c.edges[before.Edge]
	if victim == nil {
		return t, fmt.Errorf("the page plays on %q, not one of the cluster's edges", before.Edge)
	}
	t.killed = victim.name
	t.load = machine.LoadAverage()
	killedAt := unixMs(victim.Kill())
	entries := len(before.EdgeHistory)
	after, err := waitPage(bctx, 20*time.Second, "play on another edge", func(q clustertest.Page) bool {
		e := q.Last()
		return q.State == "playing" && len(q.EdgeHistory) > entries && q.Edge != victim.name && e.Edge == q.Edge && e.FirstFrameAt != nil
	})
	if err != nil {
		return t, err
	}
	e := after.Last()
	t.moved, t.movedRegion = e.Edge, e.Region
	t.rejoined = ms(e.JoinedAt, killedAt)
	t.failover = ms(*e.FirstFrameAt, killedAt)
	t.viaStandby = after.StandbyActivations > before.StandbyActivations
	if f := after.LastFailure; f != nil && f.Edge == victim.name {
		t.detect = ms(f.At, killedAt)
	}

	// Back to two eu-west edges.
	if err := c.startEdge(ctx, victim); err != nil {
		return t, fmt.Errorf("restarting %s: %w", victim.name, err)
	}
	return t, nil
}

// ---- report ----------------------------------------------------------------

type summary struct{ p50, p99, min, max time.Duration }

// summarize takes nearest-rank percentiles.
func summarize(ds []time.Duration) summary {
	s := stats.Sorted(ds)
	return summary{stats.Percentile(s, 50), stats.Percentile(s, 99), s[0], s[len(s)-1]}
}

func msStr(d time.Duration) string {
	return fmt.Sprintf("%d ms", d.Round(time.Millisecond).Milliseconds())
}

func report(w io.Writer, o options, ts []trial, bin, loadBefore, loadAfter string) {
	chromium, err := browser.Version(context.Background())
	if err != nil {
		chromium = "unknown"
	}
	col := func(f func(trial) time.Duration) []time.Duration {
		var out []time.Duration
		for _, t := range ts {
			out = append(out, f(t))
		}
		return out
	}
	inRegion, viaStandby := 0, 0
	for _, t := range ts {
		if t.movedRegion == "eu-west" {
			inRegion++
		}
		if t.viaStandby {
			viaStandby++
		}
	}
	fmt.Fprintf(w, "Command: `%s` (binary %s)\n\n", machine.Invocation("./benchmarks/failover"), bin)
	fmt.Fprintf(w, "Machine: %d CPUs, %s, %s; Chromium %s; %s. One-minute load average %s before, %s after.\n\n",
		runtime.NumCPU(), machine.CPUModel(), memTotal(), chromium, runtime.Version(), loadBefore, loadAfter)
	fmt.Fprintf(w, "%d trials, %d of them moved within eu-west, %d taken over by the page's warm standby.\n\n", len(ts), inRegion, viaStandby)
	fmt.Fprintln(w, "| measure | n | p50 | p99 | min | max |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	row := func(name string, ds []time.Duration) {
		s := summarize(ds)
		fmt.Fprintf(w, "| %s | %d | %s | %s | %s | %s |\n", name, len(ds), msStr(s.p50), msStr(s.p99), msStr(s.min), msStr(s.max))
	}
	row("**failover**: kill -9 → first frame from the new edge", col(func(t trial) time.Duration { return t.failover }))
	row("kill -9 → page detects the failure", col(func(t trial) time.Duration { return t.detect }))
	row("kill -9 → joined on the new edge", col(func(t trial) time.Duration { return t.rejoined }))
	row("**join**: navigation start → first frame", col(func(t trial) time.Duration { return t.navToFrame }))
	row("navigation start → joined", col(func(t trial) time.Duration { return t.navToJoined }))
	row("joined → first frame", col(func(t trial) time.Duration { return t.joinedToFrame }))
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| trial | joined | navigation → first frame | killed → moved to | via | detected | joined | first frame | load |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|")
	for _, t := range ts {
		via := "rejoin"
		if t.viaStandby {
			via = "standby"
		}
		fmt.Fprintf(w, "| %d | %s | %s | %s → %s | %s | %s | %s | %s | %s |\n", t.n, t.joinEdge, msStr(t.navToFrame),
			t.killed, t.moved, via, msStr(t.detect), msStr(t.rejoined), msStr(t.failover), t.load)
	}
}

func memTotal() string {
	for _, line := range strings.Split(readFile("/proc/meminfo"), "\n") {
		var kb int64
		if _, err := fmt.Sscanf(line, "MemTotal: %d kB", &kb); err == nil {
			return fmt.Sprintf("%.0f GiB", float64(kb)/(1<<20))
		}
	}
	return "unknown memory"
}
