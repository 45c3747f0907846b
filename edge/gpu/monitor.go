//go:build cgo

package gpu

import (
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
	"github.com/prometheus/client_golang/prometheus"
)

// Source is the part of NVML the monitor uses. nvml.New() and go-nvml's
// pkg/nvml/mock.Interface both satisfy it; devices are queried through
// nvml.Device, which the mock's Device also implements.
type Source interface {
	Init() nvml.Return
	Shutdown() nvml.Return
	SystemGetDriverVersion() (string, nvml.Return)
	SystemGetCudaDriverVersion() (int, nvml.Return)
	DeviceGetCount() (int, nvml.Return)
	DeviceGetHandleByIndex(int) (nvml.Device, nvml.Return)
}

// Monitor reads the GPUs through NVML. It owns NVML's initialisation: Open
// initialises it, Close shuts it down. Its methods are safe for concurrent
// use, and a nil *Monitor (what the edge holds when Open failed) reports no
// GPUs.
type Monitor struct {
	lib Source
	log *slog.Logger
	now func() time.Time

	mu     sync.Mutex
	closed bool
	// seen remembers every GPU read successfully, by UUID, so one that
	// later vanishes from NVML's list is still reported, as lost.
	seen map[string]GPU
	// at is the UUID last read at each index, to name a GPU whose handle
	// can no longer be had.
	at map[int]string
	// nvenc caches, by UUID, whether a GPU has an encoder engine at all.
	nvenc map[string]bool
}

// Open loads and initialises NVML. Without an NVIDIA driver it returns
// ErrNoDriver, and the edge runs on encoding in software.
func Open(log *slog.Logger) (*Monitor, error) {
	return OpenWith(nvml.New(), log)
}

// OpenWith is Open over a given NVML, a mock in tests. It takes one
// inventory at once to log what the edge has, and to learn the GPUs so
// that a later loss is noticed.
func OpenWith(lib Source, log *slog.Logger) (*Monitor, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	switch ret := lib.Init(); ret {
	case nvml.SUCCESS:
	case nvml.ERROR_LIBRARY_NOT_FOUND:
		return nil, ErrNoDriver
	default:
		return nil, fmt.Errorf("NVML init: %s", errorString(ret))
	}
	m := &Monitor{lib: lib, log: log, now: time.Now, seen: map[string]GPU{}, at: map[int]string{}, nvenc: map[string]bool{}}
	inv := m.Inventory()
	s := inv.Summary()
	// Whether sessions can use these GPUs is the edge's to say; this is
	// only what NVML sees.
	log.Info("GPUs", "count", s.Count, "model", s.Model, "nvenc", s.NVENC, "driver", inv.Driver, "cuda", inv.CUDA())
	if bad, why := inv.Degraded(); bad {
		log.Warn("GPU degraded", "why", why)
	}
	return m, nil
}

// Close shuts NVML down. Calling it again, or on a nil Monitor, does
// nothing.
func (m *Monitor) Close() error {
	if m == nil {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil
	}
	m.closed = true
	if ret := m.lib.Shutdown(); ret != nvml.SUCCESS {
		return fmt.Errorf("NVML shutdown: %s", errorString(ret))
	}
	return nil
}

// Collector exports the GPUs to Prometheus, reading NVML at scrape time at
// most once a second.
func (m *Monitor) Collector() prometheus.Collector {
	return newCollector(m.Inventory, scrapeMaxAge, time.Now)
}

// Inventory reads every GPU now. It takes a few NVML calls per GPU
// (milliseconds), so callers on a hot path should keep the result for a
// while.
func (m *Monitor) Inventory() Inventory {
	if m == nil {
		return Inventory{GPUs: []GPU{}, Taken: time.Now()}
	}
	// One reading at a time: seen and at are updated from it, and NVML
	// gains nothing from parallel queries of the same devices.
	m.mu.Lock()
	defer m.mu.Unlock()
	inv := Inventory{GPUs: []GPU{}, Taken: m.now()}
	if m.closed {
		inv.Err = "GPU monitor closed"
		return inv
	}
	if v, ret := m.lib.SystemGetDriverVersion(); ret == nvml.SUCCESS {
		inv.Driver = v
	}
	if v, ret := m.lib.SystemGetCudaDriverVersion(); ret == nvml.SUCCESS {
		inv.CUDAVersion = v
	}
	n, ret := m.lib.DeviceGetCount()
	if ret != nvml.SUCCESS {
		inv.Err = "listing GPUs: " + errorString(ret)
		n = 0
	}
	present := map[string]bool{}
	for i := range n {
		g := m.read(i)
		if g.UUID != "" {
			present[g.UUID] = true
			if g.Err == "" {
				m.seen[g.UUID] = g
				m.at[i] = g.UUID
			}
		}
		inv.GPUs = append(inv.GPUs, g)
	}
	why := "lost: NVML no longer lists it"
	if inv.Err != "" {
		why = "unknown: " + inv.Err
	}
	inv.GPUs = append(inv.GPUs, m.missing(present, why)...)
	return inv
}

// missing returns the GPUs seen before and not present now, each with Err
// set to why, in index order.
func (m *Monitor) missing(present map[string]bool, why string) []GPU {
	var lost []GPU
	for uuid, g := range m.seen {
		if present[uuid] {
			continue
		}
		lost = append(lost, GPU{Index: g.Index, UUID: uuid, Name: g.Name, MemoryTotal: g.MemoryTotal, Err: why})
	}
	slices.SortFunc(lost, func(a, b GPU) int { return a.Index - b.Index })
	return lost
}
