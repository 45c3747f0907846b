package main

import (
	"fmt"
	"io"
	"math"

	"stratus/internal/stats"
)

// writeCompareReport prints the comparison as markdown: the setting, a row
// per player and run, and the p50 across runs of each figure with the
// checker's over Chromium's.
func writeCompareReport(w io.Writer, env environment, o options, rs []pairResult, failures []string, loadAfter string) {
	fmt.Fprintf(w, "# The checker against headless Chromium, %s\n\n", env.date.Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(w, "- Machine: %s, nproc %d, load average %s before the start, %s at the end\n", env.cpu, env.nproc, env.load, loadAfter)
	fmt.Fprintf(w, "- Chromium: %s (headless)\n", env.chromium)
	fmt.Fprintf(w, "- Command: `%s`\n", env.command)
	fmt.Fprintf(w, "- Server: `%s` (edge and signaling node in one process, whose CPU is counted)\n", env.server)
	fmt.Fprintf(w, "- Each run: a checker probe watching %v, and a fresh tab measuring %v after %v of warm-up, one after the other (order alternating); a key press every %v in both; %v of the idle server measured before each\n\n",
		o.duration, o.duration, o.warmup, o.probeEvery, idleWindow)

	fmt.Fprintln(w, "## Per run")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "fps: frames decoded a second (checker) or presented (Chromium); decoded fps: Chromium's from getStats. Join: the join sent to the first frame decoded (checker) or presented (Chromium). Session: the player's start to the edge running no session again; edge CPU over it, less the idle rate. Core: the edge's share of a core while the video played (the watch, or the measurement), less the idle rate.")
	fmt.Fprintln(w)
	var rows [][]string
	for i, r := range rs {
		first, second := "checker", "Chromium"
		pf, ps := r.checker, r.chromium
		if !r.checkerFirst {
			first, second, pf, ps = second, first, ps, pf
		}
		rows = append(rows, figureRow(runName(i), "1st", first, pf), figureRow(runName(i), "2nd", second, ps))
	}
	table(w, []string{"run", "order", "player", "join ms", "fps", "decoded fps", "g2g p50", "g2g p99", "input p50", "frames / inputs", "session s", "edge CPU-s", "core %", "idle core %"}, rows)

	fmt.Fprintln(w, "## p50 across runs")
	fmt.Fprintln(w)
	var sum [][]string
	for _, m := range compareMeasures() {
		ck, cr := acrossRuns(rs, func(r pairResult) float64 { return m.pick(r.checker) }), acrossRuns(rs, func(r pairResult) float64 { return m.pick(r.chromium) })
		sum = append(sum, []string{m.name, m.format(ck), m.format(cr), f2(ratio(ck, cr))})
	}
	table(w, []string{"figure", "checker", "Chromium", "checker ÷ Chromium"}, sum)

	if len(failures) > 0 {
		fmt.Fprintf(w, "## Sessions played again (%d)\n\n", len(failures))
		for _, f := range failures {
			fmt.Fprintf(w, "- %s\n", f)
		}
		fmt.Fprintln(w)
	}
}

// figureRow is one player's row of the per-run table.
func figureRow(run, order, player string, f playerFigures) []string {
	return []string{run, order, player, fmt.Sprintf("%.0f", f.joinMs), f1(f.fps), f1(f.decodedFPS), f1(f.g2gP50), f1(f.g2gP99), f1(f.inputP50),
		fmt.Sprintf("%d / %d", f.g2gN, f.inputN), f1(f.cost.wall.Seconds()), f2(f.cost.cpu), f1(100 * f.cost.steady), f1(100 * f.cost.idleRate)}
}

// compareMeasure is one row of the summary.
type compareMeasure struct {
	name   string
	pick   func(playerFigures) float64
	format func(float64) string
}

// compareMeasures are the summary's rows, in order.
func compareMeasures() []compareMeasure {
	return []compareMeasure{
		{"join, ms", func(f playerFigures) float64 { return f.joinMs }, func(v float64) string { return fmt.Sprintf("%.0f", v) }},
		{"fps (decoded by the checker, presented by Chromium)", func(f playerFigures) float64 { return f.fps }, f1},
		{"fps decoded", func(f playerFigures) float64 { return f.decodedFPS }, f1},
		{"glass-to-glass p50, ms", func(f playerFigures) float64 { return f.g2gP50 }, f1},
		{"glass-to-glass p99, ms", func(f playerFigures) float64 { return f.g2gP99 }, f1},
		{"input-to-display p50, ms", func(f playerFigures) float64 { return f.inputP50 }, f1},
		{"session, s", func(f playerFigures) float64 { return f.cost.wall.Seconds() }, f1},
		{"edge CPU per session, s", func(f playerFigures) float64 { return f.cost.cpu }, f2},
		{"edge share of a core while playing, %", func(f playerFigures) float64 { return 100 * f.cost.steady }, f1},
	}
}

// acrossRuns is the p50 (nearest rank) of one figure over the runs,
// leaving out runs where it is NaN; NaN when every run lacks it.
func acrossRuns(rs []pairResult, pick func(pairResult) float64) float64 {
	var v []float64
	for _, r := range rs {
		if x := pick(r); !math.IsNaN(x) {
			v = append(v, x)
		}
	}
	return percentile(stats.Sorted(v), 50)
}

// ratio is a over b, NaN when b is zero or either is NaN.
func ratio(a, b float64) float64 {
	if b == 0 || math.IsNaN(a) || math.IsNaN(b) {
		return math.NaN()
	}
	return a / b
}
