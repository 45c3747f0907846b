package testpattern

import (
	"math"

	"stratus/title"
)

// Beep: 100 ms of 880 Hz at the start of every second of sound, quiet
// enough not to annoy, loud enough that a test can measure the audio track.
const (
	beepHz     = 880
	beepLength = title.AudioRate / 10
	beepGain   = 0.2
)

// ReadAudio fills pcm with the beep (title.AudioSource).
func (p *Pattern) ReadAudio(pcm []int16) {
	for i := 0; i+1 < len(pcm); i += title.AudioChannels {
		n := p.samples % title.AudioRate
		var x int16
		if n < beepLength {
			x = int16(beepGain * 32767 * math.Sin(2*math.Pi*beepHz*float64(n)/title.AudioRate))
		}
		pcm[i], pcm[i+1] = x, x
		p.samples++
	}
}
