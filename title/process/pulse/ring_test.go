package pulse

import (
	"slices"
	"testing"

	"stratus/title"
)

// The session takes a Recorder as a title's sound.
var _ title.AudioSource = (*Recorder)(nil)

// seq returns n samples counting up from from.
func seq(from, n int) []int16 {
	s := make([]int16, n)
	for i := range s {
		s[i] = int16(from + i)
	}
	return s
}

func TestRing(t *testing.T) {
	r := newRing(8, 2)
	if d := r.push(seq(0, 6)); d != 0 || r.len() != 6 {
		t.Fatalf("push 6 into 8: dropped %d, len %d", d, r.len())
	}
	// Full: the two oldest frames make room, and what is read next
	// starts after them.
	if d := r.push(seq(6, 6)); d != 4 || r.len() != 8 {
		t.Fatalf("push 6 more: dropped %d, len %d, want 4, 8", d, r.len())
	}
	out := make([]int16, 5) // odd: only whole frames come out
	if n := r.pop(out); n != 4 || !slices.Equal(out[:4], seq(4, 4)) {
		t.Fatalf("pop 5: %d %v, want 4 samples from 4", n, out)
	}
	if n := r.drop(3); n != 2 || r.len() != 2 {
		t.Fatalf("drop 3: %d, len %d, want 2, 2", n, r.len())
	}
	out = make([]int16, 8)
	if n := r.pop(out); n != 2 || !slices.Equal(out[:2], seq(10, 2)) {
		t.Fatalf("pop across the wrap: %d %v, want 10, 11", n, out)
	}
	if n := r.pop(out); n != 0 {
		t.Fatalf("pop empty: %d", n)
	}
	// Longer than the ring: only its end is kept.
	if d := r.push(seq(100, 12)); d != 4 {
		t.Fatalf("push 12 into empty 8: dropped %d, want 4", d)
	}
	if n := r.pop(out); n != 8 || !slices.Equal(out, seq(104, 8)) {
		t.Fatalf("pop after long push: %d %v", n, out)
	}
}

// ReadAudio pads with silence, counts it, and trims a buffer that ran
// ahead of the session down to one chunk beyond the request.
func TestReadAudioBuffering(t *testing.T) {
	r := newRecorder(testLog(t))
	pcm := seq(1, chunkSamples)
	r.ReadAudio(pcm)
	if slices.ContainsFunc(pcm, func(v int16) bool { return v != 0 }) {
		t.Fatal("ReadAudio on an empty buffer left samples in place")
	}
	for i := range 12 { // 120 ms: the buffer keeps the newest 100
		r.put(seq(i*chunkSamples, chunkSamples))
	}
	r.ReadAudio(pcm)
	// 100 ms held, 10 asked, 10 kept: the first 80 ms are dropped.
	if want := seq(10*chunkSamples, chunkSamples); !slices.Equal(pcm, want) {
		t.Errorf("first frame after a stall starts at %d, want %d", pcm[0], want[0])
	}
	st := r.Stats()
	f := uint64(chunkFrames)
	want := Stats{FramesRead: 12 * f, DroppedFrames: 10 * f, Underruns: 1, PaddedFrames: f, Buffered: chunkFrames}
	if st != want {
		t.Errorf("stats %+v, want %+v", st, want)
	}
}
