//go:build cgo

package h264dec

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/pion/rtp/codecs"

	"stratus/encoder"
	"stratus/encoder/x264"
	"stratus/internal/h264test"
)

const (
	testW, testH, testFPS = 640, 360, 30
	// At this rate x264 ultrafast keeps the test scene well above
	// minPSNR; a decoder that mixed up planes, strides or pictures would
	// fall far below it.
	testBitrate = 3_000_000
	minPSNR     = 30.0
)

// stream is an encoded test sequence and the pictures it was made from.
type stream struct {
	pics []*encoder.I420
	aus  [][]byte
	keys []bool
}

// encode encodes n pictures of the shared scene at w×h, forcing an IDR
// before each picture listed in idrs (the first is always one).
func encode(t testing.TB, w, h, bitrate, n int, idrs ...int) stream {
	t.Helper()
	enc, err := x264.New(encoder.Config{Width: w, Height: h, FPS: testFPS, Bitrate: bitrate, Threads: 1}, nil)
	if err != nil {
		t.Fatalf("x264: %v", err)
	}
	defer enc.Close()
	s := stream{pics: h264test.Scenes(w, h, n)}
	for i, pic := range s.pics {
		for _, k := range idrs {
			if k == i {
				enc.ForceIDR()
			}
		}
		au, err := enc.Encode(pic)
		if err != nil {
			t.Fatalf("encode picture %d: %v", i, err)
		}
		s.aus = append(s.aus, bytes.Clone(au.Data))
		s.keys = append(s.keys, au.Keyframe)
	}
	return s
}

func open(t testing.TB, cfg Config) *Decoder {
	t.Helper()
	d, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// decodeOne decodes an access unit that must give exactly one frame.
func decodeOne(t *testing.T, d *Decoder, au []byte, i int) Frame {
	t.Helper()
	frames, err := d.Decode(au)
	if err != nil {
		t.Fatalf("access unit %d: %v", i, err)
	}
	if len(frames) != 1 {
		t.Fatalf("access unit %d gave %d frames, want 1", i, len(frames))
	}
	return frames[0]
}

// psnr compares the luma and both chroma planes of two pictures of the
// same size, weighted by their sample counts.
func psnr(a, b *encoder.I420) float64 {
	var sse, n float64
	cw, ch := (a.Width+1)/2, (a.Height+1)/2
	for _, pl := range []struct {
		a, b         []byte
		sa, sb, w, h int
	}{
		{a.Y, b.Y, a.StrideY, b.StrideY, a.Width, a.Height},
		{a.U, b.U, a.StrideU, b.StrideU, cw, ch},
		{a.V, b.V, a.StrideV, b.StrideV, cw, ch},
	} {
		for y := range pl.h {
			for x := range pl.w {
				d := float64(pl.a[y*pl.sa+x]) - float64(pl.b[y*pl.sb+x])
				sse += d * d
			}
		}
		n += float64(pl.w * pl.h)
	}
	if sse == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255*n/sse)
}

func TestDecodeMatchesSource(t *testing.T) {
	for _, threads := range []int{0, 2} {
		s := encode(t, testW, testH, testBitrate, 30, 15)
		d := open(t, Config{Threads: threads})
		worst := math.Inf(1)
		for i, au := range s.aus {
			f := decodeOne(t, d, au, i)
			if f.Width != testW || f.Height != testH {
				t.Fatalf("frame %d is %dx%d, want %dx%d", i, f.Width, f.Height, testW, testH)
			}
			if err := f.CheckPlanes(); err != nil {
				t.Fatalf("frame %d: %v", i, err)
			}
			if f.Keyframe != s.keys[i] {
				t.Errorf("frame %d: keyframe %v, encoder said %v", i, f.Keyframe, s.keys[i])
			}
			if f.Corrupt || f.FullRange {
				t.Errorf("frame %d: corrupt %v, full range %v", i, f.Corrupt, f.FullRange)
			}
			p := psnr(&f.I420, s.pics[i])
			worst = min(worst, p)
			if p < minPSNR {
				t.Errorf("frame %d: PSNR %.1f dB, want > %.0f", i, p, minPSNR)
			}
		}
		if f := d.frames; len(f) != 1 {
			t.Errorf("last Decode left %d frames", len(f))
		}
		t.Logf("threads %d: worst PSNR %.1f dB over %d frames", threads, worst, len(s.aus))
	}
}

// TestCorruptInput damages the fourth access unit in several ways. Each
// must give an error; the pictures up to the IDR at idr are marked
// Corrupt, and from the IDR on the stream decodes cleanly again.
func TestCorruptInput(t *testing.T) {
	const n, damaged, idr = 16, 3, 9
	s := encode(t, testW, testH, testBitrate, n, idr)
	p := s.aus[damaged]
	tests := map[string][]byte{
		"truncated":       p[:len(p)/3],
		"bits flipped":    flip(p),
		"garbage slice":   append([]byte{0, 0, 0, 1, 0x41}, bytes.Repeat([]byte{0xff}, 64)...),
		"no start code":   p[4:],
		"empty":           nil,
		"start code only": {0, 0, 0, 1},
	}
	for name, bad := range tests {
		t.Run(name, func(t *testing.T) {
			d := open(t, Config{})
			for i := range damaged {
				decodeOne(t, d, s.aus[i], i)
			}
			frames, err := d.Decode(bad)
			if !errors.Is(err, ErrInvalidData) {
				t.Fatalf("damaged access unit: error %v, want ErrInvalidData", err)
			}
			for _, f := range frames {
				if !f.Corrupt {
					t.Error("frame concealed from damaged data not marked Corrupt")
				}
			}
			for i := damaged + 1; i < n; i++ {
				f := decodeOne(t, d, s.aus[i], i)
				if clean := i >= idr; f.Corrupt == clean {
					t.Errorf("frame %d: corrupt %v, want %v", i, f.Corrupt, !clean)
				}
				if i >= idr {
					if p := psnr(&f.I420, s.pics[i]); p < minPSNR {
						t.Errorf("frame %d after the IDR: PSNR %.1f dB, want > %.0f", i, p, minPSNR)
					}
				}
			}
		})
	}
}

func flip(au []byte) []byte {
	c := bytes.Clone(au)
	for i := len(c) / 4; i < len(c); i += 7 {
		c[i] ^= 0x5a
	}
	return c
}

// TestJoinMidStream starts decoding after the first IDR: access units fail
// until the next IDR brings parameter sets and a picture to start from.
func TestJoinMidStream(t *testing.T) {
	const idr = 8
	s := encode(t, testW, testH, testBitrate, 12, idr)
	d := open(t, Config{})
	for i := 3; i < idr; i++ {
		if frames, err := d.Decode(s.aus[i]); !errors.Is(err, ErrInvalidData) || len(frames) != 0 {
			t.Errorf("access unit %d before any IDR: %d frames, error %v; want none and ErrInvalidData", i, len(frames), err)
		}
	}
	for i := idr; i < len(s.aus); i++ {
		f := decodeOne(t, d, s.aus[i], i)
		if f.Corrupt || f.Keyframe != (i == idr) {
			t.Errorf("frame %d: corrupt %v, keyframe %v", i, f.Corrupt, f.Keyframe)
		}
	}
}

// TestThroughRTP decodes access units that went through Pion's H.264
// payloader and depacketizer, as the checker's player path receives them:
// the IDR is fragmented (FU-A) and the parameter sets aggregated (STAP-A).
func TestThroughRTP(t *testing.T) {
	s := encode(t, testW, testH, testBitrate, 10)
	d := open(t, Config{})
	var pay codecs.H264Payloader
	for i, au := range s.aus {
		var depack codecs.H264Packet
		var got []byte
		payloads := pay.Payload(1200, au)
		for _, p := range payloads {
			nals, err := depack.Unmarshal(p)
			if err != nil {
				t.Fatalf("access unit %d: depacketize: %v", i, err)
			}
			got = append(got, nals...)
		}
		if i == 0 && len(payloads) < 2 {
			t.Fatalf("IDR fitted in %d packet(s); the test wants it fragmented", len(payloads))
		}
		f := decodeOne(t, d, got, i)
		if p := psnr(&f.I420, s.pics[i]); p < minPSNR {
			t.Errorf("frame %d: PSNR %.1f dB", i, p)
		}
	}
}

func TestLimits(t *testing.T) {
	d := open(t, Config{})
	big := make([]byte, MaxAccessUnit+1)
	copy(big, []byte{0, 0, 0, 1, 0x65})
	if _, err := d.Decode(big); !errors.Is(err, ErrTooLarge) {
		t.Errorf("access unit of %d bytes: error %v, want ErrTooLarge", len(big), err)
	}
	for _, size := range []struct {
		w, h int
		want error
	}{
		// Checked by the decoder after libavcodec, which allows these
		// pixel counts...
		{MaxWidth + 16, 64, ErrTooLarge},
		{64, MaxHeight + 16, ErrTooLarge},
		// ...and refused by libavcodec before it allocates the picture.
		{MaxWidth, MaxHeight + 16, ErrInvalidData},
	} {
		s := encodeBlank(t, size.w, size.h)
		d := open(t, Config{})
		frames, err := d.Decode(s)
		if !errors.Is(err, size.want) || len(frames) != 0 {
			t.Errorf("%dx%d picture: %d frames, error %v; want %v", size.w, size.h, len(frames), err, size.want)
		}
	}
	// Refusals leave the decoder usable.
	s := encode(t, testW, testH, testBitrate, 2)
	for i, au := range s.aus {
		decodeOne(t, d, au, i)
	}
}

// encodeBlank encodes one grey picture of any size: the scene's pattern
// costs time at sizes where only the dimensions matter.
func encodeBlank(t *testing.T, w, h int) []byte {
	t.Helper()
	enc, err := x264.New(encoder.Config{Width: w, Height: h, FPS: testFPS, Bitrate: 1_000_000, Threads: 1}, nil)
	if err != nil {
		t.Fatalf("x264 %dx%d: %v", w, h, err)
	}
	defer enc.Close()
	pic := encoder.NewI420(w, h)
	for i := range pic.Y {
		pic.Y[i] = 128
	}
	au, err := enc.Encode(pic)
	if err != nil {
		t.Fatalf("encode %dx%d: %v", w, h, err)
	}
	return bytes.Clone(au.Data)
}

func TestNewRejectsThreads(t *testing.T) {
	for _, n := range []int{-1, maxThreads + 1} {
		d, err := New(Config{Threads: n})
		if err == nil {
			d.Close()
			t.Errorf("New accepted %d threads", n)
		} else if !strings.Contains(err.Error(), "threads") {
			t.Errorf("threads %d: error %q does not say why", n, err)
		}
	}
}

// TestFrameLifetime: a frame's planes are reused by the next Decode, a
// Clone's are not, and Close leaves both readable.
func TestFrameLifetime(t *testing.T) {
	s := encode(t, testW, testH, testBitrate, 3)
	d, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	first := decodeOne(t, d, s.aus[0], 0)
	kept := first.Clone()
	decodeOne(t, d, s.aus[1], 1)
	if p := psnr(&kept.I420, s.pics[0]); p < minPSNR {
		t.Errorf("clone of frame 0 after the next Decode: PSNR %.1f dB", p)
	}
	if psnr(&first.I420, s.pics[1]) < minPSNR {
		t.Error("frame 0's planes were not reused for frame 1; the documented lifetime is wrong")
	}
	for i := range 2 {
		if err := d.Close(); err != nil {
			t.Errorf("Close %d: %v", i+1, err)
		}
	}
	if psnr(&first.I420, s.pics[1]) < minPSNR {
		t.Error("frame unreadable after Close")
	}
	if _, err := d.Decode(s.aus[2]); !errors.Is(err, ErrClosed) {
		t.Errorf("Decode after Close: error %v, want ErrClosed", err)
	}
}

// BenchmarkDecode720p reports the time to decode one 720p picture of a
// game-like stream at 6 Mbit/s on one thread, the checker's setting.
func BenchmarkDecode720p(b *testing.B) {
	// 60 pictures, the first an IDR with its parameter sets, so looping
	// back to it restarts the stream cleanly.
	s := encode(b, 1280, 720, 6_000_000, 60)
	d := open(b, Config{})
	b.ReportAllocs()
	bytes := 0
	for i := 0; b.Loop(); i++ {
		au := s.aus[i%len(s.aus)]
		frames, err := d.Decode(au)
		if err != nil || len(frames) != 1 {
			b.Fatalf("access unit %d: %d frames, %v", i%len(s.aus), len(frames), err)
		}
		bytes += len(au)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/frame")
	b.ReportMetric(float64(bytes)/float64(b.N), "bytes/frame")
}

// TestParameterSetsApart decodes the first access unit split in two, as a
// sender that puts SPS and PPS in an access unit of their own would: that
// one fails, having no picture, but the IDR after it decodes cleanly.
func TestParameterSetsApart(t *testing.T) {
	s := encode(t, testW, testH, testBitrate, 2)
	nals, err := h264test.NALUnits(s.aus[0])
	if err != nil {
		t.Fatal(err)
	}
	var params, pic []byte
	for _, nal := range nals {
		au := &pic
		if typ := nal[0] & 0x1f; typ == h264test.NALSPS || typ == h264test.NALPPS {
			au = &params
		}
		*au = append(append(*au, 0, 0, 0, 1), nal...)
	}
	d := open(t, Config{})
	if frames, err := d.Decode(params); !errors.Is(err, ErrInvalidData) || len(frames) != 0 {
		t.Fatalf("parameter sets alone: %d frames, error %v; want none and ErrInvalidData", len(frames), err)
	}
	if f := decodeOne(t, d, pic, 0); !f.Keyframe || f.Corrupt {
		t.Errorf("IDR after its parameter sets: keyframe %v, corrupt %v", f.Keyframe, f.Corrupt)
	}
	decodeOne(t, d, s.aus[1], 1)
}
