package edge

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/prometheus/client_golang/prometheus"

	"stratus/edge/api"
	"stratus/edge/gpu"
	"stratus/encoder"
	"stratus/encoder/nvenc"
	"stratus/encoder/x264"
)

// gpuSource reads the GPU inventory: a *gpu.Monitor, or a fake in tests.
type gpuSource interface {
	Inventory() gpu.Inventory
}

// hardware is what the edge takes from the machine: its GPUs and its
// encoders. New opens the real ones; tests build the edge with fakes.
type hardware struct {
	// gpus is nil on a machine without an NVIDIA driver; gpusErr then says
	// why.
	gpus    gpuSource
	gpusErr error
	// collector exports the GPUs to Prometheus; nil for none.
	collector prometheus.Collector
	// close releases gpus; nil when there is nothing to release.
	close     func() error
	openNVENC func(nvenc.Config, *slog.Logger) (encoder.Video, error)
	openX264  func(encoder.Config, *slog.Logger) (encoder.Video, error)
}

// openHardware opens NVML, if the machine has it, and the real encoders.
func openHardware(log *slog.Logger) hardware {
	hw := hardware{openNVENC: nvenc.New, openX264: x264.New}
	m, err := gpu.Open(log)
	if err != nil {
		hw.gpusErr = err
		return hw
	}
	hw.gpus, hw.collector, hw.close = m, m.Collector(), m.Close
	return hw
}

// logEncoders says once, at start, how sessions will encode and why.
func (e *Edge) logEncoders() {
	if e.hw.gpus == nil {
		if errors.Is(e.hw.gpusErr, gpu.ErrNoDriver) {
			e.log.Info("no NVIDIA driver: sessions encode with x264", "x264_sessions", e.cfg.Capacity)
		} else {
			e.log.Warn("GPUs unreadable: sessions encode with x264", "err", e.hw.gpusErr, "x264_sessions", e.cfg.Capacity)
		}
		return
	}
	inv := e.gpus.inventory()
	soft, hard := e.encoders.Capacity(inv)
	var without, with []string
	for _, g := range inv.GPUs {
		switch {
		case g.Err != "":
		case g.HasNVENC:
			with = append(with, g.Name)
		case !slices.Contains(without, g.Name):
			without = append(without, g.Name)
		}
	}
	switch {
	case len(inv.GPUs) == 0:
		e.log.Info("no GPUs: sessions encode with x264", "x264_sessions", soft)
	case len(with) == 0:
		for _, m := range without {
			e.log.Warn(fmt.Sprintf("GPU %s has no NVENC engine: sessions encode with x264", m), "x264_sessions", soft)
		}
	case hard == 0:
		_, _, why := gpu.Place(inv, e.cfg.gpuLimits(), nil)
		e.log.Warn("no NVENC session fits on the GPUs: sessions encode with x264", "why", why, "x264_sessions", soft)
	default:
		e.log.Info("NVENC: sessions encode on the GPUs while they have room, then with x264",
			"gpus", len(with), "model", with[0], "nvenc_sessions", hard, "x264_sessions", soft,
			"per_gpu", e.cfg.GPUSessions, "session_mib", e.cfg.GPUSessionMiB)
	}
}

// capacity is how many sessions the edge admits: software plus NVENC.
func (e *Edge) capacity() int {
	soft, hard := e.encoders.Capacity(e.gpus.inventory())
	return soft + hard
}

// gpuStatus is the GPU part of GET /v1/status; nil without a driver.
func (e *Edge) gpuStatus() *api.GPUs {
	if e.hw.gpus == nil {
		return nil
	}
	inv := e.gpus.inventory()
	soft, hard := e.encoders.Capacity(inv)
	slots, placed := e.encoders.Slots(inv)
	st := &api.GPUs{
		Driver: inv.Driver, CUDA: inv.CUDA(), Err: inv.Err,
		SoftwareCapacity: soft, NVENCCapacity: hard,
		Devices: make([]api.GPU, len(inv.GPUs)),
	}
	for i, g := range inv.GPUs {
		st.Devices[i] = api.GPU{
			Index: g.Index, Name: g.Name, UUID: g.UUID, NVENC: g.HasNVENC && g.Err == "",
			MemoryUsed: g.MemoryUsed, MemoryTotal: g.MemoryTotal,
			EncoderSessions: g.EncoderSessions, Sessions: placed[g.Index],
			Free: slots[i].Free, Why: slots[i].Why, Err: g.Err,
		}
	}
	return st
}
