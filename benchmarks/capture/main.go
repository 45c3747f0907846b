// Command capture measures what a process title costs each frame before
// encoding: grabbing the picture of a real OpenGL program (glxgears) from its
// virtual display through X11 shared memory (title/process). ffmpeg's
// x11grab, which also reads the screen through shared memory (XCB), grabs
// the same display in the same run as the reference; both draw the pointer
// into the frame (XFixes).
//
//	go run ./benchmarks/capture -frames 600 -runs 3
//
// It prints a markdown table row per size for benchmarks/README.md.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"time"

	"stratus/internal/machine"
	"stratus/title/manifest"
	"stratus/title/process"
)

func main() {
	frames := flag.Int("frames", 600, "frames to grab per pass")
	runs := flag.Int("runs", 3, "passes of each grabber, alternating; the fastest of each is reported")
	flag.Parse()
	if err := run(*frames, *runs); err != nil {
		fmt.Fprintln(os.Stderr, "capture:", err)
		os.Exit(1)
	}
}

func run(frames, runs int) error {
	if frames < 1 || runs < 1 {
		return errors.New("-frames and -runs must be at least 1")
	}
	gears, err := exec.LookPath("glxgears")
	if err != nil {
		return fmt.Errorf("glxgears: install the Debian package mesa-utils: %w", err)
	}
	dir, err := os.MkdirTemp("", "stratus-capture-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	install := filepath.Join(dir, "gears")
	if err := os.MkdirAll(install, 0o755); err != nil {
		return err
	}
	bin, err := os.ReadFile(gears)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(install, "glxgears"), bin, 0o755); err != nil {
		return err
	}
	rt, err := process.NewToolRuntime(filepath.Join(dir, "run"), slog.New(slog.DiscardHandler), os.Stdout)
	if err != nil {
		return err
	}
	defer rt.Close()

	fmt.Printf("machine: %s, load %s\ncommand: %s\n\n", machine.CPUModel(), machine.LoadAverage(), machine.Invocation("./benchmarks/capture"))
	fmt.Println("| size | frames | ours p50 / p99 / mean | ffmpeg x11grab mean | ours/ffmpeg |")
	fmt.Println("|---|---|---|---|---|")
	for _, sz := range [][2]int{{1280, 720}, {1920, 1080}} {
		m := manifest.Manifest{ID: "gears", Name: "Gears", Version: "1.0.0", Runtime: manifest.RuntimeProcess,
			Command: "glxgears", Args: []string{"-geometry", "+0+0"}, Width: sz[0], Height: sz[1], FPS: 60}
		inst, err := rt.Start(process.Spec{Session: fmt.Sprintf("bench-%dx%d", sz[0], sz[1]), InstallDir: install, Manifest: m})
		if err != nil {
			return err
		}
		if err := warmUp(inst); err != nil {
			inst.Close()
			return err
		}
		var ours []time.Duration
		var ff time.Duration
		for range runs {
			d, err := grab(inst, frames)
			if err != nil {
				inst.Close()
				return err
			}
			if ours == nil || mean(d) < mean(ours) {
				ours = d
			}
			f, err := x11grab(inst.Display(), sz[0], sz[1], frames)
			if err != nil {
				inst.Close()
				return err
			}
			if ff == 0 || f < ff {
				ff = f
			}
		}
		inst.Close()
		slices.Sort(ours)
		fmt.Printf("| %dx%d | %d | %s / %s / %s | %s | %.2f |\n", sz[0], sz[1], frames,
			ms(ours[len(ours)/2]), ms(ours[len(ours)*99/100]), ms(mean(ours)), ms(ff), float64(mean(ours))/float64(ff))
	}
	return nil
}

// warmUp waits until the program draws and moves.
func warmUp(inst *process.Instance) error {
	var first []byte
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		f, err := inst.Render(time.Now())
		if err != nil {
			return err
		}
		if first == nil {
			first = slices.Clone(f.Pix)
		} else if !bytes.Equal(first, f.Pix) {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return errors.New("glxgears drew nothing in 10 s")
}

// grab times n captures back to back.
func grab(inst *process.Instance, n int) ([]time.Duration, error) {
	out := make([]time.Duration, n)
	for i := range out {
		t0 := time.Now()
		if _, err := inst.Render(t0); err != nil {
			return nil, err
		}
		out[i] = time.Since(t0)
	}
	return out, nil
}

var rtime = regexp.MustCompile(`rtime=([0-9.]+)s`)

// x11grab has ffmpeg grab n frames of display as fast as it can and
// returns its own real time per frame.
func x11grab(display string, w, h, n int) (time.Duration, error) {
	cmd := exec.Command("ffmpeg", "-hide_banner", "-nostdin", "-benchmark", "-f", "x11grab",
		"-framerate", "10000", "-video_size", fmt.Sprintf("%dx%d", w, h), "-draw_mouse", "1",
		"-i", display, "-frames:v", strconv.Itoa(n), "-f", "null", "-")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("ffmpeg x11grab: %w\n%s", err, out)
	}
	m := rtime.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("ffmpeg printed no rtime:\n%s", out)
	}
	s, _ := strconv.ParseFloat(string(m[1]), 64)
	return time.Duration(s * float64(time.Second) / float64(n)), nil
}

func mean(d []time.Duration) time.Duration {
	var sum time.Duration
	for _, x := range d {
		sum += x
	}
	return sum / time.Duration(len(d))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.3f ms", float64(d)/1e6) }
