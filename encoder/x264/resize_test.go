//go:build cgo

package x264

import (
	"testing"

	"stratus/internal/h264test"
)

// resizable is what the session's quality ladder asks of an encoder.
type resizable interface {
	PrepareResize(w, h, fps int) (apply func(), drop func(), err error)
}

func TestPrepareResize(t *testing.T) {
	enc := open(t, testConfig(4_000_000))
	r := enc.(resizable)
	for i, pic := range scenes(3) {
		if _, err := enc.Encode(pic); err != nil {
			t.Fatalf("picture %d: %v", i, err)
		}
	}
	// A prepared encoder that is dropped changes nothing.
	_, drop, err := r.PrepareResize(640, 360, 30)
	if err != nil {
		t.Fatal(err)
	}
	drop()
	if au, err := enc.Encode(scenes(1)[0]); err != nil || au.Keyframe {
		t.Fatalf("after a dropped resize: keyframe %v, err %v; want the old stream going on", au.Keyframe, err)
	}
	if _, _, err := r.PrepareResize(641, 360, 30); err == nil {
		t.Error("an odd width was accepted")
	}

	apply, _, err := r.PrepareResize(960, 540, 30)
	if err != nil {
		t.Fatal(err)
	}
	apply()
	if _, err := enc.Encode(scenes(1)[0]); err == nil {
		t.Error("a 1280x720 picture was accepted after resizing to 960x540")
	}
	for i, pic := range h264test.Scenes(960, 540, 4) {
		au, err := enc.Encode(pic)
		if err != nil {
			t.Fatalf("picture %d at 960x540: %v", i, err)
		}
		// A decoder follows a change of size only at an IDR with new
		// parameter sets: the new encoder's first picture is one.
		p := parse(t, au.Data)
		if want := i == 0; au.Keyframe != want || p.Has(nalSPS) != want {
			t.Errorf("picture %d at 960x540: keyframe %v, NAL types %v; want IDR with SPS %v", i, au.Keyframe, p.Types, want)
		}
	}
}

// BenchmarkPrepareResize720p is what opening the next rung's encoder
// costs the helper goroutine: the time a switch would stall the frame
// schedule if it were done between two frames.
func BenchmarkPrepareResize720p(b *testing.B) {
	enc := open(b, testConfig(4_000_000))
	r := enc.(resizable)
	for b.Loop() {
		_, drop, err := r.PrepareResize(testW, testH, testFPS)
		if err != nil {
			b.Fatal(err)
		}
		drop()
	}
}
