package netem

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"stratus/internal/browser"
)

// TestChromiumInNamespace runs headless Chromium inside a namespace and has
// it load a page from the host's address on the shaped link: what the
// streaming tests under impairment build on.
func TestChromiumInNamespace(t *testing.T) {
	const delay = 20 * time.Millisecond
	ns, l := newLinked(t, Symmetric(Shape{Delay: delay}))
	if _, err := browser.Path(); err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("no Chromium (CI unset): %v", err)
		}
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp4", netip.AddrPortFrom(ns.HostAddr(), 0).String())
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "<!doctype html><title>netem</title><p id=from>%s</p>", r.RemoteAddr)
		}),
		ReadHeaderTimeout: 5 * time.Second,
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	bctx, closeBrowser, err := browser.New(ctx, browser.Wrap(ns.CommandPrefix()...))
	if err != nil {
		t.Fatal(err)
	}
	defer closeBrowser()
	url := "http://" + ln.Addr().String() + "/"
	if err := chromedp.Do(bctx, chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	type timing struct {
		From               string
		Connect, FirstByte float64
	}
	got, err := chromedp.Run(bctx, chromedp.Evaluate[timing](`(() => {
		const n = performance.getEntriesByType("navigation")[0];
		return {From: document.getElementById("from").textContent,
			Connect: n.connectEnd - n.connectStart, FirstByte: n.responseStart - n.requestStart};
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	from, connect, ttfb := got.From, got.Connect, got.FirstByte
	st := l.Stats()
	t.Logf("page fetched from %s by %s: connect %.1f ms, request to first byte %.1f ms; link %+v", url, from, connect, ttfb, st)
	if host, _, _ := strings.Cut(from, ":"); host != ns.Addr().String() {
		t.Errorf("the request came from %s, not from the namespace's %v", from, ns.Addr())
	}
	// The request crosses the link and its answer comes back: at least the
	// set RTT. (The connect time is only logged: Chromium may start the
	// connection before the navigation's clock does.)
	rtt := float64(2*delay) / float64(time.Millisecond)
	if ttfb < rtt {
		t.Errorf("request to first byte %.1f ms: must take at least the set RTT %.0f ms", ttfb, rtt)
	}
	if st.ToNamespace.Passed == 0 || st.FromNamespace.Passed == 0 {
		t.Errorf("the shaper passed nothing in a direction: %+v", st)
	}
}
