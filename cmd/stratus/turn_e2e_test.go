package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestPlayRelayed: with transport=relay the page takes its media only
// through the stack's TURN server, and the testpattern plays that way;
// with relay-tcp it reaches the server over TCP alone, as a player whose
// network blocks UDP does.
func TestPlayRelayed(t *testing.T) {
	base := startStack(t, func(c *serveConfig) { c.turn.Addr = "127.0.0.1:0" })
	for _, tc := range []struct{ transport, route string }{
		{"relay", "relay"},
		{"relay-tcp", "relay (tcp)"},
	} {
		t.Run(tc.transport, func(t *testing.T) { playRelayed(t, base, tc.transport, tc.route) })
	}
}

func playRelayed(t *testing.T, base, transport, wantRoute string) {
	ctx := newBrowser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/play?title=testpattern&transport="+transport)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `window.stratus && stratus.state === "playing" && stratus.framesPresented > 30`, "relayed frames to play", 30*time.Second)
	if tr := eval[string](t, ctx, `stratus.transport`); tr != transport {
		t.Errorf("page transport %q, want %s", tr, transport)
	}
	waitFor(t, ctx, `stratus.route !== ""`, "the stats to name the selected candidate pair", 5*time.Second)
	if route := eval[string](t, ctx, `stratus.route`); !strings.HasPrefix(route, wantRoute) {
		t.Fatalf("selected pair's local candidate %q, want %s", route, wantRoute)
	}
	f0, t0 := eval[float64](t, ctx, `stratus.framesPresented`), time.Now()
	time.Sleep(2 * time.Second)
	f1, t1 := eval[float64](t, ctx, `stratus.framesPresented`), time.Now()
	fps := (f1 - f0) / t1.Sub(t0).Seconds()
	t.Logf("relayed: %s, %.1f fps presented", eval[string](t, ctx, `stratus.route`), fps)
	if fps < 50 {
		t.Fatalf("relayed frame rate %.1f fps, want at least 50", fps)
	}
}
