package process

import (
	"bytes"
	"testing"
	"time"
)

// BenchmarkRender is the capture of one frame of a running OpenGL program
// through X11 shared memory, at the sizes titles use: what a process title
// adds to each frame before colour conversion and encoding.
func BenchmarkRender(b *testing.B) {
	gears := need(b, "glxgears", "mesa-utils")
	for _, size := range []struct {
		name string
		w, h int
	}{{"640x360", 640, 360}, {"1280x720", 1280, 720}, {"1920x1080", 1920, 1080}} {
		b.Run(size.name, func(b *testing.B) {
			m := testManifest("glxgears", "-geometry", "+0+0")
			m.Width, m.Height = size.w, size.h
			i := start(b, newRuntime(b, b.TempDir()), installDir(b, map[string]string{"glxgears": "copy:" + gears}), m)
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
			b.ResetTimer()
			for b.Loop() {
				if _, err := i.Render(time.Now()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
