package main

import (
	"bufio"
	"context"
	"log/slog"
	"os"
	"runtime"
	"slices"
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

// cpuModel names the processor, so the figures say where they were taken.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

// joinArgs quotes arguments where a shell would need it.
func joinArgs(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t'\"$\\|&;<>()*?") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		q[i] = a
	}
	return strings.Join(q, " ")
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
