package main

import (
	"math"
	"stratus/internal/machine"
	"testing"
)

// The nearest-rank definition is internal/stats's, tested there; the
// harness adds NaN for no samples.
func TestPercentile(t *testing.T) {
	if got := percentile([]float64{15, 20, 35, 40, 50}, 50); got != 35 {
		t.Errorf("p50 = %v, want 35", got)
	}
	if got := percentile(nil, 50); !math.IsNaN(got) {
		t.Errorf("percentile of nothing = %v, want NaN", got)
	}
}

func TestSummarizeLeavesInputAlone(t *testing.T) {
	in := []float64{3, 1, 2}
	s := summarize(in)
	if s.n != 3 || s.min != 1 || s.p50 != 2 || s.max != 3 || s.avg != 2 {
		t.Errorf("summary %+v", s)
	}
	if in[0] != 3 {
		t.Errorf("summarize sorted its input: %v", in)
	}
}

func TestUnwrapRender(t *testing.T) {
	const wall = 1795648708965.1
	for _, age := range []float64{0, 12.5, 5000, -3} {
		render := wall - age
		got := unwrapRender(wall, math.Mod(math.Floor(render), two32))
		if want := math.Floor(render); got != want {
			t.Errorf("age %v: unwrapped %v, want %v", age, got, want)
		}
	}
	// Just after the low 32 bits wrapped: the render time is slightly
	// before a multiple of 2³².
	wrap := 418.0 * two32
	if got := unwrapRender(wrap+5, two32-10); got != wrap-10 {
		t.Errorf("across the wrap: %v, want %v", got, wrap-10)
	}
}

func TestCircularSpread(t *testing.T) {
	const period = 16.0
	// A tight cluster across 0 is tight, not 16 ms wide.
	med, width := circularSpread([]float64{15.5, 15.8, 0.1, 0.3, 0.2}, period)
	if math.Abs(med-0.1) > 1e-9 || width > 1 {
		t.Errorf("cluster around 0: median %v, width %v", med, width)
	}
	med, width = circularSpread([]float64{7, 8, 9}, period)
	if med != 8 || width != 2 {
		t.Errorf("cluster around 8: median %v, width %v", med, width)
	}
}

func TestRefreshPeriod(t *testing.T) {
	const period = 16.6
	var ts []frameTiming
	for _, tick := range []float64{0, 1, 3, 4, 7, 600} {
		ts = append(ts, frameTiming{expected: 1000 + tick*period + 0.01})
	}
	if got := refreshPeriod(ts, 1000.0/60); math.Abs(got-period) > 1e-6 {
		t.Errorf("period %v, want %v", got, period)
	}
	// 59.94 Hz for 20 s, times coarsened to 0.1 ms as browsers do, and a
	// frame missing now and then.
	const ntsc = 1001.0 / 60
	ts = ts[:0]
	for tick := range 1200 {
		if tick%7 != 3 {
			ts = append(ts, frameTiming{expected: math.Round((5e5+float64(tick)*ntsc)*10) / 10})
		}
	}
	if got := refreshPeriod(ts, 1000.0/60); math.Abs(got-ntsc) > 1e-3 {
		t.Errorf("period %v, want %v", got, ntsc)
	}
}

func TestShellJoin(t *testing.T) {
	got := machine.ShellJoin([]string{"serve", "-addr", "127.0.0.1:1", "a b", "it's", ""})
	want := `serve -addr 127.0.0.1:1 'a b' 'it'\''s' ''`
	if got != want {
		t.Errorf("shellJoin = %s, want %s", got, want)
	}
}

func TestTimingsDropMisreads(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	frame := func(render, receive float64) traceFrame {
		return traceFrame{Render: f(render), Receive: f(receive), Presentation: f(receive + 2), Expected: f(receive + 8)}
	}
	trace := []traceFrame{
		frame(1000, 1007),
		frame(1033, 1024), // metadata of the frame rendered at 1017; cells of the next
		frame(1033, 1041),
		frame(1050, 1058),
		{Render: f(1067), Callback: 1080}, // no metadata
	}
	ts, misread := timings(trace)
	if misread != 1 || len(ts) != 3 {
		t.Fatalf("kept %d, misread %d; want 3 and 1", len(ts), misread)
	}
	for i, want := range []float64{1000, 1033, 1050} {
		if ts[i].render != want {
			t.Errorf("frame %d rendered at %v, want %v", i, ts[i].render, want)
		}
	}
}
