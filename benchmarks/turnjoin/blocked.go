package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"stratus/internal/browser"
	"stratus/internal/clustertest"
	"stratus/internal/freeport"
	"stratus/internal/netem"
)

// runBlocked is -blocked: Chromium in a network namespace joined to the
// host by a veth, `stratus serve -turn` on the host's end, and joins
// without transport= forcing anything, trials alternating between the
// link open and the link blocking all UDP and the edge's ICE-TCP port (a
// strict firewall, where the page can only play through the relay over
// TCP). Each join's selected route is checked, so the two rows measure
// what they say.
func runBlocked(binPath string, trials int) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(trials)*time.Minute)
	defer cancel()
	if err := netem.Available(); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "turnjoin-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin, err := clustertest.Binary(ctx, binPath, dir, progress)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ns, err := netem.NewNamespace(netem.NamespaceConfig{Logger: log})
	if err != nil {
		return err
	}
	defer ns.Close()
	veth, err := netem.NewVeth(netem.VethConfig{Namespace: ns})
	if err != nil {
		return err
	}
	defer veth.Close()
	host := ns.HostAddr().String()
	ports, err := freeport.Ports(host, 3, freeport.Both) // HTTP, TURN, ICE-TCP
	if err != nil {
		return err
	}
	addr := func(port int) string { return netip.AddrPortFrom(ns.HostAddr(), uint16(port)).String() }
	base := "http://" + addr(ports[0])
	args := append([]string{bin, "serve", "-addr", addr(ports[0]), "-media-ip", host, "-udp-port", "0",
		"-tcp-port", strconv.Itoa(ports[2]), "-turn", addr(ports[1]), "-log-level", "warn"}, clustertest.ManyPlayers()...)
	p, err := clustertest.StartEcho(dir, "server", args, os.Stderr)
	if err != nil {
		return err
	}
	defer p.Stop(10 * time.Second)
	if err := p.WaitReady(ctx, clustertest.HTTPClient(), base+"/healthz", 30*time.Second); err != nil {
		return err
	}
	bctx, bcancel, err := browser.New(ctx, browser.Wrap(ns.CommandPrefix()...))
	if err != nil {
		return err
	}
	defer bcancel()

	block := func(on bool) error {
		if !on {
			return veth.Unblock()
		}
		if err := veth.Block(netem.Block{Proto: "udp"}); err != nil {
			return err
		}
		return veth.Block(netem.Block{Proto: "tcp", Port: ports[2]})
	}
	// Open, the page's direct candidates win: "host", or "srflx" with the
	// same address (the TURN server answers STUN too).
	kinds := []struct {
		name, route string
		blocked     bool
	}{{"UDP open", "direct", false}, {"UDP blocked", "relay (tcp)", true}}
	total := map[string][]time.Duration{}
	afterJoin := map[string][]time.Duration{}
	for i := range trials {
		for _, k := range kinds {
			if err := block(k.blocked); err != nil {
				return err
			}
			nav, joined, route, err := joinRoute(bctx, base+"/play?title=testpattern")
			if err != nil {
				return fmt.Errorf("trial %d, %s: %w", i+1, k.name, err)
			}
			if direct := !strings.HasPrefix(route, "relay"); k.route == "direct" && !direct ||
				k.route != "direct" && !strings.HasPrefix(route, k.route) {
				return fmt.Errorf("trial %d, %s: route %q, want %s", i+1, k.name, route, k.route)
			}
			total[k.name] = append(total[k.name], nav)
			afterJoin[k.name] = append(afterJoin[k.name], joined)
		}
		progress("trial %d/%d done", i+1, trials)
	}
	fmt.Printf("%d joins of each kind, Chromium in a namespace behind a veth, `stratus serve -turn` on the host's end\n\n", trials)
	fmt.Println("| link | route | navigation → first frame p50 / p99 | \"joined\" → first frame p50 / p99 |")
	fmt.Println("|---|---|---|---|")
	for _, k := range kinds {
		fmt.Printf("| %s | %s | %s / %s | %s / %s |\n", k.name, k.route,
			pct(total[k.name], 50), pct(total[k.name], 99), pct(afterJoin[k.name], 50), pct(afterJoin[k.name], 99))
	}
	return nil
}
