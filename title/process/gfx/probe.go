package gfx

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"stratus/title/process/vklayer"
)

// Tools are the programs and places Probe uses. Zero fields take defaults.
type Tools struct {
	Glxinfo    string // mesa-utils
	Vulkaninfo string // vulkan-tools
	// ICDDirs are searched in order for Vulkan driver manifests; the
	// default adds /usr/local/nvidia, where GPU clouds mount the driver.
	ICDDirs []string
	// Timeout bounds each program: a wedged driver must not stall the
	// edge's start.
	Timeout time.Duration
}

func (t Tools) withDefaults() Tools {
	if t.Glxinfo == "" {
		t.Glxinfo = "glxinfo"
	}
	if t.Vulkaninfo == "" {
		t.Vulkaninfo = "vulkaninfo"
	}
	if t.ICDDirs == nil {
		t.ICDDirs = []string{"/etc/vulkan/icd.d", "/usr/local/share/vulkan/icd.d",
			"/usr/share/vulkan/icd.d", "/usr/local/nvidia/share/vulkan/icd.d"}
	}
	if t.Timeout <= 0 {
		t.Timeout = 10 * time.Second
	}
	return t
}

// Probe asks each driver what it renders on the display that displayEnv
// (DISPLAY, XAUTHORITY) names. layerErr is why Vulkan games cannot present
// with layer here (it could not be built), or nil.
func Probe(ctx context.Context, displayEnv []string, gpus []GPU, tools Tools, layer vklayer.Layer, layerErr error) Report {
	t := tools.withDefaults()
	rep := Report{CPU: Driver{Vendor: VendorMesa, GPU: -1}, Layer: layer}
	rep.CPU.OpenGL = probeGL(ctx, t, displayEnv, VendorMesa)
	rep.CPU.ICD, rep.CPU.Vulkan = probeVulkan(ctx, t, displayEnv, "lvp_icd", "", layerErr)
	if len(gpus) == 0 {
		return rep
	}
	gl := probeGL(ctx, t, displayEnv, VendorNVIDIA)
	for _, g := range gpus {
		d := Driver{Vendor: VendorNVIDIA, GPU: g.Index, Minor: g.Minor, UUID: g.UUID, OpenGL: gl}
		d.ICD, d.Vulkan = probeVulkan(ctx, t, displayEnv, "nvidia_icd", g.UUID, layerErr)
		rep.GPUs = append(rep.GPUs, d)
	}
	return rep
}

func probeGL(ctx context.Context, t Tools, displayEnv []string, vendor string) Support {
	out, err := run(ctx, t, t.Glxinfo, []string{"-B"}, append(displayEnv, "__GLX_VENDOR_LIBRARY_NAME="+vendor))
	if errors.Is(err, exec.ErrNotFound) {
		return Support{Why: "cannot check OpenGL: glxinfo not found (install mesa-utils)"}
	}
	if bytes.Contains(out, []byte("couldn't find RGB GLX visual")) {
		return Support{Why: "the X server offers no GLX (Xvfb takes it from Mesa's swrast_dri.so: install libgl1-mesa-dri)"}
	}
	if err != nil {
		return Support{Why: "glxinfo failed: " + firstLine(out, err)}
	}
	fields := keyValues(out, ": ")
	renderer, glVendor := fields["OpenGL renderer string"], fields["OpenGL vendor string"]
	switch {
	case renderer == "":
		return Support{Why: "glxinfo named no renderer"}
	case fields["direct rendering"] != "Yes":
		return Support{Renderer: renderer, Why: "no direct rendering: the X server would render every call"}
	case vendor == VendorNVIDIA && !strings.Contains(glVendor, "NVIDIA"):
		// libglvnd falls back to the server's vendor (Mesa) when the
		// named library is missing, so only the answer proves it.
		return Support{Renderer: renderer, Why: fmt.Sprintf("NVIDIA's GLX library (libGLX_nvidia.so.0) did not load: %s answered", renderer)}
	}
	return Support{OK: true, Renderer: renderer}
}

// probeVulkan finds the driver manifest named prefix*.json and asks the
// loader, given only that driver, for its devices: the one with uuid, or
// the first when uuid is empty.
func probeVulkan(ctx context.Context, t Tools, displayEnv []string, prefix, uuid string, layerErr error) (string, Support) {
	icd := findICD(t.ICDDirs, prefix)
	if icd == "" {
		pkg := "mesa-vulkan-drivers"
		if prefix != "lvp_icd" {
			pkg = "the NVIDIA driver's Vulkan part"
		}
		return "", Support{Why: fmt.Sprintf("no Vulkan driver manifest %s*.json in %s (install %s)", prefix, strings.Join(t.ICDDirs, ", "), pkg)}
	}
	out, err := run(ctx, t, t.Vulkaninfo, []string{"--summary"}, append(displayEnv, "VK_DRIVER_FILES="+icd, "VK_ICD_FILENAMES="+icd))
	if errors.Is(err, exec.ErrNotFound) {
		return icd, Support{Why: "cannot check Vulkan: vulkaninfo not found (install vulkan-tools)"}
	}
	if err != nil {
		return icd, Support{Why: "vulkaninfo failed: " + firstLine(out, err)}
	}
	want := strings.ToLower(strings.TrimPrefix(uuid, "GPU-"))
	for _, dev := range vulkanDevices(out) {
		if want != "" && strings.ToLower(dev["deviceUUID"]) != want {
			continue
		}
		s := Support{OK: layerErr == nil, Renderer: dev["deviceName"]}
		if layerErr != nil {
			s.Why = "no present layer: " + layerErr.Error()
		}
		return icd, s
	}
	if want != "" {
		return icd, Support{Why: "the Vulkan driver does not list this GPU"}
	}
	return icd, Support{Why: "the Vulkan driver lists no device"}
}

func findICD(dirs []string, prefix string) string {
	for _, d := range dirs {
		m, _ := filepath.Glob(filepath.Join(d, prefix+"*.json"))
		if len(m) > 0 {
			return m[0]
		}
	}
	return ""
}

// vulkanDevices parses vulkaninfo --summary's "GPUn:" blocks of
// "key = value" lines.
func vulkanDevices(out []byte) []map[string]string {
	var devs []map[string]string
	sc := bufio.NewScanner(bytes.NewReader(out))
	in := false
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "GPU") && strings.HasSuffix(line, ":") {
			devs = append(devs, map[string]string{})
			in = true
			continue
		}
		if !in {
			continue
		}
		if !strings.HasPrefix(line, "\t") && !strings.HasPrefix(line, " ") {
			in = false
			continue
		}
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok {
			devs[len(devs)-1][strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return devs
}

// keyValues reads "key<sep>value" lines, keeping each key's first value.
func keyValues(out []byte, sep string) map[string]string {
	m := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), sep); ok {
			k = strings.TrimSpace(k)
			if _, seen := m[k]; !seen {
				m[k] = strings.TrimSpace(v)
			}
		}
	}
	return m
}

func run(ctx context.Context, t Tools, bin string, args, env []string) ([]byte, error) {
	path, err := exec.LookPath(bin)
	if err != nil {
		// A missing absolute path is not exec.ErrNotFound; both mean the
		// same to the operator.
		return nil, fmt.Errorf("%w: %v", exec.ErrNotFound, err)
	}
	ctx, cancel := context.WithTimeout(ctx, t.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir()}, env...)
	return cmd.CombinedOutput()
}

func firstLine(out []byte, err error) string {
	for _, l := range strings.Split(string(out), "\n") {
		if l = strings.TrimSpace(l); strings.Contains(strings.ToLower(l), "error") {
			return l
		}
	}
	return err.Error()
}
