//go:build cgo

package opus

import (
	"math"
	"strings"
	"testing"
	"time"
)

// maxFrameBytes is the largest single Opus frame (RFC 6716, 3.4); every
// packet here holds one frame.
const maxFrameBytes = 1275

func open(t testing.TB, cfg Config) *Encoder {
	t.Helper()
	enc, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { enc.Close() })
	return enc
}

// sine returns frames of interleaved samples of a tone at freq Hz, the same
// on every channel, with peak amplitude amp.
func sine(cfg Config, freq, amp float64, frames int) [][]int16 {
	n := cfg.frameSamples()
	out := make([][]int16, frames)
	for f := range out {
		pcm := make([]int16, n*cfg.Channels)
		for i := range n {
			s := int16(amp * math.Sin(2*math.Pi*freq*float64(f*n+i)/float64(cfg.SampleRate)))
			for c := range cfg.Channels {
				pcm[i*cfg.Channels+c] = s
			}
		}
		out[f] = pcm
	}
	return out
}

// noisy returns frames of a tone mixed with deterministic white noise, so
// that the encoder has detail to spend any bitrate on.
func noisy(cfg Config, frames int) [][]int16 {
	out := sine(cfg, 440, 8000, frames)
	x := uint32(1)
	for _, pcm := range out {
		for i := range pcm {
			x = x*1664525 + 1013904223
			pcm[i] += int16(int32(x>>16)%8000 - 4000)
		}
	}
	return out
}

// encodeAll encodes frames and returns the packets.
func encodeAll(t testing.TB, enc *Encoder, frames [][]int16) [][]byte {
	t.Helper()
	buf := make([]byte, MaxPacket)
	pkts := make([][]byte, 0, len(frames))
	for i, pcm := range frames {
		n, err := enc.Encode(pcm, buf)
		if err != nil {
			t.Fatalf("Encode frame %d: %v", i, err)
		}
		pkts = append(pkts, append([]byte(nil), buf[:n]...))
	}
	return pkts
}

func avgSize(pkts [][]byte) float64 {
	total := 0
	for _, p := range pkts {
		total += len(p)
	}
	return float64(total) / float64(len(pkts))
}

func TestSineRoundTrip(t *testing.T) {
	cfg := DefaultConfig()
	enc := open(t, cfg)
	if got := enc.FrameSamples(); got != 480 {
		t.Fatalf("FrameSamples() = %d, want 480", got)
	}
	const amp = 16000
	frames := sine(cfg, 440, amp, 100) // 1 s
	pkts := encodeAll(t, enc, frames)
	if len(pkts) != 100 {
		t.Fatalf("%d packets, want 100", len(pkts))
	}
	for i, p := range pkts {
		if len(p) == 0 || len(p) > maxFrameBytes {
			t.Errorf("packet %d is %d bytes, want 1..%d", i, len(p), maxFrameBytes)
		}
	}
	t.Logf("average packet %.1f bytes at %d bit/s", avgSize(pkts), cfg.Bitrate)

	dec, err := newDecoder(cfg.SampleRate, cfg.Channels)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.close()
	var left []float64
	pcm := make([]int16, MaxPacket*cfg.Channels)
	for i, p := range pkts {
		n, err := dec.decode(p, pcm)
		if err != nil {
			t.Fatalf("decode packet %d: %v", i, err)
		}
		if n != enc.FrameSamples() {
			t.Fatalf("packet %d decodes to %d samples, want %d", i, n, enc.FrameSamples())
		}
		for j := range n {
			left = append(left, float64(pcm[j*cfg.Channels]))
		}
	}
	// Skip the first 100 ms: the encoder's look-ahead and its start-up
	// ramp.
	steady := left[len(left)/10:]
	var sum float64
	crossings := 0
	for i, s := range steady {
		sum += s * s
		if i > 0 && (steady[i-1] < 0) != (s < 0) {
			crossings++
		}
	}
	rms := math.Sqrt(sum / float64(len(steady)))
	wantRMS := amp / math.Sqrt2
	if math.Abs(rms-wantRMS) > 0.3*wantRMS {
		t.Errorf("decoded RMS %.0f, want %.0f ± 30%%", rms, wantRMS)
	}
	freq := float64(crossings) / 2 / (float64(len(steady)) / float64(cfg.SampleRate))
	if math.Abs(freq-440) > 440*0.02 {
		t.Errorf("decoded frequency %.1f Hz from zero crossings, want 440 ± 2%%", freq)
	}
	t.Logf("decoded RMS %.0f (input %.0f), frequency %.1f Hz", rms, wantRMS, freq)
}

func TestLowDelayMode(t *testing.T) {
	enc := open(t, DefaultConfig())
	n, err := enc.lookahead()
	if err != nil {
		t.Fatal(err)
	}
	// Restricted low-delay has only CELT's 2.5 ms; the other modes add
	// 4 ms of delay compensation for SILK.
	if n > 120 {
		t.Errorf("look-ahead %d samples (%v), want at most 120 (2.5 ms)", n,
			time.Duration(n)*time.Second/48000)
	}
	t.Logf("look-ahead %d samples", n)
}

func TestFrameDurations(t *testing.T) {
	for _, d := range []time.Duration{2500 * time.Microsecond, 5 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond} {
		cfg := DefaultConfig()
		cfg.FrameDuration = d
		for _, ch := range []int{1, 2} {
			cfg.Channels = ch
			enc := open(t, cfg)
			if got, want := enc.FrameSamples(), int(48*d/time.Millisecond); got != want {
				t.Errorf("%v: FrameSamples() = %d, want %d", d, got, want)
			}
			for i, p := range encodeAll(t, enc, sine(cfg, 440, 16000, 10)) {
				if len(p) == 0 || len(p) > maxFrameBytes {
					t.Errorf("%v %dch: packet %d is %d bytes", d, ch, i, len(p))
				}
			}
		}
	}
}

func TestSilenceIsSmall(t *testing.T) {
	cfg := DefaultConfig()
	enc := open(t, cfg)
	pkts := encodeAll(t, enc, sine(cfg, 440, 0, 50))
	for i, p := range pkts[5:] {
		if len(p) == 0 || len(p) > 10 {
			t.Errorf("silent packet %d is %d bytes, want 1..10", i+5, len(p))
		}
	}
	t.Logf("silence: %d-byte packets", len(pkts[len(pkts)-1]))
}

func TestWrongFrameSize(t *testing.T) {
	cfg := DefaultConfig()
	enc := open(t, cfg)
	buf := make([]byte, MaxPacket)
	for _, n := range []int{0, 1, 479 * 2, 481 * 2, 480, 960 * 2} {
		_, err := enc.Encode(make([]int16, n), buf)
		if err == nil || !strings.Contains(err.Error(), "want 960") {
			t.Errorf("Encode of %d samples: error %v, want one naming 960", n, err)
		}
	}
	if _, err := enc.Encode(make([]int16, 960), nil); err == nil {
		t.Error("Encode into a nil buffer succeeded")
	}
}

func TestNewRejectsInvalidConfig(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Channels = 6
	if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), "channels 6") {
		t.Errorf("New error %v, want one naming channels 6", err)
	}
}

func TestCloseTwice(t *testing.T) {
	enc, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if err := enc.Close(); err != nil {
		t.Errorf("first Close: %v", err)
	}
	if err := enc.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := enc.Encode(make([]int16, 960), make([]byte, MaxPacket)); err == nil {
		t.Error("Encode after Close succeeded")
	}
	if err := enc.SetBitrate(64_000); err == nil {
		t.Error("SetBitrate after Close succeeded")
	}
}

func TestSetBitrate(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Bitrate = 32_000
	enc := open(t, cfg)
	frames := noisy(cfg, 100)
	low := avgSize(encodeAll(t, enc, frames[:50]))
	if err := enc.SetBitrate(128_000); err != nil {
		t.Fatal(err)
	}
	high := avgSize(encodeAll(t, enc, frames[50:]))
	// 32 kbit/s is 40 bytes per 10 ms packet, 128 kbit/s is 160.
	if high < 2.5*low {
		t.Errorf("average packet %.1f bytes at 128 kbit/s, %.1f at 32 kbit/s: want at least 2.5×", high, low)
	}
	t.Logf("average packet %.1f bytes at 32 kbit/s, %.1f at 128 kbit/s", low, high)
	for _, bps := range []int{0, MinBitrate - 1, MaxBitrate + 1} {
		if err := enc.SetBitrate(bps); err == nil {
			t.Errorf("SetBitrate(%d) succeeded", bps)
		}
	}
}

func BenchmarkEncode(b *testing.B) {
	cfg := DefaultConfig()
	enc := open(b, cfg)
	frames := noisy(cfg, 100)
	buf := make([]byte, MaxPacket)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := enc.Encode(frames[i%len(frames)], buf); err != nil {
			b.Fatal(err)
		}
	}
}
