package edge

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"stratus/edge/api"
	"stratus/stream"
	"stratus/title"
	"stratus/title/builtin"
	"stratus/title/testpattern"
)

// crashTitle is the test pattern with a bug: its Render panics from frame
// crashAt on.
type crashTitle struct {
	title.Title
	crashAt, frames int
}

func (c *crashTitle) Render(now time.Time) (*title.Frame, error) {
	c.frames++
	if c.frames > c.crashAt {
		var m map[string]int
		m["boom"]++ // assignment to a nil map: a bug, as a title would have one
	}
	return c.Title.Render(now)
}

// catalogWith is the built-in catalog plus ds.
func catalogWith(t *testing.T, ds ...title.Descriptor) *title.Catalog {
	t.Helper()
	cat, err := title.NewCatalog(append(builtin.Descriptors(), ds...)...)
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// TestPanicEndsOneSession: a title that panics mid-game ends its own
// session, and its slot comes back; the edge, and the other player's game
// on it, go on.
func TestPanicEndsOneSession(t *testing.T) {
	crashing := testpattern.Descriptor()
	crashing.ID, crashing.Name = "crashing", "Crashing"
	crashing.New = func(o title.Options) (title.Title, error) {
		tp, err := testpattern.New(o)
		if err != nil {
			return nil, err
		}
		return &crashTitle{Title: tp, crashAt: 30}, nil
	}
	e, c, _ := newTestEdgeWith(t, catalogWith(t, crashing), 2)

	steady := joinPlayer(t, c)
	frames := func() int64 {
		r, ok := e.sessions.get(steady.id)
		if !ok {
			return -1
		}
		return r.sess.Load().Stats().Frames
	}
	crash := joinPlayerTo(t, c, "crashing")

	// Polled: the crash comes after 30 frames, half a second at 60 fps.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, ok := e.sessions.get(crash.id); !ok && e.Status().Free == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the panicking session still holds its slot: %+v", e.Status())
		}
		time.Sleep(10 * time.Millisecond)
	}
	before := frames()
	if before < 0 {
		t.Fatal("the other session ended with the panicking one")
	}
	// The other game keeps producing frames: polled for a second's worth.
	deadline = time.Now().Add(5 * time.Second)
	for frames() < before+30 {
		if time.Now().After(deadline) {
			t.Fatalf("the other session stalled at %d frames after the panic (was %d)", frames(), before)
		}
		time.Sleep(10 * time.Millisecond)
	}
	var m dto.Metric
	if err := e.metrics.panicked.Write(&m); err != nil {
		t.Fatal(err)
	}
	if n := m.GetCounter().GetValue(); n != 1 {
		t.Errorf("sessions_panicked_total %v, want 1", n)
	}
	t.Logf("panicking session ended, slot freed (free %d); the other session went from %d to %d frames",
		e.Status().Free, before, frames())

	// The freed slot takes a new player.
	if p := joinPlayer(t, c); p.id == "" {
		t.Fatal("no session id for the player after the panic")
	}
}

// TestBadOfferStartsNothing: an offer the edge cannot serve is refused
// before the title is started, so garbage costs no game process.
func TestBadOfferStartsNothing(t *testing.T) {
	var started atomic.Int32
	counted := testpattern.Descriptor()
	counted.ID = "counted"
	counted.New = func(o title.Options) (title.Title, error) {
		started.Add(1)
		return testpattern.New(o)
	}
	e, c, _ := newTestEdgeWith(t, catalogWith(t, counted), 1)
	for _, tt := range []struct{ name, offer string }{
		{"garbage", "v=0 garbage"},
		{"not sdp", strings.Repeat("\x00", 1000)},
		{"no video", "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"},
		{"section flood", "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n" +
			strings.Repeat("m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n", 1000)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.CreateSession(context.Background(), api.CreateRequest{Title: "counted", Offer: tt.offer})
			if code(err) != api.CodeBadMessage {
				t.Fatalf("got %v, want code %s", err, api.CodeBadMessage)
			}
			t.Logf("refused: %v", err)
		})
	}
	if n := started.Load(); n != 0 {
		t.Fatalf("the title was started %d times for offers that were refused", n)
	}
	if st := e.Status(); st.Free != 1 {
		t.Fatalf("free slots %d after refusals, want 1", st.Free)
	}
	// A good offer still starts it, once.
	joinPlayerTo(t, c, "counted")
	if n := started.Load(); n != 1 {
		t.Fatalf("title started %d times for one player", n)
	}
}

// TestCandidateLimit: a player trickling candidates without end is cut off
// at the limit with rate_limited; a candidate that does not parse is a bad
// message; the session plays on.
func TestCandidateLimit(t *testing.T) {
	e, c, _ := newTestEdge(t, 1)
	p := joinPlayer(t, c)
	ctx := context.Background()
	mid := "0"
	cand := func(i int) api.Candidate {
		return api.Candidate{Candidate: fmt.Sprintf("candidate:%d 1 udp 2130706431 127.0.0.1 %d typ host", i, 20000+i), SDPMid: &mid}
	}
	if err := c.AddCandidate(ctx, p.id, api.Candidate{Candidate: "candidate:garbage", SDPMid: &mid}); code(err) != api.CodeBadMessage {
		t.Fatalf("garbage candidate: %v, want code %s", err, api.CodeBadMessage)
	}
	var accepted, limited int
	for i := range 1000 {
		err := c.AddCandidate(ctx, p.id, cand(i))
		switch {
		case err == nil:
			accepted++
		case code(err) == api.CodeRateLimited:
			limited++
		default:
			t.Fatalf("candidate %d: %v", i, err)
		}
	}
	t.Logf("sent 1 garbage and 1000 good candidates: %d accepted, %d refused as %s", accepted, limited, api.CodeRateLimited)
	if accepted != stream.MaxCandidates-1 || limited != 1000-accepted {
		t.Fatalf("%d accepted and %d limited, want %d and the rest", accepted, limited, stream.MaxCandidates-1)
	}
	r, ok := e.sessions.get(p.id)
	if !ok {
		t.Fatal("the session ended under the candidate flood")
	}
	if n := r.peer.Stats().CandidatesRefused; n != uint64(limited) {
		t.Errorf("CandidatesRefused %d, want %d", n, limited)
	}
	if st := r.peer.State(); st != stream.StateConnected {
		t.Errorf("connection %v after the flood", st)
	}
}

// TestSetUpPanic: a title whose constructor panics fails that one join,
// with the slot given back, and the edge takes the next player.
func TestSetUpPanic(t *testing.T) {
	broken := testpattern.Descriptor()
	broken.ID = "broken"
	broken.New = func(title.Options) (title.Title, error) { panic("constructor bug") }
	e, c, _ := newTestEdgeWith(t, catalogWith(t, broken), 1)
	_, err := c.CreateSession(context.Background(), api.CreateRequest{Title: "broken", Offer: offer(t)})
	if code(err) != api.CodeInternal {
		t.Fatalf("got %v, want code %s", err, api.CodeInternal)
	}
	if st := e.Status(); st.Free != 1 {
		t.Fatalf("free slots %d after a panicking set-up, want 1", st.Free)
	}
	joinPlayer(t, c)
	t.Logf("set-up panic answered %v; the slot was given back and the next player joined", err)
}
