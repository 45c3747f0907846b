package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestPlayRelayed: with transport=relay the page takes its media only
// through the stack's TURN server, and the testpattern plays that way.
func TestPlayRelayed(t *testing.T) {
	base := startStack(t, func(c *serveConfig) { c.turn.Addr = "127.0.0.1:0" })
	ctx := newBrowser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/play?title=testpattern&transport=relay")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `window.stratus && stratus.state === "playing" && stratus.framesPresented > 30`, "relayed frames to play", 30*time.Second)
	if tr := eval[string](t, ctx, `stratus.transport`); tr != "relay" {
		t.Errorf("page transport %q, want relay", tr)
	}
	waitFor(t, ctx, `stratus.route !== ""`, "the stats to name the selected candidate pair", 5*time.Second)
	if route := eval[string](t, ctx, `stratus.route`); !strings.HasPrefix(route, "relay") {
		t.Fatalf("selected pair's local candidate %q, want relay", route)
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
