package stream

import (
	"log/slog"
	"sync"
	"time"

	"github.com/pion/webrtc/v4/pkg/media"
)

// videoQueueFrames is how many frames may wait for the send goroutine. It
// only fills when sending stalls (socket buffers full, a slow TCP player);
// a deeper queue would turn such a stall into latency instead of a drop.
const videoQueueFrames = 2

// keyframeRetry is how long video waits for a requested keyframe before it
// asks again. An encoder answers with its next frame or the one after; a
// request still unanswered after half a second was lost (the session was
// not listening yet, say), and without a new one an encoder with an
// infinite GOP would leave the player frozen for good.
const keyframeRetry = 500 * time.Millisecond

type frame struct {
	data []byte
	dur  time.Duration
}

// videoOut is the state WriteVideo shares with the state handler. The
// frames channel is drained by Peer.sendLoop; free recycles frame buffers so
// a steady stream allocates nothing.
type videoOut struct {
	frames chan frame
	free   chan []byte

	mu    sync.Mutex
	state State
	// needKey: the next frame sent must be a keyframe, because the player's
	// decoder has nothing to predict from (start) or misses a frame (drop).
	needKey bool
	// sent: a frame has gone out, so the RTP clock has started and dropped
	// frames' durations must be carried into the next frame sent.
	sent  bool
	carry time.Duration
	// asked is when video last requested a keyframe.
	asked time.Time
}

func newVideoOut() videoOut {
	return videoOut{
		frames:  make(chan frame, videoQueueFrames),
		free:    make(chan []byte, videoQueueFrames+1),
		needKey: true,
	}
}

func (v *videoOut) buffer() []byte {
	select {
	case b := <-v.free:
		return b[:0]
	default:
		return nil
	}
}

func (v *videoOut) recycle(b []byte) {
	select {
	case v.free <- b:
	default:
	}
}

// setState records s and reports whether a keyframe must be requested now:
// when video can start flowing and the player waits for a keyframe. A
// request made before the connection is up would be wasted, because the
// keyframe would be dropped like every other frame.
func (v *videoOut) setState(s State) (wantKey bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	was := v.state.sending()
	v.state = s
	return v.askLocked(s.sending() && !was && v.needKey)
}

// WriteVideo queues one H.264 Annex-B access unit (all NAL units of one
// picture) lasting dur, and returns at once; au may be reused when it
// returns. It never blocks: a frame that cannot be sent now is dropped and
// counted, and after a drop every frame is dropped until the next keyframe,
// which the peer asks for through OnKeyframeRequest. Frames written before
// the connection is up are dropped the same way.
//
// Call it from one goroutine (the session's): frames go out in call order.
func (p *Peer) WriteVideo(au []byte, keyframe bool, dur time.Duration) error {
	if p.closed.Load() {
		return ErrClosed
	}
	queued, ask := p.video.offer(au, keyframe, dur)
	if !queued {
		p.c.framesDropped.Add(1)
	}
	if ask {
		p.requestKeyframe()
	}
	return nil
}

// offer queues a copy of the frame if it can go out now. It reports whether
// it did, and whether a keyframe must be requested.
func (v *videoOut) offer(au []byte, keyframe bool, dur time.Duration) (queued, ask bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	switch {
	case !v.state.sending():
		// No request now: its keyframe would be dropped as well. setState
		// asks when the connection comes up.
		v.needKey = true
		return false, false
	case v.needKey && !keyframe:
		v.dropLocked(dur)
		return false, v.askLocked(time.Since(v.asked) >= keyframeRetry)
	}
	f := frame{data: append(v.buffer(), au...), dur: dur + v.carry}
	select {
	case v.frames <- f:
		v.sent, v.carry = true, 0
		if keyframe {
			v.needKey = false
		}
		return true, false
	default:
	}
	v.recycle(f.data)
	v.dropLocked(dur)
	waiting := v.needKey
	v.needKey = true
	// Ask again when the dropped frame was the keyframe being waited for:
	// with an infinite GOP no other one would come soon.
	return false, v.askLocked(!waiting || keyframe)
}

func (v *videoOut) askLocked(ask bool) bool {
	if ask {
		v.asked = time.Now()
	}
	return ask
}

// dropLocked keeps the RTP clock in step with the frames' timing: the next
// frame sent also lasts the dropped frame's duration, so the player's clock
// recovers one frame later instead of drifting for good.
func (v *videoOut) dropLocked(dur time.Duration) {
	if v.sent {
		v.carry += dur
	}
}

// sendLoop packetizes queued frames. It is the only caller of WriteSample,
// so a network write that stalls stalls only this goroutine. It ends when
// the peer closes.
func (p *Peer) sendLoop() {
	defer p.wg.Done()
	defer p.contain("send loop")
	for {
		select {
		case <-p.done:
			return
		case f := <-p.video.frames:
			// One access unit per sample: Pion derives the RTP timestamp
			// from Duration and sets the marker bit on the frame's last
			// packet.
			err := p.track.WriteSample(media.Sample{Data: f.data, Duration: f.dur})
			p.video.recycle(f.data)
			if err != nil {
				// Part of the frame may be lost, and with it every frame
				// predicted from it.
				p.writeLog.log(p.log, slog.LevelWarn, "video write failed", "err", err)
				p.video.mu.Lock()
				p.video.needKey = true
				p.video.askLocked(true)
				p.video.mu.Unlock()
				p.requestKeyframe()
				continue
			}
			p.c.framesSent.Add(1)
		}
	}
}
