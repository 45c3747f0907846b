package main

import (
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"stratus/internal/clustertest"
)

func TestParseStatCPU(t *testing.T) {
	for _, tt := range []struct {
		name, stat string
		want       time.Duration
		ok         bool
	}{
		{"plain", "4242 (stratus) S 1 4242 4242 0 -1 4194560 9000 0 0 0 250 130 0 0 20 0 40 0 100 0 0", 3800 * time.Millisecond, true},
		{"name with spaces and parentheses", "7 (a) b (c)) R 1 7 7 0 -1 0 0 0 0 0 1 2 0 0 20 0", 30 * time.Millisecond, true},
		{"no name", "4242 stratus S 1", 0, false},
		{"cut short", "4242 (stratus) S 1 4242", 0, false},
		{"not a number", "7 (x) R 1 7 7 0 -1 0 0 0 0 0 ten 2 0", 0, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStatCPU(tt.stat)
			if (err == nil) != tt.ok || got != tt.want {
				t.Errorf("parseStatCPU(%q) = %v, %v; want %v, ok %v", tt.stat, got, err, tt.want, tt.ok)
			}
		})
	}
}

// TestProcCPU reads this test's own CPU time, which is there and grows.
func TestProcCPU(t *testing.T) {
	a, err := procCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		b, err := procCPU(os.Getpid())
		if err != nil {
			t.Fatal(err)
		}
		if b > a {
			return
		}
	}
	t.Errorf("5 s of spinning used no CPU time by /proc (stays %v)", a)
}

func TestCPUOver(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	samples := []cpuSample{{at(0), 0}, {at(100), 50 * time.Millisecond}, {at(200), 50 * time.Millisecond}, {at(300), 150 * time.Millisecond}}
	for _, tt := range []struct {
		name   string
		a, b   time.Time
		want   time.Duration
		wantOK bool
	}{
		{"whole", at(0), at(300), 150 * time.Millisecond, true},
		{"between samples", at(50), at(250), 75 * time.Millisecond, true},
		{"idle stretch", at(100), at(200), 0, true},
		{"empty", at(120), at(120), 0, true},
		{"before the first sample", at(-10), at(100), 0, false},
		{"after the last sample", at(100), at(301), 0, false},
		{"backwards", at(200), at(100), 0, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := cpuOver(samples, tt.a, tt.b)
			if (err == nil) != tt.wantOK || got != tt.want {
				t.Errorf("cpuOver = %v, %v; want %v, ok %v", got, err, tt.want, tt.wantOK)
			}
		})
	}
}

func TestNetCPU(t *testing.T) {
	for _, tt := range []struct {
		name             string
		used, window     time.Duration
		idleRate         float64
		wantSec, wantCor float64
	}{
		{"half a core over the idle 2%", 5200 * time.Millisecond, 10 * time.Second, 0.02, 5.0, 0.5},
		{"no idle", time.Second, 4 * time.Second, 0, 1, 0.25},
		{"no window", time.Second, 0, 0.02, 0, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sec, core := netCPU(tt.used, tt.window, tt.idleRate)
			if math.Abs(sec-tt.wantSec) > 1e-9 || math.Abs(core-tt.wantCor) > 1e-9 {
				t.Errorf("netCPU = %v s, %v core; want %v, %v", sec, core, tt.wantSec, tt.wantCor)
			}
		})
	}
}

func TestAcrossRunsAndRatio(t *testing.T) {
	nan := math.NaN()
	runs := func(v ...float64) []pairResult {
		rs := make([]pairResult, len(v))
		for i, x := range v {
			rs[i].checker.g2gP50 = x
		}
		return rs
	}
	pick := func(r pairResult) float64 { return r.checker.g2gP50 }
	for _, tt := range []struct {
		name string
		rs   []pairResult
		want float64
	}{
		{"odd count: the middle", runs(30, 10, 20, 50, 40), 30},
		{"even count: the lower middle", runs(40, 10, 30, 20), 20},
		{"NaN runs left out", runs(nan, 10, 30), 10},
		{"none", runs(nan), nan},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := acrossRuns(tt.rs, pick); !same(got, tt.want) {
				t.Errorf("acrossRuns = %v, want %v", got, tt.want)
			}
		})
	}
	for _, tt := range []struct{ a, b, want float64 }{{22, 44, 0.5}, {1, 0, nan}, {nan, 2, nan}, {2, nan, nan}} {
		if got := ratio(tt.a, tt.b); !same(got, tt.want) {
			t.Errorf("ratio(%v, %v) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestPageJoinMs(t *testing.T) {
	ms := func(v float64) *float64 { return &v }
	for _, tt := range []struct {
		name string
		h    clustertest.HistoryEntry
		want float64
	}{
		{"both times", clustertest.HistoryEntry{JoinSentAt: ms(1000), FirstFrameAt: ms(1312.5)}, 312.5},
		{"no first frame", clustertest.HistoryEntry{JoinSentAt: ms(1000)}, math.NaN()},
		{"a page that does not record the send", clustertest.HistoryEntry{FirstFrameAt: ms(1000)}, math.NaN()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := pageJoinMs(tt.h); !same(got, tt.want) {
				t.Errorf("pageJoinMs = %v, want %v", got, tt.want)
			}
		})
	}
}

// same compares floats with NaN equal to NaN.
func same(a, b float64) bool {
	return a == b || (math.IsNaN(a) && math.IsNaN(b))
}

func TestBrief(t *testing.T) {
	long := strings.Repeat("x", briefLen+5)
	for _, tt := range []struct{ js, want string }{
		{"stratus.session", "stratus.session"},
		{"(async () => {\n  return 1;\n})()", "(async () => {…"},
		{long, long[:briefLen] + "…"},
	} {
		if got := brief(tt.js); got != tt.want {
			t.Errorf("brief(%q) = %q, want %q", tt.js, got, tt.want)
		}
	}
}
