package process

import (
	"context"
	"os"
	"path/filepath"
	"strconv"

	"stratus/title/process/gfx"
	"stratus/title/process/vklayer"
)

// ProbeGraphics builds the present layer into the run directory and asks
// each driver, on a scratch display of its own, what it renders. It takes
// about a second (an X server, two glxinfo and two vulkaninfo runs), so
// the edge calls it once, when a title first asks for a GPU.
func (r *Runtime) ProbeGraphics(ctx context.Context, gpus []gfx.GPU) gfx.Report {
	layer, layerErr := vklayer.Build(ctx, r.layerDir(), "")
	none := func(why string) gfx.Report {
		return gfx.Report{CPU: gfx.Driver{Vendor: gfx.VendorMesa, GPU: -1,
			OpenGL: gfx.Support{Why: why}, Vulkan: gfx.Support{Why: why}}, Layer: layer}
	}
	if err := r.display(); err != nil {
		return none("no display to render on: " + err.Error())
	}
	env, stop, err := r.scratchDisplay()
	if err != nil {
		return none("could not start a display to probe on: " + err.Error())
	}
	defer stop()
	return gfx.Probe(ctx, env, gpus, r.cfg.Graphics, layer, layerErr)
}

// layerDir is where the present layer is built: beside the stratus binary
// when a build was shipped there (a GPU host without a C compiler or the
// Vulkan headers), else in the run directory.
func (r *Runtime) layerDir() string {
	if exe, err := os.Executable(); err == nil {
		if shipped := filepath.Join(filepath.Dir(exe), "vklayer"); vklayer.Holds(shipped) {
			return shipped
		}
	}
	return filepath.Join(r.cfg.RunDir, "vklayer")
}

// scratchDisplay starts a 64×64 Xvfb with a cookie of its own, for
// probes, and returns the environment that reaches it.
func (r *Runtime) scratchDisplay() (env []string, stop func(), err error) {
	dir, err := os.MkdirTemp(r.dirs.tmp, "probe-")
	if err != nil {
		return nil, nil, err
	}
	auth, _, err := writeXauthority(dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	x, err := startXvfb(r.cfg.Xvfb, auth, 64, 64, "STRATUS_SESSION=probe", r.cfg.StartTimeout,
		func(int) error { return nil })
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	stop = func() {
		x.kill()
		os.RemoveAll(dir)
	}
	return []string{"DISPLAY=:" + strconv.Itoa(x.display), "XAUTHORITY=" + auth}, stop, nil
}
