//go:build cgo

package x264

import (
	"bytes"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"stratus/internal/h264test"
	"strings"
	"sync"
	"testing"
	"time"

	"stratus/encoder"
)

const (
	testW, testH, testFPS  = 1280, 720, 60
	nalIDR, nalSlice       = 5, 1
	nalSEI, nalSPS, nalPPS = 6, 7, 8
)

func testConfig(bitrate int) encoder.Config {
	return encoder.Config{Width: testW, Height: testH, FPS: testFPS, Bitrate: bitrate, Threads: 2}
}

// testLogger fails the test on any warning from x264: with the settings
// chosen, x264 should have nothing to correct.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(failWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type failWriter struct{ t testing.TB }

func (w failWriter) Write(p []byte) (int, error) {
	w.t.Errorf("x264 logged: %s", p)
	return len(p), nil
}

func open(t testing.TB, cfg encoder.Config) encoder.Video {
	t.Helper()
	enc, err := New(cfg, testLogger(t))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { enc.Close() })
	return enc
}

func TestNewRejectsInvalidConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  encoder.Config
		want []string
	}{
		{"odd size", encoder.Config{Width: 1281, Height: 720, FPS: 60, Bitrate: 1e6}, []string{"size 1281x720"}},
		{"zero fps", encoder.Config{Width: 1280, Height: 720, Bitrate: 1e6}, []string{"fps 0"}},
		{"everything", encoder.Config{Width: -2, Height: 3, FPS: 500, Bitrate: 5, Threads: -1},
			[]string{"size -2x3", "fps 500", "bitrate 5", "threads -1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc, err := New(tt.cfg, nil)
			if err == nil {
				enc.Close()
				t.Fatal("New accepted an invalid config")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestEncodeStream(t *testing.T) {
	enc := open(t, testConfig(6_000_000))
	if enc.Name() != "x264" {
		t.Errorf("Name() = %q", enc.Name())
	}
	for i, pic := range scenes(30) {
		au, err := enc.Encode(pic)
		if err != nil {
			t.Fatalf("picture %d: %v", i, err)
		}
		p := parse(t, au.Data)
		if p.Starts != 1 {
			t.Errorf("picture %d: access unit holds %d picture starts, want 1 (types %v)", i, p.Starts, p.Types)
		}
		if i == 0 {
			// x264 puts its version SEI (type 6) after the PPS of the
			// first picture only.
			types := slices.DeleteFunc(slices.Clone(p.Types), func(t int) bool { return t == nalSEI })
			if !au.Keyframe || len(types) < 3 || types[0] != nalSPS || types[1] != nalPPS || types[2] != nalIDR {
				t.Errorf("first access unit: keyframe %v, NAL types %v; want keyframe with SPS, PPS, IDR", au.Keyframe, p.Types)
			}
			continue
		}
		if au.Keyframe || p.Has(nalIDR) || p.Has(nalSPS) || !p.Has(nalSlice) {
			t.Errorf("picture %d: keyframe %v, NAL types %v; want non-IDR slices only", i, au.Keyframe, p.Types)
		}
	}
}

func TestForceIDR(t *testing.T) {
	enc := open(t, testConfig(4_000_000))
	pics := scenes(12)
	for i, pic := range pics {
		if i == 6 {
			enc.ForceIDR()
		}
		au, err := enc.Encode(pic)
		if err != nil {
			t.Fatalf("picture %d: %v", i, err)
		}
		p := parse(t, au.Data)
		wantIDR := i == 0 || i == 6
		if au.Keyframe != wantIDR || p.Has(nalIDR) != wantIDR || p.Has(nalSPS) != wantIDR {
			t.Errorf("picture %d: keyframe %v, NAL types %v; want IDR %v", i, au.Keyframe, p.Types, wantIDR)
		}
	}
}

func TestSetBitrate(t *testing.T) {
	const warmup, measured = 10, 30
	pics := scenes(warmup + measured)
	// One encoder, moved between rates as the congestion controller would;
	// the first pictures after each change are left out while the rate
	// control settles.
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

func TestSetBitrateClamps(t *testing.T) {
	enc := open(t, testConfig(2_000_000))
	pics := scenes(3)
	for _, bps := range []int{-1, 0, 1, 1 << 40} {
		enc.SetBitrate(bps)
		for i, pic := range pics {
			if _, err := enc.Encode(pic); err != nil {
				t.Fatalf("after SetBitrate(%d), picture %d: %v", bps, i, err)
			}
		}
	}
}

// TestControlFromOtherGoroutines is for the race detector: RTCP feedback and
// the congestion controller call ForceIDR and SetBitrate while the session
// loop encodes.
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

func TestEncodeRejectsBadPictures(t *testing.T) {
	enc := open(t, testConfig(2_000_000))
	short := encoder.NewI420(testW, testH)
	short.V = short.V[:10]
	narrow := encoder.NewI420(testW, testH)
	narrow.StrideY = testW - 2
	tests := []struct {
		name string
		pic  *encoder.I420
		want string
	}{
		{"nil", nil, "nil picture"},
		{"wrong size", encoder.NewI420(640, 360), "picture is 640x360"},
		{"short plane", short, "V plane holds 10 bytes"},
		{"narrow stride", narrow, "Y stride 1278"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := enc.Encode(tt.pic)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Encode error %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

func TestCloseTwice(t *testing.T) {
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

// TestDecodesWithFFmpeg checks the stream with an independent decoder:
// every access unit must come out as exactly one decoded frame.
func TestDecodesWithFFmpeg(t *testing.T) {
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg not on PATH; the project's test setup installs it")
	}
	const n = 45
	enc := open(t, testConfig(6_000_000))
	var stream bytes.Buffer
	for i, pic := range scenes(n) {
		if i == 20 {
			enc.ForceIDR()
		}
		if i == 30 {
			enc.SetBitrate(1_000_000)
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
	cmd := exec.Command(ffmpeg, "-v", "error", "-i", path, "-f", "framecrc", "-")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, stderr.Bytes())
	}
	if stderr.Len() > 0 {
		t.Errorf("ffmpeg reported decode errors:\n%s", stderr.Bytes())
	}
	frames := 0
	for _, line := range strings.Split(string(out), "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			frames++
		}
	}
	if frames != n {
		t.Errorf("ffmpeg decoded %d frames, encoded %d", frames, n)
	}
}

func BenchmarkEncode720p(b *testing.B) {
	enc := open(b, testConfig(6_000_000))
	pics := scenes(60)
	b.ReportAllocs()
	bytes := 0
	for i := 0; b.Loop(); i++ {
		au, err := enc.Encode(pics[i%len(pics)])
		if err != nil {
			b.Fatal(err)
		}
		bytes += len(au.Data)
	}
	b.ReportMetric(b.Elapsed().Seconds()*1000/float64(b.N), "ms/frame")
	b.ReportMetric(float64(bytes)/float64(b.N), "bytes/frame")
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
