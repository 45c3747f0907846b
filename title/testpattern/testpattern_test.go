package testpattern

import (
	"bytes"
	"testing"
	"time"

	"stratus/input"
	"stratus/title"
)

func newPattern(t testing.TB, o title.Options) *Pattern {
	t.Helper()
	p, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// checkCells verifies every pixel of every cell and of the guard band.
func checkCells(t *testing.T, f *title.Frame, wantMs, wantInputs uint32) {
	t.Helper()
	for y := range BandH {
		for x := range BandW {
			want := uint8(0)
			if x < Cells*CellSize && y < Rows*CellSize {
				v := wantMs
				if y >= CellSize {
					v = wantInputs
				}
				if v&(1<<(Cells-1-x/CellSize)) != 0 {
					want = 255
				}
			}
			i := y*f.Stride + 4*x
			if px := f.Pix[i : i+4]; px[0] != want || px[1] != want || px[2] != want || px[3] != 255 {
				t.Fatalf("pixel %d,%d = %v, want %d", x, y, px, want)
			}
		}
	}
	gotMs, gotInputs := Decode(f.Pix, f.Stride)
	if gotMs != wantMs || gotInputs != wantInputs {
		t.Fatalf("Decode = %d, %d; want %d, %d", gotMs, gotInputs, wantMs, wantInputs)
	}
}

func TestCellsExact(t *testing.T) {
	tests := []struct {
		name   string
		now    time.Time
		events int
		wantMs uint32
	}{
		{"epoch", time.UnixMilli(0), 0, 0},
		{"one ms", time.UnixMilli(1), 1, 1},
		{"all ones", time.UnixMilli(1<<32 - 1), 7, 0xffffffff},
		{"wraps", time.UnixMilli(1<<32 + 5), 1000, 5},
		{"today", time.Date(2026, 3, 1, 12, 0, 0, 123_456_789, time.UTC), 42,
			uint32(time.Date(2026, 3, 1, 12, 0, 0, 123_000_000, time.UTC).UnixMilli())},
		{"before 1970", time.UnixMilli(-1), 3, 0xffffffff},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPattern(t, title.Options{})
			for i := range tt.events {
				p.Input(input.Event{Kind: input.KindKeyDown, Code: uint16('A' + i%26)})
			}
			f, err := p.Render(tt.now)
			if err != nil {
				t.Fatal(err)
			}
			if f.Width != 1280 || f.Height != 720 || f.Format != title.RGBA || f.Stride != 4*1280 || len(f.Pix) != 4*1280*720 {
				t.Fatalf("frame %dx%d %v stride %d len %d", f.Width, f.Height, f.Format, f.Stride, len(f.Pix))
			}
			checkCells(t, f, tt.wantMs, uint32(tt.events))
		})
	}
}

func TestInputCountWraps(t *testing.T) {
	p := newPattern(t, title.Options{})
	p.inputs = 1<<32 - 1
	p.Input(input.Event{Kind: input.KindWheel, DY: 1})
	f, _ := p.Render(time.UnixMilli(77))
	checkCells(t, f, 77, 0)
}

func TestCounts(t *testing.T) {
	events := []struct {
		ev    input.Event
		count bool
	}{
		{input.Event{Kind: input.KindKeyDown, Code: input.KeySpace}, true},
		{input.Event{Kind: input.KindKeyUp, Code: input.KeySpace}, true},
		{input.Event{Kind: input.KindMouseButton, Button: 0, Down: true}, true},
		{input.Event{Kind: input.KindMouseMove, X: 100, Y: 200}, true},
		{input.Event{Kind: input.KindWheel, DY: -120}, true},
		{input.Event{Kind: input.KindGamepad, Buttons: 1 << input.PadA}, true},
		{input.Event{Kind: input.KindTouch, Phase: input.TouchStart}, true},
		{input.Event{Kind: input.KindPing, PingID: 9}, false},
	}
	p := newPattern(t, title.Options{})
	want := uint32(0)
	for _, e := range events {
		p.Input(e.ev)
		if e.count {
			want++
		}
		if p.Inputs() != want {
			t.Fatalf("after %v: Inputs() = %d, want %d", e.ev, p.Inputs(), want)
		}
	}
	if p.last != events[len(events)-2].ev.String() {
		t.Errorf("last = %q; a ping must not replace it", p.last)
	}
	f, _ := p.Render(time.UnixMilli(1234))
	checkCells(t, f, 1234, want)
}

// outsideBand copies the frame without the cell band, which is expected to
// differ between any two times.
func outsideBand(f *title.Frame) []byte {
	var out []byte
	for y := range f.Height {
		row := f.Pix[y*f.Stride : y*f.Stride+4*f.Width]
		if y < BandH {
			row = row[4*BandW:]
		}
		out = append(out, row...)
	}
	return out
}

func TestFrameMoves(t *testing.T) {
	p := newPattern(t, title.Options{})
	t0 := time.UnixMilli(1_700_000_000_000)
	f, _ := p.Render(t0)
	a := outsideBand(f)
	f, _ = p.Render(t0.Add(time.Second / 60))
	b := outsideBand(f)
	if bytes.Equal(a, b) {
		t.Fatal("picture outside the cell band did not change")
	}
	// Beyond the frame counter, the picture itself is a function of time.
	q := newPattern(t, title.Options{})
	q.frames = p.frames - 1
	f, _ = q.Render(t0.Add(time.Second / 60))
	if !bytes.Equal(b, outsideBand(f)) {
		t.Fatal("same time and frame number rendered different pictures")
	}
}

func TestOptions(t *testing.T) {
	tests := []struct {
		o       title.Options
		w, h, f int
		bad     bool
	}{
		{title.Options{}, 1280, 720, 60, false},
		{title.Options{Width: 640, Height: 360, FPS: 30}, 640, 360, 30, false},
		{title.Options{Width: 1920, Height: 1080, FPS: 120}, 1920, 1080, 120, false},
		{title.Options{Width: 320, Height: 240}, 0, 0, 0, true},
		{title.Options{Width: -1}, 0, 0, 0, true},
		{title.Options{FPS: 1000}, 0, 0, 0, true},
	}
	for _, tt := range tests {
		p, err := New(tt.o)
		if tt.bad {
			if err == nil {
				t.Errorf("%+v: no error", tt.o)
			}
			continue
		}
		if err != nil {
			t.Errorf("%+v: %v", tt.o, err)
			continue
		}
		i := p.Info()
		if i.Width != tt.w || i.Height != tt.h || i.FPS != tt.f || i.ID != "testpattern" {
			t.Errorf("%+v: info %+v", tt.o, i)
		}
		f, err := p.Render(time.UnixMilli(99))
		if err != nil || f.Width != tt.w || f.Height != tt.h || len(f.Pix) != f.Stride*f.Height {
			t.Errorf("%+v: frame %dx%d len %d, %v", tt.o, f.Width, f.Height, len(f.Pix), err)
		}
		checkCells(t, f, 99, 0)
		p.Close()
		if err := p.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
		if _, err := p.Render(time.Now()); err == nil {
			t.Error("Render after Close succeeded")
		}
	}
}

func TestDescriptor(t *testing.T) {
	d := Descriptor()
	if d.ID != "testpattern" || d.Name != "Test pattern" || len(d.Inputs) != 4 || d.Width != 1280 || d.Height != 720 || d.FPS != 60 {
		t.Fatalf("descriptor %+v", d)
	}
	tt, err := d.New(title.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tt.Close()
	if _, err := d.New(title.Options{Width: 10}); err == nil {
		t.Error("tiny frame accepted")
	}
}

func TestDecodeShortBuffer(t *testing.T) {
	if ms, n := Decode(make([]byte, 100), 4*1280); ms != 0 || n != 0 {
		t.Errorf("Decode of short buffer = %d, %d", ms, n)
	}
}

func TestRenderDoesNotAllocate(t *testing.T) {
	p := newPattern(t, title.Options{})
	p.Input(input.Event{Kind: input.KindGamepad, Buttons: 5, Axes: [4]int16{1, -2, 3, -4}})
	now := time.UnixMilli(1_700_000_000_000)
	if n := testing.AllocsPerRun(50, func() {
		now = now.Add(16 * time.Millisecond)
		p.Render(now)
	}); n != 0 {
		t.Errorf("Render allocates %.1f times a frame", n)
	}
}

func BenchmarkRender(b *testing.B) {
	p := newPattern(b, title.Options{})
	p.Input(input.Event{Kind: input.KindKeyDown, Code: 'A'})
	now := time.UnixMilli(1_700_000_000_000)
	b.ReportAllocs()
	b.SetBytes(4 * 1280 * 720)
	for b.Loop() {
		now = now.Add(16 * time.Millisecond)
		if _, err := p.Render(now); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	p := newPattern(b, title.Options{})
	f, _ := p.Render(time.UnixMilli(123456789))
	for b.Loop() {
		Decode(f.Pix, f.Stride)
	}
}

// TestSharedBackground: the catalog's instances of one size share one
// background, drawn once, and still draw their own frames.
func TestSharedBackground(t *testing.T) {
	d := Descriptor()
	var ps []*Pattern
	for range 2 {
		tt, err := d.New(title.Options{})
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, tt.(*Pattern))
	}
	if &ps[0].bars[0] != &ps[1].bars[0] {
		t.Error("two instances of one size drew their background twice")
	}
	f0, _ := ps[0].Render(time.UnixMilli(1000))
	f1, _ := ps[1].Render(time.UnixMilli(2000))
	if &f0.Pix[0] == &f1.Pix[0] {
		t.Error("two instances share a frame buffer")
	}
	ps[0].Close()
	if _, err := ps[1].Render(time.UnixMilli(3000)); err != nil || ps[1].bars == nil {
		t.Errorf("closing one instance took the other's background: %v", err)
	}
}
