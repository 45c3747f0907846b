package edge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"stratus/edge/api"
	"stratus/edge/gpu"
	"stratus/title"
	"stratus/title/catalog"
	"stratus/title/manifest"
	"stratus/title/process/gfx"
)

// Runtime starts the studio titles that are real programs (runtime
// "process"). The edge calls it from many goroutines at once.
type Runtime interface {
	// Available is nil, or why this edge cannot run such titles at all.
	Available() error
	// Check says whether the title installed in installDir can start: the
	// command is there, executable and inside the directory.
	Check(installDir string, m manifest.Manifest) error
	// Start starts one instance for a session, rendering as r says
	// (package gfx); it calls r.Release when the instance ends, or at
	// once when it does not start.
	Start(session, installDir string, m manifest.Manifest, r gfx.Session) (title.Title, error)
	// ProbeGraphics asks the graphics drivers what games can render with,
	// on each of gpus and on the CPU. It may take a second.
	ProbeGraphics(ctx context.Context, gpus []gfx.GPU) gfx.Report
}

// titles is what the edge offers: its built-in titles and the studio
// catalog it replicates, each studio title checked against this edge (its
// region, GPUs, runtime and install directory). Safe for concurrent use.
type titles struct {
	builtin *title.Catalog
	rt      Runtime // nil: no process titles
	render  *rendering
	dir     string // where operators install titles: dir/<id>
	region  string
	gpus    func() gpu.Inventory
	log     *slog.Logger

	mu       sync.RWMutex
	snap     catalog.Snapshot
	entries  map[string]entry // every title, runnable or not
	runnable []string         // ids, sorted
}

// entry is one title as this edge sees it.
type entry struct {
	info api.Title
	desc title.Descriptor // New is nil when not runnable
}

func newTitles(builtin *title.Catalog, rt Runtime, render *rendering, dir, region string, gpus func() gpu.Inventory, log *slog.Logger) *titles {
	t := &titles{builtin: builtin, rt: rt, render: render, dir: dir, region: region, gpus: gpus, log: log}
	t.rebuild(catalog.Snapshot{})
	return t
}

// get returns the descriptor of a title this edge can run now, or an error
// saying why not that a player can read.
func (t *titles) get(id string) (title.Descriptor, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	e, ok := t.entries[id]
	switch {
	case !ok:
		return title.Descriptor{}, fmt.Errorf("%w %q", title.ErrUnknown, id)
	case !e.info.Runnable:
		return title.Descriptor{}, fmt.Errorf("title %q cannot run on this edge: %s", id, e.info.Reason)
	}
	return e.desc, nil
}

// list returns the titles this edge can run (all: every title, with why not
// where it cannot), by id.
func (t *titles) list(all bool) []api.Title {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := []api.Title{}
	for _, id := range slices.Sorted(maps.Keys(t.entries)) {
		if e := t.entries[id]; all || e.info.Runnable {
			out = append(out, e.info)
		}
	}
	return out
}

// ids returns the runnable titles' ids, for gossip.
func (t *titles) ids() []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return slices.Clone(t.runnable)
}

func (t *titles) revision() uint64 {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.snap.Revision
}

// apply takes a new catalog; it reports whether what the edge offers
// changed.
func (t *titles) apply(snap catalog.Snapshot) bool { return t.rebuild(snap) }

// recheck checks the current catalog again: an operator may have installed
// a title since, or a GPU gone away. It reports whether anything changed.
func (t *titles) recheck() bool {
	t.mu.RLock()
	snap := t.snap
	t.mu.RUnlock()
	return t.rebuild(snap)
}

func (t *titles) rebuild(snap catalog.Snapshot) bool {
	entries := map[string]entry{}
	for _, d := range t.builtin.List() {
		entries[d.ID] = entry{info: describe(d, true, ""), desc: d}
	}
	inv := t.gpus()
	for _, m := range snap.Titles {
		// Built-in titles are the edge's own: no catalog entry replaces
		// one, whatever its runtime.
		if _, ok := entries[m.ID]; ok {
			t.log.Warn("catalog: a studio title takes the id of a built-in one; ignored", "title", m.ID)
			continue
		}
		entries[m.ID] = t.check(m, inv)
	}
	var runnable []string
	for id, e := range entries {
		if e.info.Runnable {
			runnable = append(runnable, id)
		}
	}
	sort.Strings(runnable)

	t.mu.Lock()
	defer t.mu.Unlock()
	changed := !slices.Equal(runnable, t.runnable) || snap.Revision != t.snap.Revision || !sameReasons(entries, t.entries)
	for id, e := range entries {
		if old, ok := t.entries[id]; !e.info.Runnable && (!ok || old.info.Reason != e.info.Reason) {
			t.log.Warn("title cannot run on this edge", "title", id, "why", e.info.Reason)
		}
	}
	t.snap, t.entries, t.runnable = snap, entries, runnable
	return changed
}

// check decides whether this edge can run a studio title, and builds its
// descriptor when it can.
func (t *titles) check(m manifest.Manifest, inv gpu.Inventory) entry {
	d := title.Descriptor{ID: m.ID, Name: m.Name, Inputs: m.Inputs(), Width: m.Width, Height: m.Height, FPS: m.FPS,
		SessionLimit: m.SessionDuration(), Keep: title.Keep(m.Keep)}
	no := func(why string) entry {
		info := describe(d, false, why)
		info.Version, info.Runtime = m.Version, m.Runtime
		return entry{info: info}
	}
	if err := m.Validate(); err != nil {
		return no("invalid manifest: " + strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	if len(m.Regions) > 0 && !slices.Contains(m.Regions, t.region) {
		return no(fmt.Sprintf("offered only in %s; this edge is in %s", strings.Join(m.Regions, ", "), t.region))
	}
	if why := gpuShortfall(m.GPU, inv); why != "" {
		return no(why)
	}
	var renders string // where a GPU-rendering title's sessions render
	switch m.Runtime {
	case manifest.RuntimeBuiltin:
		b, err := t.builtin.Get(m.ID)
		if err != nil {
			return no(fmt.Sprintf("no built-in title %q in this edge", m.ID))
		}
		d.New, d.Description = b.New, b.Description
		d.Width, d.Height, d.FPS = cmp0(m.Width, b.Width), cmp0(m.Height, b.Height), cmp0(m.FPS, b.FPS)
		if d.Keep == "" {
			d.Keep = b.Keep
		}
	case manifest.RuntimeProcess:
		if t.rt == nil || t.dir == "" {
			return no("this edge runs no process titles (it has no titles directory)")
		}
		if err := t.rt.Available(); err != nil {
			return no(err.Error())
		}
		dir := filepath.Join(t.dir, m.ID)
		if _, err := os.Stat(dir); err != nil {
			return no(fmt.Sprintf("not installed on this edge (no directory %s)", dir))
		}
		if err := t.rt.Check(dir, m); err != nil {
			return no(err.Error())
		}
		if len(m.GPU.Render) > 0 {
			where, refuse := t.render.describe(m)
			if refuse != "" {
				return no(refuse)
			}
			renders = where
		}
		d.New = t.starter(dir, m)
	default:
		return no(fmt.Sprintf("unknown runtime %q", m.Runtime))
	}
	info := describe(d, true, "")
	info.Version, info.Runtime, info.Touch, info.Renders = m.Version, m.Runtime, touchOf(m), renders
	return entry{info: info, desc: d}
}

// starter starts process title m for a session, placing its rendering
// first when it draws with the GPU. No GPU with room for a title that
// refuses the CPU is a full edge: signaling then tries another.
func (t *titles) starter(dir string, m manifest.Manifest) func(title.Options) (title.Title, error) {
	rt, render := t.rt, t.render
	return func(o title.Options) (title.Title, error) {
		var s gfx.Session
		if len(m.GPU.Render) > 0 {
			var err error
			if s, err = render.place(o.Session, m, cmp0(o.FPS, cmp0(m.FPS, 60))); err != nil {
				if errors.Is(err, gfx.ErrNoRenderer) {
					return nil, api.Errorf(api.CodeEdgeFull, "%v", err)
				}
				return nil, err
			}
		}
		return rt.Start(o.Session, dir, m, s)
	}
}

// gpuShortfall says what the title needs that this edge's GPUs lack.
func gpuShortfall(need manifest.GPU, inv gpu.Inventory) string {
	if !need.Required && !need.NVENC && need.MinMemoryMiB == 0 {
		return ""
	}
	var usable, nvenc int
	var most uint64
	for _, g := range inv.GPUs {
		if g.Err != "" {
			continue
		}
		usable++
		if g.HasNVENC {
			nvenc++
		}
		most = max(most, g.MemoryTotal)
	}
	switch {
	case usable == 0:
		return "needs a GPU; this edge has none that works"
	case need.NVENC && nvenc == 0:
		return "needs a GPU with an NVENC encoder; this edge has none"
	case need.MinMemoryMiB > 0 && most < uint64(need.MinMemoryMiB)<<20:
		return fmt.Sprintf("needs %d MiB of GPU memory; this edge's largest GPU has %d MiB", need.MinMemoryMiB, most>>20)
	}
	return ""
}

func describe(d title.Descriptor, runnable bool, why string) api.Title {
	return api.Title{ID: d.ID, Name: d.Name, Description: d.Description, Inputs: d.Inputs,
		Width: d.Width, Height: d.Height, FPS: d.FPS, Runnable: runnable, Reason: why}
}

// touchOf is the studio's touch profile for phones. A studio title always
// has one ("none" when unset), so that the page shows a studio's own choice
// rather than the built-in titles' default pad.
func touchOf(m manifest.Manifest) *manifest.Touch {
	t := m.Input.Touch
	if t.Layout == "" {
		t.Layout = manifest.LayoutNone
	}
	return &t
}

func sameReasons(a, b map[string]entry) bool {
	if len(a) != len(b) {
		return false
	}
	for id, e := range a {
		if o, ok := b[id]; !ok || o.info.Reason != e.info.Reason || o.info.Version != e.info.Version {
			return false
		}
	}
	return true
}

func cmp0(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}
