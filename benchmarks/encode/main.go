// Command encode measures the software encoding path of an edge, colour
// conversion (libyuv) and H.264 encoding (our x264 wrapper), on a synthetic
// 1280×720 60 fps game scene, and compares the encoder with ffmpeg's libx264
// run on the very same I420 pictures with the same settings. A wrapper that
// is much slower than ffmpeg is doing something wrong (copies, allocations,
// a setting that differs).
//
//	go run ./benchmarks/encode -frames 600 -threads 2 -bitrate 6000000 -runs 3
//
// It prints per-frame figures and a markdown table row for
// benchmarks/README.md.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"time"

	"stratus/encoder"
	"stratus/encoder/x264"
	"stratus/encoder/yuv"
	"stratus/internal/machine"
	"stratus/internal/stats"
)

const (
	width, height, fps = 1280, 720, 60
)

type options struct {
	frames, threads, bitrate, runs int
	keep                           bool
}

// result holds what one run measured; durations are per frame.
type result struct {
	convert, encode, replay []time.Duration
	bytes                   int64
	ffmpeg                  ffmpegResult
}

func main() {
	var o options
	flag.IntVar(&o.frames, "frames", 600, "pictures to encode")
	flag.IntVar(&o.threads, "threads", 2, "encoder threads (slices), for both encoders")
	flag.IntVar(&o.bitrate, "bitrate", 6_000_000, "target bitrate in bit/s")
	flag.IntVar(&o.runs, "runs", 3, "replay and ffmpeg passes, alternating; the fastest of each is reported")
	flag.BoolVar(&o.keep, "keep", false, "keep the temporary directory with the raw pictures")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if err := run(o, log); err != nil {
		fmt.Fprintln(os.Stderr, "encode:", err)
		os.Exit(1)
	}
}

func run(o options, log *slog.Logger) error {
	if o.frames < 1 || o.runs < 1 {
		return fmt.Errorf("-frames %d, -runs %d: both must be at least 1", o.frames, o.runs)
	}
	dir, err := os.MkdirTemp("", "stratus-encode-")
	if err != nil {
		return err
	}
	if o.keep {
		fmt.Fprintln(os.Stderr, "keeping", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	load := machine.LoadAverage()
	raw := filepath.Join(dir, "frames.yuv")
	r, err := encodeOurs(o, dir, log)
	if err != nil {
		return err
	}
	// Other processes on a small shared machine slow some passes down by
	// half or more; alternating the two encoders and keeping the fastest
	// pass of each compares them at their least disturbed.
	for i := range o.runs {
		rep, err := replay(o, raw, log)
		if err != nil {
			return err
		}
		ff, err := runFFmpeg(o, raw, filepath.Join(dir, "ffmpeg.h264"))
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "pass %d: replay mean %.2f ms, ffmpeg %.2f ms/frame\n",
			i+1, summarise(rep).mean, ms(ff.rtime)/float64(o.frames))
		if i == 0 || summarise(rep).mean < summarise(r.replay).mean {
			r.replay = rep
		}
		if i == 0 || ff.rtime < r.ffmpeg.rtime {
			r.ffmpeg = ff
		}
	}
	report(o, r, load)
	return nil
}

// encodeOurs renders, converts and encodes every picture, and writes each
// converted picture to dir/frames.yuv for ffmpeg; with -keep also the
// stream, to dir/ours.h264, for comparing with ffmpeg's.
func encodeOurs(o options, dir string, log *slog.Logger) (result, error) {
	var r result
	enc, err := x264.New(config(o), log)
	if err != nil {
		return r, err
	}
	defer enc.Close()
	f, err := os.Create(filepath.Join(dir, "frames.yuv"))
	if err != nil {
		return r, err
	}
	defer f.Close()
	out := bufio.NewWriterSize(f, 1<<20)
	stream := io.Discard
	if o.keep {
		sf, err := os.Create(filepath.Join(dir, "ours.h264"))
		if err != nil {
			return r, err
		}
		defer sf.Close()
		stream = sf
	}

	sc := newScene(width, height)
	rgba := make([]byte, 4*width*height)
	pic := encoder.NewI420(width, height)
	r.convert = make([]time.Duration, 0, o.frames)
	r.encode = make([]time.Duration, 0, o.frames)
	for i := range o.frames {
		sc.draw(rgba, i)
		t0 := time.Now()
		if err := yuv.RGBAToI420(pic, rgba, 4*width); err != nil {
			return r, err
		}
		t1 := time.Now()
		au, err := enc.Encode(pic)
		t2 := time.Now()
		if err != nil {
			return r, fmt.Errorf("picture %d: %w", i, err)
		}
		r.convert = append(r.convert, t1.Sub(t0))
		r.encode = append(r.encode, t2.Sub(t1))
		r.bytes += int64(len(au.Data))
		if _, err := stream.Write(au.Data); err != nil {
			return r, err
		}
		// NewI420 packs the planes into one buffer: Y, U, V back to back
		// is exactly ffmpeg's yuv420p.
		for _, p := range [][]byte{pic.Y, pic.U, pic.V} {
			if _, err := out.Write(p); err != nil {
				return r, err
			}
		}
	}
	if err := out.Flush(); err != nil {
		return r, err
	}
	return r, f.Close()
}

type ffmpegResult struct {
	rtime, utime time.Duration
	bytes        int64
	command      string
}

// runFFmpeg encodes raw with ffmpeg's libx264 under the settings our
// wrapper uses, and reads its own timing from -benchmark.
func runFFmpeg(o options, raw, out string) (ffmpegResult, error) {
	var r ffmpegResult
	bin, err := exec.LookPath("ffmpeg")
	if err != nil {
		return r, errors.New("ffmpeg not on PATH: it is the reference this benchmark compares with")
	}
	vbv := (o.bitrate + fps - 1) / fps
	args := []string{"-hide_banner", "-nostdin", "-benchmark",
		"-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", fmt.Sprintf("%dx%d", width, height), "-r", strconv.Itoa(fps),
		"-i", raw,
		"-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-profile:v", "baseline",
		"-b:v", strconv.Itoa(o.bitrate), "-maxrate", strconv.Itoa(o.bitrate), "-bufsize", strconv.Itoa(vbv),
		"-x264-params", "keyint=infinite:scenecut=0", "-threads", strconv.Itoa(o.threads),
		"-f", "h264", "-y", out}
	r.command = "ffmpeg " + machine.ShellJoin(args)
	msg, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		return r, fmt.Errorf("ffmpeg: %v\n%s", err, msg)
	}
	m := regexp.MustCompile(`bench: utime=([0-9.]+)s stime=[0-9.]+s rtime=([0-9.]+)s`).FindSubmatch(msg)
	if m == nil {
		return r, fmt.Errorf("ffmpeg printed no bench line:\n%s", msg)
	}
	u, _ := strconv.ParseFloat(string(m[1]), 64)
	rt, _ := strconv.ParseFloat(string(m[2]), 64)
	r.utime = time.Duration(u * float64(time.Second))
	r.rtime = time.Duration(rt * float64(time.Second))
	st, err := os.Stat(out)
	if err != nil {
		return r, err
	}
	r.bytes = st.Size()
	return r, nil
}

func report(o options, r result, loadBefore string) {
	n := float64(o.frames)
	live, rep, conv := summarise(r.encode), summarise(r.replay), summarise(r.convert)
	ff := ms(r.ffmpeg.rtime) / n
	rate := func(b int64) float64 { return float64(b) * 8 * fps / n / 1e6 }
	fmt.Printf("machine: %s, %d CPUs (Go sees %d); load average %s before, %s after\n",
		machine.CPUModel(), runtime.NumCPU(), runtime.GOMAXPROCS(0), loadBefore, machine.LoadAverage())
	fmt.Printf("pictures: %d at %dx%d, %d fps, %d bit/s, %d threads\n", o.frames, width, height, fps, o.bitrate, o.threads)
	fmt.Printf("colour conversion (libyuv RGBA→I420): %s\n", conv)
	fmt.Printf("x264 wrapper, live (render, convert, encode): %s  (%.2f Mbit/s)\n", live, rate(r.bytes))
	fmt.Printf("x264 wrapper, replaying frames.yuv (best of %d): %s\n", o.runs, rep)
	fmt.Printf("ffmpeg libx264 (best of %d): %.2f ms/frame wall (rtime), %.2f ms/frame CPU (utime)  (%.2f Mbit/s)\n",
		o.runs, ff, ms(r.ffmpeg.utime)/n, rate(r.ffmpeg.bytes))
	fmt.Printf("ffmpeg command: %s\n\n", r.ffmpeg.command)
	fmt.Println("| frames | threads | bitrate | live p50 / p99 / mean | replay p50 / p99 / mean | ffmpeg mean | ours/ffmpeg replay | ours/ffmpeg live | conversion p50 / p99 |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|")
	fmt.Printf("| %d | %d | %.1f Mbit/s | %.2f / %.2f / %.2f ms | %.2f / %.2f / %.2f ms | %.2f ms | %.2f | %.2f | %.3f / %.3f ms |\n",
		o.frames, o.threads, float64(o.bitrate)/1e6, live.p50, live.p99, live.mean, rep.p50, rep.p99, rep.mean,
		ff, rep.mean/ff, live.mean/ff, conv.p50, conv.p99)
}

type summary struct{ p50, p99, mean, max float64 }

func (s summary) String() string {
	return fmt.Sprintf("p50 %.3f ms  p99 %.3f ms  mean %.3f ms  max %.3f ms", s.p50, s.p99, s.mean, s.max)
}

// summarise gives milliseconds; percentiles are nearest-rank.
func summarise(ds []time.Duration) summary {
	s := stats.Sorted(ds)
	var total time.Duration
	for _, d := range s {
		total += d
	}
	return summary{p50: ms(stats.Percentile(s, 50)), p99: ms(stats.Percentile(s, 99)), mean: ms(total) / float64(len(s)), max: ms(s[len(s)-1])}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
