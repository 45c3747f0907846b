package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"strconv"
	"testing"
	"time"

	"stratus/internal/browser"
	"stratus/internal/clustertest"
	"stratus/internal/freeport"
	"stratus/internal/netem"
)

// TestClusterRandomLoss plays Rocks to headless Chromium in a
// network namespace behind a link that drops 3 % of packets at random each
// way, 20 ms each way. Random loss grows no queue, so the rate control must
// not read it as congestion: FEC and NACK repair it and the rate stays up.
// Before the loss gate Pion's GCC held such a player near 0.4 Mbit/s.
// The floors are loose: this checks the rate logic under loss, not speed.
func TestClusterRandomLoss(t *testing.T) {
	ns := playerNamespace(t)
	lossy := netem.Symmetric(netem.Shape{Delay: 20 * time.Millisecond, Loss: 0.03})
	if _, err := netem.NewLink(netem.LinkConfig{Namespace: ns, Impairment: lossy, Seed: 3}); err != nil {
		t.Fatal(err)
	}

	base := startServeOn(t, ns.HostAddr())
	ctx := openPage(t, base+"/play?title=rocks", browser.Wrap(ns.CommandPrefix()...))
	waitPlaying(t, ctx, 30*time.Second, "the page to play behind 3% loss", 30, nil)
	poll(t, 5*time.Second, "the page's video element", func() (bool, string) {
		ok, err := clustertest.WatchFrames(ctx)
		return ok, fmt.Sprint(err)
	})
	// GCC starts at the start bitrate; a few seconds let a wrong back-off
	// show before the measurement starts.
	const settle, watch = 4 * time.Second, 10 * time.Second
	waitUntil(t, time.Now().Add(settle), "the rate to settle")
	from := readReception(t, ctx)
	waitUntil(t, time.Now().Add(watch), "the measured interval")
	to := readReception(t, ctx)
	mbps, fps, freezes, longest := from.Over(to)
	t.Logf("behind 3%% loss, 20 ms each way: %.2f Mbit/s received, %.1f fps presented, %d freezes, longest gap %.0f ms (load %s)",
		mbps, fps, freezes, longest, loadAvg())
	if mbps < 1.5 {
		t.Errorf("received %.2f Mbit/s behind 3%% random loss, want >= 1.5: random loss is read as congestion", mbps)
	}
	// Measured 39 to 46 fps on a 2-core machine loaded by other builds,
	// where x264, the shaper and Chromium's decoder share the cores; a
	// picture that freezes on unrepaired loss drops far lower.
	if fps < 30 {
		t.Errorf("presented %.1f fps behind 3%% random loss, want >= 30", fps)
	}
}

// startServeOn runs `stratus serve` with its HTTP listeners and media on
// addr, and returns the player-facing base URL once it is healthy.
func startServeOn(t *testing.T, addr netip.Addr) string {
	t.Helper()
	ports, err := freeport.Ports(addr.String(), 2, freeport.TCP)
	if err != nil {
		t.Fatal(err)
	}
	http := netip.AddrPortFrom(addr, uint16(ports[0])).String()
	args := append([]string{stratusBinary(t), "serve",
		"-addr", http, "-edge-addr", netip.AddrPortFrom(addr, uint16(ports[1])).String(),
		"-media-ip", addr.String(), "-udp-port", "0", "-tcp-port", "-1", "-log-level", "warn"},
		clustertest.ManyPlayers()...)
	p := startProc(t, "serve", args)
	base := "http://" + http
	if err := p.WaitReady(context.Background(), httpc, base+"/healthz", 30*time.Second); err != nil {
		t.Fatal(err)
	}
	return base
}

// waitUntil polls until the clock passes end: a measurement interval, not
// a wait for something to happen.
func waitUntil(t *testing.T, end time.Time, why string) {
	t.Helper()
	poll(t, time.Until(end)+5*time.Second, why, func() (bool, string) {
		return !time.Now().Before(end), strconv.Quote(time.Now().Format(time.StampMilli))
	})
}

func readReception(t *testing.T, ctx context.Context) clustertest.Reception {
	t.Helper()
	r, err := clustertest.ReadReception(ctx)
	if err != nil {
		t.Fatalf("reading the page's reception: %v", err)
	}
	return r
}

// TestClusterCapacityDrop plays Rocks behind a link that falls from 20 to
// 1.5 Mbit/s for six seconds and comes back, as a player's Wi-Fi does. The
// page must ride it out on the same edge: its beat and frames go silent
// behind the full queue while video packets still arrive, which is
// congestion, not a dead edge, and a rejoin would only throw the session
// away (it did, before the page asked its browser when the latest packet
// came). The rate control must come back down to the link and up again.
func TestClusterCapacityDrop(t *testing.T) {
	ns := playerNamespace(t)
	shape := func(rate int64) netem.Impairment {
		return netem.Impairment{ToNamespace: netem.Shape{Delay: 20 * time.Millisecond, Rate: rate, Queue: 100 * time.Millisecond},
			FromNamespace: netem.Shape{Delay: 20 * time.Millisecond}}
	}
	link, err := netem.NewLink(netem.LinkConfig{Namespace: ns, Impairment: shape(20_000_000), Seed: 5})
	if err != nil {
		t.Fatal(err)
	}

	base := startServeOn(t, ns.HostAddr())
	ctx := openPage(t, base+"/play?title=rocks", browser.Wrap(ns.CommandPrefix()...))
	waitPlaying(t, ctx, 30*time.Second, "the page to play behind a 20 Mbit/s link", 30, nil)
	poll(t, 5*time.Second, "the page's video element", func() (bool, string) {
		ok, err := clustertest.WatchFrames(ctx)
		return ok, fmt.Sprint(err)
	})
	waitUntil(t, time.Now().Add(4*time.Second), "the rate to settle")
	before, err := clustertest.ReadPage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := link.Set(shape(1_500_000)); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, time.Now().Add(6*time.Second), "six seconds at 1.5 Mbit/s")
	if err := link.Set(shape(20_000_000)); err != nil {
		t.Fatal(err)
	}
	from := readReception(t, ctx)
	waitUntil(t, time.Now().Add(5*time.Second), "five seconds after the link came back")
	to := readReception(t, ctx)
	after, err := clustertest.ReadPage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mbps, fps, freezes, longest := from.Over(to)
	t.Logf("after 6 s at 1.5 Mbit/s: %.2f Mbit/s, %.1f fps, %d freezes, longest gap %.0f ms in the 5 s after; page %s (load %s)",
		mbps, fps, freezes, longest, after, loadAvg())
	if after.Reconnects != before.Reconnects || after.Session != before.Session {
		t.Errorf("the page left its edge over a link that only slowed down: before %s, after %s", before, after)
	}
	// Loose: this checks that play goes on, not how well (benchmarks/netplay).
	if fps < 20 {
		t.Errorf("presented %.1f fps once the link came back, want >= 20", fps)
	}
}

// playerNamespace is the network namespace a test's Chromium plays in,
// closed with the test; it needs the impairment harness (root) and
// Chromium, and skips without the harness only outside CI.
func playerNamespace(t *testing.T) *netem.Namespace {
	t.Helper()
	clusterTest(t)
	if err := netem.Available(); err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("impairment harness unavailable (CI unset): %v", err)
		}
		t.Fatal(err)
	}
	if _, err := browser.Path(); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	ns, err := netem.NewNamespace(netem.NamespaceConfig{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Close() })
	return ns
}
