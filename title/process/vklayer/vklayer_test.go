package vklayer

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"stratus/title/process/x11"
)

const lavapipe = "/usr/share/vulkan/icd.d/lvp_icd.x86_64.json"

// need skips when a tool is missing on a developer's machine, and fails
// under CI, which installs them all.
func need(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if strings.HasPrefix(tool, "/") {
			if _, err := os.Stat(tool); err == nil {
				continue
			}
		} else if _, err := exec.LookPath(tool); err == nil {
			continue
		}
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing (scripts/setup.sh installs it)", tool)
		}
		t.Skipf("%s is missing; scripts/setup.sh installs it", tool)
	}
}

func build(t *testing.T) Layer {
	t.Helper()
	need(t, "cc")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	l, err := Build(ctx, filepath.Join(t.TempDir(), "layer"), "")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestBuildCaches(t *testing.T) {
	l := build(t)
	lib := filepath.Join(l.Dir, LibraryFile)
	st1, err := os.Stat(lib)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(l.Dir); err != nil || fi.Mode().Perm() != 0o755 {
		t.Fatalf("layer dir: %v, %v; want mode 0755 (sandboxed games load it)", fi.Mode(), err)
	}
	if b, err := os.ReadFile(filepath.Join(l.Dir, ManifestFile)); err != nil || !strings.Contains(string(b), `"name": "`+Name+`"`) {
		t.Fatalf("manifest %q, %v", b, err)
	}

	// A compiler that does not exist proves that none ran.
	l2, err := Build(context.Background(), l.Dir, "/nonexistent/cc")
	if err != nil {
		t.Fatalf("second build compiled again: %v", err)
	}
	st2, err := os.Stat(lib)
	if err != nil || l2 != l || !st2.ModTime().Equal(st1.ModTime()) {
		t.Fatalf("second build changed the library: %v -> %v (%v)", st1.ModTime(), st2.ModTime(), err)
	}

	// A stale stamp is a different source: it must compile again.
	if err := os.WriteFile(filepath.Join(l.Dir, stampFile), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Build(context.Background(), l.Dir, "/nonexistent/cc"); err == nil || !strings.Contains(err.Error(), "no C compiler") {
		t.Fatalf("stale stamp: got %v, want a missing-compiler error", err)
	}
}

func TestParseReport(t *testing.T) {
	for _, c := range []struct {
		line, device, uuid string
		ok                 bool
	}{
		{`stratus-vklayer: device "llvmpipe (LLVM 15.0.6, 256 bits)" uuid 6d657361-3232-2e33-2e36-000000000000 driver llvmpipe`, "llvmpipe (LLVM 15.0.6, 256 bits)", "6d657361-3232-2e33-2e36-000000000000", true},
		{`12:00:01 stratus-vklayer: device "NVIDIA H200" uuid f4e1114f-63bd-4325-2b25-060e650f2195 driver unknown`, "NVIDIA H200", "f4e1114f-63bd-4325-2b25-060e650f2195", true},
		{`stratus-vklayer: no Vulkan device has uuid x`, "", "", false},
		{`stratus-vklayer: device "cut`, "", "", false},
		{`Selected GPU 0: llvmpipe`, "", "", false},
	} {
		d, u, ok := ParseReport(c.line)
		if d != c.device || u != c.uuid || ok != c.ok {
			t.Errorf("ParseReport(%q) = %q, %q, %v; want %q, %q, %v", c.line, d, u, ok, c.device, c.uuid, c.ok)
		}
	}
}

func TestEnv(t *testing.T) {
	l := Layer{Dir: "/run/layer"}
	for _, c := range []struct {
		uuid string
		fps  int
		want []string
	}{
		{"", 0, nil},
		{"GPU-f4e1114f-63bd-4325-2b25-060e650f2195", 30, []string{"STRATUS_VK_DEVICE=GPU-f4e1114f-63bd-4325-2b25-060e650f2195", "STRATUS_VK_FPS=30"}},
	} {
		env := l.Env(c.uuid, c.fps)
		want := append([]string{"VK_LAYER_PATH=/run/layer", "VK_INSTANCE_LAYERS=" + Name, "VK_LOADER_LAYERS_ENABLE=" + Name, "NODEVICE_SELECT=1"}, c.want...)
		if strings.Join(env, " ") != strings.Join(want, " ") {
			t.Errorf("Env(%q, %d) = %q, want %q", c.uuid, c.fps, env, want)
		}
	}
}

// xvfb starts a private X server and returns its display name; -displayfd
// lets the server pick a free number, so tests can run side by side.
func xvfb(t *testing.T) string {
	t.Helper()
	need(t, "Xvfb")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command("Xvfb", "-screen", "0", "1280x720x24", "-nolisten", "tcp", "-displayfd", "3")
	cmd.ExtraFiles = []*os.File{w}
	if err := cmd.Start(); err != nil {
		w.Close()
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	got := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		got <- strings.TrimSpace(line)
	}()
	select {
	case n := <-got:
		if n == "" {
			t.Fatal("Xvfb exited without naming its display")
		}
		return ":" + n
	case <-time.After(20 * time.Second):
		t.Fatal("Xvfb did not name its display within 20s")
	}
	return ""
}

func lit(pix []byte) int {
	n := 0
	for i := 0; i+3 < len(pix); i += 4 {
		if pix[i]|pix[i+1]|pix[i+2] != 0 {
			n++
		}
	}
	return n
}

// TestVkcubeOnXvfb runs on lavapipe; on a GPU machine
// STRATUS_TEST_VK_DRIVER_FILES names the driver's ICD manifest instead
// (and STRATUS_TEST_VK_DEVICE, optionally, the UUID to filter for).
func TestVkcubeOnXvfb(t *testing.T) {
	driver, wantDevice := lavapipe, "llvmpipe"
	if d := os.Getenv("STRATUS_TEST_VK_DRIVER_FILES"); d != "" {
		driver, wantDevice = d, ""
	}
	need(t, "vkcube", driver)
	if err := x11.Available(); err != nil {
		t.Skip(err)
	}
	l := build(t)
	display := xvfb(t)

	const frames = 240
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "vkcube", "--width", "1280", "--height", "720", "--c", "240")
	cmd.Env = append(append(os.Environ(), "DISPLAY="+display, "VK_DRIVER_FILES="+driver), l.Env(os.Getenv("STRATUS_TEST_VK_DEVICE"), 60)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Stdout = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	d, err := x11.Open(display)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	// Wait for a picture, then look again 100 ms later (six frames at 60
	// fps) for the cube to have turned.
	var first []byte
	moving := false
	var runErr error
	done := false
	for !done && !moving {
		select {
		case runErr = <-exited:
			done = true
			continue
		default:
		}
		f, err := d.Capture()
		if err != nil {
			t.Fatal(err)
		}
		if n := lit(f.Pix); n > len(f.Pix)/4/100 {
			if first != nil && !bytes.Equal(first, f.Pix) {
				moving = true
				t.Logf("root window: %d of %d pixels lit, picture changing", n, f.Width*f.Height)
				break
			}
			first = append(first[:0], f.Pix...)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !done {
		runErr = <-exited
	}
	wall := time.Since(start)
	if runErr != nil {
		t.Fatalf("vkcube: %v\n%s", runErr, stderr.String())
	}
	if !moving {
		t.Errorf("the root window never showed a changing, non-black picture while vkcube ran")
	}
	device, reported := "", false
	for _, line := range strings.Split(stderr.String(), "\n") {
		if dev, _, ok := ParseReport(line); ok {
			device, reported = dev, true
		}
	}
	if !reported || !strings.HasPrefix(device, wantDevice) {
		t.Errorf("no report line naming %q in vkcube's output:\n%s", wantDevice, stderr.String())
	}
	fps := float64(frames) / wall.Seconds()
	t.Logf("vkcube: %d frames in %v (%.1f fps, FIFO paced at 60) on %q", frames, wall.Round(time.Millisecond), fps, device)
	// Pacing may only slow a game down: 239 frame periods is the least
	// 240 FIFO frames can take.
	if min := time.Duration(frames-1) * time.Second / 60; wall < min {
		t.Errorf("240 FIFO frames took %v, less than the %v pacing allows", wall, min)
	}
}

var uuidLine = regexp.MustCompile(`deviceUUID\s*=\s*([0-9a-f-]{36})`)

func vulkaninfo(t *testing.T, env ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "vulkaninfo", "--summary")
	cmd.Env = append(append(os.Environ(), "VK_DRIVER_FILES="+lavapipe), env...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.String(), e.String(), err
}

func TestDeviceFilter(t *testing.T) {
	need(t, "vulkaninfo", "vkcube", lavapipe)
	l := build(t)
	display := xvfb(t) // vkcube wants a display before it looks for devices
	out, errs, err := vulkaninfo(t)
	m := uuidLine.FindStringSubmatch(out)
	if err != nil || m == nil {
		t.Fatalf("vulkaninfo without the layer: %v, no deviceUUID in:\n%s\n%s", err, out, errs)
	}
	lvp := m[1]
	t.Logf("lavapipe's uuid: %s", lvp)

	const none = "00000000-0000-0000-0000-000000000001"
	for _, c := range []struct {
		name, uuid string
		listed     bool
		why        string // in stderr when not listed
	}{
		{"match", lvp, true, ""},
		{"nvml form", "GPU-" + strings.ToUpper(lvp), true, ""},
		{"no match", none, false, "no Vulkan device has uuid " + none},
		{"malformed", "not-a-uuid", false, "is not a device UUID"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, errs, err := vulkaninfo(t, l.Env(c.uuid, 0)...)
			listed := strings.Contains(out, lvp)
			if listed != c.listed {
				t.Fatalf("listed %v, want %v (err %v):\n%s\n%s", listed, c.listed, err, out, errs)
			}
			if c.listed {
				return
			}
			if !strings.Contains(errs, c.why) {
				t.Errorf("vulkaninfo's stderr lacks %q:\n%s", c.why, errs)
			}
			cmd := exec.Command("vkcube", "--c", "1")
			cmd.Env = append(append(os.Environ(), "DISPLAY="+display, "VK_DRIVER_FILES="+lavapipe), l.Env(c.uuid, 0)...)
			b, err := cmd.CombinedOutput()
			if err == nil || !strings.Contains(string(b), c.why) {
				t.Errorf("vkcube with no device: %v, want a failure saying %q:\n%s", err, c.why, b)
			}
		})
	}
}

func TestCompileErrorNamesPackage(t *testing.T) {
	for _, c := range []struct{ out, want string }{
		{"layer.h:11:10: fatal error: vulkan/vulkan_core.h: No such file or directory", "install libvulkan-dev"},
		{"layer.h:9:10: fatal error: xcb/xcb.h: No such file or directory", "install libxcb1-dev"},
		{"/usr/bin/ld: cannot find -lxcb: No such file or directory", "install libxcb1-dev"},
		{"present.c:3:1: error: expected ';'", "compiling with cc"},
	} {
		if err := compileError("cc", errors.New("exit status 1"), c.out); !strings.Contains(err.Error(), c.want) {
			t.Errorf("compileError(%q) = %v, want it to say %q", c.out, err, c.want)
		}
	}
}

// TestBuildRelativeDir builds into a relative directory, as `stratus
// vklayer bin/vklayer` does: the compiler runs elsewhere, and games read
// VK_LAYER_PATH from their own working directory, so the layer's place
// must come out absolute.
func TestBuildRelativeDir(t *testing.T) {
	t.Chdir(t.TempDir())
	l, err := Build(context.Background(), filepath.Join("bin", "vklayer"), "")
	if err != nil {
		t.Fatal(err)
	}
	if !filepath.IsAbs(l.Dir) {
		t.Fatalf("layer dir %q is relative", l.Dir)
	}
	if _, err := os.Stat(filepath.Join(l.Dir, LibraryFile)); err != nil {
		t.Fatal(err)
	}
}
