package session

import (
	"fmt"
	"time"

	"stratus/encoder"
	"stratus/encoder/yuv"
)

// resizer is an encoder that can change its picture size and frame rate
// mid-stream (encoder/x264). PrepareResize opens the new encoder beside the
// one in use and may run on any goroutine while Encode runs, one call at a
// time; the session calls it on a goroutine of its own so that the frame
// schedule keeps going meanwhile. Exactly one of apply and drop is then
// called, once, on the Encode goroutine: apply switches (the next picture
// is the new size, and an IDR), drop closes the prepared encoder. An
// encoder without it keeps the title's full picture.
type resizer interface {
	PrepareResize(w, h, fps int) (apply func(), drop func(), err error)
}

// prepared is a rung whose encoder a helper goroutine opened.
type prepared struct {
	rung        Rung
	apply, drop func()
	err         error
}

// quality is the loop's side of the ladder: the rung in use, the scaled
// picture it is encoded from, which frame slots it skips, and the helper
// goroutine opening the next rung's encoder. Only the session loop touches
// it; the helper owns nothing but its result, which it sends on ready.
type quality struct {
	ladder *Ladder // nil when the encoder cannot resize
	rung   Rung
	// every is how many of the loop's frame slots make one picture of
	// this rung: 2 at 30 fps on a 60 fps schedule.
	every int64
	// last is the slot of the latest picture sent; -every before the first.
	last   int64
	scaled *encoder.I420 // nil at the title's own size
	// ready is non-nil while a helper is opening an encoder; buffered, so
	// the helper never waits for the loop.
	ready chan prepared
	// failed is a rung whose encoder would not open: not tried again
	// until the ladder moves elsewhere, or the log would repeat each frame.
	failed Rung
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

// update feeds the estimate bps to the ladder and moves towards the rung it
// picks: it starts a helper opening that rung's encoder, and switches at the
// first slot after the helper is done. The switch itself is cheap, so the
// schedule does not stall; the new rung's first picture is an IDR.
func (q *quality) update(s *Session, now time.Time, bps int, fps int) {
	if q.ladder == nil {
		return
	}
	want, _ := q.ladder.Update(now, bps)
	if q.ready != nil {
		select {
		case p := <-q.ready:
			q.ready = nil
			q.finish(s, p, want, fps, bps)
		default:
			return // still opening
		}
	}
	if want == q.rung || want == q.failed || q.ready != nil {
		if want != q.failed {
			q.failed = Rung{}
		}
		return
	}
	r, ch := s.cfg.Encoder.(resizer), make(chan prepared, 1)
	q.ready = ch
	go func() {
		t0 := time.Now()
		apply, drop, err := r.PrepareResize(want.Width, want.Height, want.FPS)
		if err == nil {
			s.log.Debug("encoder for the next rung opened", "rung", want.Name(), "took", time.Since(t0))
		}
		ch <- prepared{want, apply, drop, err}
	}()
}

// finish applies a prepared rung if the ladder still wants it.
func (q *quality) finish(s *Session, p prepared, want Rung, fps, bps int) {
	switch {
	case p.err != nil:
		s.log.Warn("quality rung change failed", "from", q.rung.Name(), "to", p.rung.Name(), "err", p.err)
		q.failed = p.rung
		return
	case p.rung != want:
		p.drop() // the estimate moved on while it opened
		return
	}
	p.apply()
	s.log.Info("quality rung changed", "from", q.rung.Name(), "to", p.rung.Name(), "bitrate", bps)
	q.rung = p.rung
	q.every = int64(max(1, fps/p.rung.FPS))
	q.scaled = nil
	if p.rung.Width != s.info.Width || p.rung.Height != s.info.Height {
		q.scaled = encoder.NewI420(p.rung.Width, p.rung.Height)
	}
	s.stats.setRung(p.rung)
}

// close waits for a helper still opening an encoder and drops what it
// opened. The loop calls it before the encoder is closed.
func (q *quality) close() {
	if q.ready == nil {
		return
	}
	if p := <-q.ready; p.err == nil {
		p.drop()
	}
	q.ready = nil
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
