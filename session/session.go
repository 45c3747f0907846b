// Package session runs one player's game session on an edge: it owns the
// title instance and drives the capture → encode → send loop at the title's
// frame rate, applying the player's input before each frame.
package session

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"stratus/encoder"
	"stratus/encoder/yuv"
	"stratus/input"
	"stratus/internal/panics"
	"stratus/title"
)

// Sink is the player's connection as the session sees it (a stream.Peer).
//
// Both methods are called only from the session loop. WriteVideo must never
// block on a slow peer: it drops by its own rule and returns. ReadInput
// appends every event received since the previous call.
type Sink interface {
	WriteVideo(au []byte, keyframe bool, dur time.Duration) error
	ReadInput(dst []input.Event) []input.Event
}

// Config is what a session is built from. The session takes ownership of
// Title and Encoder and closes them when it ends, or, after a stall, when
// the stalled call returns (watchdog.go).
type Config struct {
	ID      string
	Title   title.Title
	Encoder encoder.Video
	Sink    Sink
	// IdleTimeout ends the session when no player input has arrived for
	// this long; zero disables it.
	IdleTimeout time.Duration
	// MaxDuration ends the session after this long; zero means no limit.
	MaxDuration time.Duration
	// SnapshotEvery is how often the title's state is saved, when the title
	// supports it (title.Snapshotter), so that the player can resume on
	// another edge if this one dies; zero disables snapshots.
	SnapshotEvery time.Duration
	// OnSnapshot receives each saved state. It runs on the session loop,
	// so it must not block.
	OnSnapshot func(state []byte)
	// StallAfter ends the session when one call into the title or the
	// encoder has not returned after this long (watchdog.go); zero means
	// DefaultStallAfter.
	StallAfter time.Duration
	// OnLeftBehind, if set, is told +1 when the watchdog leaves a stalled
	// call behind, and -1 if that call returns at last and the title and
	// encoder it held are closed: the sum is how many are still stuck. It
	// is called from the session's goroutines, possibly after Run returned.
	OnLeftBehind func(delta int)
	// MaxFPS, when above 0, paces the loop at most this fast, below the
	// title's own rate: only an edge's test hook (edge.MisbehaveSlow) sets
	// it, to play an edge that delivers less than its title promises.
	MaxFPS int
	// Keep is what the quality ladder keeps when the bitrate is too low
	// for the title's full picture (ladder.go); empty: the frame rate.
	Keep title.Keep
}

// stallAfter is the watchdog's deadline.
func (c Config) stallAfter() time.Duration {
	if c.StallAfter == 0 {
		return DefaultStallAfter
	}
	return c.StallAfter
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if c.ID == "" {
		errs = append(errs, errors.New("session: empty id"))
	}
	if c.Title == nil {
		errs = append(errs, errors.New("session: no title"))
	}
	if c.Encoder == nil {
		errs = append(errs, errors.New("session: no encoder"))
	}
	if c.Sink == nil {
		errs = append(errs, errors.New("session: no sink"))
	}
	if c.IdleTimeout < 0 || c.MaxDuration < 0 || c.StallAfter < 0 {
		errs = append(errs, errors.New("session: negative timeout"))
	}
	if !c.Keep.Valid() {
		errs = append(errs, fmt.Errorf("session: keep %q: want %q or %q", c.Keep, title.KeepFramerate, title.KeepResolution))
	}
	if c.MaxFPS < 0 {
		errs = append(errs, fmt.Errorf("session: max fps %d: must not be negative", c.MaxFPS))
	}
	return errors.Join(errs...)
}

// Reasons a session ends, reported to the player.
var (
	ErrIdle     = errors.New("no input for too long")
	ErrTimeUp   = errors.New("session time limit reached")
	ErrStopped  = errors.New("stopped")
	errNotYetUp = errors.New("session not started")
)

// Session is one player's running game.
type Session struct {
	cfg  Config
	log  *slog.Logger
	info title.Info

	stopOnce sync.Once
	stop     chan struct{}
	stopErr  error
	done     chan struct{}
	endErr   error

	stats statsRecorder
}

// New builds a session; Run starts it.
func New(cfg Config, log *slog.Logger) (*Session, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	info := cfg.Title.Info()
	if info.FPS <= 0 || info.Width <= 0 || info.Height <= 0 {
		return nil, fmt.Errorf("session: title %q reports %dx%d@%d", info.ID, info.Width, info.Height, info.FPS)
	}
	s := &Session{
		cfg:  cfg,
		log:  log.With("session", cfg.ID, "title", info.ID),
		info: info,
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	s.stats.init(info)
	return s, nil
}

// ID is the session's identifier.
func (s *Session) ID() string { return s.cfg.ID }

// Info describes the title being played.
func (s *Session) Info() title.Info { return s.info }

// Stop asks the loop to end with reason; it returns at once. Safe to call
// many times and from any goroutine; the first reason wins.
func (s *Session) Stop(reason error) {
	s.stopOnce.Do(func() {
		if reason == nil {
			reason = ErrStopped
		}
		s.stopErr = reason
		close(s.stop)
	})
}

// Done is closed when Run has returned.
func (s *Session) Done() <-chan struct{} { return s.done }

// Err is why the session ended; valid after Done is closed.
func (s *Session) Err() error {
	select {
	case <-s.done:
		return s.endErr
	default:
		return errNotYetUp
	}
}

// Run drives the session until ctx ends, Stop is called, a timeout expires,
// the pipeline fails or a call into the title or encoder stalls. It closes
// the title and the encoder before it returns, and returns why it ended;
// after a stall (a *StallError) it returns at once, kills the title's
// processes if it has any, and leaves the title and encoder to the stalled
// call's goroutine, which closes them if the call ever returns.
//
// A panic in the title, the encoder or the loop ends this session only:
// it is logged with its stack and Run returns it as a *panics.Error.
func (s *Session) Run(ctx context.Context) (err error) {
	defer func() {
		s.endErr = err
		close(s.done)
	}()
	l := newLoop(s)
	// Buffered: a loop that returns after the watchdog gave up on it
	// sends to no one.
	res := make(chan error, 1)
	go l.main(ctx, res)
	return s.watch(l.w, res)
}

// watch waits for the loop's result, looking watchChecks times per
// deadline whether a call has stalled.
func (s *Session) watch(w *watch, res <-chan error) error {
	deadline := s.cfg.stallAfter()
	tick := time.NewTicker(deadline / watchChecks)
	defer tick.Stop()
	for {
		select {
		case err := <-res:
			return err
		case <-tick.C:
			if stage, ok := w.stalled(time.Now(), deadline); ok {
				return s.abandon(stage, deadline)
			}
		}
	}
}

// abandon ends the session after a stall: the title's processes are killed
// so that the stuck call returns if it can, and nothing waits for it.
func (s *Session) abandon(stage Stage, deadline time.Duration) error {
	s.leftBehind(+1)
	s.log.Warn("session ended: a call stalled; killing the game and leaving the call behind",
		"stage", stage.String(), "deadline", deadline)
	if k, ok := s.cfg.Title.(Killer); ok {
		func() {
			defer func() {
				if pe := panics.From(recover()); pe != nil {
					pe.Log(s.log, "killing a stalled title panicked")
				}
			}()
			k.Kill()
		}()
	}
	return &StallError{Stage: stage, Deadline: deadline}
}

func (s *Session) leftBehind(delta int) {
	if s.cfg.OnLeftBehind != nil {
		s.cfg.OnLeftBehind(delta)
	}
}

// closeOwned closes the title and the encoder; a panic in either is logged,
// and the other is still closed.
func (s *Session) closeOwned() {
	for _, c := range []struct {
		what  string
		close func() error
	}{{"title", s.cfg.Title.Close}, {"encoder", s.cfg.Encoder.Close}} {
		func() {
			defer func() {
				if pe := panics.From(recover()); pe != nil {
					pe.Log(s.log, "closing panicked", "what", c.what)
				}
			}()
			c.close()
		}()
	}
}

// ForceIDR asks for the next frame to be an IDR (a PLI or FIR from the
// player, or a newly connected peer). Safe from any goroutine.
func (s *Session) ForceIDR() {
	s.stats.idrRequests.Add(1)
	s.cfg.Encoder.ForceIDR()
}

// SetBitrate retargets the encoder (the congestion controller's estimate).
// Safe from any goroutine.
func (s *Session) SetBitrate(bps int) {
	s.stats.targetBitrate.Store(int64(bps))
	s.cfg.Encoder.SetBitrate(bps)
}

// convert turns a rendered frame into the encoder's picture format.
func convert(dst *encoder.I420, f *title.Frame) error {
	if f.Width != dst.Width || f.Height != dst.Height {
		return fmt.Errorf("frame is %dx%d, session is %dx%d", f.Width, f.Height, dst.Width, dst.Height)
	}
	switch f.Format {
	case title.RGBA:
		return yuv.RGBAToI420(dst, f.Pix, f.Stride)
	case title.BGRA:
		return yuv.BGRAToI420(dst, f.Pix, f.Stride)
	}
	return fmt.Errorf("unsupported pixel format %s", f.Format)
}
