package main

import (
	"cmp"
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

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/gorilla/websocket"

	"stratus/edge/api"
	"stratus/internal/browser"
	"stratus/internal/clustertest"
	"stratus/signaling"
	"stratus/trust"
)

// startStack runs the all-in-one stack on loopback with ephemeral ports.
func startStack(t *testing.T, edit func(*serveConfig)) string {
	t.Helper()
	// The tests' players all come from loopback: one address with many
	// players, which the per-client limits would take for one.
	cfg, err := serveFlags(append([]string{"-addr", "127.0.0.1:0", "-media-ip", "127.0.0.1", "-udp-port", "0", "-tcp-port", "0", "-name", "e2e-edge"},
		clustertest.ManyPlayers()...))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Signal.OperatorToken, cfg.Edge.OperatorToken = stackOperatorToken, stackOperatorToken
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

// stackOperatorToken is the operator token of the stacks startStack runs.
const stackOperatorToken trust.Token = "5ec0de5ec0de5ec0de5ec0de5ec0de5ec0de5ec0de5ec0de5ec0de5ec0de5ec0"

func newBrowser(t *testing.T, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	ctx, cancel, err := browser.New(context.Background(), extra...)
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
			state, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify(window.stratus ? {state: stratus.state, error: stratus.error, reason: stratus.reason, reconnects: stratus.reconnects, hist: stratus.edgeHistory, frames: stratus.framesPresented, stats: stratus.stats} : null)`))
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
	// The page as players run it takes the edge's FlexFEC (stream's package
	// doc says what Chromium does with it), and the overlay has the repair
	// figures. Their values depend on loss, which a loaded machine has
	// even on loopback.
	if !eval[bool](t, ctx, `/a=rtpmap:\d+ flexfec-03\/90000/.test(stratus.pc.remoteDescription.sdp) && /a=ssrc-group:FEC-FR /.test(stratus.pc.remoteDescription.sdp)`) {
		t.Error("the edge's answer does not send FlexFEC to the page")
	}
	waitFor(t, ctx, `typeof stratus.edgeStats.fecOverheadPct === "number" && typeof stratus.stats.fecPackets === "number"`,
		"repair figures (NACKs, FEC) in the overlay's stats", 5*time.Second)
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
	// The page's presentation and receive reports reach the edge whole:
	// none of its messages was garbage, and the freeze counts are in the
	// session's stats.
	var sessions []struct {
		Stats struct {
			Session map[string]any                `json:"session"`
			Stream  struct{ InputGarbage uint64 } `json:"stream"`
		} `json:"stats"`
	}
	op := clustertest.OperatorClient(stackOperatorToken)
	var edges []edgeView
	if err := clustertest.GetJSON(op, base+"/v1/edges", &edges); err != nil || len(edges) != 1 {
		t.Fatalf("edges %+v: %v", edges, err)
	}
	if err := clustertest.GetJSON(op, edges[0].API+"/v1/sessions", &sessions); err != nil || len(sessions) != 1 {
		t.Fatalf("the edge's sessions %+v: %v", sessions, err)
	}
	ss := sessions[0].Stats
	if _, ok := ss.Session["freezes"]; !ok || ss.Stream.InputGarbage != 0 || ss.Session["frames_presented"] == 0.0 {
		t.Errorf("edge's session stats: %d garbage messages, freezes %v, frames presented %v", ss.Stream.InputGarbage, ss.Session["freezes"], ss.Session["frames_presented"])
	}
	t.Logf("the edge's view of the page: %v frames presented, %v freezes (%v ms), %v FEC packets used",
		ss.Session["frames_presented"], ss.Session["freezes"], ss.Session["freeze_ms"], ss.Session["fec_used"])

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

// userActivationAutoplay puts back Chromium's default autoplay policy, which
// browser.New relaxes: sound starts only after a user activation. The sound
// test runs under it so that a page starting its AudioContext too early
// (or on an event that is no activation) fails as it would for players.
var userActivationAutoplay = chromedp.Flag("autoplay-policy", "document-user-activation-required")

// soundReading is the page's sound meter (window.stratus, see audio.js).
type soundReading struct {
	Meter   string  `json:"meter"`
	Level   float64 `json:"level"`
	Peak    float64 `json:"peak"`
	Energy  float64 `json:"energy"`
	Seconds float64 `json:"seconds"`
	Muted   bool    `json:"muted"`
}

func readSound(t *testing.T, ctx context.Context) soundReading {
	t.Helper()
	var r soundReading
	s := eval[string](t, ctx, `JSON.stringify({meter: stratus.audioMeter, level: stratus.audioLevel, peak: stratus.audioPeak, energy: stratus.audioEnergy, seconds: stratus.audioSeconds, muted: stratus.video.muted})`)
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		t.Fatalf("sound reading %s: %v", s, err)
	}
	return r
}

// The testpattern's beep: 100 ms of a sine at 0.2 of full scale every
// second. RMS 0.2/√2 → −17 dBFS; energy (Σ RMS² × s, the integral of the
// squared signal) 0.02 × 0.1 s = 0.002 per beep, so 0.002 per second.
const (
	beepDB          = -17.0
	beepEnergyPerS  = 0.002
	minEnergyPerS   = 0.001 // a hiss at −60 dBFS would make 0.000001
	quietDB         = -60.0
	soundListenTime = 3 * time.Second
)

// heard is what the page's sound meter measured over a while.
type heard struct {
	quietest float64 // the quietest window's level seen, dBFS
	loudest  float64 // the loudest peak seen, dBFS
	energy   float64 // energy measured meanwhile
	seconds  float64 // audio time measured meanwhile
}

// listen watches the page's sound meter for soundListenTime, polling its
// level and peak.
func listen(t *testing.T, ctx context.Context) heard {
	t.Helper()
	first := readSound(t, ctx)
	h := heard{quietest: 0, loudest: -1000}
	last := first
	for end := time.Now().Add(soundListenTime); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		last = readSound(t, ctx)
		h.quietest = min(h.quietest, last.Level)
		h.loudest = max(h.loudest, last.Peak)
	}
	h.energy, h.seconds = last.Energy-first.Energy, last.Seconds-first.Seconds
	return h
}

// checkBeeps asserts that what listen heard is the testpattern's beep: the
// energy rises at its rate (silence never reaches minEnergyPerS), the
// loudest second peaks at its level, and between beeps it is quiet.
func checkBeeps(t *testing.T, h heard) {
	t.Helper()
	quietest, loudest, energy, seconds := h.quietest, h.loudest, h.energy, h.seconds
	t.Logf("sound over %.2f s of audio: energy %.5f (%.5f/s, beep alone %.3f/s), peak %.1f dBFS (beep %.0f), quietest window %.1f dBFS",
		seconds, energy, energy/max(seconds, 1e-9), beepEnergyPerS, loudest, beepDB, quietest)
	// The windows tile the audio clock: the meter missed nothing. (The
	// audio clock and the test's reads of it drift a little from the wall.)
	if want := soundListenTime.Seconds(); seconds < 0.7*want || seconds > 1.3*want {
		t.Errorf("meter covered %.2f s of audio in %v", seconds, soundListenTime)
	}
	if rate := energy / max(seconds, 1e-9); rate < minEnergyPerS || rate > 2*beepEnergyPerS {
		t.Errorf("sound energy %.6f per second, want the beep's %.3f (at least %.3f)", rate, beepEnergyPerS, minEnergyPerS)
	}
	if loudest < beepDB-3 || loudest > beepDB+3 {
		t.Errorf("loudest second peaked at %.1f dBFS, want the beep's %.0f ± 3", loudest, beepDB)
	}
	if quietest > quietDB {
		t.Errorf("quietest window %.1f dBFS: no silence between the beeps (want below %.0f)", quietest, quietDB)
	}
}

// TestPlaySoundInBrowser: the testpattern's beep reaches the page as sound
// the page can measure. Until a user activation the video plays muted and
// the sound meter is off; a real click (a trusted mouse press, under
// Chromium's default autoplay policy) unmutes and starts it, and the
// energy it measures then rises at the beep's rate while the silence
// between beeps reads silent. The stats overlay (F9) shows the level. A tap
// (touch emulation) must do the same: a touch activates the page only when
// the finger lifts.
//
// Headless Chromium and sound: the WebRTC stats' own totalAudioEnergy
// stays 0 while the element is muted, so the page measures with Web Audio
// (static/js/audio.js); that works headless with chromedp's --mute-audio
// and no sound card, with no extra flag, as long as the <video> plays the
// track (muted or not).
func TestPlaySoundInBrowser(t *testing.T) {
	base := startStack(t, nil)
	ctx := newBrowser(t, userActivationAutoplay)
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/play?title=testpattern")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `window.stratus && stratus.state === "playing" && stratus.hasAudio`, "video and sound to play", 30*time.Second)
	if r := readSound(t, ctx); r.Meter != "off" || !r.Muted || r.Energy != 0 {
		t.Fatalf("before any click: %+v, want the meter off and the video muted", r)
	}

	if err := chromedp.Do(ctx, chromedp.MouseClickXY(640, 400)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `stratus.audioMeter === "running" && !stratus.video.muted && !stratus.video.paused`, "the click to unmute and start the sound meter", 5*time.Second)
	// Sound, not just a running meter: poll until the energy passes what
	// silence never reaches (one beep is 0.002).
	waitFor(t, ctx, `stratus.audioEnergy > 0.001`, "the beep's energy", 5*time.Second)
	checkBeeps(t, listen(t, ctx))

	if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.F9)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `/Sound\s+(-?[0-9.]+ dBFS|silent) · peak -?[0-9.]+ dBFS/.test(document.getElementById("stats").innerText)`, "the stats overlay to show the sound level", 3*time.Second)

	// A tap, in a page that sees a touch screen from the start. Leaving the
	// first page ends its session first: the edge has room for two.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, emulation.SetTouchEmulationEnabled, emulation.SetTouchEmulationEnabledParams{Enabled: true, MaxTouchPoints: 5}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/play?title=testpattern")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `window.stratus && stratus.state === "playing" && stratus.hasAudio && document.body.classList.contains("touch")`, "video and sound to play on a touch screen", 30*time.Second)
	tap := func(typ input.DispatchTouchEventType, points []*input.TouchPoint) {
		t.Helper()
		if _, err := chromedp.Call(ctx, input.DispatchTouchEvent, input.DispatchTouchEventParams{Type: typ, TouchPoints: points}); err != nil {
			t.Fatal(err)
		}
	}
	tap(input.DispatchTouchEventTypeTouchStart, []*input.TouchPoint{{X: 640, Y: 200}})
	time.Sleep(50 * time.Millisecond)
	if r := readSound(t, ctx); r.Meter == "suspended" {
		t.Errorf("the meter started (suspended) on touch down, before the page was activated")
	}
	tap(input.DispatchTouchEventTypeTouchEnd, []*input.TouchPoint{})
	waitFor(t, ctx, `stratus.audioMeter === "running" && !stratus.video.muted`, "the tap to unmute and start the sound meter", 5*time.Second)
	waitFor(t, ctx, `stratus.audioEnergy > 0.001`, "the beep's energy after a tap", 5*time.Second)
}

// catalogTitle is one entry of the signaling "titles" message.
type catalogTitle = api.Title

func fetchTitles(t *testing.T, base string) []catalogTitle {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+"/v1/ws", http.Header{"Origin": {base}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	if err := ws.WriteJSON(map[string]string{"type": signaling.TypeTitles}); err != nil {
		t.Fatal(err)
	}
	ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		var m struct {
			Type    string         `json:"type"`
			Message string         `json:"message"`
			Titles  []catalogTitle `json:"titles"`
		}
		if err := ws.ReadJSON(&m); err != nil {
			t.Fatal(err)
		}
		switch m.Type {
		case signaling.TypeTitles:
			return m.Titles
		case signaling.TypeError:
			t.Fatalf("titles: %s", m.Message)
		}
	}
}

// shownCard is a catalog card as the page shows it.
type shownCard struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Href        string   `json:"href"`
	Links       int      `json:"links"`
	AriaLabel   *string  `json:"ariaLabel"`
	Description string   `json:"description"`
	Inputs      []string `json:"inputs"`
	Controls    string   `json:"controls"`
	Meta        string   `json:"meta"`
	DescribedBy string   `json:"describedBy"`
}

// cardsJS reads the catalog's cards: the text a reader sees, and what the
// link says to a screen reader (its text; aria-describedby, read after).
const cardsJS = `JSON.stringify([...document.querySelectorAll('#titles > li')].map((li) => {
  const a = li.querySelector('h2 a');
  const text = (sel) => { const e = li.querySelector(sel); return e ? e.innerText.replace(/\s+/g, ' ').trim() : ''; };
  return {
    id: li.dataset.title,
    name: text('h2'),
    href: a && a.getAttribute('href'),
    links: li.querySelectorAll('a').length,
    ariaLabel: a && a.getAttribute('aria-label'),
    description: text('.desc'),
    inputs: [...li.querySelectorAll('.inputs > li')].map((c) => c.innerText.trim()),
    controls: text('.controls'),
    meta: text('.meta'),
    describedBy: ((a && a.getAttribute('aria-describedby')) || '').split(' ').filter(Boolean)
      .map((id) => document.getElementById(id).innerText.replace(/\s+/g, ' ').trim()).join(' | '),
  };
}))`

func readCards(t *testing.T, ctx context.Context) map[string]shownCard {
	t.Helper()
	var cards []shownCard
	if err := json.Unmarshal([]byte(eval[string](t, ctx, cardsJS)), &cards); err != nil {
		t.Fatal(err)
	}
	byID := make(map[string]shownCard, len(cards))
	for _, c := range cards {
		byID[c.ID] = c
	}
	if len(byID) != len(cards) {
		t.Errorf("catalog shows %d cards for %d titles", len(cards), len(byID))
	}
	return byID
}

// inputNames are the words the catalog must show for each input kind.
var inputNames = map[string]string{"keyboard": "Keyboard", "mouse": "Mouse", "gamepad": "Gamepad", "touch": "Touch"}

// checkCard asserts that a card shows its title: the name as the card's
// one link (to the play page, named by its text alone), the description,
// each input in words, and the resolution and frame rate; and that the
// link's description carries all of it to a screen reader.
func checkCard(t *testing.T, c shownCard, want catalogTitle) {
	t.Helper()
	name := cmp.Or(want.Name, want.ID)
	if c.Name != name {
		t.Errorf("%s: card named %q, want %q", want.ID, c.Name, name)
	}
	if c.Href != "/play?title="+want.ID || c.Links != 1 {
		t.Errorf("%s: card has %d links, to %q; want one, to /play?title=%s", want.ID, c.Links, c.Href, want.ID)
	}
	if c.AriaLabel != nil {
		t.Errorf("%s: link labelled %q: an aria-label hides the card's text from screen readers", want.ID, *c.AriaLabel)
	}
	if c.Description != want.Description {
		t.Errorf("%s: description %q, want %q", want.ID, c.Description, want.Description)
	}
	var inputs []string
	for _, k := range want.Inputs {
		inputs = append(inputs, cmp.Or(inputNames[k], strings.ToUpper(k[:1])+k[1:]))
	}
	if strings.Join(c.Inputs, ",") != strings.Join(inputs, ",") {
		t.Errorf("%s: inputs shown %q, want %q", want.ID, c.Inputs, inputs)
	}
	if len(inputs) == 0 && !strings.Contains(c.Controls, "No controls") {
		t.Errorf("%s: no inputs, and the card does not say so (%q)", want.ID, c.Controls)
	}
	var meta []string
	if want.Width > 0 && want.Height > 0 {
		meta = append(meta, fmt.Sprintf("%d×%d", want.Width, want.Height))
	}
	if want.FPS > 0 {
		meta = append(meta, fmt.Sprintf("%d fps", want.FPS))
	}
	for _, m := range meta {
		if !strings.Contains(c.Meta, m) {
			t.Errorf("%s: resolution and rate %q, want %q in it", want.ID, c.Meta, m)
		}
	}
	if len(meta) == 0 && c.Meta != "" {
		t.Errorf("%s: shows %q with no resolution or rate to show", want.ID, c.Meta)
	}
	for _, part := range append(append([]string{want.Description}, inputs...), meta...) {
		if !strings.Contains(c.DescribedBy, part) {
			t.Errorf("%s: link description %q lacks %q", want.ID, c.DescribedBy, part)
		}
	}
}

// TestCatalogInBrowser: the catalog page lists every title signaling
// offers, each with its name, description, inputs in words, resolution and
// frame rate; and it renders titles unlike the built-in ones (one input,
// none, a kind it does not know, no description or size) just as plainly.
func TestCatalogInBrowser(t *testing.T) {
	// The page first, as a player arriving at a node that has just started:
	// signaling lists no titles for about a second, until it has heard from
	// the edge, and the page must ask again rather than stay empty. (With
	// the browser already up, the page usually loads inside that second;
	// on a slow machine it may come later and simply find the titles.)
	ctx := newBrowser(t)
	base := startStack(t, nil)
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/")); err != nil {
		t.Fatal(err)
	}
	var titles []catalogTitle
	for start := time.Now(); len(titles) == 0; time.Sleep(100 * time.Millisecond) {
		if titles = fetchTitles(t, base); len(titles) == 0 && time.Since(start) > 10*time.Second {
			t.Fatal("signaling lists no titles")
		}
	}
	waitFor(t, ctx, `window.stratus && stratus.state === "ready" && stratus.titles.length === `+fmt.Sprint(len(titles)), "the catalog to list the titles", 15*time.Second)
	cards := readCards(t, ctx)
	if len(cards) != len(titles) {
		t.Errorf("catalog shows %d titles, signaling lists %d", len(cards), len(titles))
	}
	for _, want := range titles {
		c, ok := cards[want.ID]
		if !ok {
			t.Errorf("title %s (%s) is not in the catalog", want.ID, want.Name)
			continue
		}
		checkCard(t, c, want)
		t.Logf("%s: %q · %s · %s", c.ID, c.Name, strings.Join(c.Inputs, ", "), c.Meta)
	}

	odd := []catalogTitle{
		{ID: "pad-only", Name: "Pad only", Description: "Gamepad and nothing else.", Inputs: []string{"gamepad"}, Width: 1920, Height: 1080, FPS: 120},
		{ID: "desk", Name: "Desk", Inputs: []string{"keyboard", "mouse"}, FPS: 30},
		{ID: "film", Name: "Film", Description: "Watch only."},
		{ID: "future", Inputs: []string{"touch", "pen"}, Width: 640, Height: 480},
	}
	js, err := json.Marshal(odd)
	if err != nil {
		t.Fatal(err)
	}
	eval[bool](t, ctx, fmt.Sprintf(`stratus.render(%s), true`, js))
	cards = readCards(t, ctx)
	if len(cards) != len(odd) {
		t.Errorf("catalog shows %d titles after render, want %d", len(cards), len(odd))
	}
	for _, want := range odd {
		checkCard(t, cards[want.ID], want)
	}
}

// TestPageErrors: an unknown title is shown on the page, and a full edge
// puts the next player in line, shown with their place, until the first
// leaves.
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
	waitFor(t, second, `window.stratus && stratus.state === "queued" && stratus.queue && stratus.queue.position === 1`, "the second player in line", 15*time.Second)
	if text := eval[string](t, second, `document.body.innerText`); !strings.Contains(text, "you are number 1 in line") {
		t.Errorf("page does not give the place in line:\n%s", text)
	}
	// In line longer than the page gives a join (JOIN_TIMEOUT_MS, from
	// the attempt's start), it neither gives up nor tries again: the node
	// holds the join.
	time.Sleep(16 * time.Second)
	if st := eval[string](t, second, `stratus.state + " " + stratus.reconnects`); st != "queued 0" {
		t.Errorf("after waiting in line: state and reconnects %q, want queued 0", st)
	}
	// The first leaves: the second plays.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, second, `window.stratus && stratus.state === "playing"`, "the second player to play", 30*time.Second)
}

// TestSignalingBadInput: malformed and oversized player messages get typed
// errors, and the server keeps serving.
func TestSignalingBadInput(t *testing.T) {
	base := startStack(t, nil)
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+"/v1/ws", http.Header{"Origin": {base}})
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
		{"garbage", "}{not json", signaling.TypeError, api.CodeBadMessage},
		{"unknown type", `{"type":"reboot"}`, signaling.TypeError, api.CodeBadMessage},
		{"oversized", `{"type":"join","title":"rocks","sdp":"` + strings.Repeat("x", signaling.MaxMessageBytes) + `"}`, signaling.TypeError, api.CodeTooLarge},
		{"unknown title", `{"type":"join","title":"nope","sdp":"v=0"}`, signaling.TypeError, api.CodeUnknownTitle},
		{"bad offer", `{"type":"join","title":"rocks","sdp":"this is not sdp"}`, signaling.TypeError, api.CodeBadMessage},
		{"candidate before join", `{"type":"candidate","candidate":{"candidate":""}}`, signaling.TypeError, api.CodeNotJoined},
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
