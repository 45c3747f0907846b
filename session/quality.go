package session

import (
	"fmt"
	"time"

	"stratus/encoder"
	"stratus/encoder/yuv"
)

// resizer is an encoder that can change its picture size and frame rate
// mid-stream (encoder/x264). Resize is called from the session loop only,
// between two Encode calls; the next picture it encodes is an IDR with new
// parameter sets. An encoder without it keeps the title's full picture.
type resizer interface {
	Resize(w, h, fps int) error
}

// quality is the loop's side of the ladder: the rung in use, the scaled
// picture it is encoded from, and which frame slots it skips. Only the
// session loop touches it.
type quality struct {
	ladder *Ladder // nil when the encoder cannot resize
	rung   Rung
	// every is how many of the loop's frame slots make one picture of
	// this rung: 2 at 30 fps on a 60 fps schedule.
	every int64
	// last is the slot of the latest picture sent; -every before the first.
	last   int64
	scaled *encoder.I420 // nil at the title's own size
}

func newQuality(s *Session, fps int) *quality {
	info := s.info
	info.FPS = fps
	l := NewLadder(info, s.cfg.Keep)
	q := &quality{rung: l.Current(), every: 1, last: -1}
	if _, ok := s.cfg.Encoder.(resizer); ok {
		q.ladder = l
	} else {
		s.log.Info("the encoder cannot resize: the quality ladder is off", "encoder", s.cfg.Encoder.Name())
	}
	s.stats.setRung(q.rung)
	return q
}

// due reports whether slot makes a picture at this rung. Counting from the
// last picture rather than slot%every keeps the cadence when the loop
// skipped slots it was late for.
func (q *quality) due(slot int64) bool { return slot-q.last >= q.every }

// update moves to the rung for the estimate bps. A rung the encoder cannot
// switch to is logged and left: the session goes on at the rung it has.
func (q *quality) update(s *Session, now time.Time, bps int, fps int) {
	if q.ladder == nil {
		return
	}
	r, changed := q.ladder.Update(now, bps)
	if !changed {
		return
	}
	if err := s.cfg.Encoder.(resizer).Resize(r.Width, r.Height, r.FPS); err != nil {
		s.log.Warn("quality rung change failed", "from", q.rung.Name(), "to", r.Name(), "err", err)
		return
	}
	s.log.Info("quality rung changed", "from", q.rung.Name(), "to", r.Name(), "bitrate", bps)
	q.rung = r
	q.every = int64(max(1, fps/r.FPS))
	q.scaled = nil
	if r.Width != s.info.Width || r.Height != s.info.Height {
		q.scaled = encoder.NewI420(r.Width, r.Height)
	}
	s.stats.setRung(r)
}

// picture is what the encoder gets from the converted full-size picture.
func (q *quality) picture(full *encoder.I420) (*encoder.I420, error) {
	if q.scaled == nil {
		return full, nil
	}
	if err := yuv.ScaleI420(q.scaled, full); err != nil {
		return nil, fmt.Errorf("scale: %w", err)
	}
	return q.scaled, nil
}
