package stream

import (
	"time"

	"github.com/pion/webrtc/v4"

	"stratus/input"
)

// The edge's heartbeat: a 3-byte Beat (input/doc.go) on the page's
// "motion" channel once a frame time, from a goroutine of its own, so that
// it keeps coming while the picture does not (a loss the jitter buffer
// waits out, a title that stopped drawing, a rung change). The page then
// tells a dead edge (no beat and no frame) from a stalled picture (beats,
// no frame) in a fraction of the silence it would otherwise wait for. The
// channel is unordered without retransmits: a lost beat costs nothing and
// a late one never holds up the next.
const (
	// beatEvery is a frame time at 60 fps: the page counts missing beats
	// in frames.
	beatEvery = time.Second / 60
	// maxBeatBuffered: a channel with this much queued is not carrying
	// beats in time; the beat is skipped rather than queued behind.
	maxBeatBuffered = 1 << 10
)

// startBeats sends beats on dc from when it opens until the peer closes.
// Only the first motion channel gets them.
func (p *Peer) startBeats(dc *webrtc.DataChannel) {
	if !p.beats.CompareAndSwap(nil, dc) {
		return
	}
	dc.OnOpen(func() {
		go p.beatLoop(dc)
	})
}

// beatLoop is owned by the peer and ends with it, or when dc closes.
func (p *Peer) beatLoop(dc *webrtc.DataChannel) {
	defer p.contain("heartbeat")
	t := time.NewTicker(beatEvery)
	defer t.Stop()
	var seq uint16
	msg := make([]byte, 0, input.KindBeat.Size())
	for {
		select {
		case <-p.done:
			return
		case <-t.C:
		}
		switch dc.ReadyState() {
		case webrtc.DataChannelStateOpen:
		case webrtc.DataChannelStateConnecting:
			continue
		default:
			return
		}
		if dc.BufferedAmount() > maxBeatBuffered {
			p.c.beatsSkipped.Add(1)
			continue
		}
		seq++
		msg = input.Append(msg[:0], input.Event{Kind: input.KindBeat, Seq: seq})
		if err := dc.Send(msg); err != nil {
			p.c.beatsSkipped.Add(1)
			continue
		}
		p.c.beats.Add(1)
	}
}
