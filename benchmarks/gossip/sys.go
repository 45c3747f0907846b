package main

import (
	"context"
	"log/slog"
	"math"
	"os"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

func numCPU() int { return runtime.NumCPU() }

// cpuTime is the CPU time this process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// fileLimit is the soft limit on open files (Go raises it to the hard limit
// at start). Each member holds a UDP and a TCP socket, plus TCP connections
// during state syncs.
func fileLimit() uint64 {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0
	}
	return rl.Cur
}

// countingHandler counts log records of Warn and above by message and
// discards everything: the report lists what the members complained about.
type countingHandler struct {
	mu     *sync.Mutex
	counts map[string]int
}

func newCountingHandler() *countingHandler {
	return &countingHandler{mu: &sync.Mutex{}, counts: make(map[string]int)}
}

func (h *countingHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

func (h *countingHandler) Handle(_ context.Context, r slog.Record) error {
	msg := r.Message
	// memberlist's lines carry addresses; keep the first words as the kind.
	if f := strings.Fields(msg); len(f) > 6 {
		msg = strings.Join(f[:6], " ") + " …"
	}
	h.mu.Lock()
	h.counts[msg]++
	h.mu.Unlock()
	return nil
}

func (h *countingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *countingHandler) WithGroup(string) slog.Handler      { return h }

// top returns the most frequent messages with their counts.
func (h *countingHandler) top(n int) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	type kv struct {
		msg string
		n   int
	}
	var all []kv
	for m, c := range h.counts {
		all = append(all, kv{m, c})
	}
	slices.SortFunc(all, func(a, b kv) int { return b.n - a.n })
	var out []string
	for i, x := range all {
		if i == n {
			break
		}
		out = append(out, strings.TrimSpace(x.msg)+" ×"+itoa(x.n))
	}
	return out
}

// machineBusy is the CPU time all processes on the machine have used
// (user, nice, system, irq, softirq, steal), from /proc/stat. Subtracting
// this process's own gives the load others put on the machine while
// measuring, which on a shared two-core machine moves the figures.
func machineBusy() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0
	}
	var ticks int64
	for i, v := range f[1:9] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		n, _ := strconv.ParseInt(v, 10, 64)
		ticks += n
	}
	// USER_HZ is 100 on every Linux this runs on.
	return time.Duration(ticks) * 10 * time.Millisecond
}

// schedLatency returns the Go scheduler's latency histogram: how long
// runnable goroutines waited for a CPU. Long waits starve memberlist's
// probes and acks, which is what makes an overloaded pool suspect healthy
// members.
func schedLatency() *metrics.Float64Histogram {
	s := []metrics.Sample{{Name: "/sched/latencies:seconds"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindFloat64Histogram {
		return nil
	}
	return s[0].Value.Float64Histogram()
}

// latencyQuantile is the q quantile (0..1) of the waits recorded between
// two histogram readings, as the upper bound of its bucket.
func latencyQuantile(before, after *metrics.Float64Histogram, q float64) time.Duration {
	if before == nil || after == nil || len(before.Counts) != len(after.Counts) {
		return 0
	}
	var total uint64
	diff := make([]uint64, len(after.Counts))
	for i := range diff {
		diff[i] = after.Counts[i] - before.Counts[i]
		total += diff[i]
	}
	if total == 0 {
		return 0
	}
	var acc uint64
	for i, c := range diff {
		acc += c
		if float64(acc) >= q*float64(total) {
			ub := after.Buckets[i+1]
			if math.IsInf(ub, 1) {
				ub = after.Buckets[i]
			}
			return time.Duration(ub * float64(time.Second))
		}
	}
	return 0
}
