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
	tests := []struct {
		name string
		r    input.Event
		want time.Duration
	}{
		{"frames wait long: later, at most a step", report(15, 60, 0), laterStep},
		{"frames wait a little: later by half the excess", report(6, 60, 0), ms(1)},
		{"locked", report(4.2, 60, 0), 0},
		{"frames miss the refresh: earlier", report(0.1, 55, 5), -earlierStep},
		{"a miss or two is noise", report(4, 60, 1), 0},
		{"no frames", report(12, 0, 0), 0},
		{"display at another rate", input.Event{Kind: input.KindPresent, Refresh: time.Second / 144, WaitP10: ms(5), Frames: 144}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := phaseShift(tt.r, iv); got != tt.want {
				t.Fatalf("shift %v, want %v", got, tt.want)
			}
		})
	}
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
