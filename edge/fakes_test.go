package edge

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"

	"stratus/edge/gpu"
	"stratus/encoder"
	"stratus/encoder/nvenc"
)

// Fakes of the machine (hardware) for tests without a GPU: an inventory
// the test edits, and encoders that produce a token access unit.

// fakeGPUs is an inventory the test changes as it goes.
type fakeGPUs struct {
	mu  sync.Mutex
	inv gpu.Inventory
}

func newFakeGPUs(gpus ...gpu.GPU) *fakeGPUs {
	return &fakeGPUs{inv: gpu.Inventory{Driver: "580.159.04", CUDAVersion: 13000, GPUs: gpus}}
}

func (f *fakeGPUs) Inventory() gpu.Inventory {
	f.mu.Lock()
	defer f.mu.Unlock()
	inv := f.inv
	inv.GPUs = append([]gpu.GPU{}, f.inv.GPUs...)
	return inv
}

// lose marks GPU i lost, as the monitor reports a GPU NVML no longer lists.
func (f *fakeGPUs) lose(i int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for j := range f.inv.GPUs {
		if f.inv.GPUs[j].Index == i {
			f.inv.GPUs[j].Err = "lost: NVML no longer lists it"
		}
	}
}

const gib = 1 << 30

// l4 is an idle GPU with NVENC.
func l4(i int) gpu.GPU {
	return gpu.GPU{Index: i, UUID: fmt.Sprintf("GPU-l4-%d", i), Name: "NVIDIA L4",
		MemoryTotal: 24 * gib, MemoryUsed: gib, EncoderCapacity: 100, HasNVENC: true}
}

// h200 is a GPU without an encoder engine.
func h200(i int) gpu.GPU {
	return gpu.GPU{Index: i, UUID: fmt.Sprintf("GPU-h200-%d", i), Name: "NVIDIA H200", MemoryTotal: 141 * gib}
}

// fakeEncoder produces a one-NAL access unit per picture; from picture
// failAt on (-1: never) it fails with failErr.
type fakeEncoder struct {
	name    string
	failAt  int64
	failErr error

	n      atomic.Int64
	idr    atomic.Bool
	closed atomic.Int32
}

func (f *fakeEncoder) Name() string { return f.name }

func (f *fakeEncoder) Encode(pic *encoder.I420) (encoder.AccessUnit, error) {
	n := f.n.Add(1) - 1
	if f.failAt >= 0 && n >= f.failAt {
		return encoder.AccessUnit{}, f.failErr
	}
	key := n == 0 || f.idr.Swap(false)
	nal := byte(0x41) // non-IDR slice
	if key {
		nal = 0x65
	}
	return encoder.AccessUnit{Data: []byte{0, 0, 0, 1, nal, 0x88, 0x84}, Keyframe: key}, nil
}

func (f *fakeEncoder) ForceIDR()      { f.idr.Store(true) }
func (f *fakeEncoder) SetBitrate(int) {}
func (f *fakeEncoder) Close() error   { f.closed.Add(1); return nil }

// fakeCodecs opens fake encoders and records what was opened where.
type fakeCodecs struct {
	mu sync.Mutex
	// nvencOn lists the GPU of every NVENC encoder opened, in order.
	nvencOn []int
	x264    int
	// refuse makes NVENC fail to open on these GPUs, as on a container
	// without the "video" driver capability.
	refuse map[int]bool
	// loseAfter makes every NVENC session lost after that many pictures
	// (0: never).
	loseAfter  int64
	nvencTries int
}

func (c *fakeCodecs) openNVENC(cfg nvenc.Config, _ *slog.Logger) (encoder.Video, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nvencTries++
	// NVENC opens the GPU by the UUID of NVML's reading (the fakes name
	// GPU i "GPU-<model>-i"), whatever CUDA's order.
	if !strings.HasSuffix(cfg.UUID, fmt.Sprintf("-%d", cfg.GPU)) {
		return nil, fmt.Errorf("GPU %d opened by UUID %q", cfg.GPU, cfg.UUID)
	}
	if c.refuse[cfg.GPU] {
		return nil, fmt.Errorf("nvenc: NVIDIA driver found but its encoder library is missing: %w", encoder.ErrUnavailable)
	}
	c.nvencOn = append(c.nvencOn, cfg.GPU)
	f := &fakeEncoder{name: "nvenc", failAt: -1}
	if c.loseAfter > 0 {
		f.failAt = c.loseAfter
		f.failErr = fmt.Errorf("%w: nvEncEncodePicture: NV_ENC_ERR_DEVICE_NOT_EXIST", nvenc.ErrSessionLost)
	}
	return f, nil
}

func (c *fakeCodecs) openX264(encoder.Config, *slog.Logger) (encoder.Video, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.x264++
	return &fakeEncoder{name: "x264", failAt: -1}, nil
}

func (c *fakeCodecs) gpus() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]int(nil), c.nvencOn...)
}

// hardware is a machine with these GPUs (nil: no driver) and these codecs.
func (c *fakeCodecs) hardware(g *fakeGPUs) hardware {
	hw := hardware{openNVENC: c.openNVENC, openX264: c.openX264, gpusErr: gpu.ErrNoDriver}
	if g != nil {
		hw.gpus, hw.gpusErr = g, nil
	}
	return hw
}

// logBuffer collects log output from many goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
