// Command render measures studio games drawn through the GPU display
// runtime (title/process/gfx): an OpenGL title (glxgears) and a Vulkan
// title (vkcube) at one size, each started as an edge starts it, on the
// GPU placement picks or on Mesa. For each it reports what renders it (the
// renderer the session reports, and for Vulkan the device the present
// layer opened), the frames per second that reach the display, seen by
// capturing at the title's rate, and what capturing one frame costs.
//
//	go run ./benchmarks/render -seconds 10
//	go run ./benchmarks/render -cpu        # Mesa, even where a GPU renders
//
// scripts/gpu-check.sh runs it on GPU machines; it prints a markdown table
// for benchmarks/README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"hash/maphash"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"stratus/edge/gpu"
	"stratus/internal/machine"
	"stratus/title"
	"stratus/title/manifest"
	"stratus/title/process"
	"stratus/title/process/gfx"
	"stratus/title/process/vklayer"
)

type config struct {
	seconds       float64
	width, height int
	fps           int
	cpu           bool
	needGPU       bool
}

func main() {
	var c config
	flag.Float64Var(&c.seconds, "seconds", 10, "seconds to capture each title")
	flag.IntVar(&c.width, "width", 1280, "picture width")
	flag.IntVar(&c.height, "height", 720, "picture height")
	flag.IntVar(&c.fps, "fps", 60, "the titles' frame rate: how often the display is captured")
	flag.BoolVar(&c.cpu, "cpu", false, "render with Mesa on the CPU even where a GPU can")
	flag.BoolVar(&c.needGPU, "need-gpu", false, "fail when a title would not render on a GPU")
	flag.Parse()
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "render:", err)
		os.Exit(1)
	}
}

// A title to measure: a Debian program that draws with one API.
type subject struct {
	api, id, bin string
	args         func(w, h int) []string
	pkg          string
}

var subjects = []subject{
	{manifest.RenderOpenGL, "gl-gears", "glxgears", func(w, h int) []string { return []string{"-geometry", fmt.Sprintf("%dx%d+0+0", w, h)} }, "mesa-utils"},
	{manifest.RenderVulkan, "vk-cube", "vkcube", func(w, h int) []string {
		return []string{"--width", fmt.Sprint(w), "--height", fmt.Sprint(h)}
	}, "vulkan-tools"},
}

func run(c config) error {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	dir, err := os.MkdirTemp("", "stratus-render-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	rt, err := process.NewToolRuntime(filepath.Join(dir, "run"), log, os.Stdout)
	if err != nil {
		return err
	}
	defer rt.Close()
	games := process.NewGames(rt)

	var inv gpu.Inventory
	if m, err := gpu.Open(log); err == nil {
		inv = m.Inventory()
		m.Close()
	} else {
		fmt.Println("GPUs:", err)
	}
	var ids []gfx.GPU
	for _, g := range inv.GPUs {
		if g.Err == "" {
			ids = append(ids, gfx.GPU{Index: g.Index, Minor: g.Minor, UUID: g.UUID, Name: g.Name})
		}
	}
	t0 := time.Now()
	rep := rt.ProbeGraphics(context.Background(), ids)
	fmt.Printf("probe: %v\n", time.Since(t0).Round(time.Millisecond))
	for _, d := range append(slices.Clone(rep.GPUs), rep.CPU) {
		fmt.Printf("  %s: OpenGL %s; Vulkan %s\n", d.Label(), support(d.OpenGL), support(d.Vulkan))
	}
	if c.cpu {
		rep.GPUs = nil
	}

	fmt.Printf("\nmachine: %s, load %s\ncommand: %s\n\n", machine.CPUModel(), machine.LoadAverage(), machine.Invocation("./benchmarks/render"))
	fmt.Println("| title | API | renders on | renderer (session) | device (present layer) | frames/s reaching the display | game's own fps | capture p50 / p99 |")
	fmt.Println("|---|---|---|---|---|---|---|---|")
	var failed []error
	for _, s := range subjects {
		row, err := measure(c, games, rep, inv, dir, s)
		if err != nil {
			failed = append(failed, fmt.Errorf("%s: %w", s.id, err))
			continue
		}
		fmt.Println(row)
	}
	return errors.Join(failed...)
}

func support(s gfx.Support) string {
	if s.OK {
		return "yes (" + s.Renderer + ")"
	}
	return "no: " + s.Why
}

// measure starts one title as an edge would and captures it for c.seconds.
func measure(c config, games *process.Games, rep gfx.Report, inv gpu.Inventory, dir string, s subject) (string, error) {
	src, err := exec.LookPath(s.bin)
	if err != nil {
		return "", fmt.Errorf("%s not found: install the Debian package %s", s.bin, s.pkg)
	}
	install := filepath.Join(dir, s.id)
	if err := os.MkdirAll(install, 0o755); err != nil {
		return "", err
	}
	bin, err := os.ReadFile(src)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(install, s.bin), bin, 0o755); err != nil {
		return "", err
	}
	m := manifest.Manifest{ID: s.id, Name: s.id, Version: "1.0.0", Runtime: manifest.RuntimeProcess,
		Command: s.bin, Args: s.args(c.width, c.height), Width: c.width, Height: c.height, FPS: c.fps,
		GPU: manifest.GPU{Render: []string{s.api}}}
	loads := map[int]gfx.Load{}
	for _, g := range inv.GPUs {
		loads[g.Index] = gfx.Load{MemoryFree: g.MemoryFree(), Util: g.UtilGPU, Err: g.Err}
	}
	apis := []string{s.api}
	d, fellBack, err := gfx.Choose(rep, gfx.Need{APIs: apis, Refuse: c.needGPU}, loads, gfx.Limits{})
	if err != nil {
		return "", err
	}
	on := d.Label()
	if fellBack != "" {
		on += " (" + fellBack + ")"
	}
	t, err := games.Start("render-"+s.id, install, m, d.Session(apis, rep.Layer, c.fps))
	if err != nil {
		return "", err
	}
	defer t.Close()
	if err := warmUp(t); err != nil {
		// What the game said is the diagnosis (a driver that did not
		// load, a device node the sandbox did not give it).
		return "", fmt.Errorf("%w; the game's log: %s", err, strings.TrimSpace(gameLog(t)))
	}
	fps, capture, err := capture(t, c)
	if err != nil {
		return "", err
	}
	logText := gameLog(t)
	device := "—"
	for _, line := range strings.Split(logText, "\n") {
		if name, uuid, ok := vklayer.ParseReport(line); ok {
			device = name + " (" + uuid + ")"
		}
	}
	own := "—"
	if all := gearsFPS.FindAllStringSubmatch(logText, -1); len(all) > 0 {
		own = all[len(all)-1][1]
	}
	slices.Sort(capture)
	return fmt.Sprintf("| %s %dx%d | %s | %s | %s | %s | %.1f | %s | %s / %s ms |", s.id, c.width, c.height, s.api, on,
		t.Info().Renderer, device, fps, own, ms(capture[len(capture)/2]), ms(capture[len(capture)*99/100])), nil
}

// gearsFPS is glxgears' own report, every five seconds.
var gearsFPS = regexp.MustCompile(`frames in [0-9.]+ seconds = ([0-9.]+) FPS`)

// warmUp waits until the game has drawn two different pictures.
func warmUp(t title.Title) error {
	var seed = maphash.MakeSeed()
	var first uint64
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		f, err := t.Render(time.Now())
		if err != nil {
			return err
		}
		h := maphash.Bytes(seed, f.Pix)
		switch {
		case first == 0:
			first = h
		case h != first:
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return errors.New("the game drew nothing that moves in 20 s")
}

// capture grabs the display at c.fps for c.seconds, timing each grab, and
// counts the grabs that found a new picture.
func capture(t title.Title, c config) (fps float64, took []time.Duration, err error) {
	seed := maphash.MakeSeed()
	var last uint64
	changed := 0
	tick := time.NewTicker(time.Second / time.Duration(c.fps))
	defer tick.Stop()
	start := time.Now()
	for time.Since(start).Seconds() < c.seconds {
		<-tick.C
		t0 := time.Now()
		f, err := t.Render(t0)
		if err != nil {
			return 0, nil, err
		}
		took = append(took, time.Since(t0))
		if h := maphash.Bytes(seed, f.Pix); h != last {
			changed++
			last = h
		}
	}
	return float64(changed) / time.Since(start).Seconds(), took, nil
}

// gameLog is what the game printed (its log file), when the title keeps one.
func gameLog(t title.Title) string {
	l, ok := t.(interface{ Log() string })
	if !ok {
		return ""
	}
	b, _ := os.ReadFile(l.Log())
	return string(b)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/1e6) }
