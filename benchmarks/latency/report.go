package main

import (
	"fmt"
	"io"
	"strings"
)

// writeReport prints the markdown report: the setting, then one table row
// per run and a pooled row where pooling means something.
func writeReport(w io.Writer, env environment, o options, rs []runResult) {
	fmt.Fprintf(w, "# Latency, %s\n\n", env.date.Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(w, "- Machine: %s, nproc %d, load average %s before the start\n", env.cpu, env.nproc, env.load)
	fmt.Fprintf(w, "- Chromium: %s (headless)\n", env.chromium)
	fmt.Fprintf(w, "- Command: `%s`\n", env.command)
	fmt.Fprintf(w, "- Server: `%s`\n", env.server)
	fmt.Fprintf(w, "- Each run: fresh tab on `/play?title=%s`, %v warm-up, %v measured, a key probe every %v\n\n", o.title, o.warmup, o.duration, o.probeEvery)
	writeG2G(w, rs)
	writeInput(w, rs)
	writePacing(w, rs)
	writeReceive(w, rs)
	if o.trace {
		writeBreakdown(w, rs)
	}
}

// tooFastMs is a glass-to-glass time no frame can achieve here: x264
// alone takes longer.
const tooFastMs = 3.0

func countBelow(values []float64, limit float64) int {
	n := 0
	for _, v := range values {
		if v < limit {
			n++
		}
	}
	return n
}

// table writes a markdown table.
func table(w io.Writer, head []string, rows [][]string) {
	line := func(cells []string) { fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | ")) }
	line(head)
	sep := make([]string, len(head))
	for i := range sep {
		sep[i] = "---:"
	}
	sep[0] = "---"
	line(sep)
	for _, r := range rows {
		line(r)
	}
	fmt.Fprintln(w)
}

// f1 formats milliseconds with one decimal.
func f1(v float64) string { return fmt.Sprintf("%.1f", v) }

func f2(v float64) string { return fmt.Sprintf("%.2f", v) }

func runName(i int) string { return fmt.Sprintf("%d", i+1) }

func writeG2G(w io.Writer, rs []runResult) {
	fmt.Fprintln(w, "## Glass-to-glass (render → expected on screen), ms")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "\"Too fast\" counts samples under %.0f ms, less than the edge needs to encode a frame: the page read the cells of a newer frame than the one presented (see the trace section).\n\n", tooFastMs)
	row := func(name string, g []float64) []string {
		s := summarize(g)
		return []string{name, fmt.Sprint(s.n), f1(s.p50), f1(s.p90), f1(s.p99), f1(s.min), f1(s.max), fmt.Sprint(countBelow(g, tooFastMs))}
	}
	var rows [][]string
	for i, r := range rs {
		rows = append(rows, row(runName(i), r.G2G))
	}
	if len(rs) > 1 {
		rows = append(rows, row("all", pooled(rs, func(r runResult) []float64 { return r.G2G })))
	}
	table(w, []string{"run", "frames", "p50", "p90", "p99", "min", "max", "too fast"}, rows)
}

func writeInput(w io.Writer, rs []runResult) {
	fmt.Fprintln(w, "## Input-to-display (key probe sent → first frame showing it), ms")
	fmt.Fprintln(w)
	row := func(name string, s summary, sent, lost int) []string {
		return []string{name, fmt.Sprint(sent), fmt.Sprint(s.n), fmt.Sprint(lost), f1(s.p50), f1(s.p99), f1(s.min), f1(s.max)}
	}
	var rows [][]string
	var sent, lost int
	for i, r := range rs {
		rows = append(rows, row(runName(i), summarize(r.InputToDisplay), r.probes.sent, r.probes.lost))
		sent, lost = sent+r.probes.sent, lost+r.probes.lost
	}
	if len(rs) > 1 {
		all := summarize(pooled(rs, func(r runResult) []float64 { return r.InputToDisplay }))
		rows = append(rows, row("all", all, sent, lost))
	}
	table(w, []string{"run", "probes", "measured", "lost", "p50", "p99", "min", "max"}, rows)
}

func writePacing(w io.Writer, rs []runResult) {
	fmt.Fprintln(w, "## Frame pacing")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Page: frames presented, and frames missing between presented ones (by render time) or shown twice. Edge: frames sent and frame slots skipped during the measurement; send lateness after the frame's slot over the last 1024 frames (jitter = p99 − p50); render, convert and encode as the mean of once-a-second samples of the edge's per-second means.")
	fmt.Fprintln(w)
	var rows [][]string
	for i, r := range rs {
		a, b := r.edgeStart.Stats.Session, r.edgeEnd.Stats.Session
		late50, late99 := b.SendLateP50Ms, b.SendLateP99Ms
		rows = append(rows, []string{
			runName(i),
			fmt.Sprint(r.Presented), fmt.Sprint(r.Skipped), fmt.Sprint(r.Repeated), fmt.Sprint(r.Invalid),
			fmt.Sprint(b.Frames - a.Frames), fmt.Sprint(b.Skipped - a.Skipped),
			f2(late50), f2(late99), f2(late99 - late50),
			f2(sampleMean(r.samples, func(s sessionStats) float64 { return s.RenderMs })),
			f2(sampleMean(r.samples, func(s sessionStats) float64 { return s.ConvertMs })),
			f2(sampleMean(r.samples, func(s sessionStats) float64 { return s.EncodeMs })),
		})
	}
	table(w, []string{"run", "presented", "skipped (page)", "repeated", "undecodable",
		"sent (edge)", "skipped (edge)", "send late p50", "p99", "jitter", "render ms", "convert ms", "encode ms"}, rows)
}

// sampleMean averages one figure over the edge samples.
func sampleMean(ss []sessionStats, pick func(sessionStats) float64) float64 {
	v := make([]float64, len(ss))
	for i, s := range ss {
		v[i] = pick(s)
	}
	return mean(v)
}

func writeReceive(w io.Writer, rs []runResult) {
	fmt.Fprintln(w, "## Browser receive path (getStats over the measurement)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Per decoded frame: jitter buffer = jitterBufferDelay / jitterBufferEmittedCount; decode = totalDecodeTime / framesDecoded; processing = totalProcessingDelay / framesDecoded (first packet received → decoded).")
	fmt.Fprintln(w)
	var rows [][]string
	for i, r := range rs {
		a, b := r.rtcStart, r.rtcEnd
		decoded := b.FramesDecoded - a.FramesDecoded
		emitted := b.JitterBufferEmittedCount - a.JitterBufferEmittedCount
		rows = append(rows, []string{
			runName(i),
			fmt.Sprint(decoded), fmt.Sprint(b.FramesDropped - a.FramesDropped),
			f2(perFrameMs(b.JitterBufferDelay-a.JitterBufferDelay, emitted)),
			f2(perFrameMs(b.TotalDecodeTime-a.TotalDecodeTime, decoded)),
			f2(perFrameMs(b.TotalProcessingDelay-a.TotalProcessingDelay, decoded)),
			fmt.Sprint(b.FreezeCount - a.FreezeCount), fmt.Sprint(b.PacketsLost - a.PacketsLost), fmt.Sprint(b.NackCount - a.NackCount),
		})
	}
	table(w, []string{"run", "decoded", "dropped", "jitter buffer ms", "decode ms", "processing ms", "freezes", "lost", "NACKs"}, rows)
}

// perFrameMs turns a sum of seconds over n frames into ms per frame.
func perFrameMs(seconds, n float64) float64 {
	if n <= 0 {
		return 0
	}
	return 1000 * seconds / n
}
