package session

import (
	"testing"
	"time"

	"stratus/input"
)

func TestPhaseShift(t *testing.T) {
	const iv = time.Second / 60
	ms := func(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }
	report := func(p10 float64, frames, missed uint16) input.Event {
		return input.Event{Kind: input.KindPresent, Refresh: iv, WaitP10: ms(p10), WaitP50: ms(p10 + 1), Frames: frames, Missed: missed}
	}
	// A fresh lock's first report: the margin has just narrowed by
	// marginDown after a clean second, to 3.75 ms.
	tests := []struct {
		name       string
		r          input.Event
		want       time.Duration
		wantMargin time.Duration
	}{
		{"frames wait long: later, at most a step", report(15, 60, 0), laterStep, startMargin - marginDown},
		{"frames wait a little: later by half the excess", report(5.75, 60, 0), ms(1), startMargin - marginDown},
		{"locked", report(4, 60, 0), 0, startMargin - marginDown},
		{"frames miss the refresh: earlier, wider margin", report(0.1, 55, 5), -earlierStep, startMargin + marginUp},
		{"one miss in a second is over the limit", report(4, 60, 1), -earlierStep, startMargin + marginUp},
		{"a miss in many frames holds the margin", report(4.2, 240, 1), 0, startMargin},
		{"no frames", report(12, 0, 0), 0, startMargin},
		{"display at another rate", input.Event{Kind: input.KindPresent, Refresh: time.Second / 144, WaitP10: ms(5), Frames: 144}, 0, startMargin},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPhaseLock()
			if got := p.shift(tt.r, iv); got != tt.want {
				t.Fatalf("shift %v, want %v", got, tt.want)
			}
			if p.margin != tt.wantMargin {
				t.Fatalf("margin %v, want %v", p.margin, tt.wantMargin)
			}
		})
	}
}

// TestPhaseMarginAdapts: misses widen the margin up to maxMargin; clean
// seconds narrow it down to minMargin, slower than it grew; the schedule
// then moves later only as far as the narrower margin allows.
func TestPhaseMarginAdapts(t *testing.T) {
	const iv = time.Second / 60
	missed := input.Event{Kind: input.KindPresent, Refresh: iv, WaitP10: time.Millisecond, Frames: 58, Missed: 2}
	clean := input.Event{Kind: input.KindPresent, Refresh: iv, WaitP10: 20 * time.Millisecond, Frames: 60}
	tests := []struct {
		name       string
		reports    []input.Event
		wantMargin time.Duration
	}{
		{"a second of misses", []input.Event{missed}, startMargin + marginUp},
		{"misses every second reach the cap", repeat(missed, 20), maxMargin},
		{"clean seconds reach the floor", repeat(clean, 20), minMargin},
		{"a burst of misses, then four clean seconds", append(repeat(missed, 2), repeat(clean, 4)...), startMargin + 2*marginUp - 4*marginDown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPhaseLock()
			for _, r := range tt.reports {
				p.shift(r, iv)
			}
			if p.margin != tt.wantMargin {
				t.Fatalf("margin %v, want %v", p.margin, tt.wantMargin)
			}
			// Frames waiting just over the margin move no later.
			if got := p.shift(input.Event{Kind: input.KindPresent, Refresh: iv, WaitP10: p.margin, Frames: 240, Missed: 1}, iv); got != 0 {
				t.Fatalf("shift %v at the margin, want 0", got)
			}
		})
	}
}

func repeat(r input.Event, n int) []input.Event {
	out := make([]input.Event, n)
	for i := range out {
		out[i] = r
	}
	return out
}

// TestPresentReportsMoveSchedule: reports reach the pacing, not the title.
func TestPresentReportsMoveSchedule(t *testing.T) {
	s, sk, _, p := newTest(t, 0, nil)
	ctx := t.Context()
	go s.Run(ctx)
	waitUntil(t, 5*time.Second, "frames", func() bool { return len(sk.sent()) > 5 })
	sk.push(input.Event{Kind: input.KindPresent, Refresh: time.Second / 60, WaitP10: 10 * time.Millisecond, WaitP50: 11 * time.Millisecond, Frames: 60})
	waitUntil(t, 2*time.Second, "the schedule to move", func() bool { return s.Stats().PhaseShiftMs > 0 })
	if st := s.Stats(); st.PresentWaitP10Ms != 10 || st.Inputs != 0 {
		t.Fatalf("stats %+v", st)
	}
	if p.Inputs() != 0 {
		t.Fatal("a presentation report reached the title")
	}
}

// TestReceiveReportsInStats: the page's running receive counts reach the
// session's stats, never the title, and a late report arriving after a
// newer one moves no count back.
func TestReceiveReportsInStats(t *testing.T) {
	s, sk, _, p := newTest(t, 0, nil)
	go s.Run(t.Context())
	waitUntil(t, 5*time.Second, "frames", func() bool { return len(sk.sent()) > 5 })
	sk.push(input.Event{Kind: input.KindReceive, Freezes: 3, FreezeTime: 450 * time.Millisecond, LongestFreeze: 200 * time.Millisecond, FECUsed: 17})
	sk.push(input.Event{Kind: input.KindReceive, Freezes: 2, FreezeTime: 300 * time.Millisecond, LongestFreeze: 200 * time.Millisecond, FECUsed: 9})
	waitUntil(t, 2*time.Second, "the report in the stats", func() bool { return s.Stats().Freezes > 0 })
	st := s.Stats()
	if st.Freezes != 3 || st.FreezeMs != 450 || st.LongestFreezeMs != 200 || st.FECUsed != 17 || st.Inputs != 0 {
		t.Fatalf("stats %+v", st)
	}
	if p.Inputs() != 0 {
		t.Fatal("a receive report reached the title")
	}
}
