package main

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"stratus/edge/api"
	"stratus/internal/clustertest"
)

// Studio titles that draw with OpenGL and Vulkan at 1280x720. On these
// machines no GPU renders them, so the edge falls back to Mesa (llvmpipe,
// lavapipe) through the same runtime: the GLX vendor and the Vulkan
// driver chosen per session, Vulkan presenting through the edge's layer.
const (
	glManifest = `{"id":"gl-gears","name":"GL Gears","version":"1.0.0","runtime":"process","command":"glxgears",
		"args":["-geometry","1280x720+0+0"],"width":1280,"height":720,"fps":60,"input":{"keyboard":true},
		"gpu":{"render":["opengl"]}}`
	vkManifest = `{"id":"vk-cube","name":"Vulkan Cube","version":"1.0.0","runtime":"process","command":"vkcube",
		"args":["--width","1280","--height","720"],"width":1280,"height":720,"fps":60,"input":{"keyboard":true},
		"gpu":{"render":["vulkan"],"fallback":"cpu"}}`
)

func TestRenderedTitles(t *testing.T) {
	for _, bin := range []string{"vkcube", "vulkaninfo", "glxinfo"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Fatalf("%s not found: run `make setup` (Debian packages vulkan-tools mesa-utils mesa-vulkan-drivers)", bin)
		}
	}
	s := newOnboardStack(t)
	s.copyBin(t, "gl-gears", "glxgears")
	s.copyBin(t, "vk-cube", "vkcube")
	s.add(t, glManifest)
	s.add(t, vkManifest)
	s.waitOffered(t, "gl-gears", "vk-cube")
	locksBefore := xLocks()

	var edges []edgeView
	if err := clustertest.GetJSON(clustertest.OperatorClient(stackOperatorToken), s.base+"/v1/edges", &edges); err != nil || len(edges) == 0 {
		t.Fatalf("edges: %v %v", edges, err)
	}
	edgeURL := edges[0].API
	var titles []api.Title
	if err := clustertest.GetJSON(clustertest.OperatorClient(stackOperatorToken), edgeURL+"/v1/titles?all=1", &titles); err != nil {
		t.Fatal(err)
	}
	for _, ti := range titles {
		if (ti.ID == "gl-gears" || ti.ID == "vk-cube") && !strings.Contains(ti.Renders, "Mesa on the CPU (llvmpipe") {
			t.Errorf("%s renders %q; want Mesa on the CPU, with the reason", ti.ID, ti.Renders)
		}
	}

	for _, id := range []string{"gl-gears", "vk-cube"} {
		t.Run(id, func(t *testing.T) {
			ctx := newBrowser(t)
			if err := chromedp.Do(ctx, chromedp.Navigate(s.base+"/play?title="+id)); err != nil {
				t.Fatal(err)
			}
			waitFor(t, ctx, `window.stratus && stratus.state === "playing" && stratus.framesPresented > 30`, "frames of "+id, 30*time.Second)
			if w, h := eval[int](t, ctx, `stratus.video.videoWidth`), eval[int](t, ctx, `stratus.video.videoHeight`); w != 1280 || h != 720 {
				t.Fatalf("video %dx%d, want 1280x720", w, h)
			}
			// Presented frames over five seconds: what the player sees.
			n0, t0 := eval[int](t, ctx, `stratus.framesPresented`), time.Now()
			seen := map[string]bool{}
			for time.Since(t0) < 5*time.Second {
				if sig := eval[string](t, ctx, frameSig); !strings.HasPrefix(sig, "0:") {
					seen[sig] = true
				}
				time.Sleep(250 * time.Millisecond)
			}
			fps := float64(eval[int](t, ctx, `stratus.framesPresented`)-n0) / time.Since(t0).Seconds()
			renderer := eval[string](t, ctx, `(stratus.edgeStats && stratus.edgeStats.renderer) || ""`)
			t.Logf("%s: %.1f fps presented at 1280x720, %d distinct frames sampled, renderer %q", id, fps, len(seen), renderer)
			if fps < 30 {
				t.Errorf("%.1f fps presented; want at least 30", fps)
			}
			if len(seen) < 5 {
				t.Errorf("only %d distinct non-black frames in 20 samples: the picture does not move", len(seen))
			}
			if !strings.Contains(renderer, "llvmpipe") {
				t.Errorf("the overlay's renderer is %q; want Mesa's llvmpipe", renderer)
			}
			leave(t, ctx, s, locksBefore)
		})
	}
}
