package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gorilla/websocket"

	"stratus/internal/browser"
	"stratus/signaling"
)

// startStack runs the all-in-one stack on loopback with ephemeral ports.
func startStack(t *testing.T, edit func(*serveConfig)) string {
	t.Helper()
	cfg, err := serveFlags([]string{"-addr", "127.0.0.1:0", "-media-ip", "127.0.0.1", "-udp-port", "0", "-tcp-port", "0", "-name", "e2e-edge"})
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(&cfg)
	}
	level := slog.LevelWarn
	if testing.Verbose() {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	st, err := newStack(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- st.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("stack: %v", err)
		}
	})
	return "http://" + st.Addr().String()
}

func newBrowser(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel, err := browser.New(context.Background())
	if err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	t.Cleanup(cancel)
	return ctx
}

// eval runs a JavaScript expression in the page.
func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluating %s: %v", js, err)
	}
	return v
}

// waitFor polls a JavaScript condition until it holds, failing with why it
// was awaited and the page's state.
func waitFor(t *testing.T, ctx context.Context, cond, why string, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+cond+")"))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			state, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify(window.stratus ? {state: stratus.state, error: stratus.error, frames: stratus.framesPresented, stats: stratus.stats} : null)`))
			t.Fatalf("waited %v for %s (%s): page state %s, last error %v", limit, why, cond, state, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestPlayInBrowser is the spine end to end: the server streams the
// testpattern to headless Chromium, which decodes 1280×720 at 50 fps or more,
// and key presses and clicks from the page reach the title.
func TestPlayInBrowser(t *testing.T) {
	base := startStack(t, nil)
	ctx := newBrowser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/play?title=testpattern")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `window.stratus && stratus.state === "playing" && stratus.framesPresented > 30`, "frames to play", 30*time.Second)

	if w, h := eval[int](t, ctx, `stratus.video.videoWidth`), eval[int](t, ctx, `stratus.video.videoHeight`); w != 1280 || h != 720 {
		t.Fatalf("video is %dx%d, want 1280x720", w, h)
	}
	if edge := eval[string](t, ctx, `stratus.edge`); edge != "e2e-edge" {
		t.Errorf("page names edge %q, want e2e-edge", edge)
	}
	waitFor(t, ctx, `stratus.edgeStats && stratus.edgeStats.encoder === "x264" && stratus.edgeStats.fps > 0`, "the edge's stats report for the overlay", 5*time.Second)
	// The testpattern beeps once a second: its sound arrives on the audio track.
	waitFor(t, ctx, `stratus.stats.audioPackets > 50`, "Opus packets on the audio track", 10*time.Second)

	// Frame rate over 5 s of presentation, counted by the page's
	// requestVideoFrameCallback.
	f0, t0 := eval[float64](t, ctx, `stratus.framesPresented`), time.Now()
	time.Sleep(5 * time.Second)
	f1, t1 := eval[float64](t, ctx, `stratus.framesPresented`), time.Now()
	fps := (f1 - f0) / t1.Sub(t0).Seconds()
	t.Logf("presented %.0f frames in %v: %.1f fps", f1-f0, t1.Sub(t0).Round(time.Millisecond), fps)
	if fps < 50 {
		t.Fatalf("frame rate %.1f fps, want at least 50", fps)
	}

	// Input: the testpattern's counter (row 1 of its cells) must move.
	before := eval[float64](t, ctx, `stratus.readPattern().inputs`)
	if err := chromedp.Do(ctx, chromedp.KeyEvent("a")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, fmt.Sprintf(`stratus.readPattern().inputs >= %v + 2`, before), "key down and up to reach the title", 5*time.Second)
	// The page's first click asks for pointer lock (and unmutes) rather
	// than reaching the game, as in any browser game; the second is play.
	if err := chromedp.Do(ctx, chromedp.MouseClickXY(640, 400)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `document.pointerLockElement !== null || !stratus.video.muted`, "the first click to take the pointer or unmute", 5*time.Second)
	mid := eval[float64](t, ctx, `stratus.readPattern().inputs`)
	if err := chromedp.Do(ctx, chromedp.MouseClickXY(640, 400)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, fmt.Sprintf(`stratus.readPattern().inputs >= %v + 2`, mid), "mouse button down and up to reach the title", 5*time.Second)
	t.Logf("input counter %v → %v", before, eval[float64](t, ctx, `stratus.readPattern().inputs`))
}

// TestPageErrors: an unknown title and a full edge are shown on the page.
func TestPageErrors(t *testing.T) {
	base := startStack(t, func(c *serveConfig) { c.Edge.Capacity = 1 })
	ctx := newBrowser(t)

	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/play?title=no-such-game")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `window.stratus && stratus.state === "error" && stratus.error && stratus.error.code === "unknown_title"`, "the unknown-title error", 15*time.Second)
	if text := eval[string](t, ctx, `document.body.innerText`); !strings.Contains(strings.ToLower(text), "unknown game") {
		t.Errorf("page does not say the game is unknown:\n%s", text)
	}

	// Fill the one slot, then a second player must hear the edge is full.
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/play?title=testpattern")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `window.stratus && stratus.state === "playing"`, "the first player to play", 30*time.Second)
	second, cancel := chromedp.NewContext(ctx)
	defer cancel()
	if err := chromedp.Do(second, chromedp.Navigate(base+"/play?title=testpattern")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, second, `window.stratus && stratus.error && stratus.error.code === "edge_full"`, "the edge-full error", 15*time.Second)
	if text := eval[string](t, second, `document.body.innerText`); !strings.Contains(strings.ToLower(text), "busy") {
		t.Errorf("page does not say the edges are busy:\n%s", text)
	}
}

// TestSignalingBadInput: malformed and oversized player messages get typed
// errors, and the server keeps serving.
func TestSignalingBadInput(t *testing.T) {
	base := startStack(t, nil)
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+"/v1/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	roundTrip := func(payload []byte) signaling.Message {
		t.Helper()
		if err := ws.WriteMessage(websocket.TextMessage, payload); err != nil {
			t.Fatal(err)
		}
		ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		for {
			_, data, err := ws.ReadMessage()
			if err != nil {
				t.Fatal(err)
			}
			var m signaling.Message
			if err := json.Unmarshal(data, &m); err != nil {
				t.Fatal(err)
			}
			if m.Type != signaling.TypeStatus && m.Type != signaling.TypeHello {
				return m
			}
		}
	}
	tests := []struct {
		name    string
		payload string
		typ     string
		code    string
	}{
		{"garbage", "}{not json", signaling.TypeError, signaling.CodeBadMessage},
		{"unknown type", `{"type":"reboot"}`, signaling.TypeError, signaling.CodeBadMessage},
		{"oversized", `{"type":"join","title":"rocks","sdp":"` + strings.Repeat("x", signaling.MaxMessageBytes) + `"}`, signaling.TypeError, signaling.CodeTooLarge},
		{"unknown title", `{"type":"join","title":"nope","sdp":"v=0"}`, signaling.TypeError, signaling.CodeUnknownTitle},
		{"bad offer", `{"type":"join","title":"rocks","sdp":"this is not sdp"}`, signaling.TypeError, signaling.CodeBadMessage},
		{"candidate before join", `{"type":"candidate","candidate":{"candidate":""}}`, signaling.TypeError, signaling.CodeNotJoined},
		{"still serving", `{"type":"titles"}`, signaling.TypeTitles, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := roundTrip([]byte(tt.payload))
			if m.Type != tt.typ || m.Code != tt.code {
				t.Fatalf("got %s/%s (%s), want %s/%s", m.Type, m.Code, m.Message, tt.typ, tt.code)
			}
		})
	}
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("healthz: %s %s", resp.Status, body)
	}
}
