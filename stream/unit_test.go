package stream

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"stratus/input"
)

// bareVideoPeer is a Peer with no connection and no send goroutine, so its
// video queue fills after videoQueueFrames frames.
func bareVideoPeer(requests *atomic.Int64) *Peer {
	p := &Peer{
		log:   slog.New(slog.DiscardHandler),
		video: newVideoOut(),
		done:  make(chan struct{}),
		cfg:   PeerConfig{OnKeyframeRequest: func() { requests.Add(1) }},
	}
	// No merging, so every request the peer makes is counted.
	p.keyframes = keyframeGate{interval: 0, fire: p.fireKeyframe}
	return p
}

// TestVideoQueueFull: when the send queue is full, WriteVideo drops instead
// of blocking, asks once for a keyframe, drops until one comes, and carries
// the dropped time into the next frame.
func TestVideoQueueFull(t *testing.T) {
	var requests atomic.Int64
	p := bareVideoPeer(&requests)
	defer p.keyframes.stop()
	p.video.setState(StateConnected)
	const d = 10 * time.Millisecond

	write := func(key bool) {
		t.Helper()
		done := make(chan error, 1)
		go func() { done <- p.WriteVideo([]byte{0, 0, 0, 1, 0x41}, key, d) }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(time.Second):
			t.Fatal("WriteVideo blocked")
		}
	}
	write(true)
	write(false)
	write(false) // queue full: dropped, keyframe requested
	write(false) // waiting for a keyframe: dropped, no second request
	if n := requests.Load(); n != 1 {
		t.Fatalf("%d keyframe requests after a drop, want 1", n)
	}
	if s := p.c.framesDropped.Load(); s != 2 {
		t.Fatalf("dropped %d, want 2", s)
	}
	<-p.video.frames
	<-p.video.frames
	write(true)
	if f := <-p.video.frames; f.dur != 3*d {
		t.Errorf("keyframe after 2 drops lasts %v, want %v so the RTP clock keeps step", f.dur, 3*d)
	}

	// The keyframe being waited for lost to a full queue: ask again, or an
	// infinite GOP never recovers.
	write(true)
	write(false)
	write(false) // dropped: second request
	write(true)  // dropped while waiting: third request
	if n := requests.Load(); n != 3 {
		t.Fatalf("%d keyframe requests, want 3", n)
	}
}

// TestKeyframeRetry: a keyframe that does not come within keyframeRetry
// is asked for again, once per retry interval.
func TestKeyframeRetry(t *testing.T) {
	var requests atomic.Int64
	p := bareVideoPeer(&requests)
	defer p.keyframes.stop()
	if !p.video.setState(StateConnected) {
		t.Fatal("connecting did not ask for the first keyframe")
	}
	d := []byte{0, 0, 0, 1, 0x41}
	for range 3 {
		if err := p.WriteVideo(d, false, 10*time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
	if n := requests.Load(); n != 0 {
		t.Fatalf("%d requests while the first is fresh, want 0", n)
	}
	p.video.mu.Lock()
	p.video.asked = time.Now().Add(-keyframeRetry)
	p.video.mu.Unlock()
	for range 3 {
		if err := p.WriteVideo(d, false, 10*time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
	if n := requests.Load(); n != 1 {
		t.Fatalf("%d requests for an overdue keyframe, want 1", n)
	}
}

// TestKeyframeGate: requests inside the interval merge into one, which is
// postponed, not lost.
func TestKeyframeGate(t *testing.T) {
	var mu sync.Mutex
	var fired []time.Time
	g := keyframeGate{interval: 50 * time.Millisecond, fire: func() {
		mu.Lock()
		fired = append(fired, time.Now())
		mu.Unlock()
	}}
	defer g.stop()
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(fired) }
	g.request()
	if count() != 1 {
		t.Fatal("first request not passed at once")
	}
	for range 10 {
		g.request()
	}
	waitFor(t, time.Second, "postponed request never fired", func() bool { return count() == 2 })
	time.Sleep(120 * time.Millisecond)
	if n := count(); n != 2 {
		t.Fatalf("%d fires for 11 requests in one interval, want 2", n)
	}
	mu.Lock()
	gap := fired[1].Sub(fired[0])
	mu.Unlock()
	if gap < 45*time.Millisecond {
		t.Errorf("second fire after %v, want the interval", gap)
	}
	g.request()
	g.request() // postponed
	g.stop()
	time.Sleep(80 * time.Millisecond)
	if n := count(); n != 3 {
		t.Errorf("%d fires, want 3: a postponed request must die with stop", n)
	}
}

type fakeChannel struct{ sent [][]byte }

func (f *fakeChannel) Send(b []byte) error {
	f.sent = append(f.sent, b)
	return nil
}

// TestInputOverflow: a flood of motion cannot push out key edges; lost
// edges are counted and logged as warnings.
func TestInputOverflow(t *testing.T) {
	var logged bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logged, nil))
	p := &Peer{log: log}
	for _, r := range []*rateLog{&p.inputLog, &p.edgeLossLog, &p.stateLossLog} {
		r.every = time.Second
	}
	var ch fakeChannel
	move := input.Append(nil, input.Event{Kind: input.KindMouseMove})
	for range maxQueuedInput {
		p.handleInput(&ch, log, move, nil)
	}
	stateRoom := maxQueuedInput - edgeReserve
	if got := p.c.inputDropped.Load(); got != edgeReserve {
		t.Fatalf("dropped %d motion events, want %d (the edge reserve)", got, edgeReserve)
	}
	key := input.Append(nil, input.Event{Kind: input.KindKeyUp, Code: 'W'})
	for range edgeReserve {
		p.handleInput(&ch, log, key, nil)
	}
	if got := p.c.inputDropped.Load(); got != edgeReserve {
		t.Fatalf("key edges dropped while the reserve had room (dropped %d)", got)
	}
	if strings.Contains(logged.String(), "level=WARN") {
		t.Fatalf("warned about motion drops:\n%s", logged.String())
	}
	p.handleInput(&ch, log, key, nil)
	if got := p.c.inputDropped.Load(); got != edgeReserve+1 {
		t.Fatalf("dropped %d, want the extra key counted", got)
	}
	if !strings.Contains(logged.String(), "level=WARN") || !strings.Contains(logged.String(), "key or button") {
		t.Fatalf("lost key edge not warned about:\n%s", logged.String())
	}
	evs := p.ReadInput(nil)
	if len(evs) != maxQueuedInput {
		t.Fatalf("drained %d events, want %d", len(evs), maxQueuedInput)
	}
	if evs[stateRoom-1].Kind != input.KindMouseMove || evs[stateRoom].Kind != input.KindKeyUp {
		t.Errorf("queue order wrong around the reserve")
	}
	if got := p.c.inputEvents.Load(); got != maxQueuedInput {
		t.Errorf("InputEvents %d, want %d", got, maxQueuedInput)
	}
	if len(p.ReadInput(nil)) != 0 {
		t.Error("queue not empty after drain")
	}
	if len(ch.sent) != 0 {
		t.Error("something was echoed without a ping")
	}
}

func TestIsEdge(t *testing.T) {
	for _, tc := range []struct {
		e    input.Event
		edge bool
	}{
		{input.Event{Kind: input.KindKeyDown}, true},
		{input.Event{Kind: input.KindKeyUp}, true},
		{input.Event{Kind: input.KindMouseButton}, true},
		{input.Event{Kind: input.KindWheel}, true},
		{input.Event{Kind: input.KindTouch, Phase: input.TouchStart}, true},
		{input.Event{Kind: input.KindTouch, Phase: input.TouchEnd}, true},
		{input.Event{Kind: input.KindTouch, Phase: input.TouchMove}, false},
		{input.Event{Kind: input.KindMouseMove}, false},
		{input.Event{Kind: input.KindGamepad}, false},
	} {
		if got := isEdge(tc.e); got != tc.edge {
			t.Errorf("isEdge(%v) = %v", tc.e, got)
		}
	}
}

func TestReportRTT(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	sent := now.Add(-80 * time.Millisecond)
	held := uint32(30 * 65536 / 1000) // 30 ms in 1/65536 s
	rtt, ok := reportRTT(now, ntpMiddle(sent), held)
	if !ok || rtt < 49*time.Millisecond || rtt > 51*time.Millisecond {
		t.Errorf("RTT %v %v, want 50ms", rtt, ok)
	}
	if _, ok := reportRTT(now, 0, 0); ok {
		t.Error("RTT without a sender report")
	}
	if _, ok := reportRTT(now, ntpMiddle(now.Add(time.Second)), 0); ok {
		t.Error("negative RTT accepted")
	}
}

func TestStateString(t *testing.T) {
	want := []string{"new", "connecting", "connected", "disconnected", "failed", "closed"}
	for s := StateNew; s <= StateClosed; s++ {
		if s.String() != want[s] {
			t.Errorf("State(%d) = %q", s, s)
		}
	}
	if State(42).String() != "unknown" {
		t.Error("out-of-range state")
	}
}
