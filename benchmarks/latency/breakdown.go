package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"
)

// plausibleMs bounds a glass-to-glass figure; a frame further off did not
// decode as a pattern (measure.js uses the same bound).
const plausibleMs = 60000

// edgeIntervalMs is the edge's frame slot at 60 fps: time.Second/60 as a
// Duration, so truncated to whole nanoseconds, as the session loop has it.
var edgeIntervalMs = float64(time.Second/60) / 1e6

// frameTiming is one traced frame on the wall clock, in Unix ms, with the
// render time unwrapped from its 32 bits.
type frameTiming struct {
	render, receive, presentation, expected float64
	decode                                  float64 // ms, 0 when not reported
}

const two32 = 1 << 32

// unwrapRender returns the Unix ms nearest to wall that is congruent to
// renderMod modulo 2³² (the cells hold only the low 32 bits).
func unwrapRender(wall, renderMod float64) float64 {
	d := math.Mod(wall, two32) - renderMod
	if d > two32/2 {
		d -= two32
	} else if d < -two32/2 {
		d += two32
	}
	return wall - d
}

// timings keeps the traced frames that carry every time the breakdown
// needs and whose cells were read from the frame the metadata describes.
//
// The cells are read with drawImage, which copies whatever frame the video
// element holds when the callback runs; with WebRTC the next frame can
// already have replaced the one the metadata is about. Such a read shows
// the next frame's render time, and the next callback reads it again; it
// also puts the render after the metadata frame's last packet arrived.
// Both signs drop the frame (misread counts them).
func timings(trace []traceFrame) (ts []frameTiming, misread int) {
	ts = make([]frameTiming, 0, len(trace))
	for i, f := range trace {
		if f.Render == nil || f.Receive == nil || f.Presentation == nil || f.Expected == nil {
			continue
		}
		t := frameTiming{
			render:       unwrapRender(*f.Expected, *f.Render),
			receive:      *f.Receive,
			presentation: *f.Presentation,
			expected:     *f.Expected,
		}
		if f.ProcessingMs != nil {
			t.decode = *f.ProcessingMs
		}
		readAgain := i+1 < len(trace) && trace[i+1].Render != nil && *trace[i+1].Render == *f.Render
		if readAgain || t.receive < t.render {
			misread++
			continue
		}
		if g := t.expected - t.render; g < 0 || g > plausibleMs {
			continue
		}
		ts = append(ts, t)
	}
	return ts, misread
}

// each applies f to every frame.
func each(ts []frameTiming, f func(frameTiming) float64) []float64 {
	out := make([]float64, len(ts))
	for i, t := range ts {
		out[i] = f(t)
	}
	return out
}

// refreshPeriod estimates the display's refresh interval from expected
// display times, which fall on its vsync grid. A first estimate is the
// median of consecutive gaps of a few intervals divided by their interval
// count (nominal rounding is safe over so few); with it every gap is
// counted in intervals, and the whole span divided by the count refines it.
func refreshPeriod(ts []frameTiming, nominal float64) float64 {
	var est []float64
	for i := 1; i < len(ts); i++ {
		gap := ts[i].expected - ts[i-1].expected
		if n := math.Round(gap / nominal); n >= 1 && n <= 4 {
			est = append(est, gap/n)
		}
	}
	if len(est) == 0 {
		return nominal
	}
	slices.Sort(est)
	first := percentile(est, 50)
	var ticks float64
	for i := 1; i < len(ts); i++ {
		ticks += math.Round((ts[i].expected - ts[i-1].expected) / first)
	}
	if ticks < 1 {
		return first
	}
	return (ts[len(ts)-1].expected - ts[0].expected) / ticks
}

// mod is x modulo m, in [0, m).
func mod(x, m float64) float64 {
	r := math.Mod(x, m)
	if r < 0 {
		r += m
	}
	return r
}

// circularSpread describes phases in [0, period): the median, and the
// width that holds the middle 90 %, measured around the median so that a
// cluster straddling 0 is not mistaken for a wide one.
func circularSpread(phases []float64, period float64) (median, width float64) {
	if len(phases) == 0 {
		return math.NaN(), math.NaN()
	}
	// Centre on the circular mean, then take plain percentiles of the
	// offsets from it, which lie in [-period/2, period/2).
	var sx, sy float64
	for _, p := range phases {
		a := 2 * math.Pi * p / period
		sx, sy = sx+math.Cos(a), sy+math.Sin(a)
	}
	centre := mod(math.Atan2(sy, sx)*period/(2*math.Pi), period)
	off := make([]float64, len(phases))
	for i, p := range phases {
		off[i] = mod(p-centre+period/2, period) - period/2
	}
	slices.Sort(off)
	return mod(centre+percentile(off, 50), period), percentile(off, 95) - percentile(off, 5)
}

// breakdown splits glass-to-glass time into stages for one run.
type breakdown struct {
	frames, misread int

	// Per frame, ms: glass-to-glass, render → last packet received,
	// received → presented, decode, presented → expected on screen, and
	// render → presented.
	total, toReceive, toPresent, decode, refreshWait, ready []float64

	// edgeWork is render + convert + encode, the edge's mean.
	edgeWork float64
	// period is the display's refresh interval, ms.
	period float64
	// phase is where in the refresh interval each frame's render fell,
	// relative to the refresh that showed it: (expected − render) mod period.
	phase []float64
}

func newBreakdown(r runResult) breakdown {
	ts, misread := timings(r.trace)
	b := breakdown{
		frames:      len(ts),
		misread:     misread,
		total:       each(ts, func(t frameTiming) float64 { return t.expected - t.render }),
		toReceive:   each(ts, func(t frameTiming) float64 { return t.receive - t.render }),
		toPresent:   each(ts, func(t frameTiming) float64 { return t.presentation - t.receive }),
		decode:      each(ts, func(t frameTiming) float64 { return t.decode }),
		refreshWait: each(ts, func(t frameTiming) float64 { return t.expected - t.presentation }),
		ready:       each(ts, func(t frameTiming) float64 { return t.presentation - t.render }),
		edgeWork: sampleMean(r.samples, func(s sessionStats) float64 {
			return s.RenderMs + s.ConvertMs + s.EncodeMs
		}),
		period: refreshPeriod(ts, edgeIntervalMs),
	}
	b.phase = each(ts, func(t frameTiming) float64 { return mod(t.expected-t.render, b.period) })
	return b
}

// lockedEstimate is what glass-to-glass would be at p50 if the edge placed
// its frame slots so that the refresh falls a fixed delay after each render:
// the delay that leaves q of the frames ready (presented to the compositor)
// at least margin before their refresh. Frames later than that wait one
// more refresh.
func (b breakdown) lockedEstimate(q, margin float64) float64 {
	s := slices.Clone(b.ready)
	slices.Sort(s)
	return percentile(s, q) + margin
}

func writeBreakdown(w io.Writer, rs []runResult) {
	fmt.Fprintln(w, "## Where the time goes (per-frame trace)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "From requestVideoFrameCallback metadata of every presented frame: receiveTime (last packet in), presentationTime (handed to the compositor), expectedDisplayTime (the refresh that shows it), processingDuration (decoder input → frame ready). The edge's render + convert + encode is its own mean (edge API); packetize, send and loopback is the rest of render → last packet received.")
	fmt.Fprintln(w)
	for i, r := range rs {
		writeRunBreakdown(w, i, newBreakdown(r))
	}
}

func writeRunBreakdown(w io.Writer, i int, b breakdown) {
	if b.frames == 0 {
		fmt.Fprintf(w, "Run %d: no frame carried receive, presentation and expected display times.\n\n", i+1)
		return
	}
	total := mean(b.total)
	share := func(v float64) string { return fmt.Sprintf("%.0f %%", 100*v/total) }
	stage := func(name string, v []float64) []string {
		s := summarize(v)
		return []string{name, f1(s.avg), f1(s.p50), f1(s.p90), share(s.avg)}
	}
	meanOnly := func(name string, v float64) []string { return []string{name, f1(v), "", "", share(v)} }
	handOff := make([]float64, len(b.toPresent))
	for j := range handOff {
		handOff[j] = b.toPresent[j] - b.decode[j]
	}
	fmt.Fprintf(w, "Run %d, %d frames (%d more dropped: their cells were read from the next frame):\n\n", i+1, b.frames, b.misread)
	table(w, []string{"stage", "mean ms", "p50", "p90", "share of mean"}, [][]string{
		stage("render → last packet received", b.toReceive),
		meanOnly("· of which edge render + convert + encode (edge API mean)", b.edgeWork),
		meanOnly("· of which packetize, send, loopback (the rest)", mean(b.toReceive)-b.edgeWork),
		stage("decode (processingDuration)", b.decode),
		stage("assembly, queue, hand-off to the compositor", handOff),
		stage("= ready (presentationTime − render)", b.ready),
		stage("wait for the display refresh (expected − presentation)", b.refreshWait),
		stage("glass-to-glass", b.total),
	})
	med, width := circularSpread(b.phase, b.period)
	drift := (edgeIntervalMs - b.period) / b.period * 1000 // ms per second
	ready := summarize(b.ready)
	locked := b.lockedEstimate(90, 1)
	fmt.Fprintf(w, "Refresh interval %.3f ms against the edge's %.3f ms slot: the phase between them walks %.3f ms per second. "+
		"The refresh that shows a frame comes %.1f ms (mod %.1f) after its render, 90 %% of frames within %.1f ms of that, "+
		"so glass-to-glass takes few values: %s. "+
		"Frames are ready %.1f ms after render at p50, %.1f at p90. "+
		"Phase-locked estimate: slots placed so that a refresh falls %.1f ms after each render (p90 ready + 1 ms) would give p50 ≈ %.1f ms with 90 %% of frames on time.\n\n",
		b.period, edgeIntervalMs, drift, med, b.period, width, lattice(b.total, med, b.period), ready.p50, ready.p90, locked, locked)
}

// lattice describes how glass-to-glass values fall on phase + k·period:
// "8.5 ms 38 %, 25.2 ms 58 %, …" for the values holding at least 1 %.
func lattice(total []float64, phase, period float64) string {
	count := map[int]int{}
	for _, g := range total {
		count[int(math.Round((g-phase)/period))]++
	}
	var parts []string
	for k := range 64 {
		if n := count[k]; n*100 >= len(total) {
			parts = append(parts, fmt.Sprintf("%.1f ms %.0f %%", phase+float64(k)*period, 100*float64(n)/float64(len(total))))
		}
	}
	return strings.Join(parts, ", ")
}
