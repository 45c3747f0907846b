package edge

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"stratus/edge/gpu"
	"stratus/signaling/studio"
	"stratus/title"
	"stratus/title/builtin"
	"stratus/title/catalog"
	"stratus/title/manifest"
	"stratus/title/process/gfx"
	"stratus/title/testpattern"
)

// pathRuntime checks install directories for real and starts a test pattern
// in place of the program: the edge's part is deciding what can run and
// passing the right session and directory, which this records.
type pathRuntime struct {
	unavailable error

	// graphics is what ProbeGraphics answers.
	graphics gfx.Report

	mu     sync.Mutex
	starts []string // "session dir"
	render []gfx.Session
}

func (r *pathRuntime) Available() error { return r.unavailable }

func (r *pathRuntime) Check(dir string, m manifest.Manifest) error {
	if _, err := manifest.ResolveWorkdir(dir, m); err != nil {
		return err
	}
	_, err := manifest.ResolveCommand(dir, m)
	return err
}

func (r *pathRuntime) Start(session, dir string, m manifest.Manifest, s gfx.Session) (title.Title, error) {
	r.mu.Lock()
	r.starts = append(r.starts, session+" "+dir)
	r.render = append(r.render, s)
	r.mu.Unlock()
	return testpattern.New(title.Options{Width: m.Width, Height: m.Height, FPS: m.FPS})
}

func (r *pathRuntime) ProbeGraphics(context.Context, []gfx.GPU) gfx.Report { return r.graphics }

func processManifest(id string) manifest.Manifest {
	return manifest.Manifest{ID: id, Name: "Game " + id, Version: "1.0.0", Runtime: manifest.RuntimeProcess,
		Command: "bin/game", Width: 640, Height: 360, FPS: 30, Input: manifest.Input{Keyboard: true}}
}

// install puts an executable bin/game under dir/id.
func install(t *testing.T, dir, id string) {
	t.Helper()
	p := filepath.Join(dir, id, "bin", "game")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("#!/bin/sh\nexec sleep 100\n"), 0o755); err != nil {
		t.Fatal(err)
	}
}

func TestTitleChecks(t *testing.T) {
	dir := t.TempDir()
	install(t, dir, "ready")
	outside := t.TempDir()
	install(t, outside, "target")
	os.MkdirAll(filepath.Join(dir, "escape", "bin"), 0o755)
	os.Symlink(filepath.Join(outside, "target", "bin", "game"), filepath.Join(dir, "escape", "bin", "game"))

	with := func(id string, edit func(*manifest.Manifest)) manifest.Manifest {
		m := processManifest(id)
		if edit != nil {
			edit(&m)
		}
		return m
	}
	tests := []struct {
		name    string
		m       manifest.Manifest
		rt      *pathRuntime
		gpus    []gpu.GPU
		wantWhy string // "" = runnable
	}{
		{"installed", with("ready", nil), &pathRuntime{}, nil, ""},
		{"not installed", with("absent", nil), &pathRuntime{}, nil, "not installed on this edge"},
		{"binary missing", with("ready", func(m *manifest.Manifest) { m.Command = "bin/other" }), &pathRuntime{}, nil, "bin/other: not found in the install directory"},
		{"symlink out of its directory", with("escape", nil), &pathRuntime{}, nil, "outside the install directory"},
		{"no runtime", with("ready", nil), nil, nil, "runs no process titles"},
		{"runtime unavailable", with("ready", nil), &pathRuntime{unavailable: errors.New("no Xvfb: install xvfb")}, nil, "no Xvfb"},
		{"other region", with("ready", func(m *manifest.Manifest) { m.Regions = []string{"us-east"} }), &pathRuntime{}, nil, "offered only in us-east"},
		{"needs a GPU", with("ready", func(m *manifest.Manifest) { m.GPU.Required = true }), &pathRuntime{}, nil, "needs a GPU"},
		{"needs NVENC", with("ready", func(m *manifest.Manifest) { m.GPU.Required, m.GPU.NVENC = true, true }), &pathRuntime{}, []gpu.GPU{h200(0)}, "NVENC"},
		{"needs memory", with("ready", func(m *manifest.Manifest) { m.GPU.Required, m.GPU.MinMemoryMiB = true, 64<<10 }), &pathRuntime{}, []gpu.GPU{l4(0)}, "needs 65536 MiB"},
		{"has its GPU", with("ready", func(m *manifest.Manifest) { m.GPU.Required, m.GPU.NVENC = true, true }), &pathRuntime{}, []gpu.GPU{l4(0)}, ""},
		{"unknown runtime", with("ready", func(m *manifest.Manifest) { m.Runtime = "wasm" }), &pathRuntime{}, nil, "unknown runtime"},
		{"invalid", with("ready", func(m *manifest.Manifest) { m.Command = "../../bin/sh" }), &pathRuntime{}, nil, "invalid manifest"},
		{"built-in", manifest.Manifest{ID: "rocks", Name: "Rocks (studio cut)", Version: "2.0.0", Runtime: manifest.RuntimeBuiltin, Input: manifest.Input{Keyboard: true}}, nil, nil, ""},
		// A catalog entry cannot take a built-in title away (here: offer
		// it nowhere); the edge keeps its own.
		{"built-in id restricted", manifest.Manifest{ID: "rocks", Name: "Rocks", Version: "9.0.0", Runtime: manifest.RuntimeBuiltin, Regions: []string{"nowhere"}, Input: manifest.Input{Keyboard: true}}, nil, nil, ""},
		{"built-in id as a program", manifest.Manifest{ID: "testpattern", Name: "T", Version: "1.0.0", Runtime: "process", Command: "bin/game", Width: 640, Height: 360, FPS: 30, Input: manifest.Input{Keyboard: true}}, &pathRuntime{}, nil, ""},
		{"built-in this edge lacks", manifest.Manifest{ID: "tetra", Name: "Tetra", Version: "1.0.0", Runtime: manifest.RuntimeBuiltin, Input: manifest.Input{Keyboard: true}}, nil, nil, "no built-in title"},
	}
	bi, err := builtin.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var rt Runtime
			if tc.rt != nil {
				rt = tc.rt
			}
			inv := gpu.Inventory{GPUs: tc.gpus}
			gpus := func() gpu.Inventory { return inv }
			log := slog.New(slog.DiscardHandler)
			ts := newTitles(bi, rt, newRendering(tc.rt.ProbeGraphics, gpus, 256<<20, log), dir, "eu-west", gpus, log)
			ts.apply(catalog.Snapshot{Revision: 1, Titles: []manifest.Manifest{tc.m}})
			_, err := ts.get(tc.m.ID)
			var info *struct {
				runnable bool
				why      string
			}
			for _, x := range ts.list(true) {
				if x.ID == tc.m.ID {
					info = &struct {
						runnable bool
						why      string
					}{x.Runnable, x.Reason}
				}
			}
			if info == nil {
				t.Fatalf("%s not listed with all=1", tc.m.ID)
			}
			if tc.wantWhy == "" {
				if err != nil || !info.runnable {
					t.Fatalf("want runnable; get: %v, reason %q", err, info.why)
				}
				return
			}
			if err == nil || info.runnable || !strings.Contains(info.why, tc.wantWhy) || !strings.Contains(err.Error(), tc.wantWhy) {
				t.Fatalf("want not runnable because %q; got runnable=%v reason %q, get: %v", tc.wantWhy, info.runnable, info.why, err)
			}
			for _, id := range ts.ids() {
				if id == tc.m.ID {
					t.Fatalf("%s gossiped as runnable", id)
				}
			}
		})
	}
}

// A title a studio publishes reaches the edge through the catalog; the
// edge offers it once the operator has installed it, starts it with the
// session's id in its install directory, and stops offering it when the
// studio retires it.
func TestCatalogReachesTheEdge(t *testing.T) {
	noLeaks(t)
	store, err := studio.OpenStore(t.TempDir(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close() // its follower's goroutine ends with it
	stop := make(chan struct{})
	sig := httptest.NewServer(catalog.Handler(store, "", stop, slog.New(slog.DiscardHandler)))
	defer func() { close(stop); sig.Close() }()

	dir := t.TempDir()
	rt := &pathRuntime{}
	cfg := DefaultConfig()
	cfg.Name = "catalog-edge"
	cfg.Stream.ListenIP, cfg.Stream.UDPPort, cfg.Stream.TCPPort = "127.0.0.1", 0, -1
	cfg.TitlesDir, cfg.Runtime, cfg.CatalogURLs = dir, rt, []string{sig.URL}
	cfg.CatalogWait = 200 * time.Millisecond // the recheck after an install
	bi, _ := builtin.Catalog()
	reg := prometheus.NewRegistry()
	e, err := New(cfg, bi, reg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer closeEdge(t, e)

	reason := func(id string) (bool, string, bool) {
		for _, x := range e.titles.list(true) {
			if x.ID == id {
				return x.Runnable, x.Reason, true
			}
		}
		return false, "", false
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("waiting for %s: edge titles %+v", what, e.titles.list(true))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	if _, err := store.Create("acme", processManifest("gears")); err != nil {
		t.Fatal(err)
	}
	waitFor("the published title to reach the edge", func() bool { _, _, ok := reason("gears"); return ok })
	if ok, why, _ := reason("gears"); ok || !strings.Contains(why, "not installed") {
		t.Fatalf("not installed yet, but runnable=%v why=%q", ok, why)
	}
	install(t, dir, "gears")
	waitFor("the installed title to become runnable", func() bool { ok, _, _ := reason("gears"); return ok })
	if got := e.meta().Titles; !strings.Contains(strings.Join(got, ","), "gears") {
		t.Fatalf("gossiped titles %v lack gears", got)
	}
	// Operators see it too: the two built-in titles and gears.
	if n := gauge(t, reg, "stratus_edge_titles", "runnable", "true"); n != 3 {
		t.Fatalf("stratus_edge_titles{runnable=true} = %v, want 3", n)
	}

	d, err := e.titles.get("gears")
	if err != nil {
		t.Fatal(err)
	}
	inst, err := d.New(title.Options{Session: "s1"})
	if err != nil {
		t.Fatal(err)
	}
	inst.Close()
	if want := "s1 " + filepath.Join(dir, "gears"); len(rt.starts) != 1 || rt.starts[0] != want {
		t.Fatalf("runtime started %q, want %q", rt.starts, want)
	}

	if _, err := store.Retire("acme", "gears"); err != nil {
		t.Fatal(err)
	}
	waitFor("the retired title to leave the edge", func() bool { _, _, ok := reason("gears"); return !ok })
	if _, err := e.titles.get("gears"); !errors.Is(err, title.ErrUnknown) {
		t.Fatalf("retired title: %v", err)
	}
	if _, err := e.titles.get("rocks"); err != nil {
		t.Fatalf("built-in titles stay: %v", err)
	}
}

// gauge reads one gauge of reg with the given label value.
func gauge(t *testing.T, reg *prometheus.Registry, name, label, value string) float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label && l.GetValue() == value {
					return m.GetGauge().GetValue()
				}
			}
		}
	}
	t.Fatalf("no %s{%s=%q}", name, label, value)
	return 0
}
