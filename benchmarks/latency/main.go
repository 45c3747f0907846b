// Command latency measures, end to end on one machine, how long a frame
// takes from the edge's renderer to a browser's screen (glass-to-glass), how
// long a key press takes to show in the picture (input-to-display), and how
// steadily frames are paced on the way.
//
//	go build -o bin/stratus ./cmd/stratus
//	go run ./benchmarks/latency -runs 3 -duration 20s
//
// It runs the real server (bin/stratus serve, built into a temporary
// directory when -bin is missing) as a separate process on loopback ports,
// and drives headless Chromium (internal/browser) to /play?title=testpattern.
//
// How glass-to-glass is measured: the testpattern title stamps the Unix time
// in milliseconds at which it rendered each frame into black and white cells
// in the frame's top-left corner (format in README.md). For every frame the
// page presents, its requestVideoFrameCallback handler (web/static/js/
// measure.js) decodes those cells and subtracts the render time from the
// wall-clock time at which the frame is expected on screen
// (expectedDisplayTime, else presentationTime, plus performance.timeOrigin).
// Renderer and browser run on the same machine and read the same clock, so
// no clock synchronisation enters the figure. It therefore spans render,
// colour conversion, encoding, packetization, loopback transport, the
// browser's jitter buffer, decoding, compositing and the wait for the
// display refresh.
//
// Input-to-display: every -probe-every the harness calls the page's
// sendKeyProbe(), which sends a key down and up on the input data channel
// and resolves when the first presented frame shows the title's input
// counter (row 1 of the cells) changed; each probe is awaited before the
// next.
//
// Frame pacing comes from both ends: the page counts frames presented and
// the render-time gaps between them (frames skipped or repeated); the edge
// API (GET /v1/sessions) gives the frames the session sent and the frame
// slots it skipped during the measurement, how late after their slot frames
// were handed to the connection (p50 and p99 over the last 1024 frames, so
// about the last 17 s of the measurement), and the mean render, convert and
// encode times, sampled once a second. The browser's own view of the
// receive path (jitter buffer, decode time) comes from getStats() before and
// after the measurement.
//
// With -trace the harness also records every presented frame's
// requestVideoFrameCallback metadata (receive, presentation and expected
// display time, decode duration) and prints where the glass-to-glass time
// goes and how the edge's frame slots line up with the display refresh.
// The trace decodes each frame's cells a second time, which costs the page a
// little CPU; the headline figures are best taken without it.
//
// With -checker the harness compares the checker (package checker, the
// probe `stratus checker` runs) with Chromium on the same server: each run
// plays a checker probe watching -duration and a Chromium measurement of
// -duration one after the other, the order alternating from run to run,
// and reports for both the join time, fps, glass-to-glass p50 and p99 and
// input-to-display p50, and what each session cost the server process in
// CPU (utime+stime from /proc/<pid>/stat, less the rate of the idle server
// measured just before). The checker's glass-to-glass ends when it has
// decoded a frame; Chromium's when the frame is expected on screen, so it
// includes the wait for the display refresh. -runs defaults to 5 there.
//
// -runs N repeats the measurement N times against the same server, each in
// a fresh tab (a fresh session), one table row per run, so that run-to-run
// spread is visible. The report is markdown on stdout; progress goes to
// stderr.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"stratus/internal/browser"
	"stratus/internal/clustertest"
	"stratus/internal/machine"
)

// options are the command's flags.
type options struct {
	bin        string
	title      string
	runs       int
	duration   time.Duration
	warmup     time.Duration
	probeEvery time.Duration
	trace      bool
	traceJSON  string
	checker    bool
}

func main() {
	o := parseFlags()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		if ctx.Err() != nil {
			fmt.Fprintln(os.Stderr, "latency: interrupted; server and browser stopped")
			os.Exit(130)
		}
		fmt.Fprintln(os.Stderr, "latency:", err)
		os.Exit(1)
	}
}

func parseFlags() options {
	var o options
	flag.StringVar(&o.bin, "bin", "bin/stratus", "the stratus binary; built into a temporary directory when missing")
	flag.StringVar(&o.title, "title", "testpattern", "title to play; it must draw the test pattern cells")
	flag.IntVar(&o.runs, "runs", 1, "measurements, each in a fresh tab against the same server")
	flag.DurationVar(&o.duration, "duration", 20*time.Second, "length of each measurement")
	flag.DurationVar(&o.warmup, "warmup", 2*time.Second, "play before each measurement starts")
	flag.DurationVar(&o.probeEvery, "probe-every", 250*time.Millisecond, "interval between key probes (each is awaited)")
	flag.BoolVar(&o.trace, "trace", false, "record per-frame timing and print where the time goes")
	flag.StringVar(&o.traceJSON, "trace-json", "", "with -trace, also write every run's per-frame timing to this file as JSON")
	flag.BoolVar(&o.checker, "checker", false, "compare the checker's probe with Chromium, and what each costs the server in CPU (-runs defaults to 5)")
	flag.Parse()
	if o.checker && !flagSet("runs") {
		o.runs = 5 // a p50 across runs wants more than one or two
	}
	return o
}

// flagSet says whether the command line set the flag.
func flagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func (o options) validate() error {
	var errs []error
	if o.runs < 1 {
		errs = append(errs, fmt.Errorf("-runs %d: must be at least 1", o.runs))
	}
	if o.duration <= 0 {
		errs = append(errs, fmt.Errorf("-duration %v: must be positive", o.duration))
	}
	if o.warmup < 0 {
		errs = append(errs, fmt.Errorf("-warmup %v: must not be negative", o.warmup))
	}
	if o.probeEvery <= 0 {
		errs = append(errs, fmt.Errorf("-probe-every %v: must be positive", o.probeEvery))
	}
	if o.checker && o.trace {
		errs = append(errs, errors.New("-checker and -trace: the comparison takes no trace"))
	}
	return errors.Join(errs...)
}

func run(ctx context.Context, o options) error {
	if err := o.validate(); err != nil {
		return err
	}
	load := machine.LoadAverage() // before anything of ours runs
	// The server's log, and its binary when there is none to run.
	dir, err := os.MkdirTemp("", "stratus-latency-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin, err := clustertest.Binary(ctx, o.bin, dir, progress)
	if err != nil {
		return err
	}
	srv, err := startServer(ctx, bin, dir)
	if err != nil {
		return err
	}
	defer srv.stop()
	progress("server up: %s (edge API %s)", srv.base, srv.edge.base)

	bctx, closeBrowser, err := browser.New(ctx)
	if err != nil {
		return fmt.Errorf("starting Chromium: %w", err)
	}
	defer closeBrowser()
	env, err := describe(ctx, srv, load)
	if err != nil {
		return err
	}

	if o.checker {
		pairs, failures, err := compare(ctx, bctx, srv, o)
		if err != nil {
			return err
		}
		writeCompareReport(os.Stdout, env, o, pairs, failures, machine.LoadAverage())
		return nil
	}
	results := make([]runResult, 0, o.runs)
	for i := range o.runs {
		progress("run %d of %d: %v", i+1, o.runs, o.duration)
		r, err := measure(bctx, srv, o)
		if err != nil {
			return fmt.Errorf("run %d: %w", i+1, err)
		}
		progress("run %d: glass-to-glass p50 %.1f ms over %d frames", i+1, summarize(r.G2G).p50, len(r.G2G))
		results = append(results, r)
	}
	writeReport(os.Stdout, env, o, results)
	if o.trace && o.traceJSON != "" {
		return writeTraceJSON(o.traceJSON, results)
	}
	return nil
}

// progress tells the person waiting what is happening, on stderr, so that
// stdout holds only the report.
func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "latency: "+format+"\n", args...)
}

// sleep waits for d or until ctx ends.
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
