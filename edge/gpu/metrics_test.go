package gpu

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// gather registers c in a fresh pedantic registry (which checks the
// descriptors against what Collect sends) and returns each gauge by
// "name{gpu}".
func gather(t *testing.T, c prometheus.Collector) map[string]float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			out[f.GetName()+"{"+label(m, "gpu")+"}"] = m.GetGauge().GetValue()
		}
	}
	return out
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

func TestCollector(t *testing.T) {
	inv := mixed()
	inv.GPUs[0].TemperatureC, inv.GPUs[0].UtilGPU = 54, 35
	inv.GPUs[0].MemoryUsed = 3 * gib
	inv.GPUs = append(inv.GPUs, GPU{Index: 3, UUID: "GPU-gone", Name: "NVIDIA L4", Err: "lost: NVML no longer lists it"})
	reads := 0
	now := time.Unix(1000, 0)
	c := newCollector(func() Inventory { reads++; return inv }, time.Second, func() time.Time { return now })

	got := gather(t, c)
	want := map[string]float64{
		"stratus_gpu_up{0}": 1, "stratus_gpu_up{2}": 1, "stratus_gpu_up{3}": 0,
		"stratus_gpu_nvenc{0}": 1, "stratus_gpu_nvenc{1}": 1, "stratus_gpu_nvenc{2}": 0, "stratus_gpu_nvenc{3}": 0,
		"stratus_gpu_memory_used_bytes{0}":         3 * gib,
		"stratus_gpu_memory_total_bytes{2}":        80 * gib,
		"stratus_gpu_utilization_ratio{0}":         0.35,
		"stratus_gpu_encoder_capacity_ratio{0}":    0.7,
		"stratus_gpu_encoder_capacity_ratio{1}":    0,
		"stratus_gpu_encoder_sessions{1}":          8,
		"stratus_gpu_encoder_utilization_ratio{1}": 1,
		"stratus_gpu_temperature_celsius{0}":       54,
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s = %v (present %v), want %v", k, g, ok, v)
		}
	}
	// 10 gauges for each of three GPUs, only up and nvenc for the lost one.
	if len(got) != 32 {
		t.Errorf("%d series, want 32", len(got))
	}
	if _, ok := got["stratus_gpu_memory_total_bytes{3}"]; ok {
		t.Error("a lost GPU exports stale memory figures")
	}

	gather(t, c)
	if reads != 1 {
		t.Errorf("two scrapes in the same second read NVML %d times, want once", reads)
	}
	now = now.Add(time.Second)
	gather(t, c)
	if reads != 2 {
		t.Errorf("a scrape a second later read NVML %d times in all, want 2", reads)
	}
}
