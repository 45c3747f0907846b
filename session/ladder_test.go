package session

import (
	"slices"
	"testing"
	"time"

	"stratus/title"
)

var info720 = title.Info{ID: "t", Width: 1280, Height: 720, FPS: 60}

func names(rs []Rung) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Name())
	}
	return out
}

func TestLadderRungs(t *testing.T) {
	for _, c := range []struct {
		name string
		info title.Info
		keep title.Keep
		want []string
	}{
		{"default keeps framerate", info720, "", []string{"720p60", "540p60", "360p60", "360p30"}},
		{"shooter", info720, title.KeepFramerate, []string{"720p60", "540p60", "360p60", "360p30"}},
		{"strategy", info720, title.KeepResolution, []string{"720p60", "720p30", "540p30", "360p30"}},
		{"machine-read picture", info720, title.KeepAll, []string{"720p60"}},
		{"30 fps title", title.Info{Width: 1280, Height: 720, FPS: 30}, "", []string{"720p30", "540p30", "360p30"}},
		{"small title", title.Info{Width: 640, Height: 360, FPS: 60}, title.KeepResolution, []string{"360p60", "360p30"}},
		{"tiny title", title.Info{Width: 320, Height: 240, FPS: 30}, "", []string{"240p30"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := NewLadder(c.info, c.keep)
			rs := l.Rungs()
			if got := names(rs); !slices.Equal(got, c.want) {
				t.Fatalf("rungs %v, want %v", got, c.want)
			}
			if rs[len(rs)-1].Floor != 0 {
				t.Errorf("bottom rung %s has floor %d: it must take any estimate", rs[len(rs)-1].Name(), rs[len(rs)-1].Floor)
			}
			for i := 1; i < len(rs); i++ {
				if rs[i].Floor > rs[i-1].Floor {
					t.Errorf("%s needs more (%d) than %s above it (%d)", rs[i].Name(), rs[i].Floor, rs[i-1].Name(), rs[i-1].Floor)
				}
				if rs[i].Width%2 != 0 || rs[i].Height%2 != 0 {
					t.Errorf("%s is %dx%d: odd sizes cannot be encoded", rs[i].Name(), rs[i].Width, rs[i].Height)
				}
			}
		})
	}
	if r := NewLadder(info720, "").Rungs()[1]; r.Width != 960 || r.Height != 540 {
		t.Errorf("540p is %dx%d, want 960x540", r.Width, r.Height)
	}
}

// step is one estimate held for a while.
type step struct {
	bps  int
	hold time.Duration
}

func TestLadderHysteresis(t *testing.T) {
	const tick = 100 * time.Millisecond // the rate estimates arrive at
	for _, c := range []struct {
		name  string
		keep  title.Keep
		steps []step
		want  []string // the rungs moved to, in order
	}{
		{"enough: stays", "", []step{{6_000_000, 10 * time.Second}}, nil},
		{"no estimate yet: stays", "", []step{{0, 5 * time.Second}}, nil},
		{"brief dip: stays", "", []step{{6_000_000, time.Second}, {1_000_000, 800 * time.Millisecond}, {6_000_000, 5 * time.Second}}, nil},
		{"dip over a second: one step", "", []step{{3_000_000, 1500 * time.Millisecond}}, []string{"540p60"}},
		{"starved: all the way down, one step a second", "", []step{{500_000, 2500 * time.Millisecond}}, []string{"540p60", "360p60"}},
		{"strategy game drops frames first", title.KeepResolution, []step{{1_500_000, 5 * time.Second}}, []string{"720p30", "540p30"}},
		{"bottom and back in one step", "", []step{{500_000, 4 * time.Second}, {20_000_000, 10 * time.Second}},
			[]string{"540p60", "360p60", "360p30", "720p60"}},
		// 3 Mbit/s has the margin for 540p60 (2.6) but not 720p60 (4.55).
		{"bottom and as far as the margin goes", "", []step{{500_000, 4 * time.Second}, {3_000_000, 10 * time.Second}},
			[]string{"540p60", "360p60", "360p30", "540p60"}},
		// 2.6 Mbit/s is enough for 540p60 (floor 2) but not 1.3× it.
		{"no step up without headroom", "", []step{{500_000, 2500 * time.Millisecond}, {2_600_000, 10 * time.Second}},
			[]string{"540p60", "360p60", "540p60"}},
		{"recovery interrupted: waits anew", "", []step{{2_500_000, 1500 * time.Millisecond}, {5_000_000, 2500 * time.Millisecond}, {3_600_000, 500 * time.Millisecond}, {5_000_000, 2900 * time.Millisecond}},
			[]string{"540p60"}},
		// Each step up the path cannot carry (undone within 5 s) doubles
		// the wait before the next: 3, 6, 12 s.
		{"failed probes back off", "", []step{
			{3_000_000, 1500 * time.Millisecond}, // down to 540p60
			{5_000_000, 3100 * time.Millisecond}, {3_000_000, 1100 * time.Millisecond},
			{5_000_000, 3100 * time.Millisecond}, // not yet: 6 s now
			{5_000_000, 3000 * time.Millisecond}, {3_000_000, 1100 * time.Millisecond},
			{5_000_000, 11 * time.Second}, // not yet: 12 s now
		}, []string{"540p60", "720p60", "540p60", "720p60", "540p60"}},
		{"oscillating estimate: no flapping", "", []step{
			{3_000_000, 1200 * time.Millisecond},
			{5_000_000, 2 * time.Second}, {3_000_000, 900 * time.Millisecond},
			{5_000_000, 2 * time.Second}, {3_000_000, 900 * time.Millisecond},
			{5_000_000, 2 * time.Second}, {3_000_000, 900 * time.Millisecond},
		}, []string{"540p60"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := NewLadder(info720, c.keep)
			now := time.Unix(1000, 0)
			var moves []string
			for _, s := range c.steps {
				for end := now.Add(s.hold); now.Before(end); now = now.Add(tick) {
					if r, changed := l.Update(now, s.bps); changed {
						moves = append(moves, r.Name())
					}
				}
			}
			if !slices.Equal(moves, c.want) {
				t.Fatalf("moved to %v, want %v", moves, c.want)
			}
		})
	}
}
