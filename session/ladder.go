package session

import (
	"fmt"
	"time"

	"stratus/title"
)

// Rung is one step of the quality ladder: the size the picture is encoded
// at, the frame rate it is sent at, and the least bitrate that carries it
// without starving the picture.
type Rung struct {
	Width, Height int
	FPS           int
	// Floor is the bitrate in bit/s under which this rung is starved and
	// the ladder steps down.
	Floor int
}

// Name is how logs, stats and the overlay name a rung: "540p60".
func (r Rung) Name() string { return fmt.Sprintf("%dp%d", r.Height, r.FPS) }

// ladderFloors are the starved-picture floors by picture height and frame
// rate, from x264 baseline ultrafast on game content: below about 0.06
// bits per pixel per frame blocks show on motion, and small pictures need
// a little more per pixel because the fixed cost of headers and motion
// vectors weighs more. A (height, fps) missing here gets bitsPerPixel.
var ladderFloors = map[[2]int]int{
	{720, 60}: 3_500_000,
	{720, 30}: 2_000_000,
	{540, 60}: 2_000_000,
	{540, 30}: 1_200_000,
	{360, 60}: 1_200_000,
	{360, 30}: 0, // the bottom: nothing is left to drop
}

// bitsPerPixel sizes the floor of a rung the table does not list.
const bitsPerPixel = 0.065

// ladderHeights are the smaller sizes the ladder steps through, largest
// first: 540p and 360p are what players know from video sites, and below
// 360p a game's text is unreadable, so the ladder stops there.
var ladderHeights = []int{540, 360}

// minLadderFPS: below 30 fps a game feels broken, not degraded.
const minLadderFPS = 30

// Hysteresis. stepDownAfter is long enough to ride out one noisy estimate
// (the congestion controller updates every few hundred milliseconds) and
// short enough that a starved picture lasts about a second. stepUpAfter is
// longer, and stepUpMargin asks for headroom above the next rung's floor,
// because stepping up to a rung the link cannot carry costs an IDR twice
// and a burst of queueing in between: the ladder must not oscillate.
const (
	stepDownAfter = time.Second
	stepUpAfter   = 3 * time.Second
	stepUpMargin  = 1.3
)

// A step up that the path could not carry shows as a step down within
// upHeld. The rate control lets the estimate grow some way past what the
// path has carried, so a step up is how the path is probed; each failed
// probe doubles the wait before the next, up to maxUpBackoff doublings,
// so that a path at its limit is not overrun every few seconds. A step up
// that holds for upHeld clears the count.
const (
	upHeld       = 5 * time.Second
	maxUpBackoff = 3
)

// Ladder picks the rung for the congestion controller's estimate.
//
// It is not safe for concurrent use: the session loop owns it, and reads
// the estimate from an atomic that SetBitrate stores.
type Ladder struct {
	rungs []Rung // best first
	cur   int
	// since is when the estimate last crossed the line that matters for
	// the next move (below the floor, or above the next rung's margin);
	// zero while it is on the side that keeps the rung.
	downSince, upSince time.Time
	upAt               time.Time // the latest step up
	failedUps          int       // step ups undone within upHeld, in a row
}

// NewLadder builds the ladder of a title that is info.Width×info.Height at
// info.FPS and keeps keep under pressure. The title's own size and rate is
// the top rung.
func NewLadder(info title.Info, keep title.Keep) *Ladder {
	top := rung(info.Width, info.Height, info.FPS)
	rungs := []Rung{top}
	w, h, fps := info.Width, info.Height, info.FPS
	lowerFPS := func() bool {
		if fps/2 < minLadderFPS {
			return false
		}
		fps /= 2
		return true
	}
	lowerSize := func() bool {
		for _, nh := range ladderHeights {
			if nh < h {
				h = nh
				w = evenDown(info.Width * nh / info.Height)
				return true
			}
		}
		return false
	}
	for keep != title.KeepAll {
		var moved bool
		if keep == title.KeepResolution {
			moved = lowerFPS() || lowerSize()
		} else {
			moved = lowerSize() || lowerFPS()
		}
		if !moved {
			break
		}
		rungs = append(rungs, rung(w, h, fps))
	}
	rungs[len(rungs)-1].Floor = 0
	return &Ladder{rungs: rungs}
}

// rung sizes a rung's floor: from the table for 16:9 pictures it lists,
// from bitsPerPixel for any other.
func rung(w, h, fps int) Rung {
	floor, ok := ladderFloors[[2]int{h, fps}]
	if !ok || w*9 != h*16 {
		floor = int(bitsPerPixel * float64(w*h*fps))
	}
	return Rung{Width: w, Height: h, FPS: fps, Floor: floor}
}

func evenDown(v int) int { return max(2, v&^1) }

// Rungs lists the ladder, best first.
func (l *Ladder) Rungs() []Rung { return append([]Rung(nil), l.rungs...) }

// Current is the rung in use.
func (l *Ladder) Current() Rung { return l.rungs[l.cur] }

// Update takes the estimate bps at now and returns the rung to use and
// whether it changed. An estimate of 0 means none yet: the ladder stays.
func (l *Ladder) Update(now time.Time, bps int) (Rung, bool) {
	if bps <= 0 {
		return l.Current(), false
	}
	cur := l.rungs[l.cur]
	held := !l.upAt.IsZero() && now.Sub(l.upAt) >= upHeld
	if held {
		l.failedUps, l.upAt = 0, time.Time{}
	}
	if bps < cur.Floor {
		l.upSince = time.Time{}
		if l.downSince.IsZero() {
			l.downSince = now
		}
		if now.Sub(l.downSince) >= stepDownAfter {
			if !l.upAt.IsZero() {
				l.failedUps = min(l.failedUps+1, maxUpBackoff)
				l.upAt = time.Time{}
			}
			l.cur++
			l.downSince = time.Time{}
			return l.Current(), true
		}
		return cur, false
	}
	l.downSince = time.Time{}
	if l.cur == 0 || float64(bps) < stepUpMargin*float64(l.rungs[l.cur-1].Floor) {
		l.upSince = time.Time{}
		return cur, false
	}
	if l.upSince.IsZero() {
		l.upSince = now
	}
	if now.Sub(l.upSince) >= stepUpAfter<<l.failedUps {
		// As many rungs as the estimate has the margin for: a path that
		// came back whole gets the whole picture back in one step, not
		// one rung per stepUpAfter.
		l.cur--
		for l.cur > 0 && float64(bps) >= stepUpMargin*float64(l.rungs[l.cur-1].Floor) {
			l.cur--
		}
		l.upSince, l.upAt = time.Time{}, now
		return l.Current(), true
	}
	return cur, false
}
