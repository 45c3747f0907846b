package main

import (
	"fmt"
	"io"
	"strings"

	"stratus/internal/machine"
	"stratus/internal/stats"
)

// report writes the markdown table: one row per run. A reconnect starts a
// new peer connection whose counters start at zero, so a run with one
// understates (or shows a negative) bitrate.
func report(w io.Writer, o options, load string, rows []result) {
	fmt.Fprintf(w, "Machine: %s; load before: %s\n\n", machine.CPUModel(), load)
	fmt.Fprintf(w, "Command: %s (warm-up %v, measured %v)\n\n", machine.Invocation("./benchmarks/netplay"), o.warmup, o.duration)
	fmt.Fprintln(w, "| scenario | title | Mbit/s received | Mbit/s sent | fps | freezes | longest gap ms | g2g p50 / p99 ms | reconnects | phases (Mbit/s, fps) |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
	for _, r := range rows {
		var ph []string
		for _, p := range r.phases {
			ph = append(ph, fmt.Sprintf("%s: %.2f, %.0f", p.name, p.mbps, p.fps))
		}
		if r.frozenAfterMs >= 0 {
			ph = append(ph, fmt.Sprintf("frozen %.0f ms after the burst", r.frozenAfterMs))
		}
		switch {
		case r.fullRung == "":
		case r.fullAfter < 0:
			ph = append(ph, fmt.Sprintf("not back at %s in the last phase", r.fullRung))
		default:
			ph = append(ph, fmt.Sprintf("back at %s %.1f s into the last phase", r.fullRung, r.fullAfter.Seconds()))
		}
		g2g := ""
		if len(r.g2g) > 0 {
			sorted := stats.Sorted(r.g2g)
			g2g = fmt.Sprintf("%.1f / %.1f", stats.Percentile(sorted, 50), stats.Percentile(sorted, 99))
		}
		fmt.Fprintf(w, "| %s | %s | %.2f | %.2f | %.1f | %d | %.0f | %s | %d | %s |\n",
			r.scenario, r.title, r.mbps, r.sentMbps, r.fps, r.freezes, r.longestMs, g2g, r.reconnects, strings.Join(ph, "; "))
	}
}
