package rocks

import (
	"testing"

	"stratus/title"
)

// energy is the mean square of a stretch of samples.
func energy(pcm []int16) float64 {
	var e float64
	for _, x := range pcm {
		e += float64(x) * float64(x)
	}
	return e / float64(len(pcm))
}

func TestSound(t *testing.T) {
	var g Game
	pcm := make([]int16, title.AudioRate/100*title.AudioChannels)
	g.ReadAudio(pcm)
	if e := energy(pcm); e != 0 {
		t.Fatalf("silence has energy %v", e)
	}
	g.sfx.shot()
	g.sfx.boom(2)
	g.ReadAudio(pcm)
	if e := energy(pcm); e < 1e5 {
		t.Fatalf("a shot and an explosion have energy %v", e)
	}
	// Effects end: a second later all is quiet and no voice is left.
	for range 100 {
		g.ReadAudio(pcm)
	}
	if e := energy(pcm); e != 0 || len(g.sfx.voices) != 0 {
		t.Fatalf("after a second: energy %v, %d voices", e, len(g.sfx.voices))
	}
	for range 2 * maxVoices {
		g.sfx.shot()
	}
	if len(g.sfx.voices) != maxVoices {
		t.Fatalf("%d voices, want at most %d", len(g.sfx.voices), maxVoices)
	}
}
