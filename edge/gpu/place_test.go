package gpu

import (
	"strings"
	"testing"
)

const gib = 1 << 30

// limits are the ones the tests place under: 8 sessions of 256 MiB per GPU.
func limits() Limits { return Limits{SessionsPerGPU: 8, MemoryPerSession: 256 << 20} }

func l4(i int) GPU {
	return GPU{Index: i, UUID: "GPU-l4-" + string(rune('a'+i)), Name: "NVIDIA L4",
		MemoryTotal: 24 * gib, MemoryUsed: 2 * gib, EncoderCapacity: 100, HasNVENC: true}
}

func h100(i int) GPU {
	return GPU{Index: i, UUID: "GPU-h100", Name: "NVIDIA H100 80GB HBM3", MemoryTotal: 80 * gib}
}

// mixed is one healthy L4 with two sessions, one L4 whose encoder is full
// and an H100 without NVENC.
func mixed() Inventory {
	healthy := l4(0)
	healthy.EncoderSessions, healthy.EncoderCapacity, healthy.EncoderUtil = 2, 70, 30
	full := l4(1)
	full.EncoderSessions, full.EncoderCapacity, full.EncoderUtil = 8, 0, 100
	return Inventory{Driver: "580.159.04", CUDAVersion: 13000, GPUs: []GPU{healthy, full, h100(2)}}
}

func TestSummaryCapacitySlots(t *testing.T) {
	inv := mixed()
	s := inv.SummaryWith(limits())
	if s.Count != 3 || s.Model != "NVIDIA L4" || s.NVENC != 2 || s.FreeEncoders != 6 {
		t.Errorf("summary = %+v, want 3 GPUs of NVIDIA L4, 2 with NVENC, 6 free", s)
	}
	if got := inv.Summary(); got != s {
		t.Errorf("Summary() = %+v, want SummaryWith(DefaultLimits()) = %+v", got, s)
	}
	if got := inv.Capacity(limits()); got != 16 {
		t.Errorf("capacity = %d, want 16 (two L4s × 8, none on the H100)", got)
	}
	want := []Slot{
		{GPU: 0, Name: "NVIDIA L4", Max: 8, Used: 2, Free: 6},
		{GPU: 1, Name: "NVIDIA L4", Max: 8, Used: 8, Why: "encoder full (8 of 8 sessions)"},
		{GPU: 2, Name: "NVIDIA H100 80GB HBM3", Why: "no NVENC engine"},
	}
	for i, got := range inv.Slots(limits()) {
		if got != want[i] {
			t.Errorf("slot %d = %+v, want %+v", i, got, want[i])
		}
	}
	if inv.CUDA() != "13.0" || (Inventory{CUDAVersion: 12040}).CUDA() != "12.4" || (Inventory{}).CUDA() != "" {
		t.Errorf("CUDA() renders 13000 as %q", inv.CUDA())
	}
}

func TestCapacityBoundedByMemory(t *testing.T) {
	small := l4(0)
	small.MemoryTotal = 1 * gib
	inv := Inventory{GPUs: []GPU{small}}
	if got := inv.Capacity(limits()); got != 4 {
		t.Errorf("capacity = %d, want 4 sessions of 256 MiB in 1 GiB", got)
	}
	if got := (Inventory{GPUs: []GPU{h100(0)}}).Capacity(limits()); got != 0 {
		t.Errorf("H100 capacity = %d, want 0: software only", got)
	}
}

func TestPlace(t *testing.T) {
	busy := func(g GPU, util int) GPU { g.EncoderUtil = util; return g }
	memFull := l4(1)
	memFull.MemoryUsed = memFull.MemoryTotal - 100<<20
	lost := l4(0)
	lost.Err = "lost: handle: GPU is lost"
	observed := l4(1)
	observed.EncoderSessions = 5

	tests := []struct {
		name  string
		gpus  []GPU
		taken map[int]int
		want  int
	}{
		{"least encoder utilisation breaks a tie", []GPU{busy(l4(0), 10), busy(l4(1), 5)}, nil, 1},
		{"fewest taken sessions first", []GPU{busy(l4(0), 10), busy(l4(1), 5)}, map[int]int{1: 1}, 0},
		{"sessions outrank utilisation", []GPU{busy(l4(0), 90), busy(l4(1), 5)}, map[int]int{1: 2, 0: 1}, 0},
		{"equal GPUs fill by index", []GPU{l4(0), l4(1)}, map[int]int{0: 3, 1: 3}, 0},
		{"H100 skipped", []GPU{h100(0), l4(1)}, nil, 1},
		{"memory full skipped", []GPU{busy(l4(0), 50), memFull}, nil, 0},
		{"lost GPU never chosen", []GPU{lost, busy(l4(1), 80)}, map[int]int{1: 7}, 1},
		{"NVML's sessions count when more than taken", []GPU{l4(0), observed}, map[int]int{0: 3, 1: 1}, 0},
		{"taken counts when more than NVML sees", []GPU{l4(0), observed}, map[int]int{0: 6}, 1},
		{"at the limit skipped", []GPU{l4(0), l4(1)}, map[int]int{0: 8, 1: 7}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok, why := Place(Inventory{GPUs: tt.gpus}, limits(), tt.taken)
			if !ok || got != tt.want {
				t.Errorf("Place = %d, %v (%s), want GPU %d", got, ok, why, tt.want)
			}
		})
	}
}

// TestPlaceSpreads places sessions one after another, as the edge does,
// and expects them to alternate over two equal GPUs and skip the H100.
func TestPlaceSpreads(t *testing.T) {
	a, b := l4(0), l4(2)
	a.EncoderUtil, b.EncoderUtil = 10, 5
	inv := Inventory{GPUs: []GPU{a, h100(1), b}}
	taken := map[int]int{}
	var order []int
	for range 17 {
		g, ok, why := Place(inv, limits(), taken)
		if !ok {
			if len(order) != 16 || why != "GPU 0 (NVIDIA L4): encoder full (8 of 8 sessions); GPU 1 (NVIDIA H100 80GB HBM3): no NVENC engine; GPU 2 (NVIDIA L4): encoder full (8 of 8 sessions)" {
				t.Fatalf("refused after %d sessions: %s", len(order), why)
			}
			break
		}
		taken[g]++
		order = append(order, g)
	}
	for i, g := range order {
		if want := []int{2, 0}[i%2]; g != want {
			t.Fatalf("placement order %v, want alternating 2, 0", order)
		}
	}
	if len(order) != 16 {
		t.Fatalf("placed %d sessions, want 16", len(order))
	}
}

func TestPlaceNone(t *testing.T) {
	full := l4(0)
	full.EncoderSessions = 8
	noCapacity := l4(0)
	noCapacity.EncoderSessions, noCapacity.EncoderCapacity = 3, 0
	memFull := l4(0)
	memFull.MemoryUsed = memFull.MemoryTotal - 100<<20
	lost := l4(1)
	lost.Err = "lost: handle: GPU is lost"

	tests := []struct {
		name   string
		gpus   []GPU
		limits Limits
		want   string
	}{
		{"no GPUs", nil, limits(), "no GPUs"},
		{"H100 only", []GPU{h100(0), h100(1)}, limits(), "no GPU has an NVENC engine (NVIDIA H100 80GB HBM3)"},
		{"encoder full", []GPU{full}, limits(), "GPU 0 (NVIDIA L4): encoder full (8 of 8 sessions)"},
		{"no capacity", []GPU{noCapacity}, limits(), "GPU 0 (NVIDIA L4): encoder full (no capacity left, 3 sessions open)"},
		{"memory full", []GPU{memFull}, limits(), "GPU 0 (NVIDIA L4): memory full (100 MiB free, a session needs 256 MiB)"},
		{"full and H100", []GPU{full, h100(1)}, limits(), "GPU 0 (NVIDIA L4): encoder full (8 of 8 sessions); GPU 1 (NVIDIA H100 80GB HBM3): no NVENC engine"},
		{"full and lost", []GPU{full, lost}, limits(), "GPU 0 (NVIDIA L4): encoder full (8 of 8 sessions); GPU 1 (NVIDIA L4): lost: handle: GPU is lost"},
		{"zero limit", []GPU{l4(0)}, Limits{}, "GPU 0 (NVIDIA L4): the limits allow no sessions per GPU"},
		{"session bigger than the GPU", []GPU{l4(0)}, Limits{SessionsPerGPU: 8, MemoryPerSession: 32 * gib}, "GPU 0 (NVIDIA L4): too little memory (24576 MiB, a session needs 32768 MiB)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, ok, why := Place(Inventory{GPUs: tt.gpus}, tt.limits, nil)
			if ok || g != -1 || why != tt.want {
				t.Errorf("Place = %d, %v, %q; want -1, false, %q", g, ok, why, tt.want)
			}
		})
	}
}

func TestDegraded(t *testing.T) {
	inv := mixed()
	if bad, why := inv.Degraded(); bad {
		t.Errorf("healthy inventory degraded: %s", why)
	}
	if bad, _ := (Inventory{}).Degraded(); bad {
		t.Error("an edge without GPUs is not degraded")
	}
	inv.GPUs[1].Err = "lost: handle: GPU is lost"
	bad, why := inv.Degraded()
	if !bad || why != "GPU 1 (NVIDIA L4): lost: handle: GPU is lost" {
		t.Errorf("Degraded = %v, %q", bad, why)
	}
	if s := inv.SummaryWith(limits()); s.NVENC != 1 || s.FreeEncoders != 6 {
		t.Errorf("summary with a lost GPU = %+v, want 1 NVENC GPU, 6 free", s)
	}
	inv.Err = "listing GPUs: Unknown Error"
	if _, why := inv.Degraded(); !strings.HasPrefix(why, "listing GPUs: Unknown Error; GPU 1") {
		t.Errorf("reason %q does not lead with the listing error", why)
	}
}
