package stream

import (
	"fmt"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"
)

// addAudio adds the Opus track. A page that offers no audio transceiver
// simply gets no audio in the answer; the track then goes nowhere.
func (p *Peer) addAudio() error {
	var err error
	p.audio, err = webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{
		MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2,
	}, "audio", "stratus")
	if err != nil {
		return fmt.Errorf("stream: audio track: %w", err)
	}
	sender, err := p.pc.AddTrack(p.audio)
	if err != nil {
		return fmt.Errorf("stream: add audio track: %w", err)
	}
	// The interceptors (reports, NACK) run inside ReadRTCP; the loop ends
	// when the connection closes.
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		defer p.contain("audio rtcp loop")
		for {
			if _, _, err := sender.ReadRTCP(); err != nil {
				return
			}
		}
	}()
	return nil
}

// WriteAudio sends one Opus packet of dur. It never waits for the player:
// before the connection is up, and after it failed, packets are dropped
// (sound is only worth playing now).
func (p *Peer) WriteAudio(pkt []byte, dur time.Duration) error {
	if p.closed.Load() {
		return ErrClosed
	}
	if p.State() != StateConnected {
		p.c.audioDropped.Add(1)
		return nil
	}
	if err := p.audio.WriteSample(media.Sample{Data: pkt, Duration: dur}); err != nil {
		p.c.audioDropped.Add(1)
		return err
	}
	p.c.audioSent.Add(1)
	return nil
}
