package builtin

import (
	"testing"
	"time"

	"stratus/input"
	"stratus/title"
	"stratus/title/testpattern"
)

func TestCatalog(t *testing.T) {
	c, err := Catalog()
	if err != nil {
		t.Fatal(err)
	}
	list := c.List()
	if len(list) != 2 || list[0].ID != "rocks" || list[1].ID != "testpattern" {
		t.Fatalf("catalog lists %+v", list)
	}
	for _, id := range []string{"testpattern", "rocks"} {
		t.Run(id, func(t *testing.T) {
			d, err := c.Get(id)
			if err != nil {
				t.Fatal(err)
			}
			if d.Name == "" || d.Description == "" || len(d.Inputs) != 4 || d.Width != 1280 || d.Height != 720 || d.FPS != 60 {
				t.Errorf("descriptor %+v", d)
			}
			g, err := d.New(title.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer g.Close()
			if info := g.Info(); info.ID != id || info.Width != d.Width || info.Height != d.Height || info.FPS != d.FPS {
				t.Errorf("info %+v", info)
			}
			g.Input(input.Event{Kind: input.KindKeyDown, Code: input.KeySpace})
			now := time.UnixMilli(1_700_000_000_000)
			for i := range 3 {
				f, err := g.Render(now.Add(time.Duration(i) * time.Second / 60))
				if err != nil {
					t.Fatal(err)
				}
				if f.Format != title.RGBA || len(f.Pix) != f.Stride*f.Height {
					t.Fatalf("frame %v %dx%d stride %d len %d", f.Format, f.Width, f.Height, f.Stride, len(f.Pix))
				}
			}
		})
	}
	if _, err := c.Get("nope"); err == nil {
		t.Error("unknown id found")
	}
}

// The measurement cells survive the catalog path: what a session starts is
// what tools decode.
func TestTestPatternThroughCatalog(t *testing.T) {
	c, _ := Catalog()
	d, _ := c.Get("testpattern")
	g, _ := d.New(title.Options{})
	defer g.Close()
	g.Input(input.Event{Kind: input.KindTouch})
	g.Input(input.Event{Kind: input.KindPing})
	f, _ := g.Render(time.UnixMilli(4242))
	if ms, n := testpattern.Decode(f.Pix, f.Stride); ms != 4242 || n != 1 {
		t.Errorf("Decode = %d, %d; want 4242, 1", ms, n)
	}
}
