//go:build cgo

package x11

import (
	"errors"
	"fmt"
	"testing"

	"stratus/title"
)

func openT(t testing.TB, name string) *Display {
	t.Helper()
	d, err := Open(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// moveAndCapture puts the pointer at x, y through XTEST and captures.
func moveAndCapture(t *testing.T, d *Display, x, y int) *title.Frame {
	t.Helper()
	if err := d.MoveTo(x, y); err != nil {
		t.Fatal(err)
	}
	if err := d.Sync(); err != nil {
		t.Fatal(err)
	}
	f, err := d.Capture()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// rgb is the pixel at x, y as 0xRRGGBB.
func rgb(f *title.Frame, x, y int) uint32 {
	p := f.Pix[y*f.Stride+x*4:]
	return uint32(p[2])<<16 | uint32(p[1])<<8 | uint32(p[0])
}

// checkFrame compares a capture of the black root window with the cursor
// image d holds drawn at x, y: over black, premultiplied "over" leaves the
// cursor's own colour, so every pixel is known exactly. It returns how
// many pixels are lit.
func checkFrame(t *testing.T, f *title.Frame, c cursor, x, y int) (lit int) {
	t.Helper()
	x0, y0 := x-c.xhot, y-c.yhot
	bad := 0
	for py := 0; py < f.Height; py++ {
		for px := 0; px < f.Width; px++ {
			want := uint32(0)
			if cx, cy := px-x0, py-y0; cx >= 0 && cy >= 0 && cx < c.w && cy < c.h {
				want = c.pix[cy*c.w+cx] & 0xffffff
			}
			got := rgb(f, px, py)
			if got != 0 {
				lit++
			}
			if got != want {
				if bad++; bad <= 5 {
					t.Errorf("pointer at %d,%d: pixel %d,%d is %06x, want %06x", x, y, px, py, got, want)
				}
			}
		}
	}
	return lit
}

func checkBlack(t *testing.T, f *title.Frame, what string) {
	t.Helper()
	for y := 0; y < f.Height; y++ {
		for x := 0; x < f.Width; x++ {
			if p := rgb(f, x, y); p != 0 {
				t.Fatalf("%s: pixel %d,%d is %06x, want black", what, x, y, p)
			}
		}
	}
}

// The server's default root cursor, the X, lands with its hot spot on the
// pointer wherever the pointer goes, whoever moved it; off, nothing shows.
func TestCursorFollowsPointer(t *testing.T) {
	name, _ := xvfb(t, 320, 240)
	d := openT(t, name)
	checkBlack(t, moveAndCapture(t, d, 100, 80), "cursor off (the default)")
	if err := d.SetCursor(true); err != nil {
		t.Fatal(err)
	}
	f := moveAndCapture(t, d, 100, 80)
	white := 0
	for _, p := range d.cur.pix {
		if p == 0xffffffff {
			white++
		}
	}
	// The X glyph: a black X in a white outline, so on black only the
	// outline shows.
	if d.cur.w < 8 || d.cur.h < 8 || white < 20 {
		t.Fatalf("cursor %dx%d with %d opaque white pixels: not the X glyph", d.cur.w, d.cur.h, white)
	}
	if lit := checkFrame(t, f, d.cur, 100, 80); lit != white {
		t.Errorf("%d pixels lit, the cursor has %d white ones", lit, white)
	}
	checkFrame(t, moveAndCapture(t, d, 200, 150), d.cur, 200, 150)

	// Another client (a game warping the pointer) moves it: the frame
	// follows the server, not what d injected last.
	other := openT(t, name)
	if err := other.MoveTo(40, 30); err != nil {
		t.Fatal(err)
	}
	if err := other.Sync(); err != nil {
		t.Fatal(err)
	}
	if f, err := d.Capture(); err != nil {
		t.Fatal(err)
	} else {
		checkFrame(t, f, d.cur, 40, 30)
	}

	// At the edges the image is clipped, not dropped.
	for _, at := range [][2]int{{0, 0}, {319, 239}, {2, 238}} {
		if lit := checkFrame(t, moveAndCapture(t, d, at[0], at[1]), d.cur, at[0], at[1]); lit == 0 {
			t.Errorf("pointer at %v: nothing drawn", at)
		}
	}

	if err := d.SetCursor(false); err != nil {
		t.Fatal(err)
	}
	checkBlack(t, moveAndCapture(t, d, 100, 80), "cursor turned off")
}

// A client that defines another cursor makes the server send CursorNotify,
// and the next frame draws the new image: here a red crosshair in a blue
// outline, colours the X glyph has not.
func TestCursorChanges(t *testing.T) {
	name, _ := xvfb(t, 320, 240)
	d := openT(t, name)
	if err := d.SetCursor(true); err != nil {
		t.Fatal(err)
	}
	moveAndCapture(t, d, 160, 120)
	serial := d.cur.serial

	rootCursor(t, name, 34, [3]uint16{0xffff, 0, 0}, [3]uint16{0, 0, 0xffff}) // XC_crosshair
	f, err := d.Capture()
	if err != nil {
		t.Fatal(err)
	}
	if d.cur.serial == serial {
		t.Fatal("the cursor changed and Capture kept the old image")
	}
	count := map[uint32]int{}
	for y := 0; y < f.Height; y++ {
		for x := 0; x < f.Width; x++ {
			count[rgb(f, x, y)]++
		}
	}
	if count[0xff0000] == 0 || count[0x0000ff] == 0 || len(count) != 3 {
		t.Fatalf("colours in the frame: %v; want black, red and blue", count)
	}
	// The crosshair's hot spot is its centre, a blue dot where its red
	// arms cross.
	for _, p := range []struct {
		x, y int
		want uint32
	}{{160, 120, 0x0000ff}, {160, 115, 0xff0000}, {160, 125, 0xff0000}, {155, 120, 0xff0000}, {165, 120, 0xff0000}} {
		if got := rgb(f, p.x, p.y); got != p.want {
			t.Errorf("pixel %d,%d (pointer at 160,120) is %06x, want %06x", p.x, p.y, got, p.want)
		}
	}
	checkFrame(t, f, d.cur, 160, 120)
}

// Without XFIXES the frames only lack the pointer: SetCursor says why, and
// Capture goes on.
func TestCursorWithoutXFixes(t *testing.T) {
	name, _ := xvfbDepth(t, 320, 240, 24, "-extension", "XFIXES")
	d := openT(t, name)
	if err := d.SetCursor(true); !errors.Is(err, ErrNoCursor) {
		t.Fatalf("SetCursor(true) without XFIXES = %v, want ErrNoCursor", err)
	}
	checkBlack(t, moveAndCapture(t, d, 100, 80), "no XFIXES")
	if err := d.SetCursor(false); err != nil {
		t.Fatal(err)
	}
}

// Capture with the pointer drawn allocates nothing once the image is held.
func TestCursorCaptureAllocs(t *testing.T) {
	name, _ := xvfb(t, 320, 240)
	d := openT(t, name)
	if err := d.SetCursor(true); err != nil {
		t.Fatal(err)
	}
	moveAndCapture(t, d, 10, 10)
	var err error
	if n := testing.AllocsPerRun(50, func() { _, err = d.Capture() }); n != 0 || err != nil {
		t.Fatalf("Capture: %v allocations, err %v", n, err)
	}
}

// BenchmarkCapture is one 1280x720 capture without and with the pointer:
// the difference is the XQueryPointer round trip and the blend.
func BenchmarkCapture(b *testing.B) {
	name, _ := xvfb(b, 1280, 720)
	d, err := Open(name)
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	for _, on := range []bool{false, true} {
		b.Run(fmt.Sprintf("cursor=%v", on), func(b *testing.B) {
			if err := d.SetCursor(on); err != nil {
				b.Fatal(err)
			}
			if err := d.MoveTo(640, 360); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(1280 * 720 * 4)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := d.Capture(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
