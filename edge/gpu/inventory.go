package gpu

import (
	"fmt"
	"strings"
	"time"

	"stratus/cluster"
)

// Error is this package's sentinel error type; being a string constant, the
// sentinels below cannot be reassigned by accident.
type Error string

func (e Error) Error() string { return string(e) }

// ErrNoDriver is returned by Open when NVML cannot be loaded: the machine
// has no NVIDIA driver. The edge runs on without GPUs.
const ErrNoDriver Error = "no NVIDIA driver (libnvidia-ml.so.1 not found)"

// GPU is one device as NVML last reported it.
type GPU struct {
	// Index is NVML's device index, the key admission uses.
	Index int `json:"index"`
	// Minor is the device node's number: /dev/nvidia<Minor>, which a
	// sandboxed game rendering on this GPU is given (it need not equal
	// Index).
	Minor int    `json:"minor"`
	UUID  string `json:"uuid,omitempty"`
	Name  string `json:"name,omitempty"`
	// MemoryTotal and MemoryUsed are in bytes.
	MemoryTotal uint64 `json:"memory_total"`
	MemoryUsed  uint64 `json:"memory_used"`
	// UtilGPU and UtilMemory are percentages over NVML's last sample period.
	UtilGPU    int `json:"util_gpu"`
	UtilMemory int `json:"util_memory"`
	// EncoderCapacity is the percentage of the H.264 encoder's capacity that
	// is left; 0 on a GPU without NVENC, whatever the driver says.
	EncoderCapacity int `json:"encoder_capacity"`
	// EncoderSessions counts the encoder sessions open on the GPU, from
	// every process, not only this edge's.
	EncoderSessions  int `json:"encoder_sessions"`
	EncoderUtil      int `json:"encoder_util"`
	EncoderFPS       int `json:"encoder_fps"`
	EncoderLatencyUs int `json:"encoder_latency_us"`
	TemperatureC     int `json:"temperature_c"`
	// HasNVENC is true when NVML answered the encoder capacity query, the
	// GPU has capacity left or sessions open, and the GPU is not one known
	// to lack an encoder engine (see the package doc).
	HasNVENC bool `json:"nvenc"`
	// Err says why the GPU cannot be used (lost, or a query failed); the
	// other figures are then the last known or zero.
	Err string `json:"err,omitempty"`
}

// MemoryFree is what is left for new sessions, in bytes.
func (g GPU) MemoryFree() uint64 {
	if g.MemoryUsed >= g.MemoryTotal {
		return 0
	}
	return g.MemoryTotal - g.MemoryUsed
}

// label names the GPU in messages the way an operator finds it in
// nvidia-smi.
func (g GPU) label() string {
	if g.Name == "" {
		return fmt.Sprintf("GPU %d", g.Index)
	}
	return fmt.Sprintf("GPU %d (%s)", g.Index, g.Name)
}

// Inventory is one reading of every GPU the edge has.
type Inventory struct {
	// Driver is the NVIDIA driver version, such as "580.159.04".
	Driver string `json:"driver,omitempty"`
	// CUDAVersion is the newest CUDA the driver supports, as NVML encodes
	// it: 1000×major + 10×minor (13000 is 13.0).
	CUDAVersion int   `json:"cuda,omitempty"`
	GPUs        []GPU `json:"gpus"`
	// Err is set when NVML could not list the GPUs at all; the entries in
	// GPUs are then the ones known from earlier readings, each with Err.
	Err   string    `json:"err,omitempty"`
	Taken time.Time `json:"taken"`
}

// CUDA renders CUDAVersion as "major.minor", or "" when unknown.
func (inv Inventory) CUDA() string {
	if inv.CUDAVersion <= 0 {
		return ""
	}
	return fmt.Sprintf("%d.%d", inv.CUDAVersion/1000, inv.CUDAVersion%1000/10)
}

// Degraded reports whether a GPU the edge had is lost or failing, with a
// reason fit for logs and gossip. An edge without GPUs at all is not
// degraded: it encodes in software as designed.
func (inv Inventory) Degraded() (bool, string) {
	var why []string
	if inv.Err != "" {
		why = append(why, inv.Err)
	}
	for _, g := range inv.GPUs {
		if g.Err != "" {
			why = append(why, g.label()+": "+g.Err)
		}
	}
	if len(why) == 0 {
		return false, ""
	}
	return true, strings.Join(why, "; ")
}

// Summary is the short form gossiped to other nodes, with the free encoder
// sessions counted under DefaultLimits; an edge with its own limits should
// use SummaryWith.
func (inv Inventory) Summary() cluster.GPUSummary {
	return inv.SummaryWith(DefaultLimits())
}

// SummaryWith is Summary with free encoder sessions counted under l and the
// sessions NVML sees open.
func (inv Inventory) SummaryWith(l Limits) cluster.GPUSummary {
	s := cluster.GPUSummary{Count: len(inv.GPUs)}
	for _, g := range inv.GPUs {
		if s.Model == "" {
			s.Model = g.Name
		}
		if g.Err == "" && g.HasNVENC {
			s.NVENC++
		}
	}
	for _, sl := range inv.Slots(l) {
		s.FreeEncoders += sl.Free
	}
	return s
}
