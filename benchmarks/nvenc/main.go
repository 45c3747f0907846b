// Command nvenc checks and measures hardware encoding on this machine's
// GPUs, the way an edge would use them: for each GPU NVML lists, it says
// plainly whether it has an NVENC engine, and on each one that has, it
// opens an encoder with the edge's recipe and encodes a moving 1920×1080
// picture at 60 fps, printing the encode time per frame (p50, p99, mean)
// and the size of the stream.
//
//	go run ./benchmarks/nvenc -frames 300
//
// It exits 1 only on a real failure: a GPU with an engine whose encoder
// does not open or fails, or a GPU that is lost. A machine without a
// driver, or whose GPUs have no engine (an H100, an H200), is a machine
// that encodes in software, which is reported and not a failure.
// scripts/gpu-check.sh runs it.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"time"

	"stratus/edge/gpu"
	"stratus/encoder"
	"stratus/encoder/nvenc"
)

type options struct {
	frames, width, height, fps, bitrate int
}

func main() {
	var o options
	flag.IntVar(&o.frames, "frames", 300, "pictures to encode on each GPU")
	flag.IntVar(&o.width, "width", 1920, "picture width")
	flag.IntVar(&o.height, "height", 1080, "picture height")
	flag.IntVar(&o.fps, "fps", 60, "frame rate the encoder is configured for")
	flag.IntVar(&o.bitrate, "bitrate", 12_000_000, "target bitrate in bit/s")
	verbose := flag.Bool("v", false, "show the encoder's log")
	flag.Parse()
	if o.frames < 1 || o.width <= 0 || o.height <= 0 || o.fps <= 0 {
		fmt.Fprintln(os.Stderr, "nvenc: -frames, -width, -height and -fps must be positive")
		os.Exit(2)
	}
	var w io.Writer = io.Discard
	if *verbose {
		w = os.Stderr
	}
	log := slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if failures := run(o, log); failures > 0 {
		fmt.Printf("FAIL: %d GPU(s) failed\n", failures)
		os.Exit(1)
	}
}

// run checks every GPU and returns how many failed.
func run(o options, log *slog.Logger) int {
	// NVML and CUDA number GPUs differently unless told to agree; the
	// edge pins sessions by NVML's index.
	if os.Getenv("CUDA_DEVICE_ORDER") == "" {
		os.Setenv("CUDA_DEVICE_ORDER", "PCI_BUS_ID")
	}
	m, err := gpu.Open(log)
	if errors.Is(err, gpu.ErrNoDriver) {
		fmt.Printf("%v: nothing to check; this machine encodes in software (NVENC: %v)\n", err, nvenc.Probe())
		return 0
	}
	if err != nil {
		fmt.Printf("NVML: %v\n", err)
		return 1
	}
	defer m.Close()
	inv := m.Inventory()
	fmt.Printf("driver %s, CUDA %s, %d GPU(s)\n", inv.Driver, inv.CUDA(), len(inv.GPUs))
	if inv.Err != "" {
		fmt.Printf("listing GPUs: %s\n", inv.Err)
		return 1
	}
	failures := 0
	for _, g := range inv.GPUs {
		if !check(o, g, log) {
			failures++
		}
	}
	return failures
}

// check reports on one GPU; false is a failure.
func check(o options, g gpu.GPU, log *slog.Logger) bool {
	name := fmt.Sprintf("GPU %d (%s)", g.Index, g.Name)
	if g.Err != "" {
		fmt.Printf("%s: out of use: %s\n", name, g.Err)
		return false
	}
	probe := nvenc.ProbeGPU(g.Index)
	if !g.HasNVENC {
		fmt.Printf("GPU %s has no NVENC encoder engine: an edge on it encodes with x264\n", g.Name)
		if probe == nil {
			// NVML's answer decides where the edge puts sessions; say
			// so when the encoder disagrees, rather than hide it.
			fmt.Printf("%s: note: NVENC opened although NVML lists no engine; the edge will not use it\n", name)
		} else {
			fmt.Printf("%s: NVENC says: %v\n", name, probe)
		}
		return true
	}
	if probe != nil {
		fmt.Printf("%s: NVENC error on a GPU with an encoder engine: %v\n", name, probe)
		return false
	}
	r, err := measure(o, g.Index, log)
	if err != nil {
		fmt.Printf("%s: NVENC error: %v\n", name, err)
		return false
	}
	budget := time.Second / time.Duration(o.fps)
	fmt.Printf("%s: NVENC %d frames %dx%d@%d, %.1f Mbit/s target: encode p50 %.2f ms, p99 %.2f ms, mean %.2f ms, max %.2f ms (frame budget %.2f ms); %.1f KB/frame, %.1f Mbit/s\n",
		name, len(r.times), o.width, o.height, o.fps, float64(o.bitrate)/1e6,
		ms(r.quantile(0.50)), ms(r.quantile(0.99)), ms(r.mean()), ms(r.quantile(1)), ms(budget),
		float64(r.bytes)/float64(len(r.times))/1000, float64(r.bytes)*8*float64(o.fps)/float64(len(r.times))/1e6)
	return true
}

type result struct {
	times []time.Duration
	bytes int64
}

// measure encodes o.frames pictures on GPU index g, timing each Encode
// alone: drawing the picture is not the encoder's cost.
func measure(o options, g int, log *slog.Logger) (result, error) {
	cfg := nvenc.Config{
		Config: encoder.Config{Width: o.width, Height: o.height, FPS: o.fps, Bitrate: o.bitrate},
		GPU:    g, Codec: nvenc.CodecH264,
	}
	enc, err := nvenc.New(cfg, log)
	if err != nil {
		return result{}, err
	}
	defer enc.Close()
	pic := encoder.NewI420(o.width, o.height)
	r := result{times: make([]time.Duration, 0, o.frames)}
	for i := range o.frames {
		draw(pic, i)
		start := time.Now()
		au, err := enc.Encode(pic)
		d := time.Since(start)
		if err != nil {
			return r, fmt.Errorf("picture %d: %w", i, err)
		}
		if i == 0 && !au.Keyframe {
			return r, errors.New("the first picture is not a keyframe")
		}
		r.times = append(r.times, d)
		r.bytes += int64(len(au.Data))
	}
	return r, nil
}

// draw paints picture i of a scene that pans and has a moving box, so that
// the encoder sees motion everywhere and a sharp edge.
func draw(pic *encoder.I420, i int) {
	for y := range pic.Height {
		row := pic.Y[y*pic.StrideY : y*pic.StrideY+pic.Width]
		for x := range row {
			v := (x+3*i)/4 ^ (y+i)/4
			row[x] = byte(16 + v%200)
		}
	}
	bx, by := (i*8)%max(pic.Width-200, 1), pic.Height/3
	for y := by; y < min(by+160, pic.Height); y++ {
		for x := bx; x < min(bx+200, pic.Width); x++ {
			pic.Y[y*pic.StrideY+x] = 235
		}
	}
	for y := range (pic.Height + 1) / 2 {
		for x := range (pic.Width + 1) / 2 {
			pic.U[y*pic.StrideU+x] = byte(96 + (x+i)%64)
			pic.V[y*pic.StrideV+x] = byte(96 + (y+2*i)%64)
		}
	}
}

func (r result) quantile(q float64) time.Duration {
	s := slices.Clone(r.times)
	slices.Sort(s)
	return s[min(int(q*float64(len(s))), len(s)-1)]
}

func (r result) mean() time.Duration {
	var sum time.Duration
	for _, t := range r.times {
		sum += t
	}
	return sum / time.Duration(len(r.times))
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }
