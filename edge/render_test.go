package edge

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"stratus/edge/api"
	"stratus/edge/gpu"
	"stratus/title"
	"stratus/title/builtin"
	"stratus/title/catalog"
	"stratus/title/manifest"
	"stratus/title/process/gfx"
)

// graphics is what the probe says on an H200 box with Mesa installed, as
// measured there: both APIs on both drivers.
func graphics(gpus ...gpu.GPU) gfx.Report {
	rep := gfx.Report{CPU: gfx.Driver{Vendor: gfx.VendorMesa, GPU: -1, ICD: "/usr/share/vulkan/icd.d/lvp_icd.x86_64.json",
		OpenGL: gfx.Support{OK: true, Renderer: "llvmpipe (LLVM 15.0.6, 256 bits)"},
		Vulkan: gfx.Support{OK: true, Renderer: "llvmpipe (LLVM 15.0.6, 256 bits)"}}}
	for _, g := range gpus {
		rep.GPUs = append(rep.GPUs, gfx.Driver{Vendor: gfx.VendorNVIDIA, GPU: g.Index, UUID: g.UUID,
			ICD:    "/usr/share/vulkan/icd.d/nvidia_icd.json",
			OpenGL: gfx.Support{OK: true, Renderer: "NVIDIA H200/PCIe/SSE2"},
			Vulkan: gfx.Support{OK: true, Renderer: "NVIDIA H200"}})
	}
	return rep
}

func TestRenderPlacement(t *testing.T) {
	dir := t.TempDir()
	install(t, dir, "glgame")
	renders := func(apis []string, fallback string, edit func(*manifest.Manifest)) manifest.Manifest {
		m := processManifest("glgame")
		m.GPU.Render, m.GPU.Fallback = apis, fallback
		if edit != nil {
			edit(&m)
		}
		return m
	}
	noVulkan := graphics(h200(0))
	noVulkan.GPUs[0].Vulkan = gfx.Support{Why: "the Vulkan driver does not list this GPU"}
	noCPU := graphics()
	noCPU.CPU.OpenGL = gfx.Support{Why: "the X server offers no GLX"}
	tests := []struct {
		name     string
		m        manifest.Manifest
		gpus     []gpu.GPU
		graphics gfx.Report
		// already is how many sessions are placed before the one checked.
		already  int
		wantWhy  string // not runnable, because
		wantCode string // the session start fails with this code
		wantEnv  []string
		wantOn   string // Renders contains
	}{
		{name: "gl on the GPU", m: renders([]string{"opengl"}, "", nil), gpus: []gpu.GPU{h200(0)}, graphics: graphics(h200(0)),
			wantEnv: []string{"__GLX_VENDOR_LIBRARY_NAME=nvidia"}, wantOn: "GPU 0 (NVIDIA H200/PCIe/SSE2)"},
		{name: "vulkan on the GPU", m: renders([]string{"vulkan"}, "refuse", nil), gpus: []gpu.GPU{h200(0)}, graphics: graphics(h200(0)),
			wantEnv: []string{"VK_DRIVER_FILES=/usr/share/vulkan/icd.d/nvidia_icd.json"}, wantOn: "GPU 0 (NVIDIA H200)"},
		{name: "spread over two GPUs", m: renders([]string{"opengl"}, "", nil), gpus: []gpu.GPU{h200(0), h200(1)}, graphics: graphics(h200(0), h200(1)),
			already: 1, wantEnv: []string{"__GLX_VENDOR_LIBRARY_NAME=nvidia"}, wantOn: "GPU"},
		{name: "no GPU: Mesa", m: renders([]string{"opengl", "vulkan"}, "", nil), graphics: graphics(),
			wantEnv: []string{"__GLX_VENDOR_LIBRARY_NAME=mesa", "VK_DRIVER_FILES=/usr/share/vulkan/icd.d/lvp_icd.x86_64.json"},
			wantOn:  "Mesa on the CPU (llvmpipe (LLVM 15.0.6, 256 bits)): this edge has no NVIDIA GPU"},
		{name: "no GPU and no CPU fallback", m: renders([]string{"opengl"}, "refuse", nil), graphics: graphics(),
			wantWhy: "no GPU can render this title now (this edge has no NVIDIA GPU)"},
		{name: "GPU lacks the API, Mesa has it", m: renders([]string{"vulkan"}, "", nil), gpus: []gpu.GPU{h200(0)}, graphics: noVulkan,
			wantEnv: []string{"VK_DRIVER_FILES=/usr/share/vulkan/icd.d/lvp_icd.x86_64.json"}, wantOn: "GPU 0: vulkan: the Vulkan driver does not list this GPU"},
		{name: "GPU lacks the API, refuse", m: renders([]string{"vulkan"}, "refuse", nil), gpus: []gpu.GPU{h200(0)}, graphics: noVulkan,
			wantWhy: "vulkan: the Vulkan driver does not list this GPU"},
		{name: "no driver at all", m: renders([]string{"opengl"}, "", nil), graphics: noCPU, wantWhy: "Mesa: opengl: the X server offers no GLX"},
		{name: "title bigger than the GPU's memory", m: renders([]string{"opengl"}, "refuse", func(m *manifest.Manifest) {
			m.GPU.Required, m.GPU.MinMemoryMiB = true, 200<<10
		}), gpus: []gpu.GPU{h200(0)}, graphics: graphics(h200(0)), wantWhy: "needs 204800 MiB"},
		{name: "GPU full: refused as a full edge", m: renders([]string{"opengl"}, "refuse", nil), gpus: []gpu.GPU{h200(0)}, graphics: graphics(h200(0)),
			already: renderSessionsPerGPU, wantOn: "GPU 0", wantCode: api.CodeEdgeFull},
		{name: "GPU full: Mesa", m: renders([]string{"opengl"}, "", nil), gpus: []gpu.GPU{h200(0)}, graphics: graphics(h200(0)),
			already: renderSessionsPerGPU, wantOn: "GPU 0", wantEnv: []string{"__GLX_VENDOR_LIBRARY_NAME=mesa"}},
	}
	bi, err := builtin.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rt := &pathRuntime{graphics: tc.graphics}
			inv := gpu.Inventory{GPUs: tc.gpus}
			gpus := func() gpu.Inventory { return inv }
			log := slog.New(slog.DiscardHandler)
			render := newRendering(rt.ProbeGraphics, gpus, 256<<20, log)
			ts := newTitles(bi, rt, render, dir, "eu-west", gpus, log)
			ts.apply(catalog.Snapshot{Revision: 1, Titles: []manifest.Manifest{tc.m}})
			info := ts.list(true)[slices.IndexFunc(ts.list(true), func(x api.Title) bool { return x.ID == "glgame" })]
			if tc.wantWhy != "" {
				if info.Runnable || !strings.Contains(info.Reason, tc.wantWhy) {
					t.Fatalf("runnable %v, reason %q; want refused because %q", info.Runnable, info.Reason, tc.wantWhy)
				}
				return
			}
			if !info.Runnable || !strings.Contains(info.Renders, tc.wantOn) {
				t.Fatalf("runnable %v (%q), renders %q; want it to render on %q", info.Runnable, info.Reason, info.Renders, tc.wantOn)
			}
			d, err := ts.get("glgame")
			if err != nil {
				t.Fatal(err)
			}
			var titles []title.Title
			defer func() {
				for _, x := range titles {
					x.Close()
				}
			}()
			for range tc.already {
				x, err := d.New(title.Options{Session: "before"})
				if err != nil {
					t.Fatalf("session before the one checked: %v", err)
				}
				titles = append(titles, x)
			}
			x, err := d.New(title.Options{Session: "checked"})
			if tc.wantCode != "" {
				if ae, ok := api.AsError(err); !ok || ae.Code != tc.wantCode {
					t.Fatalf("start: %v; want code %s", err, tc.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			titles = append(titles, x)
			got := rt.render[len(rt.render)-1]
			for _, e := range tc.wantEnv {
				if !slices.Contains(got.Env, e) {
					t.Errorf("env %q lacks %q", got.Env, e)
				}
			}
		})
	}
}

// TestRenderRelease checks that a session's GPU place comes back when its
// game ends, and that NVENC placement counts what rendering reserved.
func TestRenderRelease(t *testing.T) {
	inv := gpu.Inventory{GPUs: []gpu.GPU{l4(0)}}
	r := newRendering(func(_ context.Context, _ []gfx.GPU) gfx.Report { return graphics(l4(0)) },
		func() gpu.Inventory { return inv }, 4<<30, slog.New(slog.DiscardHandler))
	m := processManifest("glgame")
	m.GPU.Render, m.GPU.Fallback = []string{"opengl"}, manifest.FallbackRefuse
	var held []gfx.Session
	for i := range 5 {
		s, err := r.place("s", m, 60)
		if err != nil {
			// 23 GiB free, 4 GiB each: five fit.
			t.Fatalf("session %d: %v", i, err)
		}
		held = append(held, s)
	}
	if _, err := r.place("s", m, 60); err == nil || !strings.Contains(err.Error(), "memory full") {
		t.Fatalf("sixth session: %v; want memory full", err)
	}
	if used := r.charge(inv).GPUs[0].MemoryUsed; used != inv.GPUs[0].MemoryUsed+5*(4<<30) {
		t.Fatalf("NVENC placement sees %d GiB used; want the reservations counted", used>>30)
	}
	held[0].Release()
	held[0].Release() // twice gives back once
	if _, err := r.place("s", m, 60); err != nil {
		t.Fatalf("after a release: %v", err)
	}
	if _, err := r.place("s", m, 60); err == nil {
		t.Fatal("a double release gave back two places")
	}
}
