package session

import (
	"context"
	"errors"
	"testing"
	"time"

	"stratus/input"
	"stratus/internal/panics"
	"stratus/title"
)

// panicTitle panics in the method named by where: Render after after
// frames, Input on the first event, Close when closed.
type panicTitle struct {
	title.Title
	where  string
	after  int
	frames int
	closed int
}

func (t *panicTitle) Render(now time.Time) (*title.Frame, error) {
	if t.where == "render" && t.frames >= t.after {
		var pix []byte
		_ = pix[t.frames] // a real bug, not a deliberate panic value
	}
	t.frames++
	return t.Title.Render(now)
}

func (t *panicTitle) Input(ev input.Event) {
	if t.where == "input" {
		panic("input handler bug")
	}
	t.Title.Input(ev)
}

func (t *panicTitle) Close() error {
	t.closed++
	if t.where == "close" {
		panic("close bug")
	}
	return t.Title.Close()
}

// TestPanicEndsOnlyTheSession: a panic in the title ends Run with a
// *panics.Error holding the stack, the title and encoder are still closed,
// and the test process (standing in for the edge) goes on.
func TestPanicEndsOnlyTheSession(t *testing.T) {
	for _, where := range []string{"render", "input", "close"} {
		t.Run(where, func(t *testing.T) {
			var pt *panicTitle
			s, sk, _, _ := newTest(t, 0, func(c *Config) {
				pt = &panicTitle{Title: c.Title, where: where, after: 5}
				c.Title = pt
			})
			sk.push(input.Event{Kind: input.KindKeyDown, Code: 'A'})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go s.Run(ctx)
			if where == "close" {
				waitUntil(t, 5*time.Second, "a few frames", func() bool { return len(sk.sent()) >= 3 })
				s.Stop(nil)
			}
			select {
			case <-s.Done():
			case <-time.After(5 * time.Second):
				t.Fatal("session still running after its title panicked")
			}
			var pe *panics.Error
			switch {
			case where == "close":
				if !errors.Is(s.Err(), ErrStopped) {
					t.Fatalf("ended with %v, want ErrStopped (a panic in Close comes after the end)", s.Err())
				}
			case !errors.As(s.Err(), &pe):
				t.Fatalf("ended with %v, want a *panics.Error", s.Err())
			case len(pe.Stack) == 0:
				t.Fatal("no stack kept")
			}
			if pt.closed != 1 {
				t.Fatalf("title closed %d times, want 1", pt.closed)
			}
			t.Logf("%s: session ended with %v; %d frames sent", where, s.Err(), len(sk.sent()))
		})
	}
}
