package rocks

import (
	"math"

	"stratus/title"
)

// The game's sound: short synthesised effects mixed on demand. Voices are
// not part of the game state (snapshots leave them out): a resumed game
// simply starts quiet.

// voice is one sounding effect.
type voice struct {
	kind   int // voiceShot or voiceBoom
	at     int // samples played
	length int // samples in all
	gain   float64
}

const (
	voiceShot = iota
	voiceBoom
	// maxVoices bounds the mix; a new effect replaces the oldest.
	maxVoices = 12
)

// sound is the mixer; it owns its own noise generator so that sound never
// changes the game's random sequence.
type sound struct {
	voices []voice
	noise  uint32
}

func (s *sound) play(v voice) {
	if len(s.voices) == maxVoices {
		s.voices = s.voices[1:]
	}
	s.voices = append(s.voices, v)
}

func (s *sound) shot() {
	s.play(voice{kind: voiceShot, length: title.AudioRate * 8 / 100, gain: 0.12})
}

// boom is an explosion; bigger rocks (and the ship) sound longer and louder.
func (s *sound) boom(size int) {
	s.play(voice{kind: voiceBoom, length: title.AudioRate * (25 + 15*size) / 100, gain: 0.15 + 0.08*float64(size)})
}

func (s *sound) rand() float64 {
	if s.noise == 0 {
		s.noise = 0x9e3779b9
	}
	s.noise ^= s.noise << 13
	s.noise ^= s.noise >> 17
	s.noise ^= s.noise << 5
	return float64(s.noise)/float64(math.MaxUint32)*2 - 1
}

// ReadAudio mixes the sounding effects into pcm (title.AudioSource).
func (g *Game) ReadAudio(pcm []int16) {
	s := &g.sfx
	for i := 0; i+1 < len(pcm); i += title.AudioChannels {
		var mix float64
		for j := range s.voices {
			v := &s.voices[j]
			if v.at >= v.length {
				continue
			}
			t := float64(v.at) / title.AudioRate
			left := 1 - float64(v.at)/float64(v.length)
			switch v.kind {
			case voiceShot:
				// A falling chirp, 1400 → 300 Hz.
				f := 300 + 1100*left
				mix += v.gain * left * math.Copysign(1, math.Sin(2*math.Pi*f*t))
			case voiceBoom:
				mix += v.gain * left * left * s.rand()
			}
			v.at++
		}
		x := int16(max(-1, min(1, mix)) * 32767)
		pcm[i], pcm[i+1] = x, x
	}
	live := s.voices[:0]
	for _, v := range s.voices {
		if v.at < v.length {
			live = append(live, v)
		}
	}
	s.voices = live
}
