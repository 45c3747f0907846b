package gfx

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"stratus/title/process/vklayer"
)

// fakeTools stands in glxinfo and vulkaninfo with scripts that print what
// the real ones printed on an H200 machine (testdata) for the NVIDIA
// driver, and what Mesa prints otherwise; nvidiaGL false makes NVIDIA's
// GLX library missing, as libglvnd then answers with Mesa.
func fakeTools(t *testing.T, nvidiaGL bool) Tools {
	t.Helper()
	dir := t.TempDir()
	abs := func(f string) string {
		p, err := filepath.Abs(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	mesaGL := "direct rendering: Yes\nOpenGL vendor string: Mesa\nOpenGL renderer string: llvmpipe (LLVM 15.0.6, 256 bits)\n"
	glx := "#!/bin/sh\n"
	if nvidiaGL {
		glx += `[ "$__GLX_VENDOR_LIBRARY_NAME" = nvidia ] && exec cat ` + abs("glxinfo-h200.txt") + "\n"
	}
	glx += "printf '" + strings.ReplaceAll(mesaGL, "\n", `\n`) + "'\n"
	vk := "#!/bin/sh\ncase \"$VK_DRIVER_FILES\" in\n*nvidia*) exec cat " + abs("vulkaninfo-h200.txt") + ";;\n" +
		"*) printf 'Devices:\\n========\\nGPU0:\\n\\tdeviceName         = llvmpipe (LLVM 15.0.6, 256 bits)\\n\\tdeviceUUID         = 6d657361-3232-2e33-2e36-000000000000\\n';;\nesac\n"
	icd := filepath.Join(dir, "icd.d")
	os.Mkdir(icd, 0o755)
	for name, body := range map[string]string{"glxinfo": glx, "vulkaninfo": vk, "icd.d/nvidia_icd.json": "{}", "icd.d/lvp_icd.x86_64.json": "{}"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return Tools{Glxinfo: filepath.Join(dir, "glxinfo"), Vulkaninfo: filepath.Join(dir, "vulkaninfo"), ICDDirs: []string{icd}}
}

var h200 = GPU{Index: 0, UUID: "GPU-f4e1114f-63bd-4325-2b25-060e650f2195", Name: "NVIDIA H200"}

func TestProbe(t *testing.T) {
	layer := vklayer.Layer{Dir: "/run/vklayer"}
	tests := []struct {
		name     string
		nvidiaGL bool
		gpus     []GPU
		layerErr error
		check    func(t *testing.T, r Report)
	}{
		{"an H200 renders both", true, []GPU{h200}, nil, func(t *testing.T, r Report) {
			g := r.GPUs[0]
			if !g.OpenGL.OK || g.OpenGL.Renderer != "NVIDIA H200/PCIe/SSE2" || !g.Vulkan.OK || g.Vulkan.Renderer != "NVIDIA H200" {
				t.Fatalf("GPU: %+v", g)
			}
			if !strings.HasSuffix(g.ICD, "nvidia_icd.json") || !r.CPU.OpenGL.OK || !r.CPU.Vulkan.OK {
				t.Fatalf("report: %+v", r)
			}
		}},
		{"NVIDIA's GLX library missing", false, []GPU{h200}, nil, func(t *testing.T, r Report) {
			if g := r.GPUs[0].OpenGL; g.OK || !strings.Contains(g.Why, "(libGLX_nvidia.so.0) did not load") {
				t.Fatalf("OpenGL: %+v", g)
			}
		}},
		{"a GPU the Vulkan driver does not list", true, []GPU{{Index: 1, UUID: "GPU-00000000-0000-0000-0000-000000000000"}}, nil, func(t *testing.T, r Report) {
			if v := r.GPUs[0].Vulkan; v.OK || !strings.Contains(v.Why, "does not list this GPU") {
				t.Fatalf("Vulkan: %+v", v)
			}
		}},
		{"no present layer", true, []GPU{h200}, errors.New("no C compiler"), func(t *testing.T, r Report) {
			if v := r.GPUs[0].Vulkan; v.OK || v.Renderer != "NVIDIA H200" || !strings.Contains(v.Why, "no C compiler") {
				t.Fatalf("Vulkan: %+v", v)
			}
		}},
		{"no GPUs", true, nil, nil, func(t *testing.T, r Report) {
			if len(r.GPUs) != 0 || r.CPU.Vulkan.Renderer != "llvmpipe (LLVM 15.0.6, 256 bits)" {
				t.Fatalf("report: %+v", r)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := Probe(context.Background(), nil, tc.gpus, fakeTools(t, tc.nvidiaGL), layer, tc.layerErr)
			tc.check(t, r)
		})
	}
}

func TestProbeMissingTools(t *testing.T) {
	tools := Tools{Glxinfo: "/nonexistent/glxinfo", Vulkaninfo: "/nonexistent/vulkaninfo", ICDDirs: []string{t.TempDir()}}
	r := Probe(context.Background(), nil, []GPU{h200}, tools, vklayer.Layer{}, nil)
	for _, s := range []struct {
		got  Support
		want string
	}{
		{r.CPU.OpenGL, "install mesa-utils"},
		{r.CPU.Vulkan, "install mesa-vulkan-drivers"},
		{r.GPUs[0].Vulkan, "the NVIDIA driver's Vulkan part"},
	} {
		if s.got.OK || !strings.Contains(s.got.Why, s.want) {
			t.Errorf("%+v; want a reason with %q", s.got, s.want)
		}
	}
}

func TestChoose(t *testing.T) {
	ok := Support{OK: true, Renderer: "NVIDIA H200"}
	gpu := func(i int) Driver { return Driver{Vendor: VendorNVIDIA, GPU: i, OpenGL: ok, Vulkan: ok} }
	rep := Report{CPU: Driver{Vendor: VendorMesa, GPU: -1, OpenGL: Support{OK: true, Renderer: "llvmpipe"}, Vulkan: Support{Why: "no lavapipe"}},
		GPUs: []Driver{gpu(0), gpu(1)}}
	l := Limits{SessionsPerGPU: 2, MaxUtil: 90}
	free := uint64(8 << 30)
	tests := []struct {
		name    string
		need    Need
		loads   map[int]Load
		want    int // GPU, -1 for Mesa, -2 for an error
		wantWhy string
	}{
		{"fewest sessions", Need{APIs: []string{"opengl"}}, map[int]Load{0: {MemoryFree: free, Sessions: 1}, 1: {MemoryFree: free}}, 1, ""},
		{"then least busy", Need{APIs: []string{"opengl"}}, map[int]Load{0: {MemoryFree: free, Util: 50}, 1: {MemoryFree: free, Util: 10}}, 1, ""},
		{"full and busy: Mesa", Need{APIs: []string{"opengl"}}, map[int]Load{0: {MemoryFree: free, Sessions: 2}, 1: {MemoryFree: free, Util: 95}}, -1, "GPU 0: full (2 of 2 rendering sessions); GPU 1: busy (95% utilisation)"},
		{"memory", Need{APIs: []string{"opengl"}, Refuse: true, Memory: 16 << 30}, map[int]Load{0: {MemoryFree: free}, 1: {Err: "GPU is lost"}}, -2, "GPU 0: memory full (8192 MiB free, the title needs 16384 MiB); GPU 1: GPU is lost"},
		{"Mesa lacks Vulkan", Need{APIs: []string{"vulkan"}}, map[int]Load{0: {Sessions: 2}, 1: {Sessions: 2}}, -2, "Mesa: vulkan: no lavapipe"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, why, err := Choose(rep, tc.need, tc.loads, l)
			switch {
			case tc.want == -2:
				if !errors.Is(err, ErrNoRenderer) || !strings.Contains(err.Error(), tc.wantWhy) {
					t.Fatalf("err %v; want ErrNoRenderer with %q", err, tc.wantWhy)
				}
			case err != nil:
				t.Fatal(err)
			case d.GPU != tc.want || why != tc.wantWhy:
				t.Fatalf("got %s (%q); want GPU %d (%q)", d.Label(), why, tc.want, tc.wantWhy)
			}
		})
	}
}

func TestEnv(t *testing.T) {
	d := Driver{Vendor: VendorNVIDIA, GPU: 0, UUID: h200.UUID, ICD: "/icd/nvidia_icd.json"}
	layer := vklayer.Layer{Dir: "/run/vklayer"}
	gl := d.Env([]string{"opengl"}, layer, 60)
	if !slices.Equal(gl, []string{"__GLX_VENDOR_LIBRARY_NAME=nvidia"}) {
		t.Fatalf("OpenGL env %q", gl)
	}
	vk := d.Env([]string{"vulkan"}, layer, 60)
	for _, want := range append([]string{"VK_DRIVER_FILES=/icd/nvidia_icd.json"}, layer.Env(h200.UUID, 60)...) {
		if !slices.Contains(vk, want) {
			t.Errorf("Vulkan env %q lacks %q", vk, want)
		}
	}
}
