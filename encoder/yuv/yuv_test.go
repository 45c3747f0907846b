//go:build cgo

package yuv

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"

	"stratus/encoder"
)

type convertFunc func(*encoder.I420, []byte, int) error

// fill paints w×h pixels of one colour, given as R,G,B, in the memory order
// the conversion expects; the row padding gets a different colour so that a
// conversion reading it would show.
func fill(w, h, stride int, rgb [3]byte, bgra bool) []byte {
	pix := make([]byte, stride*h)
	for i := range pix {
		pix[i] = 0x5a
	}
	r, g, b := rgb[0], rgb[1], rgb[2]
	if bgra {
		r, b = b, r
	}
	for y := range h {
		for x := range w {
			copy(pix[y*stride+4*x:], []byte{r, g, b, 255})
		}
	}
	return pix
}

func TestKnownColours(t *testing.T) {
	// Values libyuv 1857 produces; they are BT.601 limited range
	// (Y = 16 + 65.481R + 128.553G + 24.966B for R,G,B in 0..1, chroma
	// 128 ± 112) in libyuv's 8-bit fixed point. Other libyuv versions round
	// chroma differently, hence the tolerance of 1.
	tests := []struct {
		name    string
		rgb     [3]byte
		y, u, v int
	}{
		{"white", [3]byte{255, 255, 255}, 235, 128, 128},
		{"black", [3]byte{0, 0, 0}, 16, 128, 128},
		{"grey", [3]byte{128, 128, 128}, 126, 128, 128},
		{"red", [3]byte{255, 0, 0}, 82, 90, 239},
		{"green", [3]byte{0, 255, 0}, 144, 54, 34},
		{"blue", [3]byte{0, 0, 255}, 41, 239, 110},
		{"yellow", [3]byte{255, 255, 0}, 210, 16, 145},
	}
	const w, h, stride = 6, 4, 4*6 + 8
	orders := []struct {
		name    string
		convert convertFunc
		bgra    bool
	}{{"RGBA", RGBAToI420, false}, {"BGRA", BGRAToI420, true}}
	for _, tt := range tests {
		for _, o := range orders {
			t.Run(tt.name+"/"+o.name, func(t *testing.T) {
				dst := encoder.NewI420(w, h)
				if err := o.convert(dst, fill(w, h, stride, tt.rgb, o.bgra), stride); err != nil {
					t.Fatal(err)
				}
				for _, p := range []struct {
					name  string
					plane []byte
					want  int
				}{{"Y", dst.Y, tt.y}, {"U", dst.U, tt.u}, {"V", dst.V, tt.v}} {
					for i, got := range p.plane {
						if d := int(got) - p.want; d < -1 || d > 1 {
							t.Fatalf("%s[%d] = %d, want %d", p.name, i, got, p.want)
						}
					}
				}
			})
		}
	}
}

// padded returns a picture whose planes have row padding, as a picture cut
// from a larger buffer would.
func padded(w, h int) *encoder.I420 {
	cw, ch := (w+1)/2, (h+1)/2
	return &encoder.I420{
		Width: w, Height: h,
		Y: make([]byte, (w+16)*h), StrideY: w + 16,
		U: make([]byte, (cw+8)*ch), StrideU: cw + 8,
		V: make([]byte, (cw+8)*ch), StrideV: cw + 8,
	}
}

func TestByteOrdersAgree(t *testing.T) {
	for _, size := range [][2]int{{64, 48}, {1280, 720}, {37, 19}} {
		w, h := size[0], size[1]
		stride := 4*w + 12
		rgba := make([]byte, stride*h)
		rng := rand.New(rand.NewPCG(uint64(w), uint64(h)))
		for i := range rgba {
			rgba[i] = byte(rng.Uint32())
		}
		bgra := bytes.Clone(rgba)
		for i := 0; i+2 < len(bgra); i += 4 {
			bgra[i], bgra[i+2] = bgra[i+2], bgra[i]
		}
		a, b := padded(w, h), padded(w, h)
		if err := RGBAToI420(a, rgba, stride); err != nil {
			t.Fatal(err)
		}
		if err := BGRAToI420(b, bgra, stride); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Y, b.Y) || !bytes.Equal(a.U, b.U) || !bytes.Equal(a.V, b.V) {
			t.Errorf("%dx%d: RGBA and BGRA of the same pixels convert differently", w, h)
		}
	}
}

func TestSizeErrors(t *testing.T) {
	const w, h = 16, 8
	ok := func() *encoder.I420 { return encoder.NewI420(w, h) }
	shortU := ok()
	shortU.U = shortU.U[:len(shortU.U)-1]
	narrowV := ok()
	narrowV.StrideV = w/2 - 1
	tests := []struct {
		name   string
		dst    *encoder.I420
		pix    []byte
		stride int
		want   string
	}{
		{"nil picture", nil, make([]byte, 4*w*h), 4 * w, "nil destination"},
		{"empty picture", &encoder.I420{}, make([]byte, 4*w*h), 4 * w, "size 0x0 is empty"},
		{"stride too small", ok(), make([]byte, 4*w*h), 4*w - 4, "stride 60 is less than 64"},
		{"source short", ok(), make([]byte, 4*w*h-1), 4 * w, "source holds 511 bytes"},
		{"source short for stride", ok(), make([]byte, 4*w*h), 4*w + 4, "at stride 68 needs 540"},
		{"U plane short", shortU, make([]byte, 4*w*h), 4 * w, "U plane holds 31 bytes"},
		{"V stride narrow", narrowV, make([]byte, 4*w*h), 4 * w, "V stride 7"},
	}
	for _, tt := range tests {
		for name, convert := range map[string]convertFunc{"RGBA": RGBAToI420, "BGRA": BGRAToI420} {
			t.Run(tt.name+"/"+name, func(t *testing.T) {
				err := convert(tt.dst, tt.pix, tt.stride)
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("error %v, want one mentioning %q", err, tt.want)
				}
			})
		}
	}
}

func benchmark(b *testing.B, convert convertFunc) {
	const w, h = 1280, 720
	pix := make([]byte, 4*w*h)
	for i := range pix {
		pix[i] = byte(i * 7)
	}
	dst := encoder.NewI420(w, h)
	b.SetBytes(int64(len(pix)))
	b.ReportAllocs()
	for b.Loop() {
		if err := convert(dst, pix, 4*w); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()*1000/float64(b.N), "ms/frame")
}

func BenchmarkRGBAToI420_720p(b *testing.B) { benchmark(b, RGBAToI420) }
func BenchmarkBGRAToI420_720p(b *testing.B) { benchmark(b, BGRAToI420) }
