package edge

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"

	"stratus/edge/gpu"
	"stratus/title/manifest"
	"stratus/title/process/gfx"
)

// rendering places the sessions of titles that draw with OpenGL or Vulkan
// (manifest gpu.render) on a GPU that can render them, or on Mesa as the
// manifest allows (package gfx). It asks the drivers once, when a title
// first needs them, since that starts an X server and takes about a
// second. Safe for concurrent use.
type rendering struct {
	probe  func(context.Context, []gfx.GPU) gfx.Report
	gpus   func() gpu.Inventory
	limits gfx.Limits
	// memory is what a session is charged on its GPU when its manifest
	// names no min_memory_mib.
	memory uint64
	log    *slog.Logger

	probeOnce sync.Once
	report    gfx.Report

	mu       sync.Mutex
	placed   map[int]int    // rendering sessions, by GPU index
	reserved map[int]uint64 // their memory, by GPU index
}

// renderSessionsPerGPU bounds rendering sessions on one GPU by default: a
// data-centre GPU has few graphics units, and each game's frames must
// arrive on time, so utilisation and memory bound it sooner on small cards.
const renderSessionsPerGPU = 8

// renderMaxUtil is the GPU utilisation above which no new game is put on
// a GPU: its games already compete for it.
const renderMaxUtil = 90

func newRendering(probe func(context.Context, []gfx.GPU) gfx.Report, gpus func() gpu.Inventory, memory uint64, log *slog.Logger) *rendering {
	return &rendering{probe: probe, gpus: gpus, memory: memory, log: log,
		limits: gfx.Limits{SessionsPerGPU: renderSessionsPerGPU, MaxUtil: renderMaxUtil},
		placed: map[int]int{}, reserved: map[int]uint64{}}
}

// drivers returns what the drivers render, asking them on the first call.
func (r *rendering) drivers() gfx.Report {
	r.probeOnce.Do(func() {
		var ids []gfx.GPU
		for _, g := range r.gpus().GPUs {
			if g.Err == "" {
				ids = append(ids, gfx.GPU{Index: g.Index, Minor: g.Minor, UUID: g.UUID, Name: g.Name})
			}
		}
		r.report = r.probe(context.Background(), ids)
		r.logReport()
	})
	return r.report
}

func (r *rendering) logReport() {
	for _, d := range append([]gfx.Driver{r.report.CPU}, r.report.GPUs...) {
		for _, s := range []struct {
			api string
			gfx.Support
		}{{manifest.RenderOpenGL, d.OpenGL}, {manifest.RenderVulkan, d.Vulkan}} {
			if s.OK {
				r.log.Info("games can render", "on", d.Label(), "api", s.api, "renderer", s.Renderer)
			} else {
				r.log.Warn("games cannot render", "on", d.Label(), "api", s.api, "why", s.Why)
			}
		}
	}
}

// need is what a title asks of its GPU.
func (r *rendering) need(m manifest.Manifest) gfx.Need {
	n := gfx.Need{APIs: m.GPU.Render, Refuse: m.GPU.FallbackOrDefault() == manifest.FallbackRefuse, Memory: r.memory}
	if m.GPU.MinMemoryMiB > 0 {
		n.Memory = uint64(m.GPU.MinMemoryMiB) << 20
	}
	return n
}

// describe says where a title would render now (for /v1/titles), or why
// it cannot render here at all. Only full GPUs may change the answer
// later, so a title is refused here only when no GPU could ever take it.
func (r *rendering) describe(m manifest.Manifest) (where string, refuse string) {
	rep := r.drivers()
	need := r.need(m)
	d, fellBack, err := gfx.Choose(rep, need, r.loads(r.gpus(), true), gfx.Limits{})
	switch {
	case err != nil:
		return "", err.Error()
	case fellBack != "":
		return "Mesa on the CPU (" + d.Renderer(need.APIs) + "): " + fellBack, ""
	}
	return fmt.Sprintf("GPU %d (%s)", d.GPU, d.Renderer(need.APIs)), ""
}

// place chooses where a session of m renders and reserves it there.
func (r *rendering) place(session string, m manifest.Manifest, fps int) (gfx.Session, error) {
	rep := r.drivers()
	need := r.need(m)
	inv := r.gpus()
	r.mu.Lock()
	defer r.mu.Unlock()
	d, fellBack, err := gfx.Choose(rep, need, r.loads(inv, false), r.limits)
	if err != nil {
		return gfx.Session{}, err
	}
	s := d.Session(need.APIs, rep.Layer, fps)
	if d.Vendor == gfx.VendorMesa {
		r.log.Info("session renders on the CPU", "session", session, "title", m.ID, "why", fellBack)
		return s, nil
	}
	g := d.GPU
	r.placed[g]++
	r.reserved[g] += need.Memory
	var once sync.Once
	s.Release = func() {
		once.Do(func() {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.placed[g]--
			r.reserved[g] -= need.Memory
		})
	}
	r.log.Info("session renders on a GPU", "session", session, "title", m.ID, "gpu", g, "renderer", s.Renderer)
	return s, nil
}

// loads is each GPU's state for gfx.Choose: as it is now, or (idle) with
// all its memory free and nothing placed. The caller holds r.mu when not
// idle.
func (r *rendering) loads(inv gpu.Inventory, idle bool) map[int]gfx.Load {
	loads := map[int]gfx.Load{}
	for _, g := range inv.GPUs {
		if idle {
			loads[g.Index] = gfx.Load{MemoryFree: g.MemoryTotal, Err: g.Err}
			continue
		}
		free := g.MemoryFree()
		free -= min(free, r.reserved[g.Index])
		loads[g.Index] = gfx.Load{MemoryFree: free, Util: g.UtilGPU, Sessions: r.placed[g.Index], Err: g.Err}
	}
	return loads
}

// charge adds the memory reserved for rendering sessions to inv's used
// memory, so that NVENC placement counts games that have not allocated
// yet.
func (r *rendering) charge(inv gpu.Inventory) gpu.Inventory {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.reserved) == 0 {
		return inv
	}
	inv.GPUs = slices.Clone(inv.GPUs)
	for i, g := range inv.GPUs {
		inv.GPUs[i].MemoryUsed = min(g.MemoryTotal, g.MemoryUsed+r.reserved[g.Index])
	}
	return inv
}

// probeGraphics asks the process runtime's drivers; an edge without one
// renders no studio games at all.
func (e *Edge) probeGraphics(ctx context.Context, gpus []gfx.GPU) gfx.Report {
	if e.cfg.Runtime == nil {
		why := "this edge runs no process titles"
		return gfx.Report{CPU: gfx.Driver{Vendor: gfx.VendorMesa, GPU: -1,
			OpenGL: gfx.Support{Why: why}, Vulkan: gfx.Support{Why: why}}}
	}
	return e.cfg.Runtime.ProbeGraphics(ctx, gpus)
}
