// Command turnjoin measures what relaying costs a join: the same page
// joins the testpattern directly, through the TURN server over UDP
// (transport=relay) and over TCP (transport=relay-tcp), trials
// interleaved, against one `stratus serve` with a TURN server, all on
// loopback. For each it reports navigation → first frame and "joined" →
// first frame (the part relaying can change: the allocation and the
// connectivity checks through the relay), p50 and p99.
//
// With -blocked (root: it makes a network namespace) it measures instead
// a player whose network blocks UDP against one whose network does not,
// Chromium in a namespace and nothing forced (blocked.go).
//
//	go run ./benchmarks/turnjoin [-trials 20] [-blocked]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/chromedp/chromedp"

	"stratus/internal/browser"
	"stratus/internal/clustertest"
	"stratus/internal/freeport"
)

func main() {
	trials := flag.Int("trials", 20, "joins of each kind")
	bin := flag.String("bin", "bin/stratus", "the stratus binary; built into a temporary directory when missing")
	// A binary older than TURN takes no -turn: -direct-only measures its
	// direct joins, to compare with.
	directOnly := flag.Bool("direct-only", false, "direct joins only, on a server without TURN")
	blocked := flag.Bool("blocked", false, "Chromium in a network namespace, joins with UDP open vs blocked")
	flag.Parse()
	err := error(nil)
	if *blocked {
		err = runBlocked(*bin, *trials)
	} else {
		err = run(*bin, *trials, *directOnly)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "turnjoin:", err)
		os.Exit(1)
	}
}

func progress(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }

func run(binPath string, trials int, directOnly bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(trials)*time.Minute)
	defer cancel()
	dir, err := os.MkdirTemp("", "turnjoin-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin, err := clustertest.Binary(ctx, binPath, dir, progress)
	if err != nil {
		return err
	}
	ports, err := freeport.Ports("127.0.0.1", 2, freeport.TCP)
	if err != nil {
		return err
	}
	base := "http://127.0.0.1:" + strconv.Itoa(ports[0])
	args := append([]string{bin, "serve", "-addr", "127.0.0.1:" + strconv.Itoa(ports[0]),
		"-media-ip", "127.0.0.1", "-udp-port", "0", "-tcp-port", "-1", "-log-level", "warn"}, clustertest.ManyPlayers()...)
	kinds := []string{"direct"}
	if !directOnly {
		args = append(args, "-turn", "127.0.0.1:"+strconv.Itoa(ports[1]))
		kinds = append(kinds, "relay", "relay-tcp")
	}
	p, err := clustertest.StartEcho(dir, "server", args, os.Stderr)
	if err != nil {
		return err
	}
	defer p.Stop(10 * time.Second)
	if err := p.WaitReady(ctx, clustertest.HTTPClient(), base+"/healthz", 30*time.Second); err != nil {
		return err
	}
	bctx, bcancel, err := browser.New(ctx)
	if err != nil {
		return err
	}
	defer bcancel()

	total := map[string][]time.Duration{}
	afterJoin := map[string][]time.Duration{}
	for i := range trials {
		for _, kind := range kinds {
			url := base + "/play?title=testpattern"
			if kind != "direct" {
				url += "&transport=" + kind
			}
			nav, joined, _, err := joinRoute(bctx, url)
			if err != nil {
				return fmt.Errorf("trial %d, %s: %w", i+1, kind, err)
			}
			total[kind] = append(total[kind], nav)
			afterJoin[kind] = append(afterJoin[kind], joined)
		}
		progress("trial %d/%d done", i+1, trials)
	}
	server := "stratus serve -turn"
	if directOnly {
		server = "stratus serve"
	}
	fmt.Printf("%d joins of each kind, Chromium and `%s` on loopback\n\n", trials, server)
	fmt.Println("| join | navigation → first frame p50 / p99 | \"joined\" → first frame p50 / p99 |")
	fmt.Println("|---|---|---|")
	for _, kind := range kinds {
		fmt.Printf("| %s | %s / %s | %s / %s |\n", kind,
			pct(total[kind], 50), pct(total[kind], 99), pct(afterJoin[kind], 50), pct(afterJoin[kind], 99))
	}
	return nil
}

// joinRoute loads url in a fresh page state and waits for its first
// presented frame and for the page's stats to name the selected candidate
// pair's local side (route); it leaves the page (about:blank) so the
// session ends before the next trial.
func joinRoute(ctx context.Context, url string) (nav, afterJoin time.Duration, route string, err error) {
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		return 0, 0, "", err
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		pg, err := clustertest.ReadPage(ctx)
		if err == nil && len(pg.EdgeHistory) > 0 && pg.EdgeHistory[0].FirstFrameAt != nil {
			h := pg.EdgeHistory[0]
			nav = time.Duration((*h.FirstFrameAt - pg.TimeOrigin) * float64(time.Millisecond))
			afterJoin = time.Duration((*h.FirstFrameAt - h.JoinedAt) * float64(time.Millisecond))
			break
		}
		if time.Now().After(deadline) {
			return 0, 0, "", fmt.Errorf("no first frame within 20 s: %s", pg)
		}
		time.Sleep(10 * time.Millisecond)
	}
	for route == "" {
		route, err = chromedp.Run(ctx, chromedp.Evaluate[string](`window.stratus ? stratus.route : ""`))
		if err != nil {
			return 0, 0, "", err
		}
		if time.Now().After(deadline) {
			return 0, 0, "", fmt.Errorf("the page's stats named no route within 20 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nav, afterJoin, route, chromedp.Do(ctx, chromedp.Navigate("about:blank"))
}

// pct is the p-th percentile (nearest rank) in milliseconds.
func pct(ds []time.Duration, p int) string {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := max(0, (p*len(s)+99)/100-1)
	return fmt.Sprintf("%.0f ms", float64(s[i])/float64(time.Millisecond))
}
