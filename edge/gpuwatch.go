package edge

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"stratus/edge/gpu"
)

// gpuRefreshEvery is how often the edge reads its GPUs: admission, status
// and gossip use the last reading, so a lost GPU is out of use within this
// long, while NVML is asked a few calls per GPU a few times a minute.
const gpuRefreshEvery = 3 * time.Second

// gpuWatch holds the edge's last reading of its GPUs and takes a new one
// every gpuRefreshEvery, telling changed when what the cluster sees of
// them changes (health, or the summary gossip carries).
//
// inventory and read are safe for concurrent use; run is called once, by
// the watch's owner, and only when there are GPUs to read.
type gpuWatch struct {
	src     gpuSource // nil without a driver
	limits  gpu.Limits
	changed func()
	log     *slog.Logger
	// last is the last reading; nil until the first.
	last atomic.Pointer[gpu.Inventory]
}

func newGPUWatch(src gpuSource, limits gpu.Limits, changed func(), log *slog.Logger) *gpuWatch {
	return &gpuWatch{src: src, limits: limits, changed: changed, log: log}
}

// inventory is the last reading; empty without a driver.
func (w *gpuWatch) inventory() gpu.Inventory {
	if inv := w.last.Load(); inv != nil {
		return *inv
	}
	return gpu.Inventory{GPUs: []gpu.GPU{}}
}

// read takes a new reading and reports whether what the cluster sees of
// it changed.
func (w *gpuWatch) read() (changed bool) {
	if w.src == nil {
		return false
	}
	old := w.inventory()
	inv := w.src.Inventory()
	w.last.Store(&inv)
	wasBad, _ := old.Degraded()
	bad, why := inv.Degraded()
	switch {
	case bad && !wasBad:
		w.log.Warn("GPU degraded: the edge gossips itself degraded and puts no session on the GPU", "why", why)
	case wasBad && !bad:
		w.log.Info("GPUs healthy again")
	}
	return bad != wasBad || old.SummaryWith(w.limits) != inv.SummaryWith(w.limits)
}

// run reads the GPUs every gpuRefreshEvery until ctx ends.
func (w *gpuWatch) run(ctx context.Context) {
	t := time.NewTicker(gpuRefreshEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if w.read() {
			w.changed()
		}
	}
}
