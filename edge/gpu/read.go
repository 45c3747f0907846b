//go:build cgo

package gpu

import (
	"fmt"
	"log/slog"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
)

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
	g.Minor = i // where NVML does not say, the usual numbering
	if v, ret := dev.GetMinorNumber(); ret == nvml.SUCCESS {
		g.Minor = v
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
	if g.HasNVENC {
		// The capacity query alone is not proof: some drivers report
		// capacity on GPUs without an encoder engine. The hardware does
		// not change, so the answer is kept.
		has, ok := m.nvenc[g.UUID]
		if !ok {
			if n, known := engines(dev); known {
				has = n > 0
			} else {
				has = !lacksNVENC(g.Name)
			}
			m.nvenc[g.UUID] = has
		}
		g.HasNVENC = has
	}
	if !g.HasNVENC {
		g.EncoderCapacity = 0
	}
	return g
}

// engines asks the hardware how many NVENC engines the GPU has. NVML lists
// engine counts only in the MIG profiles, so only MIG-capable GPUs (A100,
// H100, H200, B200 and the like) answer; the largest profile holds every
// engine.
func engines(dev nvml.Device) (n int, known bool) {
	for _, p := range []int{nvml.GPU_INSTANCE_PROFILE_7_SLICE, nvml.GPU_INSTANCE_PROFILE_8_SLICE, nvml.GPU_INSTANCE_PROFILE_6_SLICE, nvml.GPU_INSTANCE_PROFILE_4_SLICE} {
		if info, ret := dev.GetGpuInstanceProfileInfo(p); ret == nvml.SUCCESS {
			n, known = max(n, int(info.EncoderCount)), true
		}
	}
	return n, known
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
