package edge

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"stratus/input"
	"stratus/title"
	"stratus/title/testpattern"
)

// hangTitle is the test pattern whose Render stops returning after a few
// frames, until the test releases it: a game whose display server was
// stopped, as the edge sees it.
type hangTitle struct {
	title.Title
	after   int
	frames  int
	hung    *atomic.Int32 // how many calls are hanging now
	release <-chan struct{}
}

func (h *hangTitle) Render(now time.Time) (*title.Frame, error) {
	h.frames++
	if h.frames > h.after {
		h.hung.Add(1)
		<-h.release
		h.hung.Add(-1)
	}
	return h.Title.Render(now)
}

// TestStalledGameFreesItsSlot: a game that stops answering ends its
// session after the watchdog's deadline, with a reason the player reads;
// DELETE and Close return promptly meanwhile, the slot comes back, and the
// metrics count the stall and the call left behind until it returns.
func TestStalledGameFreesItsSlot(t *testing.T) {
	const deadline = 400 * time.Millisecond
	// The watchdog looks 8 times per deadline; the rest is room for a
	// loaded test machine.
	const margin = time.Second
	for _, how := range []string{"delete", "close"} {
		t.Run(how, func(t *testing.T) {
			release := make(chan struct{})
			var hung atomic.Int32
			hanging := testpattern.Descriptor()
			hanging.ID, hanging.Name = "hanging", "Hanging"
			hanging.New = func(o title.Options) (title.Title, error) {
				tp, err := testpattern.New(o)
				if err != nil {
					return nil, err
				}
				return &hangTitle{Title: tp, after: 10, hung: &hung, release: release}, nil
			}
			e, c, _ := newTestEdgeWith(t, catalogWith(t, hanging), 2, func(c *Config) { c.StallAfter = deadline })
			// Runs before the edge's own cleanup: the call left behind
			// returns, so that no goroutine outlives the test.
			var once sync.Once
			free := func() { once.Do(func() { close(release) }) }
			t.Cleanup(free)

			p := joinPlayerTo(t, c, "hanging")
			waitFor(t, 5*time.Second, "the game to hang", func() bool { return hung.Load() == 1 })
			start := time.Now()
			switch how {
			case "delete":
				if err := c.DeleteSession(context.Background(), p.id); err != nil {
					t.Fatal(err)
				}
				t.Logf("attack: DELETE on a session whose capture never returns: answered in %v", time.Since(start).Round(time.Millisecond))
				if took := time.Since(start); took > 500*time.Millisecond {
					t.Fatalf("DELETE took %v", took)
				}
				waitFor(t, deadline+margin, "the slot to come back", func() bool { return e.Status().Free == 2 })
				t.Logf("attack: the slot came back %v after the game hung", time.Since(start).Round(time.Millisecond))
				if r := endedReason(t, p, 5*time.Second); !strings.Contains(r, "stopped responding") {
					t.Errorf("the player read %q, want it to say the game stopped responding", r)
				} else {
					t.Logf("attack: the player read %q", r)
				}
			case "close":
				if err := e.Close(); err != nil {
					t.Fatal(err)
				}
				took := time.Since(start)
				t.Logf("attack: edge Close with a session whose capture never returns: returned in %v", took.Round(time.Millisecond))
				if took > deadline+margin {
					t.Fatalf("Close took %v, deadline %v", took, deadline)
				}
			}
			if n := counter(t, e.metrics.stalled); n != 1 {
				t.Errorf("sessions_stalled_total %v, want 1", n)
			}
			if n := gaugeOf(t, e.metrics.leftBehind); n != 1 {
				t.Errorf("stalled_calls_left_behind %v, want 1 while the call hangs", n)
			}
			free()
			waitFor(t, 5*time.Second, "the call left behind to return", func() bool { return gaugeOf(t, e.metrics.leftBehind) == 0 })
		})
	}
}

// endedReason waits for the page's "ended" message and returns its reason.
func endedReason(t *testing.T, p *player, within time.Duration) string {
	t.Helper()
	limit := time.After(within)
	for {
		select {
		case c := <-p.controls:
			if c.Type == input.ControlEnded {
				return c.Reason
			}
		case <-limit:
			t.Fatalf("the player was not told the session ended within %v", within)
		}
	}
}

// waitFor polls cond, failing with why after limit.
func waitFor(t *testing.T, limit time.Duration, why string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("timed out after %v waiting for %s", limit, why)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type writer interface{ Write(*dto.Metric) error }

func counter(t *testing.T, c writer) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

func gaugeOf(t *testing.T, g writer) float64 {
	t.Helper()
	var m dto.Metric
	if err := g.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetGauge().GetValue()
}
