package main

import (
	"context"
	"log/slog"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"stratus/internal/browser"
	"stratus/internal/clustertest"
	"stratus/internal/freeport"
	"stratus/internal/netem"
)

// TestPlayUDPBlocked puts the player (headless Chromium) in a network
// namespace whose link to the host drops all UDP and the edge's ICE-TCP
// port, both ways: a strict firewall. `stratus serve -turn` on the host's
// end of the link must still play testpattern, the page choosing the relay
// over TCP by itself (no transport= forcing it); without TURN the page must
// stop with a clear error instead of trying forever.
func TestPlayUDPBlocked(t *testing.T) {
	clusterTest(t)
	if err := netem.Available(); err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("impairment harness unavailable (CI unset): %v", err)
		}
		t.Fatalf("impairment harness unavailable under CI: %v", err)
	}
	bin := stratusBinary(t)
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelInfo}))
	ns, err := netem.NewNamespace(netem.NamespaceConfig{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Close() })
	veth, err := netem.NewVeth(netem.VethConfig{Namespace: ns})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { veth.Close() })
	host := ns.HostAddr().String()
	// ICE-TCP of both servers, each's HTTP, TURN (TCP and UDP on one
	// port).
	ports, err := freeport.Ports(host, 6, freeport.Both)
	if err != nil {
		t.Fatal(err)
	}
	iceTCP := ports[:2]
	for _, b := range []netem.Block{{Proto: "udp"}, {Proto: "tcp", Port: iceTCP[0]}, {Proto: "tcp", Port: iceTCP[1]}} {
		if err := veth.Block(b); err != nil {
			t.Fatal(err)
		}
	}
	// serve runs server i (0 or 1) of the test.
	serve := func(t *testing.T, i int, turn bool) string {
		addr := netip.AddrPortFrom(ns.HostAddr(), uint16(ports[2+i])).String()
		args := append([]string{bin, "serve", "-addr", addr, "-media-ip", host,
			"-udp-port", "0", "-tcp-port", strconv.Itoa(iceTCP[i])}, clustertest.ManyPlayers()...)
		if turn {
			args = append(args, "-turn", netip.AddrPortFrom(ns.HostAddr(), uint16(ports[4+i])).String())
		}
		p := startProc(t, "serve", args)
		t.Cleanup(func() { p.term(10 * time.Second) })
		base := "http://" + addr
		if err := p.WaitReady(t.Context(), httpc, base+"/healthz", 30*time.Second); err != nil {
			t.Fatal(err)
		}
		return base
	}
	// The browser in the namespace, behind the firewall.
	open := func(t *testing.T, url string) context.Context {
		ctx, cancel, err := browser.New(context.Background(), browser.Wrap(ns.CommandPrefix()...))
		if err != nil {
			t.Fatalf("starting Chromium in %s: %v", ns.Name(), err)
		}
		t.Cleanup(cancel)
		if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
			t.Fatal(err)
		}
		return ctx
	}

	// One after the other: the frame rate is measured with one stream on
	// the machine.
	t.Run("turn", func(t *testing.T) {
		ctx := open(t, serve(t, 0, true)+"/play?title=testpattern")
		waitFor(t, ctx, `window.stratus && stratus.state === "playing" && stratus.framesPresented > 30`, "frames through the relay", 30*time.Second)
		if tr := eval[string](t, ctx, `stratus.transport`); tr != "all" {
			t.Fatalf("page transport %q: the test must not force the relay", tr)
		}
		waitFor(t, ctx, `stratus.route !== ""`, "the stats to name the selected candidate pair", 5*time.Second)
		if route := eval[string](t, ctx, `stratus.route`); !strings.HasPrefix(route, "relay (tcp)") {
			t.Fatalf("selected pair's local candidate %q, want a relay over TCP", route)
		}
		f0, t0 := eval[float64](t, ctx, `stratus.framesPresented`), time.Now()
		time.Sleep(3 * time.Second) // the window the rate is measured over
		f1, t1 := eval[float64](t, ctx, `stratus.framesPresented`), time.Now()
		fps := (f1 - f0) / t1.Sub(t0).Seconds()
		t.Logf("UDP blocked: %s, %.1f fps presented", eval[string](t, ctx, `stratus.route`), fps)
		if fps < 30 {
			t.Fatalf("relayed frame rate %.1f fps behind the firewall, want at least 30", fps)
		}
	})

	t.Run("no turn", func(t *testing.T) {
		ctx := open(t, serve(t, 1, false)+"/play?title=testpattern")
		// Two joins, each bounded by the page's first-frame deadline (10 s),
		// and a backoff between them.
		waitFor(t, ctx, `window.stratus && stratus.state === "error"`, "the page to give up", 35*time.Second)
		code := eval[string](t, ctx, `stratus.error.code`)
		msg := eval[string](t, ctx, `stratus.error.message`)
		t.Logf("no TURN, UDP blocked: %s: %s", code, msg)
		if code != "media_unreachable" || !strings.Contains(msg, "UDP") || !strings.Contains(msg, "TURN") {
			t.Fatalf("error %s %q: want media_unreachable naming UDP and TURN", code, msg)
		}
		card := eval[string](t, ctx, `document.body.innerText`)
		if !strings.Contains(card, "block UDP") {
			t.Errorf("the page does not show the reason; it reads:\n%s", card)
		}
	})
}
