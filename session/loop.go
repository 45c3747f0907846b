package session

import (
	"context"
	"errors"
	"fmt"
	"time"

	"stratus/encoder"
	"stratus/input"
	"stratus/internal/panics"
	"stratus/title"
)

// loop is the state of one running session's frame loop. It lives on a
// goroutine of its own (main) and is touched by nothing else, but for the
// watch, which Run reads.
type loop struct {
	s        *Session
	w        *watch
	interval time.Duration
	fps      int // the schedule's rate: the title's, or MaxFPS
	pic      *encoder.I420
	events   []input.Event
	recv     input.Receiver

	start     time.Time
	lastInput time.Time
	lastSent  time.Time
	lastSnap  time.Time
	audio     *audio // nil for a silent title
	q         *quality
}

func newLoop(s *Session) *loop {
	fps := paced(s.info.FPS, s.cfg.MaxFPS)
	return &loop{
		s:        s,
		w:        newWatch(),
		interval: time.Second / time.Duration(fps),
		fps:      fps,
		pic:      encoder.NewI420(s.info.Width, s.info.Height),
		events:   make([]input.Event, 0, 256),
		q:        newQuality(s, fps),
	}
}

// paced is the frame rate of a title of fps under a cap of max (0: none).
func paced(fps, max int) int {
	if max > 0 && max < fps {
		return max
	}
	return fps
}

// errLeftBehind ends a loop that the watchdog gave up on; no one reads it.
var errLeftBehind = errors.New("session: left behind by the watchdog")

// main runs the loop, closes what the session owns when it ends, and
// sends why it ended on res (buffered). A panic ends the loop like an
// error. When the watchdog has left the loop behind, the stalled call has
// returned by the time main closes the title and encoder: nothing else
// uses them any more, and no one waits for the result.
func (l *loop) main(ctx context.Context, res chan<- error) {
	s := l.s
	var err error
	defer func() {
		if pe := panics.From(recover()); pe != nil {
			pe.Log(s.log, "session panicked")
			err = pe
		}
		// Closing is watched too: a title whose Close hangs on its
		// stuck game must not hold the slot either.
		watched := l.w.enter(StageClose)
		s.closeOwned()
		if watched && l.w.enter(stageIdle) {
			res <- err
			return
		}
		s.leftBehind(-1)
		s.log.Info("a stalled call returned at last; its title and encoder are closed")
	}()
	err = l.run(ctx)
}

// run paces frames on an absolute schedule: frame n is due at start +
// n·interval, so timer error never accumulates into drift. When a frame
// takes so long that the next slot has already passed, the missed slots are
// skipped rather than queued: a player wants the newest frame, not a backlog.
func (l *loop) run(ctx context.Context) error {
	s := l.s
	l.start = time.Now()
	l.lastInput = l.start
	l.audio = newAudio(s)
	defer l.audio.close()
	defer l.q.close()
	timer := time.NewTimer(0)
	defer timer.Stop()
	var frame int64
	for {
		if !l.w.enter(stageIdle) {
			return errLeftBehind
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.stop:
			return s.stopErr
		case <-timer.C:
		}
		now := time.Now()
		if err := l.checkLimits(now); err != nil {
			return err
		}
		// The ladder moves between pictures: a new rung reopens the
		// encoder, so this slot's picture is the first of the new size.
		l.q.update(s, now, int(s.stats.targetBitrate.Load()), l.fps)
		pictured := l.q.due(frame)
		if pictured {
			l.q.last = frame
		}
		if err := l.frame(now, l.start.Add(time.Duration(frame)*l.interval), pictured); err != nil {
			return err
		}
		if l.audio != nil {
			if !l.w.enter(StageSound) {
				return errLeftBehind
			}
			l.audio.pump(s, time.Now())
		}
		if err := l.snapshot(now); err != nil {
			return err
		}
		// Schedule the next slot that is still in the future.
		frame++
		elapsed := time.Since(l.start)
		if due := time.Duration(frame) * l.interval; due <= elapsed {
			behind := int64((elapsed-due)/l.interval) + 1
			s.stats.skipped.Add(behind)
			frame += behind
		}
		timer.Reset(time.Until(l.start.Add(time.Duration(frame) * l.interval)))
	}
}

func (l *loop) checkLimits(now time.Time) error {
	cfg := l.s.cfg
	if cfg.IdleTimeout > 0 && now.Sub(l.lastInput) > cfg.IdleTimeout {
		return ErrIdle
	}
	if cfg.MaxDuration > 0 && now.Sub(l.start) > cfg.MaxDuration {
		return ErrTimeUp
	}
	return nil
}

// frame applies the player's input and, when pictured, produces and sends
// one picture: input first, so the picture shows it. A slot that the
// ladder's frame rate leaves out still takes input, so that input is no
// later at 30 fps than at 60.
func (l *loop) frame(now, due time.Time, pictured bool) error {
	s := l.s
	if !l.w.enter(StageInput) {
		return errLeftBehind
	}
	l.events = s.cfg.Sink.ReadInput(l.events[:0])
	for _, ev := range l.events {
		switch ev.Kind {
		case input.KindPresent:
			l.shiftPhase(ev)
			continue
		case input.KindReceive:
			s.stats.receive(ev)
			continue
		}
		ev, ok := l.recv.Accept(ev)
		if !ok {
			continue
		}
		if ev.Counts() {
			l.lastInput = now
			s.stats.inputs.Add(1)
		}
		s.cfg.Title.Input(ev)
	}
	s.stats.staleInput.Store(int64(l.recv.Stale))
	if n := int64(l.recv.ExtraPads); n != s.stats.extraPads.Load() {
		if s.stats.extraPads.Swap(n) == 0 {
			// Once a session: a page sending more pads does so every frame.
			s.log.Warn("gamepad events beyond the pad limit dropped", "limit", input.MaxPads)
		}
	}

	if !pictured {
		return nil
	}
	if !l.w.enter(StageCapture) {
		return errLeftBehind
	}
	t0 := time.Now()
	f, err := s.cfg.Title.Render(now)
	if errors.Is(err, title.ErrEnded) {
		return err // the player reads it as is
	}
	if err != nil {
		return fmt.Errorf("render: %w", err)
	}
	if !l.w.enter(StageEncode) {
		return errLeftBehind
	}
	t1 := time.Now()
	if err := convert(l.pic, f); err != nil {
		return fmt.Errorf("convert: %w", err)
	}
	pic, err := l.q.picture(l.pic)
	if err != nil {
		return err
	}
	t2 := time.Now()
	au, err := s.cfg.Encoder.Encode(pic)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	t3 := time.Now()

	dur := l.interval * time.Duration(l.q.every)
	if !l.lastSent.IsZero() {
		dur = t3.Sub(l.lastSent)
	}
	l.lastSent = t3
	if !l.w.enter(StageSend) {
		return errLeftBehind
	}
	if err := s.cfg.Sink.WriteVideo(au.Data, au.Keyframe, dur); err != nil {
		// The sink drops by its own rule (waiting for the next keyframe);
		// the session goes on.
		s.stats.sendErrors.Add(1)
	}
	s.stats.frame(t3, t3.Sub(due), t1.Sub(t0), t2.Sub(t1), t3.Sub(t2), len(au.Data), au.Keyframe)
	return nil
}

// snapshot saves the title's state when one is due. It runs after the frame
// is sent, so it never delays a picture. Its only error is errLeftBehind.
func (l *loop) snapshot(now time.Time) error {
	cfg := l.s.cfg
	sn, ok := cfg.Title.(title.Snapshotter)
	if !ok || cfg.SnapshotEvery <= 0 || cfg.OnSnapshot == nil || now.Sub(l.lastSnap) < cfg.SnapshotEvery {
		return nil
	}
	if !l.w.enter(StageSnapshot) {
		return errLeftBehind
	}
	l.lastSnap = now
	state, err := sn.Snapshot()
	if err != nil {
		l.s.log.Warn("snapshot failed", "err", err)
		return nil
	}
	cfg.OnSnapshot(state)
	return nil
}

// shiftPhase moves the frame schedule after the page's presentation report
// (see phase.go). Moving start moves every later slot; run's scheduling
// arithmetic stays the same.
func (l *loop) shiftPhase(r input.Event) {
	d := phaseShift(r, l.interval)
	l.s.stats.present(r, d)
	l.start = l.start.Add(d)
}
