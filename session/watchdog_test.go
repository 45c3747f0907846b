package session

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"stratus/encoder"
	"stratus/input"
	"stratus/title"
)

// stuckTitle blocks in the method named by where, after a few frames,
// until released or killed: what a game that stopped its display server
// does to the capture call.
type stuckTitle struct {
	title.Title
	where   string // "render", "input" or "close"
	after   int
	killer  bool // whether Kill releases the stuck call
	frames  atomic.Int64
	release chan struct{}
	once    sync.Once
	kills   atomic.Int64
	closed  atomic.Int64
}

func (t *stuckTitle) block(where string) {
	if t.where == where {
		<-t.release
	}
}

func (t *stuckTitle) Render(now time.Time) (*title.Frame, error) {
	if t.frames.Add(1) > int64(t.after) {
		t.block("render")
	}
	return t.Title.Render(now)
}

func (t *stuckTitle) Input(ev input.Event) {
	t.block("input")
	t.Title.Input(ev)
}

func (t *stuckTitle) Close() error {
	t.block("close")
	t.closed.Add(1)
	return t.Title.Close()
}

func (t *stuckTitle) free() { t.once.Do(func() { close(t.release) }) }

// killableTitle is a stuckTitle that is also a Killer, as process titles
// are.
type killableTitle struct{ *stuckTitle }

func (t killableTitle) Kill() {
	t.kills.Add(1)
	t.free()
}

// stuckEncoder blocks Encode after a few frames until released.
type stuckEncoder struct {
	encoder.Video
	after   int
	frames  atomic.Int64
	release chan struct{}
	closed  atomic.Int64
}

func (e *stuckEncoder) Encode(p *encoder.I420) (encoder.AccessUnit, error) {
	if e.frames.Add(1) > int64(e.after) {
		<-e.release
	}
	return e.Video.Encode(p)
}

func (e *stuckEncoder) Close() error {
	e.closed.Add(1)
	return e.Video.Close()
}

// TestWatchdogEndsStalledSession: a call into the title or the encoder that
// never returns ends the session within the deadline and a little, with an
// error that says what stalled; Run does not wait for the call. A killable
// title is killed (which releases its call); otherwise the stalled call's
// goroutine closes the title and the encoder when it returns at last.
func TestWatchdogEndsStalledSession(t *testing.T) {
	const deadline = 300 * time.Millisecond
	// The ticker's period and a loaded test machine: a stall is caught
	// between deadline and deadline·(1+1/watchChecks); the rest is room.
	const margin = 700 * time.Millisecond
	for _, tc := range []struct {
		name    string
		where   string // title method that blocks; "" for the encoder
		killer  bool
		stage   Stage
		stopped bool // Stop is called while the call is stuck
	}{
		{name: "render", where: "render", stage: StageCapture},
		{name: "render killable", where: "render", killer: true, stage: StageCapture},
		{name: "input", where: "input", stage: StageInput},
		{name: "close", where: "close", stage: StageClose, stopped: true},
		{name: "encode", stage: StageEncode},
		{name: "render stopped while stuck", where: "render", stage: StageCapture, stopped: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var st *stuckTitle
			var se *stuckEncoder
			var behind atomic.Int64
			s, sk, _, _ := newTest(t, 0, func(c *Config) {
				c.StallAfter = deadline
				c.OnLeftBehind = func(d int) { behind.Add(int64(d)) }
				st = &stuckTitle{Title: c.Title, where: tc.where, after: 5, release: make(chan struct{})}
				c.Title = st
				if tc.killer {
					c.Title = killableTitle{st}
				}
				se = &stuckEncoder{Video: c.Encoder, after: 1 << 30, release: make(chan struct{})}
				if tc.where == "" {
					se.after = 5
				}
				c.Encoder = se
			})
			defer st.free()
			defer func() {
				select {
				case <-se.release:
				default:
					close(se.release)
				}
			}()
			if tc.where == "input" {
				sk.push(input.Event{Kind: input.KindKeyDown, Code: 'A'})
			}
			go s.Run(context.Background())
			switch tc.where {
			case "render":
				waitUntil(t, 5*time.Second, "the stuck capture", func() bool { return st.frames.Load() > int64(st.after) })
			case "":
				waitUntil(t, 5*time.Second, "the stuck encode", func() bool { return se.frames.Load() > int64(se.after) })
			case "close":
				waitUntil(t, 5*time.Second, "a few frames", func() bool { return len(sk.sent()) >= 3 })
			}
			start := time.Now()
			if tc.stopped {
				s.Stop(nil)
			}
			select {
			case <-s.Done():
			case <-time.After(deadline + margin + 5*time.Second):
				t.Fatalf("session still running %v after a stall", time.Since(start))
			}
			took := time.Since(start)
			var se2 *StallError
			if !errors.As(s.Err(), &se2) || !errors.Is(s.Err(), ErrStalled) || se2.Stage != tc.stage {
				t.Fatalf("ended with %v, want a stall in %s", s.Err(), tc.stage)
			}
			if took > deadline+margin {
				t.Fatalf("ended %v after the stall began, deadline %v", took, deadline)
			}
			t.Logf("stalled in %s: session ended after %v with %q", tc.stage, took.Round(time.Millisecond), s.Err())

			if tc.killer {
				if st.kills.Load() != 1 {
					t.Fatalf("title killed %d times, want 1", st.kills.Load())
				}
			} else if tc.where != "close" {
				// Until the call returns, its goroutine holds the title
				// and encoder: neither is closed under it.
				if st.closed.Load() != 0 || se.closed.Load() != 0 {
					t.Fatalf("title closed %d, encoder closed %d times while the call is stuck", st.closed.Load(), se.closed.Load())
				}
				if behind.Load() != 1 {
					t.Fatalf("%d calls left behind, want 1", behind.Load())
				}
				st.free()
				close(se.release)
			} else {
				st.free()
			}
			// The call returns: its goroutine closes what it held, once.
			waitUntil(t, 5*time.Second, "the left-behind goroutine to close the title and encoder", func() bool {
				return st.closed.Load() == 1 && se.closed.Load() == 1 && behind.Load() == 0
			})
		})
	}
}

// TestWatchdogLeavesSlowFramesAlone: frames slower than the frame interval
// but well within the deadline are skipped slots, not a stall.
func TestWatchdogLeavesSlowFramesAlone(t *testing.T) {
	s, sk, _, _ := newTest(t, 40*time.Millisecond, func(c *Config) { c.StallAfter = 200 * time.Millisecond })
	go s.Run(context.Background())
	waitUntil(t, 5*time.Second, "20 slow frames", func() bool { return len(sk.sent()) >= 20 })
	s.Stop(nil)
	<-s.Done()
	if !errors.Is(s.Err(), ErrStopped) {
		t.Fatalf("ended with %v, want ErrStopped", s.Err())
	}
}

// TestWatchMarkRace: the loop entering its next stage and the watchdog
// giving up on the stage before race; exactly one wins each time.
func TestWatchMarkRace(t *testing.T) {
	for range 200 {
		w := newWatch()
		w.enter(StageCapture)
		var entered, stalled bool
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); entered = w.enter(StageEncode) }()
		go func() { defer wg.Done(); _, stalled = w.stalled(time.Now().Add(time.Hour), time.Second) }()
		wg.Wait()
		if entered && stalled && markStage(w.mark.Load()) != stageAbandoned {
			t.Fatal("both the loop and the watchdog won")
		}
		if !entered && !stalled {
			t.Fatal("neither won")
		}
	}
}

// BenchmarkWatchFrame is what the watchdog costs a frame: the loop marks
// six stages (idle, input, capture, encode, send, sound).
func BenchmarkWatchFrame(b *testing.B) {
	w := newWatch()
	stages := []Stage{stageIdle, StageInput, StageCapture, StageEncode, StageSend, StageSound}
	for b.Loop() {
		for _, s := range stages {
			if !w.enter(s) {
				b.Fatal("abandoned")
			}
		}
	}
}
