package edge

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"

	"stratus/edge/api"
	"stratus/title"
	"stratus/title/builtin"
)

// noLeaks makes the test fail if a goroutine it started is still there
// once its cleanups have run: everything an edge starts ends with its
// Close, and the test's peers and servers end with theirs. Call it before
// registering those cleanups, so that it checks after them.
func noLeaks(t *testing.T) {
	t.Helper()
	before := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, before) })
}

// edgeLoops are the functions the edge's own goroutines run, as stack
// traces name them.
var edgeLoops = []string{
	"stratus/edge.(*Edge).run(", "stratus/edge.(*Edge).awaitDrain(", "stratus/edge.(*pageControl).reportStats(",
	"stratus/edge.(*publisher).run(", "stratus/edge.(*gpuWatch).run(", "stratus/edge.(*catalogFollower).run(",
}

// loopsLeft lists the goroutines still in one of the edge's loops. Right
// after Close it must be empty: Close waits for them. goleak, which
// retries, would forgive a goroutine that only ends soon after Close; this
// does not. It sees every edge of the test binary, which is why this
// package's tests do not run in parallel.
func loopsLeft() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var left []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		for _, f := range edgeLoops {
			if strings.Contains(g, f) {
				left = append(left, g)
				break
			}
		}
	}
	return left
}

// closeEdge closes e and checks that none of its goroutines is left.
func closeEdge(t *testing.T, e *Edge) {
	t.Helper()
	if err := e.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if left := loopsLeft(); len(left) > 0 {
		t.Errorf("%d goroutines of the edge outlive Close:\n%s", len(left), strings.Join(left, "\n\n"))
	}
}

// newTestEdge is an edge of capacity sessions behind an HTTP server, both
// closed when the test ends, and checked for leaked goroutines then; opts
// change its configuration.
func newTestEdge(t *testing.T, capacity int, opts ...func(*Config)) (*Edge, *api.Client, string) {
	t.Helper()
	cat, err := builtin.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	return newTestEdgeWith(t, cat, capacity, opts...)
}

// newTestEdgeWith is newTestEdge offering the titles of cat.
func newTestEdgeWith(t *testing.T, cat *title.Catalog, capacity int, opts ...func(*Config)) (*Edge, *api.Client, string) {
	t.Helper()
	noLeaks(t)
	return startTestEdge(t, cat, capacity, opts...)
}

// startTestEdge is newTestEdgeWith without the check for leaked
// goroutines, for a test that leaves one behind on purpose.
func startTestEdge(t *testing.T, cat *title.Catalog, capacity int, opts ...func(*Config)) (*Edge, *api.Client, string) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Name, cfg.Capacity = "test-edge", capacity
	cfg.Stream.ListenIP, cfg.Stream.UDPPort, cfg.Stream.TCPPort = "127.0.0.1", 0, -1
	for _, o := range opts {
		o(&cfg)
	}
	e, err := New(cfg, cat, prometheus.NewRegistry(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e.Handler())
	t.Cleanup(func() {
		srv.Close()
		closeEdge(t, e)
	})
	c, err := api.NewClient(srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	return e, c, srv.URL
}

// offer makes a real browser-like offer from a Pion peer.
func offer(t *testing.T) string {
	t.Helper()
	pc, err := webrtc.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		t.Fatal(err)
	}
	if _, err := pc.CreateDataChannel("input", nil); err != nil {
		t.Fatal(err)
	}
	o, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	return o.SDP
}

func code(err error) string {
	if ae, ok := api.AsError(err); ok {
		return ae.Code
	}
	return ""
}

func TestAdmission(t *testing.T) {
	e, c, _ := newTestEdge(t, 2)
	ctx := context.Background()

	// Four players at once for two slots: exactly two get in.
	var mu sync.Mutex
	var ids []string
	var full int
	var wg sync.WaitGroup
	offers := []string{offer(t), offer(t), offer(t), offer(t)}
	for _, o := range offers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := c.CreateSession(ctx, api.CreateRequest{Title: "testpattern", Offer: o})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ids = append(ids, resp.ID)
			case code(err) == api.CodeEdgeFull:
				full++
			default:
				t.Errorf("unexpected error %v", err)
			}
		}()
	}
	wg.Wait()
	if len(ids) != 2 || full != 2 {
		t.Fatalf("%d admitted and %d refused as full, want 2 and 2", len(ids), full)
	}
	st, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Active != 2 || st.Free != 0 || len(st.Sessions) != 2 {
		t.Fatalf("status: active %d free %d sessions %d", st.Active, st.Free, len(st.Sessions))
	}

	// A player leaving frees their slot for the next.
	if err := c.DeleteSession(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		st, _ := c.Status(ctx)
		if st.Free == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("slot not freed after the session ended: %+v", st)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The signed-in player's subject is shown with their session.
	resp, err := c.CreateSession(ctx, api.CreateRequest{Title: "rocks", Offer: offer(t), Player: "alice"})
	if err != nil {
		t.Fatalf("join after a slot was freed: %v", err)
	}
	for _, s := range e.Status().Sessions {
		if (s.ID == resp.ID) != (s.Player == "alice") {
			t.Errorf("session %s of player %q; alice's is %s", s.ID, s.Player, resp.ID)
		}
	}
}

func TestRefusals(t *testing.T) {
	e, c, url := newTestEdge(t, 1)
	ctx := context.Background()
	tests := []struct {
		name string
		req  api.CreateRequest
		code string
	}{
		{"unknown title", api.CreateRequest{Title: "nope", Offer: offer(t)}, api.CodeUnknownTitle},
		{"no offer", api.CreateRequest{Title: "rocks"}, api.CodeBadMessage},
		{"bad offer", api.CreateRequest{Title: "rocks", Offer: "v=0 garbage"}, api.CodeBadMessage},
		{"player too long", api.CreateRequest{Title: "rocks", Offer: offer(t), Player: strings.Repeat("a", api.MaxPlayerBytes+1)}, api.CodeBadMessage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.CreateSession(ctx, tt.req)
			if code(err) != tt.code {
				t.Fatalf("got %v, want code %s", err, tt.code)
			}
		})
	}
	// Failed set-ups leak no slot: the one slot is still free.
	if st := e.Status(); st.Free != 1 {
		t.Fatalf("free slots %d after refusals, want 1", st.Free)
	}

	for _, tt := range []struct {
		name, body string
		status     int
	}{
		{"malformed json", "{", http.StatusBadRequest},
		{"unknown field", `{"title":"rocks","offer":"x","evil":1}`, http.StatusBadRequest},
		{"oversized", `{"title":"rocks","offer":"` + strings.Repeat("a", maxBody) + `"}`, http.StatusRequestEntityTooLarge},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.Post(url+"/v1/sessions", "application/json", strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
		})
	}
	if err := c.DeleteSession(ctx, "no-such-session"); code(err) != api.CodeNotFound {
		t.Fatalf("deleting an unknown session: %v", err)
	}
}

func TestTitlesAndHealth(t *testing.T) {
	_, c, url := newTestEdge(t, 1)
	ts, err := c.Titles(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, x := range ts {
		ids[x.ID] = true
	}
	if !ids["rocks"] || !ids["testpattern"] {
		t.Fatalf("titles %v lack the built-in games", ts)
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(url + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %s", p, resp.Status)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Name, cfg.Region, cfg.Capacity, cfg.Bitrate = "", "", 0, 10
	cfg.Stream.UDPPort = -5
	cfg.GPUSessions = -1
	cfg.Standbys, cfg.StandbyIdle = 2, 0
	cfg.Nice = -21
	err := cfg.Validate()
	if err == nil {
		t.Fatal("bad config accepted")
	}
	for _, want := range []string{"name", "region", "capacity", "bitrate", "port", "gpu sessions", "standby idle", "nice"} {
		if !strings.Contains(strings.ToLower(err.Error()), want) {
			t.Errorf("error does not mention %s: %v", want, err)
		}
	}
}
