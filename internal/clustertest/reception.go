package clustertest

import (
	"context"
	"fmt"

	"github.com/chromedp/chromedp"
)

// Reception is what the play page's video element and peer connection say
// about the video received, read at one moment. Counters only grow; the
// difference of two readings measures the time between them.
type Reception struct {
	// At is the page's performance.now(), in ms.
	At float64 `json:"at"`
	// BytesReceived and FramesDecoded are getStats' inbound-rtp video
	// counters.
	BytesReceived float64 `json:"bytesReceived"`
	FramesDecoded float64 `json:"framesDecoded"`
	// Presented counts frames shown (requestVideoFrameCallback), Freezes
	// the gaps of more than FreezeGapMs between two, LongestGapMs the
	// longest gap.
	Presented    float64 `json:"presented"`
	Freezes      float64 `json:"freezes"`
	LongestGapMs float64 `json:"longestGapMs"`
	// Gaps are the latest freezes (at most maxGaps), each the page times
	// of the frames before and after it, so a harness can tell which
	// freeze an event caused.
	Gaps [][2]float64 `json:"gaps"`
}

// maxGaps bounds the freezes a page keeps: a run's few, not a long
// session's every stall.
const maxGaps = 64

// FreezeGapMs is the gap between presented frames counted as a freeze: six
// frames at 60 fps, long enough for a player to see the picture stop.
const FreezeGapMs = 100

// watchFramesJS installs a requestVideoFrameCallback counter on the page's
// video element once; play.js keeps the element (window.stratus.video) for
// the whole session.
const watchFramesJS = `(() => {
	const v = window.stratus && window.stratus.video;
	if (!v) return false;
	if (window.__rx) return true;
	const rx = window.__rx = {presented: 0, freezes: 0, longest: 0, last: 0, gaps: []};
	const onFrame = (now) => {
		if (rx.last > 0) {
			const gap = now - rx.last;
			if (gap > %d) {
				rx.freezes++;
				rx.gaps.push([rx.last, now]);
				if (rx.gaps.length > %d) rx.gaps.shift();
			}
			if (gap > rx.longest) rx.longest = gap;
		}
		rx.last = now;
		rx.presented++;
		v.requestVideoFrameCallback(onFrame);
	};
	v.requestVideoFrameCallback(onFrame);
	return true;
})()`

// WatchFrames starts counting presented frames; it reports false while
// the page has no video element yet.
func WatchFrames(ctx context.Context) (bool, error) {
	return chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(watchFramesJS, FreezeGapMs, maxGaps)))
}

const receptionJS = `(async () => {
	const r = {at: performance.now(), bytesReceived: 0, framesDecoded: 0,
		presented: 0, freezes: 0, longestGapMs: 0, gaps: []};
	if (window.__rx) {
		r.presented = __rx.presented; r.freezes = __rx.freezes; r.longestGapMs = __rx.longest;
		r.gaps = __rx.gaps.slice();
	}
	const pc = window.stratus && window.stratus.pc;
	if (pc) {
		for (const s of (await pc.getStats()).values()) {
			if (s.type === 'inbound-rtp' && s.kind === 'video') {
				r.bytesReceived = s.bytesReceived || 0;
				r.framesDecoded = s.framesDecoded || 0;
			}
		}
	}
	return r;
})()`

// ReadReception reads the counters; WatchFrames must have succeeded for
// the frame counts.
func ReadReception(ctx context.Context) (Reception, error) {
	return chromedp.Run(ctx, chromedp.Evaluate[Reception](receptionJS, chromedp.EvalAwaitPromise))
}

// Over summarises the interval from r to later.
func (r Reception) Over(later Reception) (mbps, fps float64, freezes int, longestMs float64) {
	sec := (later.At - r.At) / 1000
	if sec <= 0 {
		return 0, 0, 0, 0
	}
	return (later.BytesReceived - r.BytesReceived) * 8 / sec / 1e6,
		(later.Presented - r.Presented) / sec,
		int(later.Freezes - r.Freezes), later.LongestGapMs
}

// FrozenAfter is how long after end (page ms) the picture stayed frozen by
// an event from start to end: the latest end of a freeze that ends after
// start and begins before end+settle, less end; 0 when the picture was
// moving at end and stayed so. settle counts a freeze that begins just
// after the event (a frame that got through, then the wait for a
// keyframe) as the event's.
func (r Reception) FrozenAfter(start, end, settle float64) float64 {
	var last float64
	for _, g := range r.Gaps {
		if g[1] > start && g[0] < end+settle && g[1]-end > last {
			last = g[1] - end
		}
	}
	return last
}
