package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"stratus/cluster"
	"stratus/internal/machine"
	"stratus/internal/stats"
)

func itoa(n int) string { return strconv.Itoa(n) }

func ms(d time.Duration) string {
	switch {
	case d == 0:
		return "–"
	case d < time.Millisecond:
		return "<1"
	}
	return fmt.Sprintf("%.0f", float64(d)/float64(time.Millisecond))
}

// report renders the markdown section for benchmarks/README.md.
func report(o options, results []sizeResult, logs *countingHandler, took time.Duration) string {
	var b strings.Builder
	host, _ := os.Hostname()
	fmt.Fprintf(&b, "Machine: %d CPUs (%s), %s, %s; open-file limit %d. Taken %s; the run took %s.\n\n",
		numCPU(), machine.CPUModel(), runtime.Version(), host, fileLimit(),
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), took.Round(time.Second))
	fmt.Fprintf(&b, "Command: `go run ./benchmarks/gossip %s`\n\n", machine.ShellJoin(os.Args[1:]))
	fmt.Fprintf(&b, "Settings: profile `lan` (%s), AES-256-GCM, all members in one process on 127.0.0.1, "+
		"%d seeds, members started %d at a time, GOGC %d. Each repetition changes one random member's "+
		"metadata (SetMeta), then kills another (Close without Leave) and replaces it. Times run from the "+
		"call until each member's event subscription delivers the news; \"all\" is the last of the N−1 "+
		"others, \"each\" pools every member's own time. \"CPU\" is the share of all CPUs used by this "+
		"benchmark and by everything else on the machine while measuring; \"Go sched wait\" is how long "+
		"runnable goroutines waited for a CPU (p99.9): when it nears the 250 ms probe timeout, healthy "+
		"members get suspected.\n\n", cluster.ProfileLAN.Settings(), o.seeds, o.batch, o.gcPercent)

	b.WriteString("| N | reps | meta → all p50 | meta → all p99 | meta each p50 | death → all p50 | death → all p99 | death each p50 | CPU: bench / others | Go sched wait p99.9 | startup |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range results {
		meta, metaEach := stats.Sorted(r.meta), stats.Sorted(r.metaEach)
		death, deathEach := stats.Sorted(r.death), stats.Sorted(r.deathEach)
		fmt.Fprintf(&b, "| %d | %d | %s ms | %s ms | %s ms | %s ms | %s ms | %s ms | %.0f %% / %.0f %% | %s ms | %s |\n",
			r.n, len(r.death),
			ms(stats.Percentile(meta, 50)), ms(stats.Percentile(meta, 99)), ms(stats.Percentile(metaEach, 50)),
			ms(stats.Percentile(death, 50)), ms(stats.Percentile(death, 99)), ms(stats.Percentile(deathEach, 50)),
			100*r.cpuShare, 100*r.othersShare, ms(r.schedP999), r.startup.Round(100*time.Millisecond))
	}
	b.WriteString("\n")
	for _, r := range results {
		if r.err != nil {
			fmt.Fprintf(&b, "- N = %d stopped early: %v\n", r.n, r.err)
		}
		if r.falseDeaths+r.falseAtStart > 0 {
			fmt.Fprintf(&b, "- N = %d: members wrongly declared dead (events summed over all members): %d while starting, %d while measuring.\n",
				r.n, r.falseAtStart, r.falseDeaths)
		}
		if r.excluded > 0 {
			fmt.Fprintf(&b, "- N = %d: %d member-deaths left out: the member did not list the victim when it was killed.\n", r.n, r.excluded)
		}
		if r.resyncs > 0 {
			fmt.Fprintf(&b, "- N = %d: %d subscriptions fell behind and resynced from Members().\n", r.n, r.resyncs)
		}
		if len(r.meta) > 0 {
			fmt.Fprintf(&b, "- N = %d raw (ms): meta → all %s; death → all %s\n", r.n, msList(r.meta), msList(r.death))
		}
	}
	if top := logs.top(5); len(top) > 0 {
		fmt.Fprintf(&b, "- Warnings logged by the members (most frequent): %s\n", strings.Join(top, "; "))
	}
	return b.String()
}

func msList(ds []time.Duration) string {
	s := make([]string, len(ds))
	for i, d := range ds {
		s[i] = ms(d)
	}
	return strings.Join(s, " ")
}
