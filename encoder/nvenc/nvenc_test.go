//go:build cgo

package nvenc

import (
	"bytes"
	"debug/elf"
	"errors"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"stratus/internal/h264test"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"stratus/encoder"
	"stratus/encoder/nvenc/internal/readback"
)

// Tests in this file need cgo but no GPU, unless they say so; those that
// need an NVENC GPU skip elsewhere with the reason Probe gives.

// TestStatusTableMatchesHeader compares status.go's codes with the
// NVENCSTATUS enum of the installed nvEncodeAPI.h, whose values are
// implicit (0 upwards in order).
func TestStatusTableMatchesHeader(t *testing.T) {
	// A test binary built elsewhere and run here (on a GPU machine, say)
	// may find no headers; go test builds where they are.
	out, err := exec.Command("pkg-config", "--variable=includedir", "ffnvcodec").Output()
	if err != nil {
		t.Skipf("pkg-config ffnvcodec: %v: the headers are not installed on this machine", err)
	}
	header, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "ffnvcodec", "nvEncodeAPI.h"))
	if err != nil {
		t.Skipf("headers not installed on this machine: %v", err)
	}
	body := regexp.MustCompile(`(?s)typedef enum _NVENCSTATUS\s*\{(.*?)\}\s*NVENCSTATUS;`).FindSubmatch(header)
	if body == nil {
		t.Fatal("no NVENCSTATUS enum in nvEncodeAPI.h")
	}
	noComments := regexp.MustCompile(`(?s)/\*.*?\*/|//[^\n]*`).ReplaceAll(body[1], nil)
	var names []string
	for _, m := range regexp.MustCompile(`\b(NV_ENC_\w+)\s*(=[^,]*)?,`).FindAllSubmatch(noComments, -1) {
		if len(m[2]) > 0 {
			t.Fatalf("%s has an explicit value %s: status.go assumes implicit ones", m[1], m[2])
		}
		names = append(names, string(m[1]))
	}
	if len(names) != int(statusCount) {
		t.Errorf("header has %d statuses, status.go %d", len(names), statusCount)
	}
	for i, name := range names {
		if got := Status(i).String(); got != name {
			t.Errorf("status %d: header %s, status.go %s", i, name, got)
		}
	}
}

// TestApplyReadback checks the C copy of the recipe into NVENC's structs,
// bit fields included, over a preset filled with junk.
func TestApplyReadback(t *testing.T) {
	p, err := buildParams(cfg(1280, 720, 60, 6_000_000))
	if err != nil {
		t.Fatal(err)
	}
	got := applyReadback(p)
	want := readback.Applied{
		Width: 1280, Height: 720, MaxWidth: 1280, MaxHeight: 720, FPSNum: 60, FPSDen: 1,
		Async: false, PTD: true, TuningULL: true,
		CodecH264: true, PresetP1: true, Baseline: true,
		GOPLength: 0xffffffff, FrameIntervalP: 1,
		RCCBR: true, MultiPass: false,
		Bitrate: 6_000_000, MaxBitrate: 6_000_000, VBVSize: 100_000, VBVInitialDelay: 100_000,
		ZeroReorderDelay: true, Lookahead: false,
		IDRPeriod: 0xffffffff, RepeatSPSPPS: true, DisableSPSPPS: false, OutputAUD: false,
		IntraRefresh: true, IntraRefreshPeriod: 120, IntraRefreshCount: 15,
		SliceMode: 0, SliceModeData: 0, CAVLC: true, No8x8Transform: true,
		ChromaFormat: 1, Level: 0,
		VUISignalType: true, VUIFullRange: false, VUIColour: true, VUIMatrix: 6,
	}
	if got != want {
		t.Errorf("applied config\n got %+v\nwant %+v", got, want)
	}

	// The reconfigured rate reaches the structs; so does turning refresh
	// off for a GPU without it.
	r := reconfigParams(p, 2_000_000)
	r.intraRefresh, r.intraRefreshPeriod, r.intraRefreshCount = false, 0, 0
	got = applyReadback(r)
	if got.Bitrate != 2_000_000 || got.MaxBitrate != 2_000_000 || got.VBVSize != 33_334 || got.VBVInitialDelay != 33_334 {
		t.Errorf("reconfigured rate: %+v", got)
	}
	if got.IntraRefresh || got.IntraRefreshPeriod != 0 || got.IntraRefreshCount != 0 {
		t.Errorf("refresh off: %v %d %d", got.IntraRefresh, got.IntraRefreshPeriod, got.IntraRefreshCount)
	}
	m := p
	m.profile = profileMain
	if got := applyReadback(m); !got.Main || got.Baseline {
		t.Errorf("main profile: main %v baseline %v", got.Main, got.Baseline)
	}
}

// applyReadback runs the C copy of p over a junk-filled config and reads
// the result back.
func applyReadback(p params) readback.Applied {
	return readback.Apply(func(initParams, config unsafe.Pointer) { applyTo(initParams, config, p) })
}

// libcudaInstalled looks for libcuda.so.1 where the dynamic loader would:
// LD_LIBRARY_PATH, the ld.so cache and the usual directories. It decides
// whether the driver-absent test applies, independently of the code under
// test.
func libcudaInstalled() bool {
	dirs := filepath.SplitList(os.Getenv("LD_LIBRARY_PATH"))
	dirs = append(dirs, "/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib",
		"/lib/x86_64-linux-gnu", "/usr/local/nvidia/lib64", "/usr/local/cuda/compat")
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "libcuda.so.1")); err == nil {
			return true
		}
	}
	for _, ldconfig := range []string{"/sbin/ldconfig", "/usr/sbin/ldconfig"} {
		if out, err := exec.Command(ldconfig, "-p").Output(); err == nil {
			return bytes.Contains(out, []byte("libcuda.so.1"))
		}
	}
	return false
}

// TestProbeExplains runs everywhere: either NVENC works, or Probe says why
// in one of the ways the package documents, wrapping ErrUnavailable.
func TestProbeExplains(t *testing.T) {
	err := Probe()
	if err == nil {
		t.Log("NVENC available")
		return
	}
	t.Logf("Probe: %v", err)
	if !errors.Is(err, encoder.ErrUnavailable) {
		t.Errorf("Probe error %q does not wrap encoder.ErrUnavailable", err)
	}
	known := []string{
		"no NVIDIA driver (libcuda.so.1 not found)",
		"NVIDIA driver unusable",
		"NVIDIA driver found but no GPU",
		"NVIDIA driver found but",
		"has no NVENC engine",
		"driver too old (needs ≥ 470.57.02 for SDK 11.1",
		"no encode session available",
		"cannot open an encode session",
	}
	for _, k := range known {
		if strings.Contains(err.Error(), k) {
			return
		}
	}
	t.Errorf("Probe error %q gives none of the documented reasons", err)
}

// TestProbeWithoutDriver is the path of every machine without NVIDIA,
// CI included.
func TestProbeWithoutDriver(t *testing.T) {
	if libcudaInstalled() {
		t.Skip("libcuda.so.1 is installed: this machine has an NVIDIA driver")
	}
	for _, probe := range []func() error{Probe, func() error { return ProbeGPU(0) }} {
		err := probe()
		if !errors.Is(err, encoder.ErrUnavailable) {
			t.Fatalf("error %v, want one wrapping encoder.ErrUnavailable", err)
		}
		if want := "nvenc: no NVIDIA driver (libcuda.so.1 not found): encoder unavailable"; err.Error() != want {
			t.Errorf("error %q, want %q", err, want)
		}
	}
}

// TestNewWithoutNVENC: where NVENC is missing, New fails as Probe does,
// without crashing, and without leaking what it loaded on the way (C
// memory, library handles, CUDA contexts) when called again and again.
func TestNewWithoutNVENC(t *testing.T) {
	perr := ProbeGPU(0)
	if perr == nil {
		t.Skip("NVENC is available on GPU 0")
	}
	c := cfg(1280, 720, 60, 6_000_000)
	enc, err := New(c, nil)
	if err == nil {
		enc.Close()
		t.Fatal("New succeeded where ProbeGPU(0) failed")
	}
	if !errors.Is(err, encoder.ErrUnavailable) || err.Error() != perr.Error() {
		t.Errorf("New error %q, want the ProbeGPU error %q", err, perr)
	}

	// With a driver each try starts CUDA and creates the GPU's context,
	// which takes long and moves host memory by more than a leaked handle
	// would: there, a few tries check only that failing is safe.
	n, checkMemory := 10000, !libcudaInstalled()
	if !checkMemory {
		n = 6
	}
	tryNew := func(n int) {
		for range n {
			if enc, err := New(c, nil); err == nil {
				enc.Close()
				t.Fatal("New succeeded")
			}
		}
		runtime.GC()
	}
	tryNew(n / 3)
	goroutines := runtime.NumGoroutine()
	before := outsideGo(t)
	tryNew(n)
	grown := outsideGo(t) - before
	t.Logf("%d failed New calls: resident memory outside the Go runtime grew %d KiB", n, grown/1024)
	// A leaked driver handle alone is over 3 KiB: 10000 of them would be
	// 30 MiB.
	if checkMemory && grown > 4<<20 {
		t.Errorf("%d failed New calls grew C memory by %d KiB", n, grown/1024)
	}
	if g := runtime.NumGoroutine(); g > goroutines {
		t.Errorf("goroutines: %d before, %d after", goroutines, g)
	}
}

// outsideGo is the process's resident memory less what the Go runtime has
// taken from the OS, so that the Go heap and thread stacks growing to their
// working size does not look like a C leak.
func outsideGo(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		t.Skipf("no /proc/self/statm: %v", err)
	}
	f := strings.Fields(string(b))
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return pages*int64(os.Getpagesize()) - int64(ms.Sys)
}

func TestNewRejectsInvalidConfig(t *testing.T) {
	c := Config{Config: encoder.Config{Width: 1281, Height: 720, FPS: 0, Bitrate: 1e6}, Codec: "hevc"}
	enc, err := New(c, nil)
	if err == nil {
		enc.Close()
		t.Fatal("New accepted an invalid config")
	}
	if errors.Is(err, encoder.ErrUnavailable) {
		t.Errorf("invalid config reported as unavailable: %v", err)
	}
	for _, w := range []string{"invalid config", "size 1281x720", "fps 0", `codec "hevc": not implemented`} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not mention %q", err, w)
		}
	}
}

// TestBinaryLinksNoDriver checks the promise of the loader: the test
// binary, which contains this package, needs no NVIDIA library to start.
func TestBinaryLinksNoDriver(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.Open(exe)
	if err != nil {
		t.Skipf("not an ELF binary: %v", err)
	}
	defer f.Close()
	libs, err := f.ImportedLibraries()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("needs %v", libs)
	for _, l := range libs {
		if strings.Contains(l, "cuda") || strings.Contains(l, "nvidia") || strings.Contains(l, "nvcuvid") {
			t.Errorf("binary links %s", l)
		}
	}
}

// The tests below need a GPU with NVENC; they are compiled everywhere and
// skip with Probe's reason elsewhere.

const (
	testW, testH, testFPS  = 1280, 720, 60
	nalIDR, nalSlice       = 5, 1
	nalSEI, nalSPS, nalPPS = 6, 7, 8
)

func requireNVENC(t testing.TB) {
	t.Helper()
	if err := ProbeGPU(0); err != nil {
		t.Skipf("no NVENC: %v", err)
	}
}

func testConfig(bitrate int) Config { return cfg(testW, testH, testFPS, bitrate) }

func open(t testing.TB, c Config) encoder.Video {
	t.Helper()
	requireNVENC(t)
	enc, err := New(c, testLogger(t))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { enc.Close() })
	return enc
}

// testLogger reports the encoder's log lines in the test output.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(logWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type logWriter struct{ t testing.TB }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// TestEncodeStream (GPU): 30 pictures at 1280x720, one access unit each,
// SPS, PPS and IDR first, then non-IDR pictures only.
func TestEncodeStream(t *testing.T) {
	enc := open(t, testConfig(6_000_000))
	if enc.Name() != "nvenc" {
		t.Errorf("Name() = %q", enc.Name())
	}
	for i, pic := range scenes(30) {
		start := time.Now()
		au, err := enc.Encode(pic)
		if err != nil {
			t.Fatalf("picture %d: %v", i, err)
		}
		if i < 3 || i == 29 {
			t.Logf("picture %d: %d bytes in %v", i, len(au.Data), time.Since(start))
		}
		p := parse(t, au.Data)
		if p.Starts != 1 {
			t.Errorf("picture %d: access unit holds %d picture starts, want 1 (types %v)", i, p.Starts, p.Types)
		}
		if i == 0 {
			var types []int
			for _, typ := range p.Types {
				if typ != nalSEI {
					types = append(types, typ)
				}
			}
			if !au.Keyframe || len(types) < 3 || types[0] != nalSPS || types[1] != nalPPS || types[2] != nalIDR {
				t.Errorf("first access unit: keyframe %v, NAL types %v; want keyframe with SPS, PPS, IDR", au.Keyframe, p.Types)
			}
			if len(p.SPS) == 3 {
				// profile_idc 66 is baseline; constraint_set1 (0x40)
				// makes it the constrained baseline browsers offer.
				t.Logf("SPS profile_idc %d, constraints %#02x, level_idc %d", p.SPS[0], p.SPS[1], p.SPS[2])
				if p.SPS[0] != 66 {
					t.Errorf("SPS profile_idc %d, want 66 (baseline)", p.SPS[0])
				}
			}
			continue
		}
		if au.Keyframe || p.Has(nalIDR) || p.Has(nalSPS) || !p.Has(nalSlice) {
			t.Errorf("picture %d: keyframe %v, NAL types %v; want non-IDR slices only", i, au.Keyframe, p.Types)
		}
	}
}

// TestForceIDR (GPU): an IDR with SPS and PPS exactly where asked for.
func TestForceIDR(t *testing.T) {
	enc := open(t, testConfig(4_000_000))
	for i, pic := range scenes(12) {
		if i == 6 {
			enc.ForceIDR()
		}
		au, err := enc.Encode(pic)
		if err != nil {
			t.Fatalf("picture %d: %v", i, err)
		}
		p := parse(t, au.Data)
		wantIDR := i == 0 || i == 6
		if au.Keyframe != wantIDR || p.Has(nalIDR) != wantIDR || p.Has(nalSPS) != wantIDR || p.Has(nalPPS) != wantIDR {
			t.Errorf("picture %d: keyframe %v, NAL types %v; want IDR %v", i, au.Keyframe, p.Types, wantIDR)
		}
	}
}

// TestSetBitrate (GPU): one encoder moved between rates, as the congestion
// controller does, changes the size of its pictures accordingly.
func TestSetBitrate(t *testing.T) {
	const warmup, measured = 10, 30
	pics := scenes(warmup + measured)
	enc := open(t, testConfig(8_000_000))
	avg := map[int]float64{}
	for _, bps := range []int{8_000_000, 500_000} {
		enc.SetBitrate(bps)
		total := 0
		for i, pic := range pics {
			au, err := enc.Encode(pic)
			if err != nil {
				t.Fatalf("%d bit/s, picture %d: %v", bps, i, err)
			}
			if au.Keyframe && !(bps == 8_000_000 && i == 0) {
				t.Errorf("%d bit/s, picture %d: a bitrate change produced an IDR", bps, i)
			}
			if i >= warmup {
				total += len(au.Data)
			}
		}
		avg[bps] = float64(total) / measured
		t.Logf("%d bit/s: average access unit %.0f bytes (%.2f Mbit/s)", bps, avg[bps], avg[bps]*8*testFPS/1e6)
	}
	if avg[500_000]*4 > avg[8_000_000] {
		t.Errorf("at 500 kbit/s access units average %.0f bytes, at 8 Mbit/s %.0f: want at least 4x smaller", avg[500_000], avg[8_000_000])
	}
	if got := avg[8_000_000] * 8 * testFPS; got > 1.5*8_000_000 {
		t.Errorf("at 8 Mbit/s the stream ran at %.0f bit/s", got)
	}
}

// TestControlFromOtherGoroutines (GPU) is for the race detector.
func TestControlFromOtherGoroutines(t *testing.T) {
	enc := open(t, testConfig(2_000_000))
	pics := scenes(2)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			enc.SetBitrate(500_000 + i%8*500_000)
			if i%5 == 0 {
				enc.ForceIDR()
			}
			time.Sleep(time.Millisecond)
		}
	})
	for i := range 20 {
		if _, err := enc.Encode(pics[i%2]); err != nil {
			t.Fatalf("picture %d: %v", i, err)
		}
	}
	close(done)
	wg.Wait()
}

// TestEncodeRejectsBadPictures (GPU): bad pictures are refused before C
// reads them, and do not lose the session.
func TestEncodeRejectsBadPictures(t *testing.T) {
	enc := open(t, testConfig(2_000_000))
	short := encoder.NewI420(testW, testH)
	short.V = short.V[:10]
	for _, pic := range []*encoder.I420{nil, encoder.NewI420(640, 360), short} {
		if _, err := enc.Encode(pic); err == nil || errors.Is(err, ErrSessionLost) {
			t.Errorf("Encode error %v, want a picture error", err)
		}
	}
	if _, err := enc.Encode(encoder.NewI420(testW, testH)); err != nil {
		t.Errorf("good picture after bad ones: %v", err)
	}
}

// TestCloseTwice (GPU).
func TestCloseTwice(t *testing.T) {
	requireNVENC(t)
	enc, err := New(testConfig(2_000_000), testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	pic := encoder.NewI420(testW, testH)
	au, err := enc.Encode(pic)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := enc.Close(); err != nil {
			t.Errorf("Close %d: %v", i+1, err)
		}
	}
	if len(au.Data) == 0 || au.Data[0] != 0 {
		t.Error("access unit data unusable after Close")
	}
	if _, err := enc.Encode(pic); err == nil {
		t.Error("Encode after Close succeeded")
	}
}

// TestDecodesWithFFmpeg (GPU, ffmpeg): every access unit decodes to one
// frame, and the decoded pictures are close to the source, which they are
// not if the NV12 upload puts chroma in the wrong place.
func TestDecodesWithFFmpeg(t *testing.T) {
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg not on PATH; the project's test setup installs it")
	}
	const n = 45
	enc := open(t, testConfig(8_000_000))
	pics := scenes(n)
	var stream bytes.Buffer
	for i, pic := range pics {
		if i == 20 {
			enc.ForceIDR()
		}
		if i == 30 {
			enc.SetBitrate(2_000_000)
		}
		au, err := enc.Encode(pic)
		if err != nil {
			t.Fatalf("picture %d: %v", i, err)
		}
		stream.Write(au.Data)
	}
	path := filepath.Join(t.TempDir(), "stream.h264")
	if err := os.WriteFile(path, stream.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(ffmpeg, "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "yuv420p", "-")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, stderr.Bytes())
	}
	if stderr.Len() > 0 {
		t.Errorf("ffmpeg reported decode errors:\n%s", stderr.Bytes())
	}
	size := testW * testH * 3 / 2
	if len(out) != n*size {
		t.Fatalf("ffmpeg decoded %d bytes, want %d frames of %d", len(out), n, size)
	}
	for _, i := range []int{5, 25, 44} {
		frame := out[i*size : (i+1)*size]
		src := pics[i]
		planes := []struct {
			name     string
			got, src []byte
		}{
			{"Y", frame[:testW*testH], src.Y},
			{"U", frame[testW*testH : testW*testH*5/4], src.U},
			{"V", frame[testW*testH*5/4:], src.V},
		}
		for _, pl := range planes {
			if db := psnr(pl.got, pl.src); db < 28 {
				t.Errorf("picture %d plane %s: PSNR %.1f dB, want ≥ 28", i, pl.name, db)
			} else {
				t.Logf("picture %d plane %s: PSNR %.1f dB", i, pl.name, db)
			}
		}
	}
}

func psnr(a, b []byte) float64 {
	var sum float64
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		sum += d * d
	}
	mse := sum / float64(len(a))
	if mse == 0 {
		return 99
	}
	return 10 * math.Log10(255*255/mse)
}

// BenchmarkEncode720p (GPU) measures one Encode, copy in and out included.
func BenchmarkEncode720p(b *testing.B) {
	enc := open(b, testConfig(6_000_000))
	pics := scenes(60)
	b.ReportAllocs()
	total := 0
	for i := 0; b.Loop(); i++ {
		au, err := enc.Encode(pics[i%len(pics)])
		if err != nil {
			b.Fatal(err)
		}
		total += len(au.Data)
	}
	b.ReportMetric(b.Elapsed().Seconds()*1000/float64(b.N), "ms/frame")
	b.ReportMetric(float64(total)/float64(b.N), "bytes/frame")
}

// scenes draws the first n pictures of the shared test scene.
func scenes(n int) []*encoder.I420 { return h264test.Scenes(testW, testH, n) }

// parse reads an access unit, failing the test when it is not Annex-B.
func parse(t *testing.T, au []byte) h264test.Picture {
	t.Helper()
	p, err := h264test.Parse(au)
	if err != nil {
		t.Fatalf("access unit is not Annex-B: %v", err)
	}
	return p
}
