package main

import (
	"fmt"
	"io"
	"strings"

	"stratus/internal/machine"
)

// report writes the markdown table: one row per run. A reconnect starts a
// new peer connection whose counters start at zero, so a run with one
// understates (or shows a negative) bitrate.
func report(w io.Writer, o options, load string, rows []result) {
	fmt.Fprintf(w, "Machine: %s; load before: %s\n\n", machine.CPUModel(), load)
	fmt.Fprintf(w, "Command: %s (warm-up %v, measured %v)\n\n", machine.Invocation("./benchmarks/netplay"), o.warmup, o.duration)
	fmt.Fprintln(w, "| scenario | title | Mbit/s | fps | freezes | longest gap ms | reconnects | phases (Mbit/s, fps) |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---|")
	for _, r := range rows {
		var ph []string
		for _, p := range r.phases {
			ph = append(ph, fmt.Sprintf("%s: %.2f, %.0f", p.name, p.mbps, p.fps))
		}
		fmt.Fprintf(w, "| %s | %s | %.2f | %.1f | %d | %.0f | %d | %s |\n",
			r.scenario, r.title, r.mbps, r.fps, r.freezes, r.longestMs, r.reconnects, strings.Join(ph, "; "))
	}
}
