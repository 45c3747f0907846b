//go:build cgo

package gpu

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock"
)

// fakeGPU is what a mocked device answers; tests change it between
// inventories.
type fakeGPU struct {
	uuid, name    string
	mem           nvml.Memory
	util          nvml.Utilization
	capacity      int
	noEncoder     bool // the encoder queries answer ERROR_NOT_SUPPORTED, as on an H100
	sessions      int
	fps, latency  uint32
	encUtil, temp uint32
	lost          bool // every query answers ERROR_GPU_IS_LOST
	// mig is true for a MIG-capable GPU, which reports its NVENC engine
	// count (engines) in its GPU instance profiles.
	mig     bool
	engines uint32
}

func (f *fakeGPU) ret() nvml.Return {
	if f.lost {
		return nvml.ERROR_GPU_IS_LOST
	}
	return nvml.SUCCESS
}

func (f *fakeGPU) encRet() nvml.Return {
	if r := f.ret(); r != nvml.SUCCESS || !f.noEncoder {
		return r
	}
	return nvml.ERROR_NOT_SUPPORTED
}

func (f *fakeGPU) device() *mock.Device {
	return &mock.Device{
		GetUUIDFunc:             func() (string, nvml.Return) { return f.uuid, f.ret() },
		GetNameFunc:             func() (string, nvml.Return) { return f.name, f.ret() },
		GetMinorNumberFunc:      func() (int, nvml.Return) { return 0, nvml.ERROR_NOT_SUPPORTED },
		GetMemoryInfoFunc:       func() (nvml.Memory, nvml.Return) { return f.mem, f.ret() },
		GetUtilizationRatesFunc: func() (nvml.Utilization, nvml.Return) { return f.util, f.ret() },
		GetEncoderCapacityFunc: func(t nvml.EncoderType) (int, nvml.Return) {
			if t != nvml.ENCODER_QUERY_H264 {
				return 0, nvml.ERROR_INVALID_ARGUMENT
			}
			return f.capacity, f.encRet()
		},
		GetEncoderSessionsFunc: func() ([]nvml.EncoderSessionInfo, nvml.Return) {
			return make([]nvml.EncoderSessionInfo, f.sessions), f.encRet()
		},
		GetEncoderStatsFunc: func() (int, uint32, uint32, nvml.Return) {
			return f.sessions, f.fps, f.latency, f.encRet()
		},
		GetEncoderUtilizationFunc: func() (uint32, uint32, nvml.Return) { return f.encUtil, 167000, f.encRet() },
		GetTemperatureFunc:        func(nvml.TemperatureSensors) (uint32, nvml.Return) { return f.temp, f.ret() },
		GetGpuInstanceProfileInfoFunc: func(p int) (nvml.GpuInstanceProfileInfo, nvml.Return) {
			if !f.mig {
				return nvml.GpuInstanceProfileInfo{}, nvml.ERROR_NOT_SUPPORTED
			}
			if p != nvml.GPU_INSTANCE_PROFILE_7_SLICE {
				return nvml.GpuInstanceProfileInfo{}, nvml.ERROR_INVALID_ARGUMENT
			}
			return nvml.GpuInstanceProfileInfo{SliceCount: 7, EncoderCount: f.engines, DecoderCount: 7}, f.ret()
		},
	}
}

// fakeNVML is a mocked NVML over a list of fake GPUs; a nil entry is a GPU
// whose handle can no longer be had.
type fakeNVML struct {
	gpus    []*fakeGPU
	initRet nvml.Return
}

func (f *fakeNVML) lib() *mock.Interface {
	return &mock.Interface{
		InitFunc:                       func() nvml.Return { return f.initRet },
		ShutdownFunc:                   func() nvml.Return { return nvml.SUCCESS },
		SystemGetDriverVersionFunc:     func() (string, nvml.Return) { return "580.159.04", nvml.SUCCESS },
		SystemGetCudaDriverVersionFunc: func() (int, nvml.Return) { return 13000, nvml.SUCCESS },
		DeviceGetCountFunc:             func() (int, nvml.Return) { return len(f.gpus), nvml.SUCCESS },
		DeviceGetHandleByIndexFunc: func(i int) (nvml.Device, nvml.Return) {
			if f.gpus[i] == nil {
				return nil, nvml.ERROR_GPU_IS_LOST
			}
			return f.gpus[i].device(), nvml.SUCCESS
		},
	}
}

func healthyL4() *fakeGPU {
	return &fakeGPU{uuid: "GPU-l4-0", name: "NVIDIA L4",
		mem: nvml.Memory{Total: 24 * gib, Used: 1 * gib, Free: 23 * gib}, util: nvml.Utilization{Gpu: 35, Memory: 10},
		capacity: 80, sessions: 2, fps: 60, latency: 900, encUtil: 25, temp: 54}
}

func fullL4() *fakeGPU {
	return &fakeGPU{uuid: "GPU-l4-1", name: "NVIDIA L4",
		mem: nvml.Memory{Total: 24 * gib, Used: 6 * gib}, capacity: 0, sessions: 8, encUtil: 100, temp: 70}
}

func h100GPU() *fakeGPU {
	return &fakeGPU{uuid: "GPU-h100", name: "NVIDIA H100 80GB HBM3", mem: nvml.Memory{Total: 80 * gib, Used: gib / 2}, noEncoder: true, temp: 33}
}

func open(t *testing.T, f *fakeNVML) (*Monitor, *mock.Interface) {
	t.Helper()
	lib := f.lib()
	m, err := OpenWith(lib, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m, lib
}

func TestInventory(t *testing.T) {
	f := &fakeNVML{gpus: []*fakeGPU{healthyL4(), fullL4(), h100GPU()}}
	m, _ := open(t, f)
	taken := time.Unix(1700000000, 0)
	m.now = func() time.Time { return taken }
	inv := m.Inventory()

	if inv.Driver != "580.159.04" || inv.CUDA() != "13.0" || !inv.Taken.Equal(taken) || inv.Err != "" {
		t.Errorf("inventory header = %q, %q, %v, %q", inv.Driver, inv.CUDA(), inv.Taken, inv.Err)
	}
	want := []GPU{
		{Index: 0, UUID: "GPU-l4-0", Name: "NVIDIA L4", MemoryTotal: 24 * gib, MemoryUsed: 1 * gib, UtilGPU: 35, UtilMemory: 10,
			EncoderCapacity: 80, EncoderSessions: 2, EncoderUtil: 25, EncoderFPS: 60, EncoderLatencyUs: 900, TemperatureC: 54, HasNVENC: true},
		{Index: 1, Minor: 1, UUID: "GPU-l4-1", Name: "NVIDIA L4", MemoryTotal: 24 * gib, MemoryUsed: 6 * gib,
			EncoderSessions: 8, EncoderUtil: 100, TemperatureC: 70, HasNVENC: true},
		{Index: 2, Minor: 2, UUID: "GPU-h100", Name: "NVIDIA H100 80GB HBM3", MemoryTotal: 80 * gib, MemoryUsed: gib / 2, TemperatureC: 33},
	}
	if len(inv.GPUs) != len(want) {
		t.Fatalf("%d GPUs, want %d", len(inv.GPUs), len(want))
	}
	for i := range want {
		if inv.GPUs[i] != want[i] {
			t.Errorf("GPU %d:\n got %+v\nwant %+v", i, inv.GPUs[i], want[i])
		}
	}
	if s := inv.SummaryWith(limits()); s.Count != 3 || s.NVENC != 2 || s.FreeEncoders != 6 || s.Model != "NVIDIA L4" {
		t.Errorf("summary = %+v", s)
	}
	if c := inv.Capacity(limits()); c != 16 {
		t.Errorf("capacity = %d, want 16", c)
	}
	if g, ok, why := Place(inv, limits(), nil); !ok || g != 0 {
		t.Errorf("Place = %d, %v, %s; want the healthy L4", g, ok, why)
	}
	if bad, why := inv.Degraded(); bad {
		t.Errorf("degraded: %s", why)
	}
}

// TestNVENCDetection covers the ways a GPU without NVENC shows itself.
// Driver 580 on an H200 answers the capacity query with 100% left; the MIG
// profile's engine count, or failing that the model, sets it right.
func TestNVENCDetection(t *testing.T) {
	tests := []struct {
		name string
		gpu  fakeGPU
		want bool
	}{
		{"capacity not supported", fakeGPU{name: "NVIDIA H100 80GB HBM3", noEncoder: true}, false},
		{"capacity 0, no sessions", fakeGPU{name: "NVIDIA H200", capacity: 0}, false},
		{"capacity 100, MIG profile lists no encoder", fakeGPU{name: "NVIDIA H200", capacity: 100, mig: true}, false},
		{"capacity 100, no MIG answer, model without NVENC", fakeGPU{name: "NVIDIA A100-SXM4-40GB", capacity: 100}, false},
		{"MIG profile lists encoders", fakeGPU{name: "NVIDIA RTX PRO 6000 Blackwell Server Edition", capacity: 100, mig: true, engines: 4}, true},
		{"no MIG answer, a model with NVENC", fakeGPU{name: "NVIDIA RTX A3000 Laptop GPU", capacity: 100}, true},
		{"capacity 0 but sessions open: full, not absent", fakeGPU{name: "NVIDIA L4", capacity: 0, sessions: 8}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := tt.gpu
			g.uuid, g.mem = "GPU-x", nvml.Memory{Total: 80 * gib}
			m, _ := open(t, &fakeNVML{gpus: []*fakeGPU{&g}})
			inv := m.Inventory()
			got := inv.GPUs[0]
			if got.HasNVENC != tt.want || got.Err != "" {
				t.Errorf("HasNVENC %v, Err %q; want %v", got.HasNVENC, got.Err, tt.want)
			}
			if !got.HasNVENC && got.EncoderCapacity != 0 {
				t.Errorf("encoder capacity %d%% reported for a GPU without NVENC", got.EncoderCapacity)
			}
			if bad, _ := inv.Degraded(); bad {
				t.Error("a GPU without NVENC is not a fault")
			}
		})
	}
}

func TestNoNVENCAnywhere(t *testing.T) {
	h200 := &fakeGPU{uuid: "GPU-h200", name: "NVIDIA H200", mem: nvml.Memory{Total: 140 * gib}, capacity: 100, mig: true}
	m, _ := open(t, &fakeNVML{gpus: []*fakeGPU{h100GPU(), h200}})
	inv := m.Inventory()
	_, ok, why := Place(inv, limits(), nil)
	if ok || why != "no GPU has an NVENC engine (NVIDIA H100 80GB HBM3, NVIDIA H200)" {
		t.Errorf("Place = %v, %q", ok, why)
	}
	if inv.Capacity(limits()) != 0 || inv.Summary().NVENC != 0 || inv.Summary().FreeEncoders != 0 {
		t.Errorf("capacity %d, summary %+v; want software encoding only", inv.Capacity(limits()), inv.Summary())
	}
}

func TestGPULost(t *testing.T) {
	tests := []struct {
		name string
		lose func(f *fakeNVML)
		// wantIndex is where the lost GPU is reported; wantErr the start
		// of its Err.
		wantIndex int
		wantErr   string
	}{
		{"handle fails", func(f *fakeNVML) { f.gpus[1] = nil }, 1, "lost: handle: ERROR_GPU_IS_LOST"},
		{"queries fail", func(f *fakeNVML) { f.gpus[1].lost = true }, 1, "lost: UUID: ERROR_GPU_IS_LOST"},
		{"gone from the list", func(f *fakeNVML) { f.gpus = []*fakeGPU{f.gpus[0], f.gpus[2]} }, 1, "lost: NVML no longer lists it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			second := healthyL4()
			second.uuid, second.sessions = "GPU-l4-1", 0
			f := &fakeNVML{gpus: []*fakeGPU{healthyL4(), second, h100GPU()}}
			m, _ := open(t, f)
			before := m.Inventory()
			if bad, why := before.Degraded(); bad {
				t.Fatalf("degraded before the loss: %s", why)
			}
			if g, _, _ := Place(before, limits(), nil); g != 1 {
				t.Fatalf("before the loss Place chose GPU %d, want the idle GPU 1", g)
			}

			tt.lose(f)
			after := m.Inventory()
			var lost *GPU
			for i, g := range after.GPUs {
				if g.Err != "" {
					if lost != nil {
						t.Fatalf("two GPUs marked failing: %+v", after.GPUs)
					}
					lost = &after.GPUs[i]
				}
			}
			if lost == nil {
				t.Fatalf("no GPU marked lost: %+v", after.GPUs)
			}
			if lost.Index != tt.wantIndex || lost.UUID != "GPU-l4-1" || lost.Name != "NVIDIA L4" || !strings.HasPrefix(lost.Err, tt.wantErr) {
				t.Errorf("lost GPU = %+v, want index %d, GPU-l4-1, NVIDIA L4, Err %q…", *lost, tt.wantIndex, tt.wantErr)
			}
			bad, why := after.Degraded()
			if !bad || !strings.HasPrefix(why, "GPU 1 (NVIDIA L4): lost: ") {
				t.Errorf("Degraded = %v, %q", bad, why)
			}
			if g, ok, _ := Place(after, limits(), nil); !ok || g != 0 {
				t.Errorf("after the loss Place = %d, %v; want the other L4", g, ok)
			}
			if s := after.Summary(); s.NVENC != 1 {
				t.Errorf("summary counts %d NVENC GPUs after the loss, want 1", s.NVENC)
			}
		})
	}
}

func TestGPURecovers(t *testing.T) {
	f := &fakeNVML{gpus: []*fakeGPU{healthyL4(), fullL4()}}
	m, _ := open(t, f)
	kept := f.gpus[1]
	f.gpus = f.gpus[:1]
	if bad, _ := m.Inventory().Degraded(); !bad {
		t.Fatal("not degraded with a GPU gone")
	}
	f.gpus = append(f.gpus, kept)
	inv := m.Inventory()
	if bad, why := inv.Degraded(); bad || len(inv.GPUs) != 2 {
		t.Errorf("after the GPU came back: %d GPUs, degraded %v (%s)", len(inv.GPUs), bad, why)
	}
}

func TestListingFails(t *testing.T) {
	f := &fakeNVML{gpus: []*fakeGPU{healthyL4()}}
	lib := f.lib()
	m, err := OpenWith(lib, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	lib.DeviceGetCountFunc = func() (int, nvml.Return) { return 0, nvml.ERROR_UNKNOWN }
	inv := m.Inventory()
	bad, why := inv.Degraded()
	if !bad || len(inv.GPUs) != 1 || why != "listing GPUs: ERROR_UNKNOWN (NVML 999); GPU 0 (NVIDIA L4): unknown: listing GPUs: ERROR_UNKNOWN (NVML 999)" {
		t.Errorf("Degraded = %v, %q with %d GPUs", bad, why, len(inv.GPUs))
	}
	if _, ok, _ := Place(inv, limits(), nil); ok {
		t.Error("placed a session on a GPU NVML could not list")
	}
}

func TestOpenWithErrors(t *testing.T) {
	m, err := OpenWith((&fakeNVML{initRet: nvml.ERROR_LIBRARY_NOT_FOUND}).lib(), nil)
	if !errors.Is(err, ErrNoDriver) || m != nil {
		t.Errorf("library not found: %v, %v; want ErrNoDriver", m, err)
	}
	_, err = OpenWith((&fakeNVML{initRet: nvml.ERROR_DRIVER_NOT_LOADED}).lib(), nil)
	if err == nil || errors.Is(err, ErrNoDriver) || !strings.Contains(err.Error(), "NVML init") {
		t.Errorf("driver not loaded: %v; want a real error, not ErrNoDriver", err)
	}
}

func TestCloseTwice(t *testing.T) {
	lib := (&fakeNVML{gpus: []*fakeGPU{healthyL4()}}).lib()
	m, err := OpenWith(lib, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(lib.ShutdownCalls()); n != 1 {
		t.Errorf("NVML shut down %d times, want once", n)
	}
	if inv := m.Inventory(); inv.Err == "" || len(inv.GPUs) != 0 {
		t.Errorf("inventory after Close = %+v, want an error and no GPUs", inv)
	}
}

// The edge holds a nil *Monitor when Open failed; it must still work.
func TestNilMonitor(t *testing.T) {
	var m *Monitor
	inv := m.Inventory()
	if len(inv.GPUs) != 0 || inv.Summary().Count != 0 || inv.Capacity(limits()) != 0 {
		t.Errorf("nil monitor inventory = %+v", inv)
	}
	if bad, _ := inv.Degraded(); bad {
		t.Error("no GPUs is not degraded")
	}
	if err := m.Close(); err != nil {
		t.Error(err)
	}
	if got := gather(t, m.Collector()); len(got) != 0 {
		t.Errorf("nil monitor exports %v", got)
	}
}

func TestMonitorCollector(t *testing.T) {
	f := &fakeNVML{gpus: []*fakeGPU{healthyL4(), h100GPU()}}
	m, lib := open(t, f)
	opened := len(lib.DeviceGetCountCalls())
	got := gather(t, m.Collector())
	if got["stratus_gpu_up{0}"] != 1 || got["stratus_gpu_nvenc{0}"] != 1 || got["stratus_gpu_nvenc{1}"] != 0 ||
		got["stratus_gpu_encoder_sessions{0}"] != 2 || got["stratus_gpu_temperature_celsius{1}"] != 33 {
		t.Errorf("collected %v", got)
	}
	if n := len(lib.DeviceGetCountCalls()) - opened; n != 1 {
		t.Errorf("one scrape listed GPUs %d times, want once", n)
	}
}

// TestOpen uses this machine's real NVML. Without a driver it must say so
// plainly and let the edge go on; with one it checks what is known of
// data-centre GPUs.
func TestOpen(t *testing.T) {
	m, err := Open(nil)
	if errors.Is(err, ErrNoDriver) {
		if err.Error() != "no NVIDIA driver (libnvidia-ml.so.1 not found)" {
			t.Errorf("message %q", err)
		}
		if m != nil {
			t.Error("a Monitor returned with ErrNoDriver")
		}
		// The edge proceeds with the nil Monitor.
		if inv := m.Inventory(); len(inv.GPUs) != 0 || inv.Capacity(DefaultLimits()) != 0 {
			t.Errorf("inventory without a driver: %+v", inv)
		}
		if _, ok, why := Place(m.Inventory(), DefaultLimits(), nil); ok || why != "no GPUs" {
			t.Errorf("Place without a driver = %v, %q", ok, why)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	inv := m.Inventory()
	t.Logf("driver %s, CUDA %s", inv.Driver, inv.CUDA())
	for _, g := range inv.GPUs {
		t.Logf("%+v", g)
		if g.Err != "" {
			t.Errorf("GPU %d: %s", g.Index, g.Err)
		}
		if (strings.Contains(g.Name, "H100") || strings.Contains(g.Name, "H200")) && g.HasNVENC {
			t.Errorf("%s reported with NVENC", g.Name)
		}
	}
	_, _, why := Place(inv, DefaultLimits(), nil)
	t.Logf("summary %+v, capacity %d, place: %s", inv.Summary(), inv.Capacity(DefaultLimits()), why)
	if err := m.Close(); err != nil {
		t.Error(err)
	}
	if err := m.Close(); err != nil {
		t.Error(err)
	}
}
