// Command netplay measures what a player receives over impaired networks:
// the real server (`stratus serve`) on the host side of an impairment link
// (internal/netem), headless Chromium inside the link's network namespace,
// playing each title under each scenario.
//
//	go build -o bin/stratus ./cmd/stratus
//	sudo go run ./benchmarks/netplay -runs 3 -duration 20s
//
// Scenarios (the link shapes both directions unless said):
//
//	clean       20 ms each way, nothing else
//	loss3       3 % random loss and 20 ms each way
//	bottleneck  2 Mbit/s towards the player with a 100 ms drop-tail queue
//	tbf         the same bottleneck made by the kernel's tbf on a veth
//	            (no delay: the kernel here has no netem); what the server
//	            sent is then what the tbf let through
//	nft3        3 % random loss of the server's UDP packets by nftables
//	            on a veth, no delay
//	step        20 Mbit/s, then 1.5 Mbit/s, then 20 Mbit/s again towards
//	            the player, each a third of -duration (changed live);
//	            reports when the picture was back at its first rung
//	burst       20 ms each way; in the middle of the measurement, 1 s of
//	            30 % loss both ways
//
// For each run it reports the received bitrate (Chromium's getStats
// inbound-rtp bytesReceived), what the server sent into the link (IP bytes
// towards the player, FEC and retransmissions included), presented frames
// per second and freezes (gaps over 100 ms between frames, from
// requestVideoFrameCallback), over the whole measurement and, for step,
// per phase. For burst it reports how long after the burst's end the
// picture was still frozen (0: it moved through the burst or at once
// after it). For testpattern it also reports glass-to-glass p50 and p99
// (the page's barcode reader, web/static/js/measure.js; server and
// browser share the machine's clock).
//
// It needs root (namespaces and TUN devices). The report is markdown on
// stdout; progress goes to stderr. With -log-level debug the server's log
// (kept with -keep) carries the rate control's inputs once a second: the
// delay-based and loss-based targets, the loss and the detector's usage.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"stratus/internal/clustertest"
	"stratus/internal/machine"
	"stratus/internal/netem"
)

type options struct {
	bin       string
	titles    []string
	scenarios []string
	runs      int
	duration  time.Duration
	warmup    time.Duration
	logLevel  string
	keep      bool
}

func main() {
	o := parseFlags()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "netplay:", err)
		os.Exit(1)
	}
}

func parseFlags() options {
	var o options
	var titles, scen string
	flag.StringVar(&o.bin, "bin", "bin/stratus", "the stratus binary; built into a temporary directory when missing")
	flag.StringVar(&titles, "titles", "testpattern,rocks", "titles to play, comma-separated")
	flag.StringVar(&scen, "scenarios", "clean,loss3,bottleneck,step", "scenarios, comma-separated (see the package doc)")
	flag.IntVar(&o.runs, "runs", 1, "runs of each title under each scenario, each in a fresh server and browser")
	flag.DurationVar(&o.duration, "duration", 15*time.Second, "length of each measurement")
	flag.DurationVar(&o.warmup, "warmup", 4*time.Second, "play before each measurement starts, for the rate to settle")
	flag.StringVar(&o.logLevel, "log-level", "warn", "the server's log level (debug logs the rate control's inputs)")
	flag.BoolVar(&o.keep, "keep", false, "keep the server logs and say where")
	flag.Parse()
	o.titles, o.scenarios = strings.Split(titles, ","), strings.Split(scen, ",")
	return o
}

func (o options) validate() error {
	var errs []error
	for _, s := range o.scenarios {
		if _, ok := scenarios[s]; !ok {
			errs = append(errs, fmt.Errorf("-scenarios: unknown %q", s))
		}
	}
	if o.runs < 1 {
		errs = append(errs, fmt.Errorf("-runs %d: must be at least 1", o.runs))
	}
	if o.duration < 3*time.Second {
		errs = append(errs, fmt.Errorf("-duration %v: must be at least 3s (step has three phases)", o.duration))
	}
	if o.warmup < 0 {
		errs = append(errs, fmt.Errorf("-warmup %v: must not be negative", o.warmup))
	}
	return errors.Join(errs...)
}

// phase is one shaping for a share of the measurement (or for length,
// where set): im on the userspace link, or, where veth is set, the
// kernel's on a veth.
type phase struct {
	name   string
	im     netem.Impairment
	veth   *vethShape
	length time.Duration
	// event marks the phase whose end the picture should recover from.
	event bool
	// recovery marks the phase in which the link comes back: the run
	// reports when the picture is back at the rung it had at the end of
	// the first phase.
	recovery bool
}

// vethShape is what the kernel does to the packets towards the player: a
// qdisc (none: nil) and random UDP loss in percent (nftables).
type vethShape struct {
	qdisc *netem.Qdisc
	loss  float64
}

const oneWay = 20 * time.Millisecond

func towardsPlayer(s netem.Shape) netem.Impairment {
	return netem.Impairment{ToNamespace: s, FromNamespace: netem.Shape{Delay: oneWay}}
}

// scenarios: the phases of each, equal shares of the measurement; the
// first phase also shapes the warm-up.
var scenarios = map[string][]phase{
	"clean":      {{im: netem.Symmetric(netem.Shape{Delay: oneWay})}},
	"loss3":      {{im: netem.Symmetric(netem.Shape{Delay: oneWay, Loss: 0.03})}},
	"bottleneck": {{im: towardsPlayer(netem.Shape{Delay: oneWay, Rate: 2_000_000, Queue: 100 * time.Millisecond})}},
	"tbf":        {{veth: &vethShape{qdisc: &netem.Qdisc{Kind: "tbf", Rate: 2_000_000, Queue: 100 * time.Millisecond}}}},
	"nft3":       {{veth: &vethShape{loss: 3}}},
	"step": {
		{name: "20M", im: towardsPlayer(netem.Shape{Delay: oneWay, Rate: 20_000_000, Queue: 100 * time.Millisecond})},
		{name: "1.5M", im: towardsPlayer(netem.Shape{Delay: oneWay, Rate: 1_500_000, Queue: 100 * time.Millisecond})},
		{name: "20M", im: towardsPlayer(netem.Shape{Delay: oneWay, Rate: 20_000_000, Queue: 100 * time.Millisecond}), recovery: true},
	},
	"burst": {
		{name: "before", im: netem.Symmetric(netem.Shape{Delay: oneWay})},
		{name: "burst", im: netem.Symmetric(netem.Shape{Delay: oneWay, Loss: 0.3}), length: time.Second, event: true},
		{name: "after", im: netem.Symmetric(netem.Shape{Delay: oneWay})},
	},
}

// lengths gives each phase its fixed length or an equal share of what
// the fixed ones leave of d.
func lengths(phases []phase, d time.Duration) []time.Duration {
	rest, shared := d, 0
	for _, ph := range phases {
		if ph.length > 0 {
			rest -= ph.length
		} else {
			shared++
		}
	}
	out := make([]time.Duration, len(phases))
	for i, ph := range phases {
		out[i] = ph.length
		if ph.length == 0 {
			out[i] = rest / time.Duration(shared)
		}
	}
	return out
}

func run(ctx context.Context, o options) error {
	if err := o.validate(); err != nil {
		return err
	}
	if err := netem.Available(); err != nil {
		return err
	}
	load := machine.LoadAverage()
	dir, err := os.MkdirTemp("", "stratus-netplay-")
	if err != nil {
		return err
	}
	if o.keep {
		progress("server logs kept in %s", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	bin, err := clustertest.Binary(ctx, o.bin, dir, progress)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	netem.Sweep(log) // namespaces of earlier runs that died
	var rows []result
	for _, sc := range o.scenarios {
		for _, title := range o.titles {
			for i := range o.runs {
				progress("%s, %s, run %d of %d", sc, title, i+1, o.runs)
				r, err := playOnce(ctx, o, bin, fmt.Sprintf("%s/%s-%s-%d", dir, sc, title, i+1), sc, title, log)
				if err != nil {
					return fmt.Errorf("%s %s run %d: %w", sc, title, i+1, err)
				}
				rows = append(rows, r)
			}
		}
	}
	report(os.Stdout, o, load, rows)
	return nil
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "netplay: "+format+"\n", args...)
}
