package process

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"stratus/title/process/gfx"
)

// TestProbeGraphics asks this machine's real drivers, as an edge does:
// Mesa renders both APIs (CI installs mesa-utils, vulkan-tools and
// mesa-vulkan-drivers), and an NVIDIA GPU that the drivers do not know is
// refused with the reason, and nothing of the probe is left.
func TestProbeGraphics(t *testing.T) {
	need(t, "glxinfo", "mesa-utils")
	need(t, "vulkaninfo", "vulkan-tools")
	r := newRuntime(t, t.TempDir())
	rep := r.ProbeGraphics(context.Background(), []gfx.GPU{{Index: 0, UUID: "GPU-00000000-1111-2222-3333-444444444444", Name: "NVIDIA Imaginary"}})
	for _, s := range []gfx.Support{rep.CPU.OpenGL, rep.CPU.Vulkan} {
		if !s.OK || !strings.Contains(s.Renderer, "llvmpipe") {
			t.Errorf("Mesa: %+v; want llvmpipe", s)
		}
	}
	if len(rep.GPUs) != 1 || rep.GPUs[0].OpenGL.OK || rep.GPUs[0].Vulkan.OK {
		t.Fatalf("a GPU no driver knows renders: %+v", rep.GPUs)
	}
	t.Logf("GPU 0: OpenGL %q; Vulkan %q", rep.GPUs[0].OpenGL.Why, rep.GPUs[0].Vulkan.Why)
	if _, err := os.Stat(filepath.Join(rep.Layer.Dir, "stamp")); err != nil {
		t.Errorf("the present layer was not built: %v", err)
	}
	if probes, _ := filepath.Glob(filepath.Join(r.dirs.tmp, "probe-*")); len(probes) > 0 {
		t.Errorf("the probe left its files behind: %v", probes)
	}
}
