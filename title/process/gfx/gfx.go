// Package gfx chooses the graphics driver a process title renders with: an
// NVIDIA GPU of the edge where one can render the title's APIs, or Mesa on
// the CPU (llvmpipe for OpenGL, lavapipe for Vulkan).
//
// A session's display stays the Xvfb server of package process; what
// changes is the client side of the game's graphics stack, chosen per
// session through the vendor-neutral loaders:
//
//   - OpenGL: GLX through libglvnd, whose vendor library is named by
//     __GLX_VENDOR_LIBRARY_NAME. NVIDIA's GLX library renders on the GPU and
//     hands each finished frame to any X server, Xvfb included, through the
//     X protocol: one copy from the GPU into the display, which the edge
//     captures as it captures every title. The server still needs a GLX
//     extension of its own (Mesa's swrast_dri.so in Xvfb) for the client
//     to find an RGB visual.
//   - Vulkan: the loader reads the one driver manifest (ICD) named by
//     VK_DRIVER_FILES. NVIDIA's Vulkan driver renders headless but cannot
//     present to Xvfb (its X11 swapchains need DRI3), so every Vulkan title
//     runs with the edge's present layer (package vklayer), which also
//     keeps the game to the session's GPU.
//
// This works in containers and GPU clouds that expose only /dev/nvidia*:
// no DRM nodes, no X driver, no GBM. The alternatives need some of those:
// Xorg with the NVIDIA driver needs nvidia_drv.so and a display-less
// configuration, and a headless Wayland compositor with Xwayland (weston,
// gamescope) needs a DRM render node for GBM.
//
// Probe asks the drivers themselves, on a display the caller provides,
// through glxinfo (mesa-utils) and vulkaninfo (vulkan-tools): a driver file
// on disk proves nothing about a GPU that lacks graphics units or a
// container that lacks the driver's graphics libraries.
package gfx

import (
	"fmt"
	"slices"
	"strings"

	"stratus/title/process/vklayer"
)

// Vendors a Driver can be.
const (
	VendorNVIDIA = "nvidia"
	VendorMesa   = "mesa"
)

// GPU names one NVIDIA GPU for Probe, as NVML reports it.
type GPU struct {
	Index int
	Minor int    // its device node: /dev/nvidia<Minor>
	UUID  string // "GPU-…", NVML's form
	Name  string
}

// Support says whether one driver renders one API, and with what.
type Support struct {
	OK bool `json:"ok"`
	// Renderer is the driver's own name for what renders ("NVIDIA
	// H200/PCIe/SSE2", "llvmpipe (LLVM 15.0.6, 256 bits)").
	Renderer string `json:"renderer,omitempty"`
	// Why says what is missing when !OK.
	Why string `json:"why,omitempty"`
}

// Driver is one place a session can render: an NVIDIA GPU, or Mesa on the
// CPU.
type Driver struct {
	Vendor string `json:"vendor"`
	// GPU is the NVML index and UUID of the GPU; -1 and "" for Mesa.
	GPU int `json:"gpu"`
	// Minor numbers the GPU's device node, /dev/nvidia<Minor>.
	Minor  int     `json:"-"`
	UUID   string  `json:"uuid,omitempty"`
	OpenGL Support `json:"opengl"`
	Vulkan Support `json:"vulkan"`
	// ICD is the Vulkan driver manifest the session's loader reads.
	ICD string `json:"icd,omitempty"`
}

// Supports reports whether d renders every API in apis, or why not.
func (d Driver) Supports(apis []string) (bool, string) {
	var why []string
	for _, api := range apis {
		s := d.support(api)
		if !s.OK {
			why = append(why, api+": "+s.Why)
		}
	}
	return len(why) == 0, strings.Join(why, "; ")
}

func (d Driver) support(api string) Support {
	switch api {
	case "opengl":
		return d.OpenGL
	case "vulkan":
		return d.Vulkan
	}
	return Support{Why: fmt.Sprintf("unknown graphics API %q", api)}
}

// Renderer names what renders the APIs, for logs and the player's
// overlay: "NVIDIA H200/PCIe/SSE2", or "GL: …; Vulkan: …" when they differ.
func (d Driver) Renderer(apis []string) string {
	var names []string
	for _, api := range apis {
		if s := d.support(api); s.OK && !slices.Contains(names, s.Renderer) {
			names = append(names, s.Renderer)
		}
	}
	return strings.Join(names, "; ")
}

// Label names the driver in messages: "GPU 0 (NVIDIA H200)" or "Mesa (CPU)".
func (d Driver) Label() string {
	if d.Vendor == VendorMesa {
		return "Mesa (CPU)"
	}
	return fmt.Sprintf("GPU %d", d.GPU)
}

// Report is what Probe found: Mesa, and each NVIDIA GPU in NVML's order.
type Report struct {
	CPU  Driver   `json:"cpu"`
	GPUs []Driver `json:"gpus"`
	// Layer is the present layer Vulkan games run with.
	Layer vklayer.Layer `json:"-"`
}

// Env is the environment that makes a game of apis, running at fps, render
// with d: it comes after the manifest's own, so a studio cannot pick
// another driver or GPU.
func (d Driver) Env(apis []string, layer vklayer.Layer, fps int) []string {
	var env []string
	if slices.Contains(apis, "opengl") {
		env = append(env, "__GLX_VENDOR_LIBRARY_NAME="+d.Vendor)
	}
	if slices.Contains(apis, "vulkan") {
		// VK_ICD_FILENAMES for loaders older than 1.3.207.
		env = append(env, "VK_DRIVER_FILES="+d.ICD, "VK_ICD_FILENAMES="+d.ICD)
		env = append(env, layer.Env(d.UUID, fps)...)
	}
	return env
}

// Session is what a game of apis, running at fps, needs to render with d:
// its environment, the present layer's directory for Vulkan, and on a GPU
// that GPU's device nodes and no other's (the driver's shared ones
// besides), so that the sandbox shows the game only its own GPU.
func (d Driver) Session(apis []string, layer vklayer.Layer, fps int) Session {
	s := Session{Env: d.Env(apis, layer, fps), Renderer: d.Renderer(apis)}
	if slices.Contains(apis, "vulkan") && layer.Dir != "" {
		s.ReadOnly = append(s.ReadOnly, layer.Dir)
	}
	if d.Vendor == VendorNVIDIA {
		s.Devices = []string{fmt.Sprintf("/dev/nvidia%d", d.Minor), "/dev/nvidiactl", "/dev/nvidia-uvm",
			"/dev/nvidia-uvm-tools", "/dev/nvidia-modeset", "/dev/nvidia-caps"}
	}
	return s
}

// Session is the graphics one session's game runs with.
type Session struct {
	// Env goes after the manifest's environment.
	Env []string
	// Renderer names what draws the picture, for title.Info and the log.
	Renderer string
	// ReadOnly are paths the game must read (the present layer), and
	// Devices the device nodes it must open (its GPU's, no other's), for
	// the sandbox.
	ReadOnly []string
	Devices  []string
	// Release gives the placement back; called once, when the game has
	// ended or failed to start. May be nil.
	Release func()
}
