package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
)

const (
	playTimeout = 30 * time.Second
	// minFrames presented before the page counts as playing steadily.
	minFrames = 30
)

// page is one tab on the play page, driven through window.stratus (see
// web/static/js/hooks.js).
type page struct {
	ctx context.Context
}

// openPage opens url in a new tab of the browser behind parent. close
// closes the tab, which ends the page's session.
func openPage(parent context.Context, url string) (p *page, closeTab context.CancelFunc, err error) {
	ctx, cancel := chromedp.NewContext(parent)
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		cancel()
		return nil, nil, fmt.Errorf("opening %s: %w", url, err)
	}
	return &page{ctx: ctx}, cancel, nil
}

// eval evaluates a JavaScript expression in the page and decodes its value
// (awaiting it when it is a promise).
func eval[T any](p *page, js string) (T, error) {
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		var zero T
		return zero, fmt.Errorf("evaluating %s: %w", brief(js), err)
	}
	return v, nil
}

// briefLen bounds how much of a script an error quotes: its start names it.
const briefLen = 60

// brief is the first line of a script, cut to briefLen bytes, so that an
// error names the script without printing all of it.
func brief(js string) string {
	line, _, more := strings.Cut(js, "\n")
	if len(line) > briefLen {
		line, more = line[:briefLen], true
	}
	if more {
		line += "…"
	}
	return line
}

// waitFor polls a JavaScript condition until it holds, or fails after limit
// naming what it waited for and how the page stands.
func (p *page) waitFor(cond, why string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		ok, err := eval[bool](p, "!!("+cond+")")
		if err == nil && ok {
			return nil
		}
		if time.Now().After(deadline) {
			state, _ := eval[string](p, `JSON.stringify(window.stratus ? {state: stratus.state, error: stratus.error, reason: stratus.reason, frames: stratus.framesPresented} : null)`)
			return fmt.Errorf("waited %v for %s: page state %s (last error: %v)", limit, why, state, err)
		}
		if err := sleep(p.ctx, 50*time.Millisecond); err != nil {
			return err
		}
	}
}

// waitPlaying waits until video plays and some frames were presented.
func (p *page) waitPlaying() error {
	cond := fmt.Sprintf(`window.stratus && stratus.state === "playing" && stratus.framesPresented > %d`, minFrames)
	return p.waitFor(cond, "the video to play", playTimeout)
}

// sessionID is the edge session the page plays.
func (p *page) sessionID() (string, error) {
	id, err := eval[string](p, `stratus.session`)
	if err == nil && id == "" {
		err = fmt.Errorf("the page names no session")
	}
	return id, err
}

// reconnects counts the page's reconnections so far.
func (p *page) reconnects() (int, error) {
	return eval[int](p, `stratus.reconnects`)
}

// sameConnection fails when the page reconnected since it counted before:
// the figures would then mix two sessions and a gap.
func (p *page) sameConnection(before int) error {
	n, err := p.reconnects()
	if err != nil {
		return err
	}
	if n != before {
		reason, _ := eval[string](p, `stratus.reason`)
		return fmt.Errorf("the page reconnected during the measurement (%q); is the machine overloaded?", reason)
	}
	return nil
}

// pageMeasure is what stratus.stopMeasure() returns.
type pageMeasure struct {
	G2G            []float64 `json:"g2g"`
	InputToDisplay []float64 `json:"inputToDisplay"`
	Presented      int       `json:"presented"`
	Skipped        int       `json:"skipped"`
	Gaps           int       `json:"gaps"`
	Repeated       int       `json:"repeated"`
	Invalid        int       `json:"invalid"`
	IntervalMs     float64   `json:"intervalMs"`
}

func (p *page) startMeasure() error {
	_, err := eval[chromedp.Void](p, `stratus.startMeasure()`)
	return err
}

func (p *page) stopMeasure() (pageMeasure, error) {
	return eval[pageMeasure](p, `stratus.stopMeasure()`)
}

// probeResult counts the key probes of a measurement. Their latencies are
// in pageMeasure.InputToDisplay.
type probeResult struct {
	sent, lost int
}

// probeFor sends a key probe every interval for d, awaiting each one; a
// probe that outlasts the interval delays the next.
func (p *page) probeFor(d, every time.Duration) (probeResult, error) {
	var r probeResult
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		next := time.Now().Add(every)
		ms, err := eval[*float64](p, `stratus.sendKeyProbe()`)
		if err != nil {
			return r, err
		}
		r.sent++
		if ms == nil {
			r.lost++ // no frame showed it within the page's timeout
		}
		if err := sleep(p.ctx, time.Until(earlier(next, end))); err != nil {
			return r, err
		}
	}
	return r, nil
}

// earlier returns the earlier of two times.
func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// rtcStats are the browser's cumulative counters for the video it
// receives (RTCInboundRtpStreamStats); times are in seconds.
type rtcStats struct {
	FramesDecoded            float64 `json:"framesDecoded"`
	FramesDropped            float64 `json:"framesDropped"`
	JitterBufferDelay        float64 `json:"jitterBufferDelay"`
	JitterBufferEmittedCount float64 `json:"jitterBufferEmittedCount"`
	TotalDecodeTime          float64 `json:"totalDecodeTime"`
	TotalProcessingDelay     float64 `json:"totalProcessingDelay"`
	TotalAssemblyTime        float64 `json:"totalAssemblyTime"`
	FramesAssembled          float64 `json:"framesAssembledFromMultiplePackets"`
	FreezeCount              float64 `json:"freezeCount"`
	PacketsLost              float64 `json:"packetsLost"`
	NackCount                float64 `json:"nackCount"`
}

// rtcStatsJS reads the video inbound-rtp entry of stratus.pc's stats,
// missing counters as 0.
const rtcStatsJS = `(async () => {
  const pc = stratus.pc;
  if (!pc) throw new Error("no peer connection");
  let v = null;
  (await pc.getStats()).forEach((s) => {
    if (s.type === "inbound-rtp" && s.kind === "video") v = s;
  });
  if (!v) throw new Error("no inbound video stats");
  const keys = ["framesDecoded", "framesDropped", "jitterBufferDelay", "jitterBufferEmittedCount",
    "totalDecodeTime", "totalProcessingDelay", "totalAssemblyTime",
    "framesAssembledFromMultiplePackets", "freezeCount", "packetsLost", "nackCount"];
  const out = {};
  for (const k of keys) out[k] = v[k] || 0;
  return out;
})()`

func (p *page) rtcStats() (rtcStats, error) {
	return eval[rtcStats](p, rtcStatsJS)
}
