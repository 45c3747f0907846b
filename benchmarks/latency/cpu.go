package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	// userHZ is the unit of utime and stime in /proc/<pid>/stat: the
	// kernel reports them in USER_HZ, which its ABI fixes at 100.
	userHZ = 100
	// cpuSampleEvery is how often the meter reads the server's CPU time;
	// ten samples a second place a window's ends within 100 ms, where the
	// counters themselves move in 10 ms steps.
	cpuSampleEvery = 100 * time.Millisecond
	// maxCPUSamples bounds the meter's memory: at ten a second, over five
	// hours of samples.
	maxCPUSamples = 200_000
)

// procCPU is the CPU time, user plus system, that process pid has used so
// far, its threads included and its children not.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStatCPU(string(b))
}

// parseStatCPU reads utime and stime (fields 14 and 15) of a
// /proc/<pid>/stat line. The command name (field 2) is in parentheses and
// may hold spaces and parentheses itself, so fields are counted from the
// last ')'.
func parseStatCPU(stat string) (time.Duration, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc stat %.40q: no command name", stat)
	}
	// After the name: state (field 3) … utime (14), stime (15).
	f := strings.Fields(stat[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc stat %.40q: %d fields after the name, want 13 or more", stat, len(f))
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("/proc stat: CPU time %q is not a tick count", s)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / userHZ, nil
}

// cpuSample is a process's CPU time at a moment.
type cpuSample struct {
	at  time.Time
	cpu time.Duration
}

// cpuMeter samples one process's CPU time in the background, so that the
// CPU of any window can be read afterwards.
type cpuMeter struct {
	pid    int
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	samples []cpuSample
	err     error // the first failed read
}

// startCPUMeter reads pid's CPU time now, failing when it cannot, and then
// every cpuSampleEvery until stop.
func startCPUMeter(ctx context.Context, pid int) (*cpuMeter, error) {
	m := &cpuMeter{pid: pid}
	if err := m.sample(); err != nil {
		return nil, err
	}
	ctx, m.cancel = context.WithCancel(ctx)
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		tick := time.NewTicker(cpuSampleEvery)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if m.sample() != nil {
				return
			}
		}
	}()
	return m, nil
}

func (m *cpuMeter) sample() error {
	c, err := procCPU(m.pid)
	m.mu.Lock()
	defer m.mu.Unlock()
	if err != nil {
		if m.err == nil {
			m.err = fmt.Errorf("reading the server's CPU time: %w", err)
		}
		return err
	}
	if len(m.samples) < maxCPUSamples {
		m.samples = append(m.samples, cpuSample{at: time.Now(), cpu: c})
	}
	return nil
}

func (m *cpuMeter) stop() {
	m.cancel()
	m.wg.Wait()
}

// over is the CPU time the process used from a to b, and the first read
// error, if any: a window the samples do not cover is an error too.
func (m *cpuMeter) over(a, b time.Time) (time.Duration, error) {
	m.sample() // so that a window ending now is covered
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return 0, m.err
	}
	return cpuOver(m.samples, a, b)
}

// cpuOver is the CPU time between a and b, each end interpolated between
// the samples around it (samples in time order).
func cpuOver(samples []cpuSample, a, b time.Time) (time.Duration, error) {
	if b.Before(a) {
		return 0, fmt.Errorf("CPU window %v … %v ends before it starts", a.Format(time.StampMilli), b.Format(time.StampMilli))
	}
	ca, err := cpuAt(samples, a)
	if err != nil {
		return 0, err
	}
	cb, err := cpuAt(samples, b)
	if err != nil {
		return 0, err
	}
	return cb - ca, nil
}

// cpuAt interpolates the CPU time at t between the samples around it.
func cpuAt(samples []cpuSample, t time.Time) (time.Duration, error) {
	for i := 1; i < len(samples); i++ {
		s0, s1 := samples[i-1], samples[i]
		if t.Before(s0.at) || t.After(s1.at) {
			continue
		}
		span := s1.at.Sub(s0.at)
		if span <= 0 {
			return s0.cpu, nil
		}
		frac := float64(t.Sub(s0.at)) / float64(span)
		return s0.cpu + time.Duration(frac*float64(s1.cpu-s0.cpu)), nil
	}
	return 0, fmt.Errorf("no CPU samples around %v (%d samples)", t.Format(time.StampMilli), len(samples))
}

// netCPU is a window's CPU time less what the process spends idle over the
// same length (idleRate: CPU seconds per second), in seconds; and that as
// a share of one core.
func netCPU(used time.Duration, window time.Duration, idleRate float64) (seconds, core float64) {
	if window <= 0 {
		return 0, 0
	}
	seconds = used.Seconds() - idleRate*window.Seconds()
	return seconds, seconds / window.Seconds()
}
