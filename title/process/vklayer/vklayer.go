// Package vklayer builds and configures VK_LAYER_STRATUS_present, the
// Vulkan layer that lets studio games render on an edge's GPU while they
// show on the session's Xvfb display.
//
// Games run on Xvfb, and the edge captures Xvfb's root window. Vulkan
// drivers present through their own window-system integration, and
// NVIDIA's needs DRI3 or an NVIDIA X server: on an H200 edge (driver 580,
// no /dev/dri) the NVIDIA ICD enumerates the GPU and creates X11 surfaces
// on Xvfb, but vkCreateSwapchainKHR fails. The layer therefore owns
// presentation: it answers the surface queries itself, makes swapchain
// images that are ordinary device images, and at present time copies the
// image once into a mapped host buffer and writes it into the game's X
// window with xcb_put_image, where the edge's capture finds it. FIFO
// presents are paced to the session's frame rate, since Xvfb has no
// vertical blank. The same layer runs on Mesa's lavapipe, which is how
// CPU-only machines test it.
//
// The layer is C (under src/, out of cgo's sight: the edge itself links
// nothing of Vulkan) and Build compiles it on the edge, once per source
// version, into a directory that Layer.Env points a game's Vulkan loader
// at.
package vklayer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Name is the layer's name, as games' loaders know it.
const Name = "VK_LAYER_STRATUS_present"

// Files Build writes into a layer's directory.
const (
	LibraryFile  = "libVkLayer_stratus_present.so"
	ManifestFile = "VkLayer_stratus_present.json"
	stampFile    = "stamp"
)

//go:embed src/*
var sources embed.FS

// Layer is a built layer: Dir holds the shared library and its manifest.
type Layer struct{ Dir string }

// ccFlags are part of what the stamp covers: changing them rebuilds.
// Hidden visibility keeps every symbol but the loader's entry points out
// of the game's symbol space.
func ccFlags() []string {
	return []string{"-O2", "-fPIC", "-shared", "-Wall", "-Werror", "-fvisibility=hidden"}
}

const manifest = `{
  "file_format_version": "1.1.2",
  "layer": {
    "name": "` + Name + `",
    "type": "INSTANCE",
    "library_path": "./` + LibraryFile + `",
    "api_version": "1.3.239",
    "implementation_version": "1",
    "description": "Stratus: presents Vulkan swapchains into X11 windows with one GPU-to-host copy"
  }
}
`

// sourceFiles lists the embedded sources in a fixed order.
func sourceFiles() ([]string, error) {
	var names []string
	err := fs.WalkDir(sources, "src", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			names = append(names, p)
		}
		return nil
	})
	sort.Strings(names)
	return names, err
}

// stamp identifies one build: the sources, the flags and the manifest.
func stamp(names []string) (string, error) {
	h := sha256.New()
	for _, n := range names {
		b, err := sources.ReadFile(n)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s %d\n", n, len(b))
		h.Write(b)
	}
	fmt.Fprintf(h, "flags %q\nmanifest %s", ccFlags(), manifest)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// writeFile replaces path in one rename, so that an edge or test building
// into the same directory at the same time never sees half a file.
func writeFile(path string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, perm)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// Holds reports whether dir holds a build of the layer, of whatever
// sources: Build then checks they are these, and rebuilds if not.
func Holds(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, stampFile))
	return err == nil
}

// Build compiles the layer with cc ("cc" when empty) into dir, made 0755
// if missing, and writes its manifest there. A dir that already holds a
// build of the same sources is used as it is, without running cc.
func Build(ctx context.Context, dir, cc string) (Layer, error) {
	if cc == "" {
		cc = "cc"
	}
	// Absolute: VK_LAYER_PATH is read in the game's working directory,
	// and cc runs in another.
	dir, err := filepath.Abs(dir)
	if err != nil {
		return Layer{}, fmt.Errorf("vklayer: %w", err)
	}
	l := Layer{Dir: dir}
	names, err := sourceFiles()
	if err != nil {
		return l, fmt.Errorf("vklayer: embedded sources: %w", err)
	}
	want, err := stamp(names)
	if err != nil {
		return l, fmt.Errorf("vklayer: embedded sources: %w", err)
	}
	// Readable by all: sandboxed games load the layer as their own uids,
	// and nothing in it is secret.
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return l, fmt.Errorf("vklayer: %w", err)
	}
	// One made private by an older build opens up; one shipped readable
	// (beside the binary, owned by root) is left as it is.
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm()&0o005 != 0o005 {
		if err := os.Chmod(dir, 0o755); err != nil {
			return l, fmt.Errorf("vklayer: %w", err)
		}
	}
	if got, err := os.ReadFile(filepath.Join(dir, stampFile)); err == nil && string(got) == want {
		_, err1 := os.Stat(filepath.Join(dir, LibraryFile))
		_, err2 := os.Stat(filepath.Join(dir, ManifestFile))
		if err1 == nil && err2 == nil {
			return l, nil
		}
	}

	ccPath, err := exec.LookPath(cc)
	if err != nil {
		return l, fmt.Errorf("vklayer: no C compiler %q to build the layer (install gcc): %w", cc, err)
	}
	src, err := os.MkdirTemp(dir, ".src-")
	if err != nil {
		return l, fmt.Errorf("vklayer: %w", err)
	}
	defer os.RemoveAll(src)
	var cfiles []string
	for _, n := range names {
		b, err := sources.ReadFile(n)
		if err != nil {
			return l, fmt.Errorf("vklayer: %w", err)
		}
		p := filepath.Join(src, filepath.Base(n))
		if err := os.WriteFile(p, b, 0o600); err != nil {
			return l, fmt.Errorf("vklayer: %w", err)
		}
		if strings.HasSuffix(n, ".c") {
			cfiles = append(cfiles, p)
		}
	}
	out := filepath.Join(src, LibraryFile)
	args := append(append(ccFlags(), "-o", out), cfiles...)
	args = append(args, "-lxcb", "-lpthread")
	cmd := exec.CommandContext(ctx, ccPath, args...)
	cmd.Dir = src
	var msg bytes.Buffer
	cmd.Stdout = &msg
	cmd.Stderr = &msg
	if err := cmd.Run(); err != nil {
		return l, compileError(cc, err, msg.String())
	}
	lib, err := os.ReadFile(out)
	if err != nil {
		return l, fmt.Errorf("vklayer: %w", err)
	}
	if err := writeFile(filepath.Join(dir, LibraryFile), lib, 0o755); err != nil {
		return l, fmt.Errorf("vklayer: %w", err)
	}
	if err := writeFile(filepath.Join(dir, ManifestFile), []byte(manifest), 0o644); err != nil {
		return l, fmt.Errorf("vklayer: %w", err)
	}
	// The stamp goes last: it vouches for the two files before it.
	if err := writeFile(filepath.Join(dir, stampFile), []byte(want), 0o644); err != nil {
		return l, fmt.Errorf("vklayer: %w", err)
	}
	return l, nil
}

// compileError names the package to install when the failure is a missing
// header or library, which is what a fresh edge usually lacks.
func compileError(cc string, err error, out string) error {
	out = strings.TrimSpace(out)
	switch {
	case strings.Contains(out, "vulkan/") && (strings.Contains(out, "No such file") || strings.Contains(out, "not found")):
		return fmt.Errorf("vklayer: the Vulkan headers are missing (install libvulkan-dev): %s", firstLine(out))
	case strings.Contains(out, "xcb/") && (strings.Contains(out, "No such file") || strings.Contains(out, "not found")),
		strings.Contains(out, "-lxcb"):
		return fmt.Errorf("vklayer: the xcb headers or library are missing (install libxcb1-dev): %s", firstLine(out))
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("vklayer: compiling with %s: %w", cc, err)
	}
	return fmt.Errorf("vklayer: compiling with %s: %v: %s", cc, err, out)
}

func firstLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, "rror") {
			return strings.TrimSpace(l)
		}
	}
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// Env is what a game's environment needs to run under the layer: the
// loader finds it in Dir and enables it (VK_INSTANCE_LAYERS for older
// loaders, VK_LOADER_LAYERS_ENABLE for newer). deviceUUID, when set,
// leaves the game only that GPU (also as "GPU-<uuid>", as NVML prints
// it); fps, when positive, paces FIFO presents (default 60).
//
// It also turns off Mesa's implicit device-select layer: the layer picks
// the device itself, and Mesa's crashes the game when the filter leaves
// no device, instead of letting it report that.
func (l Layer) Env(deviceUUID string, fps int) []string {
	env := []string{
		"VK_LAYER_PATH=" + l.Dir,
		"VK_INSTANCE_LAYERS=" + Name,
		"VK_LOADER_LAYERS_ENABLE=" + Name,
		"NODEVICE_SELECT=1",
	}
	if deviceUUID != "" {
		env = append(env, "STRATUS_VK_DEVICE="+deviceUUID)
	}
	if fps > 0 {
		env = append(env, "STRATUS_VK_FPS="+strconv.Itoa(fps))
	}
	return env
}

// reportPrefix starts the line the layer prints at a game's first
// vkCreateDevice.
const reportPrefix = `stratus-vklayer: device "`

// ParseReport reads the layer's device line from a game's log:
//
//	stratus-vklayer: device "<name>" uuid <uuid> driver <driver>
//
// Anything before the line's prefix (a log timestamp) is ignored.
func ParseReport(line string) (device, uuid string, ok bool) {
	i := strings.Index(line, reportPrefix)
	if i < 0 {
		return "", "", false
	}
	rest := line[i+len(reportPrefix):]
	j := strings.LastIndex(rest, `" uuid `)
	if j < 0 {
		return "", "", false
	}
	device = rest[:j]
	fields := strings.Fields(rest[j+len(`" uuid `):])
	if len(fields) == 0 {
		return "", "", false
	}
	return device, fields[0], true
}
