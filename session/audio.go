package session

import (
	"time"

	"stratus/encoder/opus"
	"stratus/title"
)

// AudioSink is implemented by sinks that carry sound (a stream.Peer). Like
// WriteVideo, WriteAudio is called only from the session loop and must not
// block on a slow peer.
type AudioSink interface {
	WriteAudio(pkt []byte, dur time.Duration) error
}

// audioFrame is one Opus packet of sound: short frames keep the sound's
// delay close to the picture's.
const audioFrame = 10 * time.Millisecond

// maxAudioBehind bounds how much sound is produced at once after a stall:
// older sound is skipped, as video skips frames, rather than played late.
const maxAudioBehind = 100 * time.Millisecond

// audio produces a title's sound on the session loop, paced by the wall
// clock rather than by frames, so the sound neither drifts from real time
// nor stutters when a frame is skipped.
type audio struct {
	src   title.AudioSource
	sink  AudioSink
	enc   *opus.Encoder
	pcm   []int16
	pkt   []byte
	start time.Time
	sent  time.Duration // sound produced so far
}

// newAudio returns nil when the title is silent or the sink carries no
// sound; a missing Opus library costs the sound, not the session.
func newAudio(s *Session) *audio {
	src, ok := s.cfg.Title.(title.AudioSource)
	sink, ok2 := s.cfg.Sink.(AudioSink)
	if !ok || !ok2 {
		return nil
	}
	cfg := opus.DefaultConfig()
	cfg.FrameDuration = audioFrame
	enc, err := opus.New(cfg)
	if err != nil {
		s.log.Warn("no sound for this session", "err", err)
		return nil
	}
	return &audio{
		src: src, sink: sink, enc: enc,
		pcm: make([]int16, enc.FrameSamples()*title.AudioChannels),
		pkt: make([]byte, opus.MaxPacket),
	}
}

// pump sends the sound due by now.
func (a *audio) pump(s *Session, now time.Time) {
	if a.start.IsZero() {
		a.start = now
	}
	due := now.Sub(a.start)
	if due-a.sent > maxAudioBehind {
		a.sent = due - maxAudioBehind
	}
	for a.sent+audioFrame <= due {
		a.src.ReadAudio(a.pcm)
		n, err := a.enc.Encode(a.pcm, a.pkt)
		a.sent += audioFrame
		if err != nil {
			s.log.Warn("encoding sound", "err", err)
			continue
		}
		if a.sink.WriteAudio(a.pkt[:n], audioFrame) == nil {
			s.stats.audioPackets.Add(1)
		}
	}
}

func (a *audio) close() {
	if a != nil {
		a.enc.Close()
	}
}
