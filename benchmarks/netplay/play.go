package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"slices"
	"time"

	"github.com/chromedp/chromedp"

	"stratus/internal/browser"
	"stratus/internal/clustertest"
	"stratus/internal/freeport"
	"stratus/internal/netem"
)

// Limits of one run's set-up.
const (
	// healthTimeout: the server starts in about a second; a loaded
	// machine may take many.
	healthTimeout = 30 * time.Second
	// playTimeout covers the page's join through the impaired link: ICE,
	// DTLS and the first keyframe, each a few round trips, some lost.
	playTimeout = 30 * time.Second
	stopTimeout = 10 * time.Second
	// eventSettle: a freeze that begins this soon after an event's end is
	// the event's (a frame got through, then the wait for a keyframe).
	eventSettle = time.Second
)

// result is one run's figures.
type result struct {
	scenario, title string
	// mbps is what the page received of the video stream (getStats);
	// sentMbps what the server put into the link towards the player:
	// every IP packet, FEC, retransmissions and audio included.
	mbps, sentMbps, fps float64
	// g2g holds glass-to-glass samples in ms (testpattern only: its
	// frames carry their render time).
	g2g        []float64
	freezes    int
	longestMs  float64
	reconnects int           // the page's reconnects, moves and failovers during the measurement
	phases     []phaseResult // for scenarios with more than one phase
	// frozenAfterMs is how long after the event phase's end the picture
	// stayed frozen (Reception.FrozenAfter); -1 without an event.
	frozenAfterMs float64
	// fullRung is the rung at the end of the first phase, and fullAfter
	// how long into the recovery phase the picture was back at it (-1:
	// not within the phase); both empty without a recovery phase.
	fullRung  string
	fullAfter time.Duration
}

type phaseResult struct {
	name      string
	mbps, fps float64
}

// playOnce runs one title under one scenario in a fresh namespace, server
// and browser, all gone when it returns.
func playOnce(ctx context.Context, o options, bin, dir, sc, title string, log *slog.Logger) (result, error) {
	res := result{scenario: sc, title: title, frozenAfterMs: -1}
	phases := scenarios[sc]
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return res, err
	}
	ns, err := netem.NewNamespace(netem.NamespaceConfig{Logger: log})
	if err != nil {
		return res, err
	}
	defer ns.Close()
	link, err := newPath(ns, phases[0])
	if err != nil {
		return res, err
	}

	base, stop, err := startServer(ctx, bin, dir, ns.HostAddr(), o.logLevel)
	if err != nil {
		return res, err
	}
	defer stop()

	bctx, closeBrowser, err := browser.New(ctx, browser.Wrap(ns.CommandPrefix()...))
	if err != nil {
		return res, fmt.Errorf("starting Chromium: %w", err)
	}
	defer closeBrowser()
	if err := chromedp.Do(bctx, chromedp.Navigate(base+"/play?title="+title)); err != nil {
		return res, err
	}
	if err := waitFor(ctx, playTimeout, "the page to play", func() (bool, error) {
		ps, err := clustertest.ReadPage(bctx)
		if err != nil {
			return false, err
		}
		if ps.Error != nil {
			return false, fmt.Errorf("page error %s: %s", ps.Error.Code, ps.Error.Message)
		}
		if ps.State != "playing" || ps.FramesPresented < 1 {
			return false, nil
		}
		return clustertest.WatchFrames(bctx)
	}); err != nil {
		return res, err
	}
	if err := sleep(ctx, o.warmup); err != nil {
		return res, err
	}

	lens := lengths(phases, o.duration)
	page0, err := clustertest.ReadPage(bctx)
	if err != nil {
		return res, err
	}
	measure := title == "testpattern"
	if measure {
		if _, err := chromedp.Run(bctx, chromedp.Evaluate[bool](`(stratus.startMeasure(), true)`)); err != nil {
			return res, fmt.Errorf("starting the measurement: %w", err)
		}
	}
	sent0, err := link.sentBytes()
	if err != nil {
		return res, err
	}
	start := time.Now()
	first, err := clustertest.ReadReception(bctx)
	if err != nil {
		return res, err
	}
	from := first
	var eventStart, eventEnd float64
	for i, ph := range phases {
		if i > 0 {
			if err := link.set(ph); err != nil {
				return res, err
			}
		}
		if ph.recovery {
			res.fullAfter, err = waitForRung(ctx, bctx, res.fullRung, lens[i])
		} else {
			err = sleep(ctx, lens[i])
		}
		if err != nil {
			return res, err
		}
		if i == 0 && slices.ContainsFunc(phases, func(p phase) bool { return p.recovery }) {
			if res.fullRung, err = readRung(bctx); err != nil {
				return res, err
			}
		}
		to, err := clustertest.ReadReception(bctx)
		if err != nil {
			return res, err
		}
		if ph.event {
			eventStart, eventEnd = from.At, to.At
		}
		if len(phases) > 1 {
			mbps, fps, _, _ := from.Over(to)
			res.phases = append(res.phases, phaseResult{name: ph.name, mbps: mbps, fps: fps})
		}
		from = to
	}
	res.mbps, res.fps, res.freezes, res.longestMs = first.Over(from)
	if eventEnd > 0 {
		res.frozenAfterMs = from.FrozenAfter(eventStart, eventEnd, eventSettle.Seconds()*1000)
	}
	sent1, err := link.sentBytes()
	if err != nil {
		return res, err
	}
	res.sentMbps = float64(sent1-sent0) * 8 / time.Since(start).Seconds() / 1e6
	if measure {
		m, err := chromedp.Run(bctx, chromedp.Evaluate[struct {
			G2G []float64 `json:"g2g"`
		}](`stratus.stopMeasure()`))
		if err != nil {
			return res, fmt.Errorf("reading the measurement: %w", err)
		}
		res.g2g = m.G2G
	}
	page1, err := clustertest.ReadPage(bctx)
	if err != nil {
		return res, err
	}
	res.reconnects = page1.Reconnects + page1.Moves + page1.Failovers - page0.Reconnects - page0.Moves - page0.Failovers
	return res, nil
}

// readRung is the quality rung the edge last reported to the page.
func readRung(bctx context.Context) (string, error) {
	return chromedp.Run(bctx, chromedp.Evaluate[string](`(window.stratus && stratus.edgeStats && stratus.edgeStats.rung) || ""`))
}

// waitForRung plays for d and says how soon the edge reported rung, -1
// if not within d. The edge reports once a second, so the figure is that
// coarse.
func waitForRung(ctx, bctx context.Context, rung string, d time.Duration) (time.Duration, error) {
	start, at := time.Now(), time.Duration(-1)
	for time.Since(start) < d {
		if at < 0 {
			r, err := readRung(bctx)
			if err != nil {
				return at, err
			}
			if r == rung {
				at = time.Since(start)
			}
		}
		if err := sleep(ctx, min(rungPoll, d-time.Since(start))); err != nil {
			return at, err
		}
	}
	return at, nil
}

// rungPoll is how often waitForRung reads the page.
const rungPoll = 100 * time.Millisecond

// startServer runs `bin serve` with its listeners and media on addr, the
// host side of the link, and returns its base URL and how to stop it.
func startServer(ctx context.Context, bin, dir string, addr netip.Addr, level string) (string, func(), error) {
	ports, err := freeport.Ports(addr.String(), 2, freeport.TCP)
	if err != nil {
		return "", nil, err
	}
	http := netip.AddrPortFrom(addr, uint16(ports[0])).String()
	args := append([]string{bin, "serve",
		"-addr", http, "-edge-addr", netip.AddrPortFrom(addr, uint16(ports[1])).String(),
		"-media-ip", addr.String(), "-udp-port", "0", "-tcp-port", "-1", "-log-level", level},
		clustertest.ManyPlayers()...)
	p, err := clustertest.Start(dir, "server", args)
	if err != nil {
		return "", nil, err
	}
	stop := func() { p.Stop(stopTimeout) }
	base := "http://" + http
	if err := p.WaitReady(ctx, clustertest.HTTPClient(), base+"/healthz", healthTimeout); err != nil {
		stop()
		return "", nil, fmt.Errorf("server: %w", err)
	}
	return base, stop, nil
}

// waitFor polls cond every 100 ms until it holds, fails or limit passes.
func waitFor(ctx context.Context, limit time.Duration, why string, cond func() (bool, error)) error {
	deadline := time.Now().Add(limit)
	var last error
	for time.Now().Before(deadline) {
		ok, err := cond()
		if ok {
			return nil
		}
		if err != nil {
			last = err
		}
		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}
	return fmt.Errorf("waited %v for %s; last error: %v", limit, why, last)
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
