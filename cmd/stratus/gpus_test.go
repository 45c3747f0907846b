package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"

	"stratus/edge/gpu"
	"stratus/title/process/gfx"
)

// stdout runs f with os.Stdout captured. Tests that call it must not be
// parallel: os.Stdout is process-wide.
func stdout(t *testing.T, f func() error) (string, error) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stdout
	os.Stdout = w
	done := make(chan []byte)
	go func() { b, _ := io.ReadAll(r); done <- b }()
	ferr := f()
	os.Stdout = saved
	w.Close()
	return string(<-done), ferr
}

// TestGPUsCommand runs `stratus gpus` on this machine: without a driver it
// prints the one line and succeeds; with one it prints the table.
func TestGPUsCommand(t *testing.T) {
	_, openErr := gpu.Open(nil)
	noDriver := errors.Is(openErr, gpu.ErrNoDriver)
	out, err := stdout(t, func() error { return runGPUs(nil) })
	if err != nil {
		t.Fatalf("runGPUs: %v", err)
	}
	t.Logf("stratus gpus:\n%s", out)
	if noDriver {
		if want := "no NVIDIA driver (libnvidia-ml.so.1 not found): this edge will encode in software\n"; !strings.HasPrefix(out, want) && !strings.Contains(openErr.Error(), "without cgo") {
			t.Errorf("output %q, want it to start with %q", out, want)
		}
	} else if !strings.HasPrefix(out, "GPU  MODEL") {
		t.Errorf("no table in %q", out)
	}
	// What games render with, on the CPU at least: CI installs Mesa.
	if !regexp.MustCompile(`(?m)^Mesa \(CPU\) +yes: llvmpipe.* +yes: llvmpipe`).MatchString(out) {
		t.Errorf("no Mesa row saying it renders OpenGL and Vulkan in %q", out)
	}

	out, err = stdout(t, func() error { return runGPUs([]string{"-json"}) })
	if err != nil {
		t.Fatalf("runGPUs -json: %v", err)
	}
	var inv gpu.Inventory
	if err := json.Unmarshal([]byte(out), &inv); err != nil {
		t.Fatalf("-json output %q: %v", out, err)
	}
	if noDriver && len(inv.GPUs) != 0 {
		t.Errorf("GPUs listed without a driver: %+v", inv.GPUs)
	}
}

func TestGPUsTable(t *testing.T) {
	l4 := gpu.GPU{Index: 0, Name: "NVIDIA L4", MemoryTotal: 24 << 30, MemoryUsed: 3 << 29, UtilGPU: 35,
		EncoderCapacity: 80, EncoderSessions: 2, TemperatureC: 54, HasNVENC: true}
	h100 := gpu.GPU{Index: 1, Name: "NVIDIA H100 80GB HBM3", MemoryTotal: 80 << 30, TemperatureC: 33}
	lost := gpu.GPU{Index: 2, Name: "NVIDIA L4", Err: "lost: handle: GPU is lost (NVML 15)"}
	limits := gpu.Limits{SessionsPerGPU: 8, MemoryPerSession: 256 << 20}

	var b bytes.Buffer
	if err := writeTable(&b, gpu.Inventory{Driver: "580.159.04", CUDAVersion: 13000, GPUs: []gpu.GPU{l4, h100, lost}}, limits); err != nil {
		t.Fatal(err)
	}
	want := `GPU  MODEL                  MEMORY USED/TOTAL   UTIL  NVENC  ENC CAP LEFT  SESSIONS  TEMP  STATE
0    NVIDIA L4              1.5 GiB / 24.0 GiB  35%   yes    80%           2         54°C  ok
1    NVIDIA H100 80GB HBM3  0.0 GiB / 80.0 GiB  0%    no     -             0         33°C  ok
2    NVIDIA L4              -                   -     -      -             -         -     lost: handle: GPU is lost (NVML 15)
driver 580.159.04 (CUDA 13.0); 3 GPU(s) (NVIDIA L4), 1 with NVENC; 6 encoder sessions free of 8 (8 per GPU, 256 MiB each)
degraded: GPU 2 (NVIDIA L4): lost: handle: GPU is lost (NVML 15)
`
	if b.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", b.String(), want)
	}

	b.Reset()
	if err := writeTable(&b, gpu.Inventory{GPUs: []gpu.GPU{h100}}, limits); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "1 GPU(s) (NVIDIA H100 80GB HBM3), none with NVENC: this edge will encode in software") {
		t.Errorf("H100 table:\n%s", b.String())
	}
}

func TestRenderTable(t *testing.T) {
	rep := gfx.Report{
		CPU: gfx.Driver{Vendor: gfx.VendorMesa, GPU: -1, OpenGL: gfx.Support{OK: true, Renderer: "llvmpipe (LLVM 15.0.6, 256 bits)"},
			Vulkan: gfx.Support{Why: "no Vulkan driver manifest lvp_icd*.json (install mesa-vulkan-drivers)"}},
		GPUs: []gfx.Driver{
			{Vendor: gfx.VendorNVIDIA, GPU: 0, OpenGL: gfx.Support{OK: true, Renderer: "NVIDIA H200/PCIe/SSE2"}, Vulkan: gfx.Support{OK: true, Renderer: "NVIDIA H200"}},
			{Vendor: gfx.VendorNVIDIA, GPU: 1, OpenGL: gfx.Support{Why: "NVIDIA's GLX library (libGLX_nvidia.so.0) did not load"}, Vulkan: gfx.Support{Why: "the Vulkan driver does not list this GPU"}},
		},
	}
	inv := gpu.Inventory{GPUs: []gpu.GPU{{Index: 0, Name: "NVIDIA H200"}, {Index: 1, Name: "NVIDIA H200"}}}
	var b strings.Builder
	if err := writeRender(&b, rep, inv); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"GPU 0 (NVIDIA H200)  yes: NVIDIA H200/PCIe/SSE2",
		"yes: NVIDIA H200\n",
		"GPU 1 (NVIDIA H200)  no: NVIDIA's GLX library (libGLX_nvidia.so.0) did not load",
		"no: the Vulkan driver does not list this GPU",
		"Mesa (CPU)           yes: llvmpipe",
		"no: no Vulkan driver manifest lvp_icd*.json (install mesa-vulkan-drivers)",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("render table lacks %q:\n%s", want, b.String())
		}
	}
}
