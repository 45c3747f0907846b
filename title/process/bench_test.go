package process

import (
	"bytes"
	"testing"
	"time"
)

// BenchmarkRender is the capture of one frame of a running OpenGL program
// through X11 shared memory, at the sizes titles use: what a process title
// adds to each frame before colour conversion and encoding. The pointer is
// drawn, as by default; 1280x720-nocursor is the same capture without it
// (Config.NoCursor), so the difference is what drawing it costs.
func BenchmarkRender(b *testing.B) {
	gears := need(b, "glxgears", "mesa-utils")
	for _, size := range []struct {
		name     string
		w, h     int
		noCursor bool
	}{
		{"640x360", 640, 360, false},
		{"1280x720", 1280, 720, false},
		{"1280x720-nocursor", 1280, 720, true},
		{"1920x1080", 1920, 1080, false},
	} {
		b.Run(size.name, func(b *testing.B) {
			m := testManifest("glxgears", "-geometry", "+0+0")
			m.Width, m.Height = size.w, size.h
			r := newRuntimeWith(b, Config{RunDir: b.TempDir(), NoCursor: size.noCursor})
			i := start(b, r, installDir(b, map[string]string{"glxgears": "copy:" + gears}), m)
			var first []byte
			eventually(b, 5*time.Second, "glxgears drew nothing", func() bool {
				f, err := i.Render(time.Now())
				if err != nil {
					b.Fatal(err)
				}
				if first == nil {
					first = append([]byte(nil), f.Pix...)
				}
				return !bytes.Equal(first, f.Pix)
			})
			b.SetBytes(int64(size.w * size.h * 4))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := i.Render(time.Now()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
