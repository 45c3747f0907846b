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
	m := &Monitor{lib: lib, log: log, now: time.Now, seen: map[string]GPU{}, at: map[int]string{}}
	inv := m.Inventory()
	s := inv.Summary()
	log.Info("GPUs", "count", s.Count, "model", s.Model, "nvenc", s.NVENC, "driver", inv.Driver, "cuda", inv.CUDA())
	if s.Count > 0 && s.NVENC == 0 {
		// H100 and H200 land here: a GPU, but sessions must not expect
		// hardware encoding from it.
		log.Warn("no GPU has an NVENC engine; sessions will encode in software", "model", s.Model)
	}
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
	for _, g := range m.missing(present) {
		inv.GPUs = append(inv.GPUs, g)
	}
	return inv
}

// missing returns the GPUs seen before and not present now, each marked
// lost, in index order.
func (m *Monitor) missing(present map[string]bool) []GPU {
	var lost []GPU
	for uuid, g := range m.seen {
		if present[uuid] {
			continue
		}
		lost = append(lost, GPU{Index: g.Index, UUID: uuid, Name: g.Name, MemoryTotal: g.MemoryTotal, Err: "lost: NVML no longer lists it"})
	}
	slices.SortFunc(lost, func(a, b GPU) int { return a.Index - b.Index })
	return lost
}

// read queries GPU i. Identity and memory are needed for admission, so
// their failure marks the GPU failing; the other figures are left at zero
// when the GPU does not support them, unless NVML says the GPU is lost.
func (m *Monitor) read(i int) GPU {
	g := GPU{Index: i}
	if uuid, ok := m.at[i]; ok {
		// Until the GPU answers, name it as it was last seen here.
		g.UUID, g.Name = uuid, m.seen[uuid].Name
	}
	dev, ret := m.lib.DeviceGetHandleByIndex(i)
	if ret != nvml.SUCCESS {
		g.Err = failed("handle", ret)
		return g
	}
	q := query{g: &g, log: m.log}
	if v, ret := dev.GetUUID(); q.must("UUID", ret) {
		g.UUID = v
	}
	if v, ret := dev.GetName(); q.must("name", ret) {
		g.Name = v
	}
	if v, ret := dev.GetMemoryInfo(); q.must("memory", ret) {
		g.MemoryTotal, g.MemoryUsed = v.Total, v.Used
	}
	if v, ret := dev.GetUtilizationRates(); q.may("utilisation", ret) {
		g.UtilGPU, g.UtilMemory = int(v.Gpu), int(v.Memory)
	}
	capacityKnown := false
	if v, ret := dev.GetEncoderCapacity(nvml.ENCODER_QUERY_H264); q.may("encoder capacity", ret) {
		g.EncoderCapacity, capacityKnown = v, true
	}
	if v, ret := dev.GetEncoderSessions(); q.may("encoder sessions", ret) {
		g.EncoderSessions = len(v)
	}
	if n, fps, lat, ret := dev.GetEncoderStats(); q.may("encoder stats", ret) {
		// Stats count sessions too; the larger count wins in case one
		// call saw a session the other did not.
		g.EncoderSessions = max(g.EncoderSessions, n)
		g.EncoderFPS, g.EncoderLatencyUs = int(fps), int(lat)
	}
	if v, _, ret := dev.GetEncoderUtilization(); q.may("encoder utilisation", ret) {
		g.EncoderUtil = int(v)
	}
	if v, ret := dev.GetTemperature(nvml.TEMPERATURE_GPU); q.may("temperature", ret) {
		g.TemperatureC = int(v)
	}
	g.HasNVENC = capacityKnown && (g.EncoderCapacity > 0 || g.EncoderSessions > 0) && g.Err == ""
	return g
}

// query records the first failure of a GPU's queries in its Err and skips
// the queries after it: a lost GPU answers every call with an error.
type query struct {
	g   *GPU
	log *slog.Logger
}

// must reports whether an essential query succeeded; any failure marks the
// GPU failing.
func (q query) must(what string, ret nvml.Return) bool {
	if q.g.Err != "" {
		return false
	}
	if ret != nvml.SUCCESS {
		q.g.Err = failed(what, ret)
		return false
	}
	return true
}

// may reports whether an optional query succeeded. Only errors that mean
// the GPU itself is gone mark it failing; "not supported" is normal (an
// H100 has no encoder to ask about).
func (q query) may(what string, ret nvml.Return) bool {
	if q.g.Err != "" {
		return false
	}
	switch ret {
	case nvml.SUCCESS:
		return true
	case nvml.ERROR_NOT_SUPPORTED, nvml.ERROR_NO_PERMISSION, nvml.ERROR_FUNCTION_NOT_FOUND, nvml.ERROR_NOT_FOUND:
	case nvml.ERROR_GPU_IS_LOST, nvml.ERROR_RESET_REQUIRED, nvml.ERROR_GPU_NOT_FOUND, nvml.ERROR_UNINITIALIZED:
		q.g.Err = failed(what, ret)
	default:
		q.log.Debug("GPU query failed", "gpu", q.g.Index, "query", what, "err", errorString(ret))
	}
	return false
}

// failed describes a failed query, calling a lost GPU lost so operators
// know to look at the hardware rather than at Stratus.
func failed(what string, ret nvml.Return) string {
	if ret == nvml.ERROR_GPU_IS_LOST {
		return "lost: " + what + ": " + errorString(ret)
	}
	return what + ": " + errorString(ret)
}

// errorString is NVML's text for ret with its code, which NVML's own
// strings do not carry and support threads quote.
func errorString(ret nvml.Return) string {
	return fmt.Sprintf("%s (NVML %d)", ret.Error(), int32(ret))
}
